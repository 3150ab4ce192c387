// Relations, sets, tuples, ratios and matrices for the matcher (see verifiers/math/internal/matcher.h).
#include <algorithm>

#include "verifiers/math/internal/matcher.h"
#include "verifiers/math/internal/realset.h"
#include "verifiers/math/internal/rewrite.h"

namespace zerorl::math::internal {

// {1,2} \supseteq {1}: the truth value of an inclusion between explicit sets.
bool Matcher::InclusionValue(Node* rel, bool* value) {
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

bool Matcher::MatchRelations(Node* g, Node* p) {
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
bool Matcher::MatchSolved(Node* relation, Node* set) {
  RealSet a, b;
  if (!SolveRelation(relation, &ctx_, &a) || !ToRealSet(set, &ctx_, &b)) return false;
  return RealSetsEqual(a, b, o_.float_rounding);
}

bool Matcher::MatchSets(Node* g, Node* p) {
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

bool Matcher::MatchOrdered(Node* g, Node* p) {
  if (g->n != p->n) return false;
  for (uint32_t i = 0; i < g->n; ++i) {
    if (!Match(g->kid(i), p->kid(i))) return false;
  }
  return true;
}

bool Matcher::MatchUnordered(Node* g, Node* p) {
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

bool Matcher::MatchRatio(Node* g, Node* p) {
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

bool Matcher::MatchMatrices(Node* g, Node* p) {
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

}  // namespace zerorl::math::internal
