// Gold-guided equivalence of two parsed answers, following Math-Verify's policies:
//
//  * numbers exactly, or at `float_rounding` decimals when a decimal literal took part
//    (1/3 = 0.333333 at 6 digits); expressions with variables at five sample points
//    (exact/long double), so x^2 + 2x + 1 = (x+1)^2;
//  * percent: 10\% is 1/10, and a percent answer also matches the bare number (10\% = 10),
//    because graders and gold answers mix the two;
//  * "x = 5" (gold) matches 5 when its left side is a name (x, f(x), |AB|, NO/BO); a
//    predicted "k = 5" or "2x + z = 5" is read as its right side when the gold is not a
//    relation; chains "x = 5+5+1 = 11" count as their first and last parts;
//  * equations are equal up to swapping sides and a non-zero factor, inequalities up to
//    a positive factor (x < 1 = -x > -1); a gold inequality matches a predicted interval
//    or union (1 <= |z| <= 3/2 = [-3/2, -1] \cup [1, 3/2]); a gold set matches a
//    predicted inequality only with `set_relation`;
//  * sets and bare lists unordered (duplicates ignored), tuples ordered, a pair (a, b)
//    equals the open interval (a, b) or the tuple, intervals by endpoints and openness,
//    unions canonicalised, matrices by shape and cells, ratios a:b proportionally;
//  * \text{...} answers by their words (case-insensitive), a one-element set = its element;
//  * with strict = false, variables are matched up to renaming (f(x) = f(y)).
#ifndef ZERORL_VERIFIERS_MATH_INTERNAL_EQUIVALENCE_H_
#define ZERORL_VERIFIERS_MATH_INTERNAL_EQUIVALENCE_H_

#include "verifiers/math/internal/ast.h"
#include "verifiers/math/internal/eval.h"

namespace zerorl::math {

struct CompareOptions {
  int float_rounding = 6;
  bool strict = true;
  bool set_relation = false;
  bool fast_numbers = true;  // two plain numbers are compared directly
};

// True when `pred` answers `gold`. Stops (false) when the budget runs out; the caller
// checks budget->exhausted() to tell "not equal" from "ran out of time".
bool AnswersMatch(Node* gold, Node* pred, const CompareOptions& options, NodeFactory* factory,
                  Budget* budget);

}  // namespace zerorl::math

#endif  // ZERORL_VERIFIERS_MATH_INTERNAL_EQUIVALENCE_H_
