// Numeric evaluation of scalar expression trees.
//
// Exact while it can be (Rational arithmetic, integer powers, perfect roots, factorials,
// gcd/lcm/floor/mod of rationals), approximate complex long double otherwise. Symbols take
// the values the caller binds; an unbound symbol, a set, a relation or an unevaluable big
// operator gives Value::Undefined(). Unknown functions f(x) evaluate as a fixed
// pseudo-random smooth function of their name and arguments, so f(x) = f(x) but f(x) != g(x).
#ifndef ZERORL_VERIFIERS_MATH_INTERNAL_EVAL_H_
#define ZERORL_VERIFIERS_MATH_INTERNAL_EVAL_H_

#include <string_view>
#include <utility>
#include <vector>

#include "verifiers/math/internal/ast.h"
#include "verifiers/math/internal/value.h"

namespace zerorl::math {

struct EvalContext {
  explicit EvalContext(Budget* b) : budget(b) {}
  Budget* budget;
  // Symbol bindings; later entries shadow earlier ones (sum indices are pushed on top).
  std::vector<std::pair<std::string_view, Value>> vars;
};

Value Evaluate(const Node* node, EvalContext* ctx);

// A deterministic value for symbol `name` at sample point `point` (0, 1, 2, ...): an exact
// rational (odd multiple of 1/1024, so never an integer), positive except at point 3,
// identical across threads and runs.
Value SamplePoint(std::string_view name, int point);

}  // namespace zerorl::math

#endif  // ZERORL_VERIFIERS_MATH_INTERNAL_EVAL_H_
