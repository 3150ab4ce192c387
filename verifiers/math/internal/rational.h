// Exact rationals for the math checker: int64 numerator/denominator while they fit (the
// common case: answers such as 72, 3/4, 0.25), GMP's mpq_class once they do not.
//
// Every operation that can grow a number without bound (Pow, Factorial, Binomial) takes a
// limit in bits and reports failure instead of computing a number it was told not to:
// 10^{10^{10}} is refused here and the caller falls back to approximate arithmetic.
#ifndef ZERORL_VERIFIERS_MATH_INTERNAL_RATIONAL_H_
#define ZERORL_VERIFIERS_MATH_INTERNAL_RATIONAL_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <gmpxx.h>

namespace zerorl::math {

// Results above this many bits are refused by Pow/Factorial/Binomial/arithmetic checks.
inline constexpr int64_t kMaxExactBits = 1 << 16;

class Rational {
 public:
  Rational() = default;
  Rational(int64_t n) : num_(n) {}  // NOLINT: implicit from integers is intended.
  Rational(int64_t num, int64_t den);  // den != 0
  explicit Rational(const mpq_class& q);
  Rational(const Rational& other);
  Rational& operator=(const Rational& other);
  Rational(Rational&&) noexcept = default;
  Rational& operator=(Rational&&) noexcept = default;

  // Parses "123", "1.25", ".5", "2.5E3", "1e-13" (digits and at most one '.', then an
  // optional exponent). Returns false on anything else or when the value would exceed
  // kMaxExactBits.
  static bool FromDecimal(std::string_view text, Rational* out);

  bool is_big() const { return big_ != nullptr; }
  // The small form (num/den reduced, den > 0); false when the value is big.
  bool GetSmall(int64_t* num, int64_t* den) const {
    if (big_) return false;
    *num = num_;
    *den = den_;
    return true;
  }
  bool IsZero() const;
  bool IsInteger() const;
  bool IsNegative() const;
  int Sign() const;
  // Fits in int64 (and is an integer).
  bool ToInt64(int64_t* out) const;
  long double ToLongDouble() const;
  mpq_class ToMpq() const;
  int64_t BitSize() const;  // bits of numerator + denominator

  friend Rational operator+(const Rational& a, const Rational& b);
  friend Rational operator-(const Rational& a, const Rational& b);
  friend Rational operator*(const Rational& a, const Rational& b);
  // b must be non-zero.
  friend Rational operator/(const Rational& a, const Rational& b);
  Rational operator-() const;
  friend bool operator==(const Rational& a, const Rational& b);
  friend bool operator!=(const Rational& a, const Rational& b) { return !(a == b); }
  friend int Compare(const Rational& a, const Rational& b);

  // a^e for integer e; false when a == 0 and e < 0 or the result would exceed max_bits.
  static bool Pow(const Rational& a, int64_t e, int64_t max_bits, Rational* out);
  // Exact k-th root when a is a perfect k-th power (k >= 1); false otherwise.
  static bool ExactRoot(const Rational& a, int64_t k, Rational* out);
  // n! for integer 0 <= n; false when too large.
  static bool Factorial(const Rational& n, int64_t max_bits, Rational* out);
  static bool Binomial(const Rational& n, const Rational& k, int64_t max_bits, Rational* out);
  Rational Floor() const;
  Rational Ceil() const;
  Rational Abs() const { return IsNegative() ? -*this : *this; }
  // a - b * floor(a / b) (Python's sign convention); b != 0.
  static Rational Mod(const Rational& a, const Rational& b);
  // Rational gcd/lcm: gcd(p/q, r/s) = gcd(p, r) / lcm(q, s); gcd(0, 0) = 0.
  static Rational Gcd(const Rational& a, const Rational& b);
  static Rational Lcm(const Rational& a, const Rational& b);
  // round(a * 10^digits) as an exact integer (half away from zero).
  Rational RoundToDigits(int digits) const;

  std::string ToString() const;

 private:
  void Normalize();  // small form: gcd-reduced, den > 0
  void Demote();     // big -> small when it fits
  static Rational FromMpq(mpq_class q);

  int64_t num_ = 0;
  int64_t den_ = 1;
  std::unique_ptr<mpq_class> big_;  // when set, num_/den_ are unused
};

}  // namespace zerorl::math

#endif  // ZERORL_VERIFIERS_MATH_INTERNAL_RATIONAL_H_
