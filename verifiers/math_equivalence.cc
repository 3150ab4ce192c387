#include "verifiers/math_equivalence.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <functional>
#include <string>

#include "verifiers/math_realset.h"
#include "verifiers/math_rewrite.h"

namespace zerorl::math {
namespace {

constexpr int kSamplePoints = 5;
constexpr int kMaxMatchDepth = 64;

bool IsCollection(const Node* n) {
  return n->op == Op::kList || n->op == Op::kSet || n->op == Op::kTuple || n->op == Op::kPair;
}
bool IsUnordered(const Node* n) { return n->op == Op::kList || n->op == Op::kSet; }
bool NeedsRealSet(const Node* n) {
  return n->op == Op::kInterval || n->op == Op::kSetOp || n->op == Op::kNamedSet;
}
bool IsInequality(const Node* n) {
  if (n->op != Op::kRelation) return false;
  for (uint32_t i = 0; i + 1 < n->n; ++i) {
    if (!IsRelational(n->rels[i]) && n->rels[i] != RelOp::kNe) return false;
  }
  return true;
}
// "x = ..." chains and "x \in S": the value is the last operand.
bool IsValueRelation(const Node* n) {
  return IsEqChain(n) || (n->op == Op::kRelation && n->n == 2 && n->rels[0] == RelOp::kIn);
}
bool IsAssignment(const Node* n) {
  if (!IsValueRelation(n)) return false;
  for (uint32_t i = 0; i + 1 < n->n; ++i) {
    if (IsNameLike(n->kid(i))) return true;
  }
  return false;
}

void ScalarSymbols(const Node* node, std::vector<std::string_view>* out) {
  std::vector<std::string_view> all;
  CollectSymbols(node, &all);
  std::vector<std::string_view> functions;
  std::function<void(const Node*)> apps = [&](const Node* n) {
    if (n->op == Op::kApply) functions.push_back(n->name);
    for (uint32_t i = 0; i < n->n; ++i) apps(n->kid(i));
  };
  apps(node);
  for (std::string_view s : all) {
    if (std::find(functions.begin(), functions.end(), s) == functions.end()) out->push_back(s);
  }
  std::sort(out->begin(), out->end());
}

// Words of a \text{} answer, or the letters of a symbol-like answer, normalised.
bool TextOf(const Node* n, std::string* out) {
  switch (n->op) {
    case Op::kText: case Op::kSymbol: *out += n->name; return true;
    case Op::kConst:
      if (n->sub == kE) *out += "e";
      else if (n->sub == kI) *out += "i";
      else if (n->sub == kPi) *out += "pi";
      else return false;
      return true;
    case Op::kMul:
      for (uint32_t i = 0; i < n->n; ++i) {
        if (!TextOf(n->kid(i), out)) return false;
      }
      return true;
    default: return false;
  }
}

std::string NormalizeWords(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == ' ' || c == '~' || c == '$' || c == '\\') continue;
    out.push_back(c);
  }
  while (!out.empty() && (out.back() == '.' || out.back() == ')' || out.back() == ']')) out.pop_back();
  size_t b = 0;
  while (b < out.size() && (out[b] == '(' || out[b] == '[')) ++b;
  out = out.substr(b);
  if (out.size() > 1) {
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

class Matcher {
 public:
  Matcher(const CompareOptions& o, NodeFactory* f, Budget* b) : o_(o), f_(f), b_(b), ctx_(b) {}

  bool Match(Node* g, Node* p) {
    if (!b_->Tick() || depth_ > kMaxMatchDepth) return false;
    ++depth_;
    bool r = MatchInner(g, p);
    --depth_;
    return r;
  }

 private:
  bool MatchInner(Node* g, Node* p) {
    if (g->op == Op::kText || p->op == Op::kText) return MatchText(g, p);
    // A set of equal values is that value: {639/40, 15 39/40} = 639/40 (and {5} = 5).
    if (IsUnordered(g) && !IsCollection(p)) return AllMatch(g, p, /*gold_side=*/true);
    if (IsUnordered(p) && !IsCollection(g)) return AllMatch(p, g, /*gold_side=*/false);
    bool value;
    if (g->op == Op::kBool && InclusionValue(p, &value)) return value == (g->sub == 1);
    if (p->op == Op::kBool && InclusionValue(g, &value)) return value == (p->sub == 1);
    bool g_rel = g->op == Op::kRelation, p_rel = p->op == Op::kRelation;
    if (g_rel && !p_rel) {
      if (IsAssignment(g)) return Match(g->kid(g->n - 1), p);
      if (IsInequality(g) && (IsSetLike(p) || NeedsRealSet(p))) return MatchSolved(g, p);
      return false;
    }
    if (p_rel && !g_rel) {
      if (IsValueRelation(p)) return Match(g, p->kid(p->n - 1));
      if (o_.set_relation && IsInequality(p) && IsSetLike(g)) return MatchSolved(p, g);
      return false;
    }
    if (g_rel) {
      // "x \in S" or "x = S" against an inequality in x: compare the set with its solutions.
      bool gv = IsValueRelation(g), pv = IsValueRelation(p);
      if (pv && !gv && IsSetLike(p->kid(p->n - 1))) return Match(g, p->kid(p->n - 1));
      if (gv && !pv && IsAssignment(g) && IsSetLike(g->kid(g->n - 1))) return Match(g->kid(g->n - 1), p);
      return MatchRelations(g, p);
    }
    if (Contains(g, Op::kMatrix) || Contains(p, Op::kMatrix)) return MatchMatrices(g, p);
    if (NeedsRealSet(g) || NeedsRealSet(p)) return MatchSets(g, p);
    if (IsCollection(g) && IsCollection(p)) {
      if (IsUnordered(g) || IsUnordered(p)) return MatchUnordered(g, p);
      return MatchOrdered(g, p);
    }
    if (g->op == Op::kRatio || p->op == Op::kRatio) return MatchRatio(g, p);
    if (IsScalarOp(g->op) && IsScalarOp(p->op)) return MatchScalar(g, p);
    if (g->op == p->op && (g->op == Op::kBool || g->op == Op::kDots || g->op == Op::kNamedSet)) {
      return g->sub == p->sub;
    }
    return false;
  }

  // {1,2} \supseteq {1}: the truth value of an inclusion between explicit sets.
  bool InclusionValue(Node* rel, bool* value) {
    if (rel->op != Op::kRelation || rel->n != 2) return false;
    RelOp op = rel->rels[0];
    Node *a = rel->kid(0), *b = rel->kid(1);
    if (op == RelOp::kSupset || op == RelOp::kSupsetEq) std::swap(a, b);
    else if (op != RelOp::kSubset && op != RelOp::kSubsetEq) return false;
    auto elements = [](Node* n, std::vector<Node*>* out) {
      if (IsUnordered(n)) out->assign(n->kids, n->kids + n->n);
      else if (n->op == Op::kNamedSet && n->sub == kEmptySet) out->clear();
      else out->assign(1, n);  // {1} parses as a grouped 1
      return true;
    };
    std::vector<Node*> xs, ys;
    elements(a, &xs);
    elements(b, &ys);
    bool subset = true;
    for (Node* x : xs) {
      bool found = false;
      for (Node* y : ys) found = found || Match(x, y);
      subset = subset && found;
    }
    bool proper = op == RelOp::kSubset || op == RelOp::kSupset;
    *value = subset && (!proper || xs.size() < ys.size());
    return true;
  }

  bool AllMatch(Node* set, Node* other, bool gold_side) {
    if (set->n == 0) return false;
    for (uint32_t i = 0; i < set->n; ++i) {
      if (!(gold_side ? Match(set->kid(i), other) : Match(other, set->kid(i)))) return false;
    }
    return true;
  }

  bool MatchText(Node* g, Node* p) {
    std::string a, b;
    if (!TextOf(g, &a) || !TextOf(p, &b)) return false;
    std::string x = NormalizeWords(a), y = NormalizeWords(b);
    return !x.empty() && x == y;
  }

  bool MatchScalar(Node* g, Node* p) {
    if (ScalarEq(g, p)) return true;
    if (g->op == Op::kPercent && ScalarEq(g->kid(0), p)) return true;
    if (p->op == Op::kPercent && ScalarEq(g, p->kid(0))) return true;
    return false;
  }

  // Compares a and b with `same` at every sample point; 1 equal, 0 different, -1 when no
  // point could be evaluated (the caller then compares structure).
  int AtPoints(Node* a, Node* b, const std::function<bool(const Value&, const Value&)>& same,
               const std::function<void()>& reset) {
    std::vector<std::string_view> sa, sb;
    ScalarSymbols(a, &sa);
    ScalarSymbols(b, &sb);
    if (sa.empty() && sb.empty()) {
      ctx_.vars.clear();
      Value va = Evaluate(a, &ctx_), vb = Evaluate(b, &ctx_);
      if (!va.defined() || !vb.defined()) return -1;
      if (!va.IsFinite() || !vb.IsFinite()) return ValuesEqual(va, vb, o_.float_rounding) ? 1 : -1;
      reset();
      return same(va, vb) ? 1 : 0;
    }
    std::vector<std::vector<std::string_view>> renamings{sb};  // sb[i] takes the value of name[i]
    if (!o_.strict && sa.size() == sb.size() && sa != sb && sa.size() <= 3) {
      std::vector<std::string_view> perm = sa;
      renamings.clear();
      do renamings.push_back(perm);
      while (std::next_permutation(perm.begin(), perm.end()));
    }
    bool any_point = false;
    for (const auto& names : renamings) {
      reset();
      bool ok = true;
      int compared = 0;
      for (int k = 0; k < kSamplePoints && ok; ++k) {
        if (b_->exhausted()) return 0;
        ctx_.vars.clear();
        for (std::string_view s : sa) ctx_.vars.emplace_back(s, SamplePoint(s, k));
        Value va = Evaluate(a, &ctx_);
        ctx_.vars.clear();
        for (size_t i = 0; i < sb.size(); ++i) ctx_.vars.emplace_back(sb[i], SamplePoint(names[i], k));
        Value vb = Evaluate(b, &ctx_);
        if (!va.defined() && !vb.defined()) continue;
        if (!va.defined() || !vb.defined()) {
          ok = false;
          break;
        }
        if (!va.IsFinite() || !vb.IsFinite()) {
          ok = ValuesEqual(va, vb, o_.float_rounding);
          continue;
        }
        ok = same(va, vb);
        ++compared;
      }
      any_point = any_point || compared > 0;
      if (ok && compared > 0) return 1;
    }
    return any_point ? 0 : -1;
  }

  bool ScalarEq(Node* a, Node* b) {
    int r = AtPoints(a, b, [&](const Value& x, const Value& y) { return ValuesEqual(x, y, o_.float_rounding); },
                     [] {});
    if (r >= 0) return r == 1;
    return SameStructure(a, b);
  }

  // b == k * a for one constant k != 0 (k > 0 when `positive`), at every sample point.
  bool Proportional(Node* a, Node* b, bool positive) {
    Value ratio;
    bool have = false, all_zero = true;
    auto reset = [&] {
      have = false;
      all_zero = true;
    };
    auto same = [&](const Value& x, const Value& y) {
      bool xz = ValuesEqual(x, Value::Exact(Rational(0)), o_.float_rounding);
      bool yz = ValuesEqual(y, Value::Exact(Rational(0)), o_.float_rounding);
      if (xz || yz) return xz && yz;
      all_zero = false;
      Value r = Div(y, x);
      if (positive && (!r.IsReal() || r.Real() <= 0)) return false;
      if (!have) {
        ratio = r;
        have = true;
        return true;
      }
      return ValuesEqual(ratio, r, o_.float_rounding);
    };
    int r = AtPoints(a, b, same, reset);
    if (r >= 0) return r == 1;
    return SameStructure(a, b);
  }

  Node* Difference(Node* l, Node* r) { return f_->Make(Op::kAdd, {l, f_->Make(Op::kNeg, {r})}); }

  bool MatchRelations(Node* g, Node* p) {
    auto reduce = [&](Node* n) {
      return IsEqChain(n) && n->n > 2 ? f_->Relation({n->kid(0), n->kid(n->n - 1)}, {RelOp::kEq}) : n;
    };
    g = reduce(g);
    p = reduce(p);
    if (g->n == 2 && p->n == 2) {
      // "x \in S" is read like latex2sympy's Eq(x, S).
      auto canonical = [](RelOp r) { return r == RelOp::kIn ? RelOp::kEq : r == RelOp::kNotIn ? RelOp::kNe : r; };
      RelOp og = canonical(g->rels[0]), op = canonical(p->rels[0]);
      Node *lg = g->kid(0), *rg = g->kid(1), *lp = p->kid(0), *rp = p->kid(1);
      bool scalars = IsScalarOp(lg->op) && IsScalarOp(rg->op) && IsScalarOp(lp->op) && IsScalarOp(rp->op);
      if ((og == RelOp::kEq || og == RelOp::kNe) && og == op) {
        if (scalars && Proportional(Difference(lg, rg), Difference(lp, rp), false)) return true;
        return (Match(lg, lp) && Match(rg, rp)) || (Match(lg, rp) && Match(rg, lp));
      }
      if (IsRelational(og) && IsRelational(op) && scalars) {
        auto normal = [&](RelOp o, Node* l, Node* r, bool* strict) {
          *strict = o == RelOp::kLt || o == RelOp::kGt;
          return (o == RelOp::kLt || o == RelOp::kLe) ? Difference(r, l) : Difference(l, r);
        };
        bool sg, sp;
        Node* dg = normal(og, lg, rg, &sg);
        Node* dp = normal(op, lp, rp, &sp);
        return sg == sp && Proportional(dg, dp, true);
      }
      if (og == op || og == FlipRel(op)) {
        if (og == op && Match(lg, lp) && Match(rg, rp)) return true;
        return og == FlipRel(op) && Match(lg, rp) && Match(rg, lp);
      }
      return false;
    }
    RealSet a, b;
    if (SolveRelation(g, &ctx_, &a) && SolveRelation(p, &ctx_, &b)) return RealSetsEqual(a, b, o_.float_rounding);
    if (g->n != p->n) return false;
    bool forward = true, backward = true;
    for (uint32_t i = 0; i + 1 < g->n; ++i) {
      forward = forward && g->rels[i] == p->rels[i];
      backward = backward && g->rels[i] == FlipRel(p->rels[p->n - 2 - i]);
    }
    for (uint32_t i = 0; i < g->n && (forward || backward); ++i) {
      forward = forward && Match(g->kid(i), p->kid(i));
      backward = backward && !forward && Match(g->kid(i), p->kid(p->n - 1 - i));
    }
    return forward || backward;
  }

  // A relation in one variable against a set: compare its solution set.
  bool MatchSolved(Node* relation, Node* set) {
    RealSet a, b;
    if (!SolveRelation(relation, &ctx_, &a) || !ToRealSet(set, &ctx_, &b)) return false;
    return RealSetsEqual(a, b, o_.float_rounding);
  }

  bool MatchSets(Node* g, Node* p) {
    ctx_.vars.clear();
    RealSet a, b;
    if (ToRealSet(g, &ctx_, &a) && ToRealSet(p, &ctx_, &b)) return RealSetsEqual(a, b, o_.float_rounding);
    // Symbolic endpoints: [a, b] vs [a, b], (a, b) vs open interval (a, b).
    auto bits = [](const Node* n) -> int {
      if (n->op == Op::kPair) return kLeftOpen | kRightOpen;
      return n->op == Op::kInterval ? n->sub : -1;
    };
    int bg = bits(g), bp = bits(p);
    if (bg >= 0 && bp >= 0) return bg == bp && Match(g->kid(0), p->kid(0)) && Match(g->kid(1), p->kid(1));
    if (g->op == p->op && g->sub == p->sub && g->n == p->n) return MatchOrdered(g, p);
    return false;
  }

  bool MatchOrdered(Node* g, Node* p) {
    if (g->n != p->n) return false;
    for (uint32_t i = 0; i < g->n; ++i) {
      if (!Match(g->kid(i), p->kid(i))) return false;
    }
    return true;
  }

  bool MatchUnordered(Node* g, Node* p) {
    for (uint32_t i = 0; i < g->n; ++i) {
      bool found = false;
      for (uint32_t j = 0; j < p->n && !found; ++j) found = Match(g->kid(i), p->kid(j));
      if (!found) return false;
    }
    for (uint32_t j = 0; j < p->n; ++j) {
      bool found = false;
      for (uint32_t i = 0; i < g->n && !found; ++i) found = Match(g->kid(i), p->kid(j));
      if (!found) return false;
    }
    return true;
  }

  bool MatchRatio(Node* g, Node* p) {
    if (g->op == Op::kRatio && p->op == Op::kRatio) {
      if (g->n != p->n) return false;
      ctx_.vars.clear();
      std::vector<Value> a, b;
      bool zero = false, numeric = true;
      for (uint32_t i = 0; i < g->n; ++i) {
        a.push_back(Evaluate(g->kid(i), &ctx_));
        b.push_back(Evaluate(p->kid(i), &ctx_));
        numeric = numeric && a.back().IsFinite() && b.back().IsFinite();
        if (numeric) {
          zero = zero || ValuesEqual(a.back(), Value::Exact(Rational(0)), o_.float_rounding) ||
                 ValuesEqual(b.back(), Value::Exact(Rational(0)), o_.float_rounding);
        }
      }
      if (!numeric || zero) return MatchOrdered(g, p);  // 12:00 is not 1:00
      for (uint32_t i = 1; i < g->n; ++i) {
        if (!ValuesEqual(Mul(a[i], b[0]), Mul(b[i], a[0]), o_.float_rounding)) return false;
      }
      return true;
    }
    Node* r = g->op == Op::kRatio ? g : p;
    Node* other = r == g ? p : g;
    if (r->n != 2 || !IsScalarOp(other->op)) return false;
    Node* quotient = f_->Make(Op::kDiv, {r->kid(0), r->kid(1)});
    return r == g ? ScalarEq(quotient, other) : ScalarEq(other, quotient);
  }

  bool MatchMatrices(Node* g, Node* p) {
    Node* a = FoldMatrix(g, f_);
    Node* b = FoldMatrix(p, f_);
    if (a == nullptr || b == nullptr) {
      // A matrix inside a set or tuple: compare the containers element by element.
      if (a == nullptr && b == nullptr && IsCollection(g) && IsCollection(p)) {
        return IsUnordered(g) || IsUnordered(p) ? MatchUnordered(g, p) : MatchOrdered(g, p);
      }
      return false;
    }
    if (a->rows != b->rows || a->cols != b->cols) return false;
    for (uint32_t i = 0; i < a->n; ++i) {
      if (!Match(a->kid(i), b->kid(i))) return false;
    }
    return true;
  }

  // Same shape, and leaves/operands that match: used when values cannot be computed
  // (10^{10^{10}}, integrals, limits).
  bool SameStructure(Node* a, Node* b) {
    if (a->op != b->op || a->sub != b->sub || a->n != b->n) return false;
    switch (a->op) {
      case Op::kNumber: return a->value() == b->value();
      case Op::kSymbol: case Op::kApply: case Op::kText:
        if (a->name != b->name) return false;
        break;
      case Op::kRelation:
        for (uint32_t i = 0; i + 1 < a->n; ++i) {
          if (a->rels[i] != b->rels[i]) return false;
        }
        break;
      default: break;
    }
    for (uint32_t i = 0; i < a->n; ++i) {
      Node *x = a->kid(i), *y = b->kid(i);
      bool ok = IsScalarOp(x->op) && IsScalarOp(y->op) ? ScalarEq(x, y) : Match(x, y);
      if (!ok) return false;
    }
    return true;
  }

  const CompareOptions& o_;
  NodeFactory* f_;
  Budget* b_;
  EvalContext ctx_;
  int depth_ = 0;
};

}  // namespace

bool AnswersMatch(Node* gold, Node* pred, const CompareOptions& options, NodeFactory* factory,
                  Budget* budget) {
  if (options.fast_numbers && gold->op == Op::kNumber && pred->op == Op::kNumber) {
    bool decimal = ((gold->flags | pred->flags) & kFlagDecimal) != 0;
    if (!decimal && gold->big == nullptr && pred->big == nullptr) {
      return gold->num == pred->num && gold->den == pred->den;
    }
    return ValuesEqual(Value::Exact(gold->value(), decimal), Value::Exact(pred->value()), options.float_rounding);
  }
  Matcher matcher(options, factory, budget);
  return matcher.Match(ExpandPlusMinus(gold, factory), ExpandPlusMinus(pred, factory));
}

}  // namespace zerorl::math
