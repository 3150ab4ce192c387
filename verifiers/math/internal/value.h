// A number as the evaluator sees it: exact (a Rational) while every step is exact, else an
// approximate complex long double (64-bit mantissa); or undefined (0/0, log 0, overflow of
// the exact path with nothing finite to fall back to).
//
// `from_decimal` remembers that a decimal literal (0.5, 2.6667) took part: two values are
// then compared at the caller's float rounding (Math-Verify's float_rounding), otherwise
// exactly (exact values) or to ~1e-12 relative (approximate ones).
#ifndef ZERORL_VERIFIERS_MATH_INTERNAL_VALUE_H_
#define ZERORL_VERIFIERS_MATH_INTERNAL_VALUE_H_

#include <complex>

#include "verifiers/math/internal/rational.h"

namespace zerorl::math {

using Complex = std::complex<long double>;

struct Value {
  enum class Kind : uint8_t { kUndefined, kExact, kApprox };
  Kind kind = Kind::kUndefined;
  bool from_decimal = false;
  Rational exact;  // kExact
  Complex approx;  // kApprox

  static Value Exact(Rational r, bool from_decimal = false);
  static Value Approx(Complex z, bool from_decimal = false);
  static Value Undefined() { return Value(); }

  bool defined() const { return kind != Kind::kUndefined; }
  bool is_exact() const { return kind == Kind::kExact; }
  Complex AsComplex() const;
  // Real (exact, or approximate with a negligible imaginary part).
  bool IsReal() const;
  long double Real() const { return AsComplex().real(); }
  // Finite and defined.
  bool IsFinite() const;
};

Value Add(const Value& a, const Value& b);
Value Sub(const Value& a, const Value& b);
Value Mul(const Value& a, const Value& b);
Value Div(const Value& a, const Value& b);
Value Neg(const Value& a);
Value Pow(const Value& a, const Value& b);
// Principal k-th root, exact when `a` is a perfect power.
Value Root(const Value& a, const Value& k);

// Compares at `float_rounding` decimals when either side came from a decimal literal
// (equal when rounded to that many digits, or closer than half a unit of the last digit),
// exactly when both are exact, and to a relative 1e-12 otherwise. Undefined never equals.
bool ValuesEqual(const Value& a, const Value& b, int float_rounding);
// Ordering of two real values; false when either is not real.
bool RealLess(const Value& a, const Value& b, bool* less);

}  // namespace zerorl::math

#endif  // ZERORL_VERIFIERS_MATH_INTERNAL_VALUE_H_
