#include "verifiers/math/internal/value.h"

#include <cmath>

namespace zerorl::math {
namespace {

constexpr long double kRelTolerance = 1e-12L;

bool Dec(const Value& a, const Value& b) { return a.from_decimal || b.from_decimal; }

Value FromComplex(Complex z, bool dec) {
  if (std::isnan(z.real()) || std::isnan(z.imag())) return Value::Undefined();
  return Value::Approx(z, dec);
}

// Exact results that grew past the bit limit continue approximately.
Value Checked(Rational r, bool dec) {
  if (r.BitSize() > 2 * kMaxExactBits) return Value::Approx(Complex(r.ToLongDouble(), 0), dec);
  return Value::Exact(std::move(r), dec);
}

long double Scale(const Complex& a, const Complex& b) {
  long double m = std::max(std::abs(a), std::abs(b));
  return m < 1 ? 1 : m;
}

}  // namespace

Value Value::Exact(Rational r, bool from_decimal) {
  Value v;
  v.kind = Kind::kExact;
  v.exact = std::move(r);
  v.from_decimal = from_decimal;
  return v;
}

Value Value::Approx(Complex z, bool from_decimal) {
  Value v;
  v.kind = Kind::kApprox;
  v.approx = z;
  v.from_decimal = from_decimal;
  return v;
}

Complex Value::AsComplex() const {
  if (kind == Kind::kExact) return Complex(exact.ToLongDouble(), 0);
  return approx;
}

bool Value::IsReal() const {
  if (kind == Kind::kExact) return true;
  if (kind != Kind::kApprox) return false;
  return std::fabs(approx.imag()) <= 1e-13L * std::max<long double>(1, std::fabs(approx.real()));
}

bool Value::IsFinite() const {
  if (kind == Kind::kExact) return true;
  if (kind != Kind::kApprox) return false;
  return std::isfinite(approx.real()) && std::isfinite(approx.imag());
}

Value Add(const Value& a, const Value& b) {
  if (!a.defined() || !b.defined()) return Value::Undefined();
  if (a.is_exact() && b.is_exact()) return Checked(a.exact + b.exact, Dec(a, b));
  Complex x = a.AsComplex(), y = b.AsComplex();
  if (x.imag() == 0 && y.imag() == 0) return FromComplex(Complex(x.real() + y.real(), 0), Dec(a, b));
  return FromComplex(x + y, Dec(a, b));
}

Value Sub(const Value& a, const Value& b) { return Add(a, Neg(b)); }

Value Neg(const Value& a) {
  if (a.is_exact()) return Value::Exact(-a.exact, a.from_decimal);
  if (!a.defined()) return a;
  return Value::Approx(-a.approx, a.from_decimal);
}

Value Mul(const Value& a, const Value& b) {
  if (!a.defined() || !b.defined()) return Value::Undefined();
  if (a.is_exact() && b.is_exact()) return Checked(a.exact * b.exact, Dec(a, b));
  // 0 * anything finite stays an exact 0 (keeps 0*x simplifications exact).
  if ((a.is_exact() && a.exact.IsZero() && b.IsFinite()) ||
      (b.is_exact() && b.exact.IsZero() && a.IsFinite())) {
    return Value::Exact(Rational(0), Dec(a, b));
  }
  Complex x = a.AsComplex(), y = b.AsComplex();
  if (x.imag() == 0 && y.imag() == 0) return FromComplex(Complex(x.real() * y.real(), 0), Dec(a, b));
  return FromComplex(x * y, Dec(a, b));
}

Value Div(const Value& a, const Value& b) {
  if (!a.defined() || !b.defined()) return Value::Undefined();
  if (b.is_exact() && b.exact.IsZero()) return Value::Undefined();
  if (a.is_exact() && b.is_exact()) return Checked(a.exact / b.exact, Dec(a, b));
  Complex n = a.AsComplex(), d = b.AsComplex();
  if (d == Complex(0, 0)) return Value::Undefined();
  if (n.imag() == 0 && d.imag() == 0) return FromComplex(Complex(n.real() / d.real(), 0), Dec(a, b));
  return FromComplex(n / d, Dec(a, b));
}

Value Pow(const Value& a, const Value& b) {
  if (!a.defined() || !b.defined()) return Value::Undefined();
  bool dec = Dec(a, b);
  if (a.is_exact() && b.is_exact()) {
    const Rational& e = b.exact;
    int64_t ei;
    if (e.ToInt64(&ei)) {
      Rational r;
      if (Rational::Pow(a.exact, ei, kMaxExactBits, &r)) return Value::Exact(std::move(r), dec);
      if (a.exact.IsZero()) return Value::Undefined();  // 0^negative
    } else if (!a.exact.IsNegative()) {
      // p/q exponent: exact when the base is a perfect q-th power.
      mpq_class q = e.ToMpq();
      if (q.get_den() <= 64 && abs(q.get_num()) <= 4096) {
        int64_t den = q.get_den().get_si(), num = q.get_num().get_si();
        Rational root, r;
        if (Rational::ExactRoot(a.exact, den, &root) &&
            Rational::Pow(root, num, kMaxExactBits, &r)) {
          return Value::Exact(std::move(r), dec);
        }
      }
    }
  }
  Complex x = a.AsComplex(), y = b.AsComplex();
  if (x == Complex(0, 0)) {
    if (y.real() > 0) return Value::Approx(Complex(0, 0), dec);
    return Value::Undefined();
  }
  if (x.imag() == 0 && y.imag() == 0 && (x.real() > 0 || y.real() == std::nearbyint(y.real()))) {
    return FromComplex(Complex(std::pow(x.real(), y.real()), 0), dec);
  }
  return FromComplex(std::pow(x, y), dec);
}

Value Root(const Value& a, const Value& k) {
  if (!a.defined() || !k.defined()) return Value::Undefined();
  if (a.is_exact() && k.is_exact()) {
    int64_t ki;
    Rational r;
    if (k.exact.ToInt64(&ki) && ki >= 1 && Rational::ExactRoot(a.exact, ki, &r)) {
      return Value::Exact(std::move(r), Dec(a, k));
    }
  }
  return Pow(a, Div(Value::Exact(Rational(1)), k));
}

bool ValuesEqual(const Value& a, const Value& b, int float_rounding) {
  if (!a.defined() || !b.defined()) return false;
  if (Dec(a, b)) {
    if (a.is_exact() && b.is_exact()) {
      if (a.exact == b.exact) return true;
      if (a.exact.RoundToDigits(float_rounding) == b.exact.RoundToDigits(float_rounding)) return true;
      Rational half_unit;
      Rational::Pow(Rational(10), -float_rounding, kMaxExactBits, &half_unit);
      return Compare((a.exact - b.exact).Abs() * Rational(2), half_unit) <= 0;
    }
    Complex x = a.AsComplex(), y = b.AsComplex();
    if (!std::isfinite(x.real()) || !std::isfinite(y.real())) return x == y;
    long double unit = std::pow(10.0L, -static_cast<long double>(float_rounding));
    long double p = std::pow(10.0L, static_cast<long double>(float_rounding));
    auto close = [&](long double u, long double v) {
      if (std::nearbyint(u * p) == std::nearbyint(v * p)) return true;
      return std::fabs(u - v) <= unit / 2 + kRelTolerance * std::max(std::fabs(u), std::fabs(v));
    };
    return close(x.real(), y.real()) && close(x.imag(), y.imag());
  }
  if (a.is_exact() && b.is_exact()) return a.exact == b.exact;
  Complex x = a.AsComplex(), y = b.AsComplex();
  if (!std::isfinite(x.real()) || !std::isfinite(y.real()) || !std::isfinite(x.imag()) ||
      !std::isfinite(y.imag())) {
    return x == y;  // +inf == +inf; anything else non-finite is not comparable
  }
  return std::abs(x - y) <= kRelTolerance * Scale(x, y) + 1e-15L;
}

bool RealLess(const Value& a, const Value& b, bool* less) {
  if (!a.IsReal() || !b.IsReal()) return false;
  if (a.is_exact() && b.is_exact()) {
    *less = Compare(a.exact, b.exact) < 0;
  } else {
    *less = a.Real() < b.Real();
  }
  return true;
}

}  // namespace zerorl::math
