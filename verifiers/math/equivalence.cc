#include "verifiers/math/internal/equivalence.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <functional>
#include <string>

#include "verifiers/math/internal/matcher.h"
#include "verifiers/math/internal/realset.h"
#include "verifiers/math/internal/rewrite.h"

namespace zerorl::math {
namespace internal {
namespace {

constexpr int kSamplePoints = 5;
constexpr int kMaxMatchDepth = 64;

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

}  // namespace

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

bool Matcher::Match(Node* g, Node* p) {
  if (!b_->Tick() || depth_ > kMaxMatchDepth) return false;
  ++depth_;
  bool r = MatchInner(g, p);
  --depth_;
  return r;
}

bool Matcher::MatchInner(Node* g, Node* p) {
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

bool Matcher::AllMatch(Node* set, Node* other, bool gold_side) {
  if (set->n == 0) return false;
  for (uint32_t i = 0; i < set->n; ++i) {
    if (!(gold_side ? Match(set->kid(i), other) : Match(other, set->kid(i)))) return false;
  }
  return true;
}

bool Matcher::MatchText(Node* g, Node* p) {
  std::string a, b;
  if (!TextOf(g, &a) || !TextOf(p, &b)) return false;
  std::string x = NormalizeWords(a), y = NormalizeWords(b);
  return !x.empty() && x == y;
}

bool Matcher::MatchScalar(Node* g, Node* p) {
  if (ScalarEq(g, p)) return true;
  if (g->op == Op::kPercent && ScalarEq(g->kid(0), p)) return true;
  if (p->op == Op::kPercent && ScalarEq(g, p->kid(0))) return true;
  return false;
}

// Compares a and b with `same` at every sample point; 1 equal, 0 different, -1 when no
// point could be evaluated (the caller then compares structure).
int Matcher::AtPoints(Node* a, Node* b, const std::function<bool(const Value&, const Value&)>& same,
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

bool Matcher::ScalarEq(Node* a, Node* b) {
  int r = AtPoints(a, b, [&](const Value& x, const Value& y) { return ValuesEqual(x, y, o_.float_rounding); },
                   [] {});
  if (r >= 0) return r == 1;
  return SameStructure(a, b);
}

// b == k * a for one constant k != 0 (k > 0 when `positive`), at every sample point.
bool Matcher::Proportional(Node* a, Node* b, bool positive) {
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

// Same shape, and leaves/operands that match: used when values cannot be computed
// (10^{10^{10}}, integrals, limits).
bool Matcher::SameStructure(Node* a, Node* b) {
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

}  // namespace internal

bool AnswersMatch(Node* gold, Node* pred, const CompareOptions& options, NodeFactory* factory,
                  Budget* budget) {
  if (options.fast_numbers && gold->op == Op::kNumber && pred->op == Op::kNumber) {
    bool decimal = ((gold->flags | pred->flags) & kFlagDecimal) != 0;
    if (!decimal && gold->big == nullptr && pred->big == nullptr) {
      return gold->num == pred->num && gold->den == pred->den;
    }
    return ValuesEqual(Value::Exact(gold->value(), decimal), Value::Exact(pred->value()), options.float_rounding);
  }
  internal::Matcher matcher(options, factory, budget);
  return matcher.Match(ExpandPlusMinus(gold, factory), ExpandPlusMinus(pred, factory));
}

}  // namespace zerorl::math
