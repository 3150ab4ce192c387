#include "verifiers/math/internal/eval.h"

#include <cmath>

namespace zerorl::math {
namespace {

constexpr long double kPiL = 3.141592653589793238462643383279502884L;
constexpr long double kEL = 2.718281828459045235360287471352662498L;

uint64_t Mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

uint64_t HashName(std::string_view s) {
  uint64_t h = 1469598103934665603ULL;
  for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  return Mix(h);
}

long double Unit(uint64_t h) { return static_cast<long double>(h >> 11) / 9007199254740992.0L; }

Value Approx(Complex z, bool dec) {
  if (std::isnan(z.real()) || std::isnan(z.imag())) return Value::Undefined();
  return Value::Approx(z, dec);
}

// Rounds approximate reals that sit within 1e-12 of an integer (floor(2.9999999999999)).
long double SnapReal(long double x) {
  long double r = std::nearbyint(x);
  return std::fabs(x - r) <= 1e-12L * std::max<long double>(1, std::fabs(x)) ? r : x;
}

Value Elementary(uint8_t f, const Value& a) {
  bool dec = a.from_decimal;
  if (a.is_exact() && a.exact.IsZero()) {
    switch (f) {
      case kSin: case kTan: case kAsin: case kAtan: case kSinh: case kTanh: case kAsinh:
      case kAtanh:
        return Value::Exact(Rational(0), dec);
      case kCos: case kCosh: case kExp: case kSec: case kSech:
        return Value::Exact(Rational(1), dec);
      default: break;
    }
  }
  if (f == kLn && a.is_exact() && a.exact == Rational(1)) return Value::Exact(Rational(0), dec);
  Complex z = a.AsComplex();
  const Complex one(1, 0);
  switch (f) {
    case kSin: return Approx(std::sin(z), dec);
    case kCos: return Approx(std::cos(z), dec);
    case kTan: return Approx(std::tan(z), dec);
    case kCot: return Approx(one / std::tan(z), dec);
    case kSec: return Approx(one / std::cos(z), dec);
    case kCsc: return Approx(one / std::sin(z), dec);
    case kAsin: return Approx(std::asin(z), dec);
    case kAcos: return Approx(std::acos(z), dec);
    case kAtan: return Approx(std::atan(z), dec);
    case kAcot: return Approx(std::atan(one / z), dec);
    case kAsec: return Approx(std::acos(one / z), dec);
    case kAcsc: return Approx(std::asin(one / z), dec);
    case kSinh: return Approx(std::sinh(z), dec);
    case kCosh: return Approx(std::cosh(z), dec);
    case kTanh: return Approx(std::tanh(z), dec);
    case kCoth: return Approx(one / std::tanh(z), dec);
    case kSech: return Approx(one / std::cosh(z), dec);
    case kCsch: return Approx(one / std::sinh(z), dec);
    case kAsinh: return Approx(std::asinh(z), dec);
    case kAcosh: return Approx(std::acosh(z), dec);
    case kAtanh: return Approx(std::atanh(z), dec);
    case kAcoth: return Approx(std::atanh(one / z), dec);
    case kAsech: return Approx(std::acosh(one / z), dec);
    case kAcsch: return Approx(std::asinh(one / z), dec);
    case kExp: return Approx(std::exp(z), dec);
    case kLn:
      if (z == Complex(0, 0)) return Value::Undefined();
      if (z.imag() == 0 && z.real() > 0) return Approx(Complex(std::log(z.real()), 0), dec);
      return Approx(std::log(z), dec);
    default: return Value::Undefined();
  }
}

Value Gamma(const Value& x) {  // real arguments only
  if (!x.IsReal()) return Value::Undefined();
  long double r = x.Real();
  if (r <= 0 && r == std::nearbyint(r)) return Value::Undefined();
  return Approx(Complex(std::tgamma(r), 0), x.from_decimal);
}

Value Factorial(const Value& x) {
  if (x.is_exact() && x.exact.IsInteger()) {
    if (x.exact.IsNegative()) return Value::Undefined();
    Rational r;
    if (Rational::Factorial(x.exact, kMaxExactBits, &r)) return Value::Exact(std::move(r), x.from_decimal);
  }
  return Gamma(Add(x, Value::Exact(Rational(1))));
}

Value Binomial(const Value& n, const Value& k) {
  if (n.is_exact() && k.is_exact()) {
    Rational r;
    if (Rational::Binomial(n.exact, k.exact, kMaxExactBits, &r)) return Value::Exact(std::move(r));
  }
  return Div(Factorial(n), Mul(Factorial(k), Factorial(Sub(n, k))));
}

Value RoundingFunc(uint8_t f, const Value& a) {
  if (a.is_exact()) {
    switch (f) {
      case kFloor: return Value::Exact(a.exact.Floor(), a.from_decimal);
      case kCeil: return Value::Exact(a.exact.Ceil(), a.from_decimal);
      case kAbs: return Value::Exact(a.exact.Abs(), a.from_decimal);
      case kSign: return Value::Exact(Rational(a.exact.Sign()), a.from_decimal);
      case kRe: case kConj: return a;
      case kIm: return Value::Exact(Rational(0), a.from_decimal);
      default: break;
    }
  }
  if (!a.defined()) return a;
  Complex z = a.AsComplex();
  bool dec = a.from_decimal;
  switch (f) {
    case kAbs: return Approx(Complex(std::abs(z), 0), dec);
    case kRe: return Approx(Complex(z.real(), 0), dec);
    case kIm: return Approx(Complex(z.imag(), 0), dec);
    case kConj: return Approx(std::conj(z), dec);
    case kArg: return Approx(Complex(std::arg(z), 0), dec);
    default: break;
  }
  if (!a.IsReal()) return Value::Undefined();
  long double r = SnapReal(z.real());
  switch (f) {
    case kFloor: return Approx(Complex(std::floor(r), 0), dec);
    case kCeil: return Approx(Complex(std::ceil(r), 0), dec);
    case kSign: return Approx(Complex((r > 0) - (r < 0), 0), dec);
    default: return Value::Undefined();
  }
}

Value Mod(const Value& a, const Value& b) {
  if (a.is_exact() && b.is_exact()) {
    if (b.exact.IsZero()) return Value::Undefined();
    return Value::Exact(Rational::Mod(a.exact, b.exact), a.from_decimal || b.from_decimal);
  }
  if (!a.IsReal() || !b.IsReal() || b.Real() == 0) return Value::Undefined();
  long double x = a.Real(), y = b.Real();
  return Approx(Complex(x - y * std::floor(SnapReal(x / y)), 0), a.from_decimal || b.from_decimal);
}

// Splits c * rest (c an exact rational) for gcd/lcm of monomials: gcd(125, 50x) = 25.
void SplitCoefficient(const Node* n, Rational* coef, std::string* rest) {
  *coef = Rational(1);
  rest->clear();
  std::vector<const Node*> factors;
  if (n->op == Op::kMul) {
    for (uint32_t i = 0; i < n->n; ++i) factors.push_back(n->kid(i));
  } else {
    factors.push_back(n);
  }
  for (const Node* f : factors) {
    bool neg = f->op == Op::kNeg && f->kid(0)->op == Op::kNumber;
    const Node* g = neg ? f->kid(0) : f;
    if (g->op == Op::kNumber) {
      *coef = *coef * (neg ? -g->value() : g->value());
    } else {
      *rest += DebugString(g);
      *rest += ";";
    }
  }
}

Value GcdLcm(const Node* node, EvalContext* ctx) {
  bool lcm = node->sub == kLcm;
  std::vector<Value> values;
  bool all_exact = true;
  for (uint32_t i = 0; i < node->n; ++i) {
    values.push_back(Evaluate(node->kid(i), ctx));
    if (!values.back().defined()) return Value::Undefined();
    all_exact = all_exact && values.back().is_exact();
  }
  // gcd(x, y) of symbols is not the gcd of their sample values: only numbers go here.
  std::vector<std::string_view> symbols;
  CollectSymbols(node, &symbols);
  if (all_exact && symbols.empty()) {
    Rational acc = values[0].exact.Abs();
    for (size_t i = 1; i < values.size(); ++i) {
      acc = lcm ? Rational::Lcm(acc, values[i].exact) : Rational::Gcd(acc, values[i].exact);
    }
    return Value::Exact(acc);
  }
  // Symbolic: gcd of the rational coefficients times the common part when all agree.
  Value acc = values[0];
  Rational acc_coef;
  std::string acc_rest;
  SplitCoefficient(node->kid(0), &acc_coef, &acc_rest);
  for (uint32_t i = 1; i < node->n; ++i) {
    Rational c;
    std::string rest;
    SplitCoefficient(node->kid(i), &c, &rest);
    Rational g = Rational::Gcd(acc_coef, c);
    Value gcd = Value::Exact(g);
    if (rest == acc_rest && !rest.empty()) {
      // Same symbolic part: gcd = g * part, where part = value / coefficient.
      gcd = Mul(gcd, Div(values[i], Value::Exact(c)));
    }
    if (lcm) {
      acc = Div(Mul(acc, values[i]), gcd);
      acc_coef = Rational::Lcm(acc_coef, c);
      acc_rest = rest == acc_rest ? rest : acc_rest + rest;
    } else {
      acc = gcd;
      acc_coef = g;
      if (rest != acc_rest) acc_rest.clear();
    }
  }
  return acc;
}

Value MaxMin(const Node* node, EvalContext* ctx) {
  Value best;
  for (uint32_t i = 0; i < node->n; ++i) {
    Value v = Evaluate(node->kid(i), ctx);
    if (!v.IsReal()) return Value::Undefined();
    if (i == 0) {
      best = v;
      continue;
    }
    bool less;
    RealLess(v, best, &less);
    if ((node->sub == kMax) != less) best = v;
  }
  return best;
}

Value ApplyUnknown(const Node* node, EvalContext* ctx) {
  uint64_t h = HashName(node->name);
  Complex acc(Unit(h) - 0.5L, 0);
  for (uint32_t i = 0; i < node->n; ++i) {
    Value v = Evaluate(node->kid(i), ctx);
    if (!v.defined()) return v;
    uint64_t hi = Mix(h + i + 1);
    long double a = 0.5L + Unit(hi), b = Unit(Mix(hi)), c = 0.3L + Unit(Mix(hi + 7));
    acc += std::sin(a * v.AsComplex() + b) + c * v.AsComplex();
  }
  return Approx(acc, false);
}

Value BigOp(const Node* node, EvalContext* ctx) {
  if ((node->sub != kSum && node->sub != kProduct) || node->n != 4 || node->kid(1)->op != Op::kSymbol) {
    return Value::Undefined();
  }
  Value lo = Evaluate(node->kid(2), ctx), hi = Evaluate(node->kid(3), ctx);
  int64_t a, b;
  if (!lo.is_exact() || !hi.is_exact() || !lo.exact.ToInt64(&a) || !hi.exact.ToInt64(&b)) return Value::Undefined();
  if (b - a > 100000) return Value::Undefined();
  Value acc = Value::Exact(Rational(node->sub == kSum ? 0 : 1));
  ctx->vars.emplace_back(node->kid(1)->name, Value());
  for (int64_t k = a; k <= b; ++k) {
    if (!ctx->budget->Tick(8)) {
      acc = Value::Undefined();
      break;
    }
    ctx->vars.back().second = Value::Exact(Rational(k));
    Value term = Evaluate(node->kid(0), ctx);
    acc = node->sub == kSum ? Add(acc, term) : Mul(acc, term);
    if (!acc.defined()) break;
  }
  ctx->vars.pop_back();
  return acc;
}

Value Function(const Node* node, EvalContext* ctx) {
  uint8_t f = node->sub;
  switch (f) {
    case kGcd: case kLcm: return GcdLcm(node, ctx);
    case kMax: case kMin: return MaxMin(node, ctx);
    default: break;
  }
  Value a = node->n > 0 ? Evaluate(node->kid(0), ctx) : Value::Undefined();
  if (!a.defined()) return a;
  switch (f) {
    case kRoot: return Root(a, Evaluate(node->kid(1), ctx));
    case kLog: {
      Value base = Evaluate(node->kid(1), ctx);
      Value num = Elementary(kLn, a), den = Elementary(kLn, base);
      Value q = Div(num, den);
      // log_2 8 = 3 exactly when the approximation lands on an integer power.
      if (q.defined() && q.IsReal() && a.is_exact() && base.is_exact()) {
        long double r = std::nearbyint(q.Real());
        Rational p;
        if (std::fabs(r) < 4096 && Rational::Pow(base.exact, static_cast<int64_t>(r), kMaxExactBits, &p) &&
            p == a.exact) {
          return Value::Exact(Rational(static_cast<int64_t>(r)));
        }
      }
      return q;
    }
    case kFactorial: return Factorial(a);
    case kBinomial: return Binomial(a, Evaluate(node->kid(1), ctx));
    case kMod: return Mod(a, Evaluate(node->kid(1), ctx));
    case kAbs: case kFloor: case kCeil: case kSign: case kRe: case kIm: case kConj: case kArg:
      return RoundingFunc(f, a);
    default: return Elementary(f, a);
  }
}

}  // namespace

Value SamplePoint(std::string_view name, int point) {
  uint64_t h = Mix(HashName(name) + 0x9E3779B97F4A7C15ULL * static_cast<uint64_t>(point + 1));
  // An exact odd multiple of 1/1024 in [0.35, 2.35): polynomials and rational functions
  // then evaluate exactly, so identities among them hold exactly, not to a tolerance.
  int64_t num = static_cast<int64_t>((0.35L + 2.0L * Unit(h)) * 1024) | 1;
  if (point == 3) num = -num;
  return Value::Exact(Rational(num, 1024));
}

Value Evaluate(const Node* node, EvalContext* ctx) {
  if (!ctx->budget->Tick()) return Value::Undefined();
  switch (node->op) {
    case Op::kNumber: return Value::Exact(node->value(), (node->flags & kFlagDecimal) != 0);
    case Op::kSymbol:
      for (auto it = ctx->vars.rbegin(); it != ctx->vars.rend(); ++it) {
        if (it->first == node->name) return it->second;
      }
      return Value::Undefined();
    case Op::kConst:
      switch (node->sub) {
        case kPi: return Value::Approx(Complex(kPiL, 0));
        case kE: return Value::Approx(Complex(kEL, 0));
        case kI: return Value::Approx(Complex(0, 1));
        default: return Value::Approx(Complex(HUGE_VALL, 0));
      }
    case Op::kAdd: {
      Value acc = Evaluate(node->kid(0), ctx);
      for (uint32_t i = 1; i < node->n && acc.defined(); ++i) acc = Add(acc, Evaluate(node->kid(i), ctx));
      return acc;
    }
    case Op::kMul: {
      Value acc = Evaluate(node->kid(0), ctx);
      for (uint32_t i = 1; i < node->n && acc.defined(); ++i) acc = Mul(acc, Evaluate(node->kid(i), ctx));
      return acc;
    }
    case Op::kDiv: return Div(Evaluate(node->kid(0), ctx), Evaluate(node->kid(1), ctx));
    case Op::kPow: return Pow(Evaluate(node->kid(0), ctx), Evaluate(node->kid(1), ctx));
    case Op::kNeg: return Neg(Evaluate(node->kid(0), ctx));
    case Op::kPercent: return Div(Evaluate(node->kid(0), ctx), Value::Exact(Rational(100)));
    case Op::kFunc: return Function(node, ctx);
    case Op::kApply: return ApplyUnknown(node, ctx);
    case Op::kBigOp: return BigOp(node, ctx);
    case Op::kRatio:
      if (node->n != 2) return Value::Undefined();
      return Div(Evaluate(node->kid(0), ctx), Evaluate(node->kid(1), ctx));
    default: return Value::Undefined();
  }
}

}  // namespace zerorl::math
