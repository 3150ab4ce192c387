// Answer extraction: which part of a text is taken, by priority and position.
#include "verifiers/math/internal/extract.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "verifiers/math/internal/scan.h"

namespace zerorl::math {
namespace {

using ::testing::HasSubstr;

struct Found {
  bool ok = false;
  std::string text, source, why;
};

Found Extract(std::string_view text, ExtractOptions options = ExtractOptions()) {
  Arena arena;
  Budget budget(0, 10'000'000, 64 << 20, &arena);
  NodeFactory factory(&arena);
  ExtractedAnswer out;
  Found f;
  f.ok = ExtractAnswer(text, options, &factory, &budget, &out, &f.why);
  f.text = out.text;
  f.source = out.source;
  return f;
}

TEST(MathExtractTest, BoxedWinsOverLaterMathWhenBoxedFirst) {
  Found f = Extract("so $\\boxed{5}$. Checking: $x = 7$.");
  EXPECT_EQ(f.text, "5");
  EXPECT_EQ(f.source, "boxed");
  ExtractOptions later;
  later.boxed_first = false;
  f = Extract("The final answer is 6, since $\\boxed{5}$ was wrong", later);
  EXPECT_EQ(f.text, "6");
  EXPECT_EQ(f.source, "final answer");
}

TEST(MathExtractTest, FinalAnswerIHopeIsPriorityZero) {
  Found f = Extract("$\\boxed{3}$ ... Final Answer: The final answer is $28 \\%$. I hope it is correct.");
  EXPECT_EQ(f.text, "28 \\%");  // ends after the box, same priority group
  f = Extract("Final Answer: The largest $n$ is 34.");
  EXPECT_EQ(f.text, "34");
  EXPECT_EQ(f.source, "final answer");
}

TEST(MathExtractTest, LastBoxWithItsNeighbours) {
  EXPECT_EQ(Extract("\\boxed{1}, \\boxed{2}, \\boxed{3}").text, "1, 2, 3");
  EXPECT_EQ(Extract("$\\boxed{1}\\boxed{2}$").text, "1, 2");
  EXPECT_EQ(Extract("\\(\\boxed{1}\\) and \\(\\boxed{-2}\\).").text, "1, -2");
  EXPECT_EQ(Extract("\\boxed{1} no no no \\boxed{2}").text, "2");  // prose between: separate answers
  EXPECT_EQ(Extract("\\boxed 5").text, "5");
  EXPECT_EQ(Extract("\\boxed{\\frac{1}{2}}").text, "\\frac{1}{2}");
}

TEST(MathExtractTest, EnvironmentsJoinedByAndOr) {
  EXPECT_EQ(Extract("$21,16$ or $11$").text, "21,16, 11");
  EXPECT_EQ(Extract("we get $x$, so the result is $5$").text, "5");
}

TEST(MathExtractTest, InlineMathStaysOnOneLine) {
  EXPECT_FALSE(Extract("Answer $ \n 9 \n $", ExtractOptions{true, false}).ok);
  EXPECT_EQ(Extract("Answer \\[ \n 9 \n \\]").text, "9");
}

TEST(MathExtractTest, AnswerColonWithinFiftyCharacters) {
  Found f = Extract("Final Answer: Jane started growing Sphere 3 hours ago.");
  EXPECT_EQ(f.text, "3");
  EXPECT_EQ(f.source, "answer");
  EXPECT_EQ(Extract("The answer is \\frac{1}{2}. Then 7 more.").text, "\\frac{1}{2}");
}

TEST(MathExtractTest, Gsm8kHashes) {
  Found f = Extract("9 * 2 = <<9*2=18>>18\n#### 18");
  EXPECT_EQ(f.text, "18");
  EXPECT_EQ(f.source, "####");
}

TEST(MathExtractTest, LastNumberAndExpressionFallback) {
  ExtractOptions expr_only{false, true};
  EXPECT_EQ(Extract("the number is not 10 which is 1,000.99\xE2\x82\xAC", expr_only).text, "1,000.99");
  EXPECT_EQ(Extract("so P(A) = (1/2) / (3/4) = 2/3. <|im_start|>user", expr_only).text, "2/3");
  EXPECT_EQ(Extract("It is 28 percent", expr_only).text, "28 percent");
  EXPECT_FALSE(Extract("AZYUK2A", expr_only).ok);
  ExtractOptions anchored;
  anchored.without_anchor = false;
  EXPECT_FALSE(Extract("the value is 42", anchored).ok);
}

TEST(MathExtractTest, WholeTextWhenItIsAFormula) {
  EXPECT_EQ(Extract("\\frac{63}{400}").source, std::string("whole text"));
  EXPECT_EQ(Extract("-2,1").text, "-2,1");
  EXPECT_NE(Extract("It is 28 percent").source, std::string("whole text"));
}

TEST(MathExtractTest, ThinkAndAnswerTagsFirst) {
  EXPECT_EQ(Extract("<think>\\boxed{5}</think> so $6$").text, "6");
  EXPECT_EQ(Extract("<answer>7</answer> later \\boxed{8}").text, "7");
  EXPECT_EQ(Extract("<think>\\boxed{5}</think> nothing after").text, "5");  // falls back to the whole text
}

TEST(MathExtractTest, NumbersInsideABrokenFormulaAreNotAnAnswer) {
  Found f = Extract("$\\frac{1}{$");
  EXPECT_FALSE(f.ok);
  EXPECT_THAT(f.why, HasSubstr("no answer"));
}

TEST(MathExtractTest, LongAnswersAreRefused) {
  ExtractOptions small;
  small.max_answer_chars = 10;
  Found f = Extract("\\boxed{\\frac{x}{y}+\\frac{y}{x}}", small);
  EXPECT_FALSE(f.ok);
  EXPECT_THAT(f.why, HasSubstr("longer than 10 characters"));
}

TEST(MathExtractTest, ChoiceLetters) {
  EXPECT_EQ(FindChoiceLetter("so the answer is (C) because"), 'C');
  EXPECT_EQ(FindChoiceLetter("\\boxed{\\text{(B)}}"), 'B');
  EXPECT_EQ(FindChoiceLetter("Answer: D"), 'D');
  EXPECT_EQ(FindChoiceLetter("options (A) and then (E)"), 'E');
  EXPECT_EQ(FindChoiceLetter("no letter here"), 0);
}

TEST(MathScanTest, EnvironmentsAndBoxes) {
  std::vector<MathEnv> envs = FindMathEnvs("a $x$ b $$y$$ c \\(z\\) d \\[w\\] costs 5$ e");
  ASSERT_EQ(envs.size(), 4u);
  EXPECT_EQ(envs[0].content.end - envs[0].content.begin, 1u);
  std::vector<Box> boxes = FindBoxes("\\boxed{a{b}c} \\fbox{d} \\boxed{e \\boxed{f}} \\boxed{unclosed");
  ASSERT_EQ(boxes.size(), 3u);
  EXPECT_EQ(boxes[2].content.end - boxes[2].content.begin, 11u);  // "e \\boxed{f}": the nested box stays inside
}

TEST(MathScanTest, NumbersInMathVerifyFormats) {
  auto digits = [](std::string_view s) {
    NumberMatch m;
    return MatchNumberAt(s, 0, &m) ? NumberDigits(s, m) + (m.percent ? "%" : "") : std::string("none");
  };
  EXPECT_EQ(digits("1,234,567.89"), "1234567.89");
  EXPECT_EQ(digits("1 000"), "1000");
  EXPECT_EQ(digits("1000,99"), "1000.99");
  EXPECT_EQ(digits("0,111"), "0.111");
  EXPECT_EQ(digits("1,22"), "1.22");
  EXPECT_EQ(digits(".5"), "0.5");
  EXPECT_EQ(digits("28 percent"), "28%");
  EXPECT_EQ(digits("x"), "none");
}

}  // namespace
}  // namespace zerorl::math
