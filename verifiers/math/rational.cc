#include "verifiers/math/internal/rational.h"

#include <cmath>
#include <limits>
#include <numeric>
#include <utility>

namespace zerorl::math {
namespace {

using i128 = __int128;

constexpr int64_t kSmallMax = std::numeric_limits<int64_t>::max();

// |v| fits the small form (we keep -INT64_MIN out so negation never overflows).
bool FitsSmall(i128 v) { return v <= kSmallMax && v >= -kSmallMax; }

i128 Gcd128(i128 a, i128 b) {
  if (a < 0) a = -a;
  if (b < 0) b = -b;
  while (b != 0) {
    i128 t = a % b;
    a = b;
    b = t;
  }
  return a;
}

// Builds a Rational from a 128-bit fraction, going big when it does not fit.
Rational Make128(i128 num, i128 den) {
  if (den < 0) {
    num = -num;
    den = -den;
  }
  i128 g = Gcd128(num, den);
  if (g > 1) {
    num /= g;
    den /= g;
  }
  if (FitsSmall(num) && FitsSmall(den)) {
    return Rational(static_cast<int64_t>(num), static_cast<int64_t>(den));
  }
  // Rare: spill through GMP via two 64-bit halves.
  auto to_mpz = [](i128 v) {
    bool neg = v < 0;
    unsigned __int128 u = neg ? static_cast<unsigned __int128>(-v) : static_cast<unsigned __int128>(v);
    mpz_class hi(static_cast<unsigned long>(u >> 64));
    mpz_class lo(static_cast<unsigned long>(u & 0xFFFFFFFFFFFFFFFFull));
    mpz_class r = (hi << 64) + lo;
    return neg ? mpz_class(-r) : r;
  };
  mpq_class q(to_mpz(num), to_mpz(den));
  q.canonicalize();
  return Rational(q);
}

int64_t MpzBits(const mpz_class& z) { return static_cast<int64_t>(mpz_sizeinbase(z.get_mpz_t(), 2)); }

// z ~= result * 2^exp2, keeping the top 64 bits of |z| (long double has a 64-bit mantissa).
long double MpzTop64(const mpz_class& z, int64_t* exp2) {
  int64_t bits = MpzBits(z);
  int64_t shift = bits > 64 ? bits - 64 : 0;
  mpz_class top = abs(z) >> static_cast<mp_bitcnt_t>(shift);
  long double hi = static_cast<long double>(mpz_class(top >> 32).get_ui());
  long double lo = static_cast<long double>(mpz_class(top & 0xFFFFFFFFu).get_ui());
  long double m = hi * 4294967296.0L + lo;
  *exp2 = shift;
  return sgn(z) < 0 ? -m : m;
}

}  // namespace

Rational::Rational(int64_t num, int64_t den) : num_(num), den_(den) { Normalize(); }

Rational::Rational(const mpq_class& q) : big_(std::make_unique<mpq_class>(q)) {
  big_->canonicalize();
  Demote();
}

Rational::Rational(const Rational& other) : num_(other.num_), den_(other.den_) {
  if (other.big_) big_ = std::make_unique<mpq_class>(*other.big_);
}

Rational& Rational::operator=(const Rational& other) {
  if (this == &other) return *this;
  num_ = other.num_;
  den_ = other.den_;
  big_.reset(other.big_ ? new mpq_class(*other.big_) : nullptr);
  return *this;
}

Rational Rational::FromMpq(mpq_class q) {
  q.canonicalize();
  return Rational(q);
}

void Rational::Normalize() {
  if (den_ < 0) {
    num_ = -num_;
    den_ = -den_;
  }
  int64_t g = std::gcd(num_, den_);
  if (g > 1) {
    num_ /= g;
    den_ /= g;
  }
}

void Rational::Demote() {
  if (!big_) return;
  const mpz_class& n = big_->get_num();
  const mpz_class& d = big_->get_den();
  if (mpz_sizeinbase(n.get_mpz_t(), 2) <= 62 && mpz_sizeinbase(d.get_mpz_t(), 2) <= 62) {
    num_ = n.get_si();
    den_ = d.get_si();
    big_.reset();
  }
}

bool Rational::FromDecimal(std::string_view text, Rational* out) {
  size_t i = 0;
  std::string digits;
  int64_t frac_digits = 0;
  bool seen_dot = false, seen_digit = false;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (c >= '0' && c <= '9') {
      if (!(digits.empty() && c == '0')) digits.push_back(c);
      if (seen_dot) ++frac_digits;
      seen_digit = true;
    } else if (c == '.' && !seen_dot) {
      seen_dot = true;
    } else {
      break;
    }
  }
  if (!seen_digit) return false;
  int64_t exponent = 0;
  if (i < text.size()) {
    if (text[i] != 'e' && text[i] != 'E') return false;
    ++i;
    bool neg = false;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) neg = text[i++] == '-';
    if (i == text.size()) return false;
    for (; i < text.size(); ++i) {
      if (text[i] < '0' || text[i] > '9') return false;
      if (exponent > 100000000) return false;  // absurd exponent: refuse
      exponent = exponent * 10 + (text[i] - '0');
    }
    if (neg) exponent = -exponent;
  }
  int64_t scale = exponent - frac_digits;  // value = digits * 10^scale
  // ~3.33 bits per decimal digit; refuse what the exact path would never accept.
  if ((static_cast<int64_t>(digits.size()) + std::llabs(scale)) * 10 / 3 > kMaxExactBits) return false;
  if (digits.empty()) {
    *out = Rational(0);
    return true;
  }
  if (digits.size() <= 18 && scale >= -18 && scale <= 18) {
    int64_t n = std::stoll(digits);
    i128 num = n, den = 1;
    i128 p = 1;
    for (int64_t k = 0; k < std::llabs(scale); ++k) p *= 10;
    if (scale >= 0) num *= p; else den = p;
    *out = Make128(num, den);
    return true;
  }
  mpz_class n(digits, 10);
  mpz_class p;
  mpz_ui_pow_ui(p.get_mpz_t(), 10, static_cast<unsigned long>(std::llabs(scale)));
  *out = scale >= 0 ? FromMpq(mpq_class(n * p)) : FromMpq(mpq_class(n, p));
  return true;
}

bool Rational::IsZero() const { return big_ ? sgn(*big_) == 0 : num_ == 0; }
bool Rational::IsInteger() const { return big_ ? big_->get_den() == 1 : den_ == 1; }
bool Rational::IsNegative() const { return Sign() < 0; }
int Rational::Sign() const { return big_ ? sgn(*big_) : (num_ > 0) - (num_ < 0); }

bool Rational::ToInt64(int64_t* out) const {
  if (big_ || den_ != 1) return false;
  *out = num_;
  return true;
}

long double Rational::ToLongDouble() const {
  if (!big_) return static_cast<long double>(num_) / static_cast<long double>(den_);
  int64_t en = 0, ed = 0;
  long double n = MpzTop64(big_->get_num(), &en);
  long double d = MpzTop64(big_->get_den(), &ed);
  int64_t e = en - ed;
  if (e > 20000) return n < 0 ? -HUGE_VALL : HUGE_VALL;
  if (e < -20000) return 0.0L;
  return std::ldexp(n / d, static_cast<int>(e));
}

mpq_class Rational::ToMpq() const {
  if (big_) return *big_;
  return mpq_class(mpz_class(static_cast<long>(num_)), mpz_class(static_cast<long>(den_)));
}

int64_t Rational::BitSize() const {
  if (!big_) return 128;
  return MpzBits(big_->get_num()) + MpzBits(big_->get_den());
}

Rational operator+(const Rational& a, const Rational& b) {
  if (!a.big_ && !b.big_) {
    return Make128(static_cast<i128>(a.num_) * b.den_ + static_cast<i128>(b.num_) * a.den_,
                   static_cast<i128>(a.den_) * b.den_);
  }
  return Rational::FromMpq(a.ToMpq() + b.ToMpq());
}

Rational operator-(const Rational& a, const Rational& b) { return a + (-b); }

Rational operator*(const Rational& a, const Rational& b) {
  if (!a.big_ && !b.big_) {
    return Make128(static_cast<i128>(a.num_) * b.num_, static_cast<i128>(a.den_) * b.den_);
  }
  return Rational::FromMpq(a.ToMpq() * b.ToMpq());
}

Rational operator/(const Rational& a, const Rational& b) {
  if (!a.big_ && !b.big_) {
    return Make128(static_cast<i128>(a.num_) * b.den_, static_cast<i128>(a.den_) * b.num_);
  }
  return Rational::FromMpq(a.ToMpq() / b.ToMpq());
}

Rational Rational::operator-() const {
  if (big_) return FromMpq(-*big_);
  return Rational(-num_, den_);
}

bool operator==(const Rational& a, const Rational& b) {
  if (!a.big_ && !b.big_) return a.num_ == b.num_ && a.den_ == b.den_;
  if (a.big_ && b.big_) return *a.big_ == *b.big_;
  return false;  // both canonical: a big value never equals a small one
}

int Compare(const Rational& a, const Rational& b) {
  if (!a.big_ && !b.big_) {
    i128 l = static_cast<i128>(a.num_) * b.den_, r = static_cast<i128>(b.num_) * a.den_;
    return (l > r) - (l < r);
  }
  int c = cmp(a.ToMpq(), b.ToMpq());
  return (c > 0) - (c < 0);
}

bool Rational::Pow(const Rational& a, int64_t e, int64_t max_bits, Rational* out) {
  if (a.IsZero()) {
    if (e < 0) return false;
    *out = Rational(e == 0 ? 1 : 0);
    return true;
  }
  if (e == 0) {
    *out = Rational(1);
    return true;
  }
  mpq_class q = a.ToMpq();
  bool unit = abs(q.get_num()) == 1 && q.get_den() == 1;
  if (unit) {
    *out = (e % 2 == 0) ? Rational(1) : a;
    return true;
  }
  int64_t bits = MpzBits(q.get_num()) + MpzBits(q.get_den());
  if (e > kMaxExactBits || e < -kMaxExactBits) return false;
  if ((bits - 1) * std::llabs(e) > max_bits) return false;
  unsigned long ue = static_cast<unsigned long>(std::llabs(e));
  mpz_class n, d;
  mpz_pow_ui(n.get_mpz_t(), q.get_num_mpz_t(), ue);
  mpz_pow_ui(d.get_mpz_t(), q.get_den_mpz_t(), ue);
  *out = e > 0 ? FromMpq(mpq_class(n, d)) : FromMpq(mpq_class(d, n));
  return true;
}

bool Rational::ExactRoot(const Rational& a, int64_t k, Rational* out) {
  if (k < 1 || k > 64) return false;
  if (k == 1) {
    *out = a;
    return true;
  }
  if (a.IsNegative() && k % 2 == 0) return false;
  mpq_class q = a.ToMpq();
  mpz_class n = abs(q.get_num()), d = q.get_den(), rn, rd;
  if (!mpz_root(rn.get_mpz_t(), n.get_mpz_t(), static_cast<unsigned long>(k))) return false;
  if (!mpz_root(rd.get_mpz_t(), d.get_mpz_t(), static_cast<unsigned long>(k))) return false;
  if (a.IsNegative()) rn = -rn;
  *out = FromMpq(mpq_class(rn, rd));
  return true;
}

bool Rational::Factorial(const Rational& n, int64_t max_bits, Rational* out) {
  int64_t v;
  if (!n.ToInt64(&v) || v < 0) return false;
  // log2(n!) ~ n log2 n; refuse before computing.
  if (v > 1 && static_cast<long double>(v) * std::log2(static_cast<long double>(v)) > max_bits) return false;
  mpz_class f;
  mpz_fac_ui(f.get_mpz_t(), static_cast<unsigned long>(v));
  *out = FromMpq(mpq_class(f));
  return true;
}

bool Rational::Binomial(const Rational& n, const Rational& k, int64_t max_bits, Rational* out) {
  int64_t nv, kv;
  if (!n.ToInt64(&nv) || !k.ToInt64(&kv)) return false;
  if (kv < 0 || (nv >= 0 && kv > nv)) {
    *out = Rational(0);
    return true;
  }
  if (nv < 0 || kv > 1000000) return false;
  int64_t kk = std::min(kv, nv - kv);
  if (kk > 1 && static_cast<long double>(kk) * std::log2(static_cast<long double>(nv)) > max_bits) return false;
  mpz_class r;
  mpz_bin_uiui(r.get_mpz_t(), static_cast<unsigned long>(nv), static_cast<unsigned long>(kv));
  *out = FromMpq(mpq_class(r));
  return true;
}

Rational Rational::Floor() const {
  if (!big_) {
    int64_t q = num_ / den_;
    if (num_ % den_ != 0 && num_ < 0) --q;
    return Rational(q);
  }
  mpz_class q;
  mpz_fdiv_q(q.get_mpz_t(), big_->get_num_mpz_t(), big_->get_den_mpz_t());
  return FromMpq(mpq_class(q));
}

Rational Rational::Ceil() const { return -(-*this).Floor(); }

Rational Rational::Mod(const Rational& a, const Rational& b) { return a - b * (a / b).Floor(); }

Rational Rational::Gcd(const Rational& a, const Rational& b) {
  mpq_class x = a.ToMpq(), y = b.ToMpq();
  mpz_class n, d;
  mpz_gcd(n.get_mpz_t(), x.get_num_mpz_t(), y.get_num_mpz_t());
  mpz_lcm(d.get_mpz_t(), x.get_den_mpz_t(), y.get_den_mpz_t());
  if (n == 0) return Rational(0);
  return FromMpq(mpq_class(n, d));
}

Rational Rational::Lcm(const Rational& a, const Rational& b) {
  if (a.IsZero() || b.IsZero()) return Rational(0);
  return (a * b).Abs() / Gcd(a, b);
}

Rational Rational::RoundToDigits(int digits) const {
  Rational scaled = *this;
  Rational p;
  Pow(Rational(10), digits, kMaxExactBits, &p);
  scaled = scaled * p;
  Rational half(1, 2);
  return scaled.IsNegative() ? -((-scaled) + half).Floor() : (scaled + half).Floor();
}

std::string Rational::ToString() const {
  if (big_) return big_->get_str();
  if (den_ == 1) return std::to_string(num_);
  return std::to_string(num_) + "/" + std::to_string(den_);
}

}  // namespace zerorl::math
