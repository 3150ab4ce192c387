#include "verifiers/sandbox/internal/compare.h"

#include "gtest/gtest.h"

namespace zerorl::sandbox {
namespace {

TEST(SandboxCompareTest, TrailingWhitespaceCarriageReturnsAndEmptyLinesAreIgnored) {
  EXPECT_TRUE(CompareOutput("1 2\n3\n", "1 2   \r\n3\t\n\n\n", 0).equal);
  EXPECT_TRUE(CompareOutput("5", "5\n", 0).equal);
  EXPECT_TRUE(CompareOutput("", "\n \n", 0).equal);
}

TEST(SandboxCompareTest, LeadingAndInnerWhitespaceMatter) {
  OutputComparison c = CompareOutput("1 2\n", " 1 2\n", 0);
  EXPECT_FALSE(c.equal);
  EXPECT_EQ(c.first_difference, "line 1: expected \"1 2\", got \" 1 2\"");
  EXPECT_FALSE(CompareOutput("1 2", "1  2", 0).equal);
}

TEST(SandboxCompareTest, NamesTheFirstDifferingLine) {
  OutputComparison c = CompareOutput("a\nb\nc\n", "a\nx\ny\n", 0);
  EXPECT_EQ(c.first_difference, "line 2: expected \"b\", got \"x\"");
}

TEST(SandboxCompareTest, MissingAndExtraLines) {
  EXPECT_EQ(CompareOutput("a\nb\n", "a\n", 0).first_difference,
            "line 2: expected \"b\", got end of output");
  EXPECT_EQ(CompareOutput("a\n", "a\nb\n", 0).first_difference,
            "line 2: expected end of output, got \"b\"");
}

TEST(SandboxCompareTest, LongLinesAndControlBytesAreShortenedAndEscaped) {
  std::string long_line(200, 'z');
  OutputComparison c = CompareOutput("1", long_line, 0);
  EXPECT_EQ(c.first_difference,
            "line 1: expected \"1\", got \"" + std::string(80, 'z') + "...\"");
  EXPECT_EQ(CompareOutput("a", std::string("a\x01", 2), 0).first_difference,
            "line 1: expected \"a\", got \"a\\001\"");
}

TEST(SandboxCompareTest, FloatToleranceIsAbsoluteOrRelative) {
  EXPECT_TRUE(CompareOutput("0.333333", "0.3333331", 1e-6).equal);
  EXPECT_TRUE(CompareOutput("1000000", "1000000.5", 1e-6).equal);  // relative
  EXPECT_FALSE(CompareOutput("1", "1.01", 1e-6).equal);
  EXPECT_TRUE(CompareOutput("1.5 2.5\n", "1.5000001   2.4999999\n", 1e-6).equal);
}

TEST(SandboxCompareTest, FloatToleranceKeepsWordsExactAndCountsTokens) {
  EXPECT_FALSE(CompareOutput("YES 1.0", "yes 1.0", 1e-6).equal);
  EXPECT_FALSE(CompareOutput("1.0 2.0", "1.0", 1e-6).equal);
  EXPECT_TRUE(CompareOutput("nan", "nan", 1e-6).equal);  // equal strings match
  EXPECT_FALSE(CompareOutput("1.0", "inf", 1e-6).equal);
  EXPECT_FALSE(CompareOutput("1.0", "1.0x", 1e-6).equal);
}

}  // namespace
}  // namespace zerorl::sandbox
