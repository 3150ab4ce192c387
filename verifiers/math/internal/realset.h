// Subsets of the real line with numeric endpoints, in a canonical form (sorted, disjoint
// pieces) so that [0,1) \cup [1,2] equals [0,2] and \{-1\} \cup [0,7) compares piece by
// piece. Also turns one-variable inequalities into such sets: "1 <= |z| <= 3/2" ->
// [-3/2, -1] \cup [1, 3/2], "x \neq 3" -> (-oo, 3) \cup (3, oo).
#ifndef ZERORL_VERIFIERS_MATH_INTERNAL_REALSET_H_
#define ZERORL_VERIFIERS_MATH_INTERNAL_REALSET_H_

#include <vector>

#include "verifiers/math/internal/ast.h"
#include "verifiers/math/internal/eval.h"

namespace zerorl::math {

struct RealPiece {
  Value lo, hi;  // +-infinity as approximate infinities
  bool lo_closed = false, hi_closed = false;
};

struct RealSet {
  std::vector<RealPiece> pieces;  // sorted by lo, disjoint, non-empty
};

// Builds the canonical set for intervals, pairs (open intervals), finite sets of real
// numbers, \mathbb{R}, \emptyset and their unions / intersections / differences. False when
// `node` is not such a set or an endpoint is not a real number.
bool ToRealSet(const Node* node, EvalContext* ctx, RealSet* out);

// Solution set of a relation in one variable (a name such as x or f(x)): chains
// a < X <= b, single inequalities, and X != a, where X is the variable, a linear function
// of it, or |linear|. False when the relation is not of that kind.
bool SolveRelation(const Node* relation, EvalContext* ctx, RealSet* out);

// Same pieces with equal endpoints (at `float_rounding` when decimals took part).
bool RealSetsEqual(const RealSet& a, const RealSet& b, int float_rounding);

}  // namespace zerorl::math

#endif  // ZERORL_VERIFIERS_MATH_INTERNAL_REALSET_H_
