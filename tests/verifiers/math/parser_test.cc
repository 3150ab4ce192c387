// The LaTeX / plain parser: the tree each notation becomes, and the refusals.
#include "verifiers/math/internal/parser.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace zerorl::math {
namespace {

using ::testing::HasSubstr;

class MathParserTest : public ::testing::Test {
 protected:
  MathParserTest() : budget_(0, 10'000'000, 64 << 20, &arena_), factory_(&arena_) {}

  std::string Tree(std::string_view text, Syntax syntax = Syntax::kLatex) {
    std::string error;
    Node* node = ParseMath(text, syntax, &factory_, &budget_, &error);
    return node == nullptr ? "error: " + error : DebugString(node);
  }
  std::string Error(std::string_view text) {
    std::string error;
    Node* node = ParseMath(text, Syntax::kLatex, &factory_, &budget_, &error);
    EXPECT_EQ(node, nullptr) << text << " parsed as " << (node ? DebugString(node) : "");
    return error;
  }

  Arena arena_;
  Budget budget_;
  NodeFactory factory_;
};

TEST_F(MathParserTest, NumbersWithSeparatorsAndExponents) {
  EXPECT_EQ(Tree("1{,}000"), "1000");
  EXPECT_EQ(Tree("14 {, }916"), "14916");
  EXPECT_EQ(Tree("12,\\!000,\\!003"), "12000003");
  EXPECT_EQ(Tree("10,455"), "10455");
  EXPECT_EQ(Tree("2.5E2"), "250");
  EXPECT_EQ(Tree(".5"), "1/2");
  EXPECT_EQ(Tree("123456789012345678901234567890"), "123456789012345678901234567890");
  EXPECT_EQ(Tree("[1,500]"), "Interval#0(1, 500)");  // inside brackets a comma separates
}

TEST_F(MathParserTest, FractionsRootsAndMixedNumbers) {
  EXPECT_EQ(Tree("\\frac12"), "Div(1, 2)");
  EXPECT_EQ(Tree("\\frac1{72}"), "Div(1, 72)");
  EXPECT_EQ(Tree("\\dfrac{a}{b}"), "Div(a, b)");
  EXPECT_EQ(Tree("3\\frac{1}{2}"), "Add(3, Div(1, 2))");
  EXPECT_EQ(Tree("-3 \\frac{1}{2}"), "Neg(Add(3, Div(1, 2)))");
  EXPECT_EQ(Tree("\\sqrt3"), "Func#27(3, 2)");
  EXPECT_EQ(Tree("\\sqrt[3]{x}"), "Func#27(x, 3)");
}

TEST_F(MathParserTest, ImplicitMultiplicationBindsTighterThanDivision) {
  EXPECT_EQ(Tree("2x"), "Mul(2, x)");
  EXPECT_EQ(Tree("1/2x"), "Div(1, Mul(2, x))");
  EXPECT_EQ(Tree("xy(x+y)"), "Mul(x, y, Add(x, y))");
  EXPECT_EQ(Tree("a \\cdot b \\div c"), "Div(Mul(a, b), c)");
}

TEST_F(MathParserTest, FunctionsAndTheirArguments) {
  EXPECT_EQ(Tree("\\sin x \\cos y"), "Mul(Func#0(x), Func#1(y))");
  EXPECT_EQ(Tree("\\sin \\cos \\theta"), "Func#0(Func#1(theta))");
  EXPECT_EQ(Tree("\\sin^2 x"), "Pow(Func#0(x), 2)");
  EXPECT_EQ(Tree("\\sin^{-1} a"), "Func#6(a)");
  EXPECT_EQ(Tree("\\log_2 8"), "Func#26(8, 2)");
  EXPECT_EQ(Tree("\\ln xy"), "Func#25(Mul(x, y))");
  EXPECT_EQ(Tree("\\gcd(4, 6, 8)"), "Func#33(4, 6, 8)");
  EXPECT_EQ(Tree("f(x)"), "Apply:f(x)");
  EXPECT_EQ(Tree("e^{x}"), "Func#24(x)");
  EXPECT_THAT(Error("\\sin^x"), HasSubstr("function power"));
}

TEST_F(MathParserTest, SymbolNamesFollowSympy) {
  EXPECT_EQ(Tree("x_{1}"), "x_1");
  EXPECT_EQ(Tree("x_{ij}^2"), "Pow(x_ij, 2)");
  EXPECT_EQ(Tree("x^2_1"), "Pow(x_1, 2)");
  EXPECT_EQ(Tree("\\alpha _{23}"), "alpha_23");
  EXPECT_EQ(Tree("\\overline{x}_n"), "barx_n");
  EXPECT_EQ(Tree("\\variable{value_2}"), "value_2");
  EXPECT_EQ(Tree("\\zzz"), "zzz");  // unknown commands are names
  EXPECT_EQ(Tree("\\lgroupx\\rgroup"), "x");  // "\lgroupx" reads as "\lgroup x"
}

TEST_F(MathParserTest, GroupsSetsIntervalsAndPairs) {
  EXPECT_EQ(Tree("(1, 2)"), "Pair(1, 2)");
  EXPECT_EQ(Tree("(1, 2, 3)"), "Tuple(1, 2, 3)");
  EXPECT_EQ(Tree("[0, 1)"), "Interval#2(0, 1)");
  EXPECT_EQ(Tree("(0, 1]"), "Interval#1(0, 1)");
  EXPECT_EQ(Tree("\\{1, 2\\}"), "Set(1, 2)");
  EXPECT_EQ(Tree("\\{\\}"), "NamedSet#0()");
  EXPECT_EQ(Tree("\\{-1\\} \\cup [0,7)"), "SetOp#0(Neg(1), Interval#2(0, 7))");
  EXPECT_EQ(Tree("|x||y|"), "Mul(Func#28(x), Func#28(y))");
  EXPECT_EQ(Tree("||x||"), "Func#28(Func#28(x))");
  EXPECT_EQ(Tree("\\left\\lceil 1.1\\right\\rceil"), "Func#30(11/10)");
}

TEST_F(MathParserTest, TopLevelListsAndSeparators) {
  EXPECT_EQ(Tree("1, 2, 3"), "List(1, 2, 3)");
  EXPECT_EQ(Tree("1 \\text{ and } 2"), "List(1, 2)");
  EXPECT_EQ(Tree("a=1 or b=2"), "List(Rel(a = 1), Rel(b = 2))");
  EXPECT_EQ(Tree("p=5,q=2;p=7,q=2"), "List(Tuple(Rel(p = 5), Rel(q = 2)), Tuple(Rel(p = 7), Rel(q = 2)))");
  EXPECT_EQ(Tree("-12;-11"), "List(Neg(12), Neg(11))");
  EXPECT_EQ(Tree("1 \\pm \\sqrt{19}"), "PlusMinus#0(1, Func#27(19, 2))");
}

TEST_F(MathParserTest, RelationsAndChains) {
  EXPECT_EQ(Tree("x \\geq 5"), "Rel(x >= 5)");
  EXPECT_EQ(Tree("-2 \\le x < 7"), "Rel(Neg(2) <= x < 7)");
  EXPECT_EQ(Tree("x \\in [1, 2]"), "Rel(x in Interval#0(1, 2))");
  EXPECT_EQ(Tree("x \\not= 3"), "Rel(x != 3)");
  EXPECT_EQ(Tree("x = 1/3 \\approx 0.33"), "Rel(x = Div(1, 3))");
  EXPECT_EQ(Tree("\\\\le"), "error: unexpected token at '\\\\le'");
}

TEST_F(MathParserTest, UnitsPercentAndDegrees) {
  EXPECT_EQ(Tree("5 \\text{ cm}^2"), "5");
  EXPECT_EQ(Tree("125 miles"), "125");
  EXPECT_EQ(Tree("90^\\circ"), "90");
  EXPECT_EQ(Tree("10\\%"), "Percent(10)");
  EXPECT_EQ(Tree("28 pct"), "Percent(28)");
  EXPECT_EQ(Tree("\\$1,000.00"), "1000");
  EXPECT_EQ(Tree("1 < ms < 2"), "Rel(1 < Mul(m, s) < 2)");  // a unit word where an operand belongs
}

TEST_F(MathParserTest, MatricesAndEnvironments) {
  EXPECT_EQ(Tree("\\begin{pmatrix}1 & 2 \\\\ 3 & 4\\end{pmatrix}"), "Matrix(1, 2, 3, 4)");
  EXPECT_EQ(Tree("\\begin{pmatrix}1 \\\\ 2 \\\\ \\end{pmatrix}"), "Matrix(1, 2)");  // trailing row break
  EXPECT_THAT(Error("\\begin{pmatrix}1 & 2 \\\\ 3\\end{pmatrix}"), HasSubstr("matrix rows have different lengths"));
  EXPECT_THAT(Error("\\begin{pmatrix}1 & 2"), HasSubstr("missing \\end{pmatrix}"));
}

TEST_F(MathParserTest, BigOperators) {
  EXPECT_EQ(Tree("\\sum_{k=1}^{3} k"), "BigOp#0(k, k, 1, 3)");
  EXPECT_EQ(Tree("\\int_0^1 x dx"), "BigOp#2(x, x, 0, 1)");
  EXPECT_EQ(Tree("\\int \\frac{dz}{z}"), "BigOp#2(Div(1, z), z)");
  EXPECT_EQ(Tree("\\lim_{x \\to 0^{-}} x"), "BigOp#3(x, x, 0, -1)");
  EXPECT_EQ(Tree("\\frac{d}{dx} x^2"), "BigOp#4(Pow(x, 2), x)");
  EXPECT_THAT(Error("\\frac{d}{dx}"), HasSubstr("derivative operator without an operand"));
}

TEST_F(MathParserTest, PlainSympySyntax) {
  EXPECT_EQ(Tree("x**2 + sqrt(2)", Syntax::kPlain), "Add(Pow(x, 2), Func#27(2, 2))");
  EXPECT_EQ(Tree("Rational(1, 3)", Syntax::kPlain), "Div(1, 3)");
  EXPECT_EQ(Tree("Interval.open(0, 1)", Syntax::kPlain), "Interval#3(0, 1)");
  EXPECT_EQ(Tree("{1, 2}", Syntax::kPlain), "Set(1, 2)");
  EXPECT_EQ(Tree("Eq(x_{1}, oo)", Syntax::kPlain), "Rel(x_1 = oo)");
  EXPECT_EQ(Tree("theta*Matrix([[1, 2], [3, 4]])", Syntax::kPlain), "Mul(theta, Matrix(1, 2, 3, 4))");
  EXPECT_EQ(Tree("Limit(a, x, 3, dir='-')", Syntax::kPlain), "BigOp#3(a, x, 3, -1)");
  EXPECT_EQ(Tree("log(x, 2)", Syntax::kPlain), "Func#26(x, 2)");
}

TEST_F(MathParserTest, RefusesBrokenInput) {
  EXPECT_THAT(Error(""), HasSubstr("empty answer"));
  EXPECT_THAT(Error("\\frac{}{2}"), HasSubstr("empty argument of \\frac"));
  EXPECT_THAT(Error("\\sqrt"), HasSubstr("missing argument of \\sqrt"));
  EXPECT_THAT(Error("()"), HasSubstr("empty group"));
  EXPECT_THAT(Error("(1, 2]x]"), HasSubstr("unexpected token"));
  EXPECT_THAT(Error("||x|"), HasSubstr("closing delimiter"));
  EXPECT_THAT(Error("@"), HasSubstr("unexpected token at '@'"));
  EXPECT_THAT(Error("1 +"), HasSubstr("expected an expression at end of answer"));
  EXPECT_THAT(Error("\\variable{x_yz}"), HasSubstr("\\variable subscript"));
}

TEST_F(MathParserTest, DepthIsLimited) {
  std::string deep = std::string(300, '(') + "1" + std::string(300, ')');
  EXPECT_THAT(Error(deep), HasSubstr("nesting deeper than 200 levels"));
  std::string fine = std::string(50, '(') + "1" + std::string(50, ')');
  EXPECT_EQ(Tree(fine), "1");
}

}  // namespace
}  // namespace zerorl::math
