// Exact rationals (int64 fast path, GMP beyond) and the evaluator's value comparisons.
#include "verifiers/math/internal/rational.h"

#include <limits>

#include "gtest/gtest.h"
#include "verifiers/math/internal/ast.h"
#include "verifiers/math/internal/tables.h"
#include "verifiers/math/internal/value.h"

namespace zerorl::math {
namespace {

Rational Dec(std::string_view s) {
  Rational r;
  EXPECT_TRUE(Rational::FromDecimal(s, &r)) << s;
  return r;
}

TEST(RationalTest, DecimalLiterals) {
  EXPECT_EQ(Dec("0.25"), Rational(1, 4));
  EXPECT_EQ(Dec("2.5E2"), Rational(250));
  EXPECT_EQ(Dec("1e-3"), Rational(1, 1000));
  EXPECT_EQ(Dec(".5"), Rational(1, 2));
  EXPECT_EQ(Dec("000"), Rational(0));
  EXPECT_EQ(Dec("123456789012345678901234567890").ToString(), "123456789012345678901234567890");
  Rational r;
  EXPECT_FALSE(Rational::FromDecimal("1e999999999", &r));  // refused, not computed
  EXPECT_FALSE(Rational::FromDecimal("1.2.3", &r));
  EXPECT_FALSE(Rational::FromDecimal("abc", &r));
}

TEST(RationalTest, SmallArithmeticSpillsToGmpAndBack) {
  int64_t big = std::numeric_limits<int64_t>::max() / 2;
  Rational a(big), b(big);
  Rational sum = a + b + a;  // beyond int64
  EXPECT_TRUE(sum.is_big());
  Rational back = sum - a - b;
  EXPECT_FALSE(back.is_big());
  EXPECT_EQ(back, a);
  EXPECT_EQ(Rational(1, 3) + Rational(1, 6), Rational(1, 2));
  EXPECT_EQ(Rational(-2, 4), Rational(-1, 2));
  EXPECT_EQ(Compare(Rational(1, 3), Rational(1, 2)), -1);
}

TEST(RationalTest, PowRootsAndLimits) {
  Rational r;
  ASSERT_TRUE(Rational::Pow(Rational(2), 100, kMaxExactBits, &r));
  EXPECT_EQ(r.ToString(), "1267650600228229401496703205376");
  ASSERT_TRUE(Rational::Pow(Rational(2, 3), -2, kMaxExactBits, &r));
  EXPECT_EQ(r, Rational(9, 4));
  EXPECT_FALSE(Rational::Pow(Rational(10), 10000000000LL, kMaxExactBits, &r));
  EXPECT_FALSE(Rational::Pow(Rational(0), -1, kMaxExactBits, &r));
  ASSERT_TRUE(Rational::ExactRoot(Rational(27, 8), 3, &r));
  EXPECT_EQ(r, Rational(3, 2));
  EXPECT_FALSE(Rational::ExactRoot(Rational(2), 2, &r));
  EXPECT_FALSE(Rational::ExactRoot(Rational(-4), 2, &r));
}

TEST(RationalTest, FactorialBinomialGcdMod) {
  Rational r;
  ASSERT_TRUE(Rational::Factorial(Rational(20), kMaxExactBits, &r));
  EXPECT_EQ(r.ToString(), "2432902008176640000");
  EXPECT_FALSE(Rational::Factorial(Rational(100000000), kMaxExactBits, &r));
  ASSERT_TRUE(Rational::Binomial(Rational(16), Rational(2), kMaxExactBits, &r));
  EXPECT_EQ(r, Rational(120));
  EXPECT_EQ(Rational::Gcd(Rational(12, 5), Rational(18, 5)), Rational(6, 5));
  EXPECT_EQ(Rational::Lcm(Rational(-8), Rational(12)), Rational(24));
  EXPECT_EQ(Rational::Mod(Rational(-7), Rational(5)), Rational(3));  // Python's sign rule
  EXPECT_EQ(Rational::Mod(Rational(9), Rational(-213)), Rational(-204));
  EXPECT_EQ(Rational(7, 2).Floor(), Rational(3));
  EXPECT_EQ(Rational(-7, 2).Ceil(), Rational(-3));
}

TEST(ValueTest, EqualityExactRoundedAndApproximate) {
  Value third = Value::Exact(Rational(1, 3));
  EXPECT_TRUE(ValuesEqual(third, Value::Exact(Dec("0.333333"), true), 6));
  EXPECT_FALSE(ValuesEqual(third, Value::Exact(Dec("0.33"), true), 6));
  EXPECT_TRUE(ValuesEqual(third, Value::Exact(Dec("0.33"), true), 2));
  EXPECT_FALSE(ValuesEqual(third, Value::Exact(Rational(333333, 1000000)), 6));  // exact vs exact
  Value root2 = Root(Value::Exact(Rational(2)), Value::Exact(Rational(2)));
  EXPECT_TRUE(ValuesEqual(Mul(root2, root2), Value::Exact(Rational(2)), 6));
  EXPECT_FALSE(ValuesEqual(Div(Value::Exact(Rational(1)), Value::Exact(Rational(0))), Value::Undefined(), 6));
  EXPECT_TRUE(Root(Value::Exact(Rational(8)), Value::Exact(Rational(3))).is_exact());
}

TEST(MathTablesTest, LookupsAndLongestPrefix) {
  ASSERT_NE(FindCommand("frac"), nullptr);
  EXPECT_EQ(FindCommand("frac")->kind, CmdKind::kFrac);
  EXPECT_EQ(FindCommand("nosuchcommand"), nullptr);
  size_t len = 0;
  ASSERT_NE(FindCommandPrefix("lgroupx", &len), nullptr);
  EXPECT_EQ(len, 6u);
  EXPECT_EQ(FindCommandPrefix("inx", &len), nullptr);  // prefixes shorter than 3 letters do not split
  EXPECT_EQ(FindWord("Percent"), WordKind::kPercent);
  EXPECT_EQ(FindWord("miles"), WordKind::kUnit);
  EXPECT_EQ(FindWord("and"), WordKind::kAnd);
  EXPECT_EQ(FindWord("m"), WordKind::kNone);
  EXPECT_EQ(FindPlainFunction("ceiling"), kCeil);
}

}  // namespace
}  // namespace zerorl::math
