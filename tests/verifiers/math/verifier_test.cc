// VerifyMath end to end: one test per rule of the public contract (verifiers/math/verifier.h).
#include "verifiers/math/verifier.h"

#include "core/json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace zerorl::math {
namespace {

using ::testing::HasSubstr;
using ::zerorl::testing::IsOk;
using ::zerorl::testing::StatusIs;

MathVerdictKind Verdict(std::string_view gold, std::string_view pred, MathOptions options = MathOptions()) {
  options.deadline_ms = 0;  // verdicts here must not depend on machine load
  return VerifyMath(gold, pred, options).verdict;
}

constexpr MathVerdictKind kCorrect = MathVerdictKind::kCorrect;
constexpr MathVerdictKind kIncorrect = MathVerdictKind::kIncorrect;
constexpr MathVerdictKind kUnverifiable = MathVerdictKind::kUnverifiable;

TEST(MathVerifierTest, Gsm8kGoldAgainstBoxedCompletion) {
  MathVerdict v = VerifyMath("#### 1,234", "So she has 1234 left. The answer is $\\boxed{1234}$.");
  EXPECT_EQ(v.verdict, kCorrect) << v.reason;
  EXPECT_EQ(v.gold_answer, "1,234");
  EXPECT_EQ(v.pred_answer, "1234");
  EXPECT_THAT(v.reason, HasSubstr("####"));
  EXPECT_EQ(Verdict("#### 18", "... \\boxed{19}"), kIncorrect);
}

TEST(MathVerifierTest, FractionsDecimalsAndRounding) {
  EXPECT_EQ(Verdict("$\\frac{1}{3}$", "\\boxed{1/3}"), kCorrect);
  EXPECT_EQ(Verdict("$\\frac{1}{3}$", "\\boxed{0.333333}"), kCorrect);
  EXPECT_EQ(Verdict("$\\frac{1}{3}$", "\\boxed{0.33}"), kIncorrect);
  MathOptions two;
  two.float_rounding = 2;
  EXPECT_EQ(Verdict("$\\frac{1}{3}$", "\\boxed{0.33}", two), kCorrect);
  EXPECT_EQ(Verdict("$2.5$", "\\boxed{\\frac{5}{2}}"), kCorrect);
  EXPECT_EQ(Verdict("$918\\frac{1}{2}$", "\\boxed{918.5}"), kCorrect);  // mixed number
  EXPECT_EQ(Verdict("$3$", "\\boxed{3.0001}"), kIncorrect);
}

TEST(MathVerifierTest, ExactIntegersOfAnySize) {
  EXPECT_EQ(Verdict("$2^{100}$", "\\boxed{1267650600228229401496703205376}"), kCorrect);
  EXPECT_EQ(Verdict("$2^{100}$", "\\boxed{1267650600228229401496703205377}"), kIncorrect);
  EXPECT_EQ(Verdict("$30!$", "\\boxed{265252859812191058636308480000000}"), kCorrect);
}

TEST(MathVerifierTest, PercentIsAHundredthAndAlsoTheBareNumber) {
  EXPECT_EQ(Verdict("$10\\%$", "\\boxed{0.1}"), kCorrect);
  EXPECT_EQ(Verdict("$10\\%$", "\\boxed{10}"), kCorrect);
  EXPECT_EQ(Verdict("$28\\%$", "It is 28 percent"), kCorrect);
  EXPECT_EQ(Verdict("$10\\%$", "\\boxed{1}"), kIncorrect);
}

TEST(MathVerifierTest, SymbolicExpressionsByValue) {
  EXPECT_EQ(Verdict("$x^2+2x+1$", "\\boxed{(x+1)^2}"), kCorrect);
  EXPECT_EQ(Verdict("$\\frac{x+2}{7}$", "\\boxed{\\frac{x}{7}+\\frac{2}{7}}"), kCorrect);
  EXPECT_EQ(Verdict("$\\tan^2(y)+1$", "\\boxed{\\sec^2(y)}"), kCorrect);
  EXPECT_EQ(Verdict("$2\\sqrt{2}$", "\\boxed{\\sqrt{8}}"), kCorrect);
  EXPECT_EQ(Verdict("$x+2$", "\\boxed{x+1}"), kIncorrect);
  EXPECT_EQ(Verdict("$\\sqrt{x^2}$", "\\boxed{x}"), kIncorrect);  // |x|, not x
}

TEST(MathVerifierTest, StrictVariableNames) {
  EXPECT_EQ(Verdict("$f(x)$", "$f(y)$"), kIncorrect);
  MathOptions loose;
  loose.strict = false;
  EXPECT_EQ(Verdict("$f(x)$", "$f(y)$", loose), kCorrect);
  EXPECT_EQ(Verdict("$a+2b$", "$x+2y$", loose), kCorrect);
  EXPECT_EQ(Verdict("$a+2b$", "$2x+y$", loose), kCorrect);  // renaming may swap names
}

TEST(MathVerifierTest, SetsUnorderedTuplesOrdered) {
  EXPECT_EQ(Verdict("$\\{1, 2, 3\\}$", "\\boxed{\\{3, 1, 2\\}}"), kCorrect);
  EXPECT_EQ(Verdict("$-2, 1$", "\\boxed{1, -2}"), kCorrect);
  EXPECT_EQ(Verdict("$(1, 2, 3)$", "\\boxed{(3, 2, 1)}"), kIncorrect);
  EXPECT_EQ(Verdict("$(1, 2, 3)$", "\\boxed{(1, 2, 3)}"), kCorrect);
  EXPECT_EQ(Verdict("$\\{1, 2\\}$", "\\boxed{\\{1, 2, 3\\}}"), kIncorrect);
}

TEST(MathVerifierTest, IntervalsByEndpointsAndOpenness) {
  EXPECT_EQ(Verdict("$[0, 1)$", "\\boxed{[0,1)}"), kCorrect);
  EXPECT_EQ(Verdict("$(0, 9)$", "\\boxed{[0, 9)}"), kIncorrect);
  EXPECT_EQ(Verdict("$[0,1) \\cup [1,2]$", "\\boxed{[0, 2]}"), kCorrect);
  EXPECT_EQ(Verdict("$(-\\infty, 1) \\cup (1, \\infty)$", "\\boxed{x \\neq 1}"), kIncorrect);  // set vs relation
  EXPECT_EQ(Verdict("$x \\neq 1$", "\\boxed{(-\\infty, 1) \\cup (1, \\infty)}"), kCorrect);
}

TEST(MathVerifierTest, SetRelationOptionIsOneWay) {
  EXPECT_EQ(Verdict("$-2 \\le x \\le 7$", "$x \\in [-2,7]$"), kCorrect);
  EXPECT_EQ(Verdict("$x \\in [-2,7]$", "$-2 \\le x \\le 7$"), kIncorrect);
  MathOptions rel;
  rel.set_relation = true;
  EXPECT_EQ(Verdict("$x \\in [-2,7]$", "$-2 \\le x \\le 7$", rel), kCorrect);
  EXPECT_EQ(Verdict("$1 \\le |z| \\le 2$", "$[-2, -1] \\cup [1, 2]$"), kCorrect);
}

TEST(MathVerifierTest, EquationsUpToSidesAndScale) {
  EXPECT_EQ(Verdict("$2x+4y-3=0$", "$y=-\\frac{1}{2}x+\\frac{3}{4}$"), kCorrect);
  EXPECT_EQ(Verdict("$x = 5$", "\\boxed{5}"), kCorrect);   // gold assignment vs value
  EXPECT_EQ(Verdict("$5$", "\\boxed{k = 5}"), kCorrect);   // predicted assignment
  EXPECT_EQ(Verdict("$2x + z = 1$", "\\boxed{1}"), kIncorrect);  // not an assignment
  EXPECT_EQ(Verdict("$x < 1$", "$-x > -1$"), kCorrect);
  EXPECT_EQ(Verdict("$x < 1$", "$x > -1$"), kIncorrect);
  EXPECT_EQ(Verdict("$x < 1$", "$x \\le 1$"), kIncorrect);
}

TEST(MathVerifierTest, MatricesByShapeAndCells) {
  EXPECT_EQ(Verdict("$\\begin{pmatrix}1 & 2 \\\\ 3 & 4\\end{pmatrix}$",
                    "\\boxed{\\begin{bmatrix}1 & 2 \\\\ 3 & 4\\end{bmatrix}}"), kCorrect);
  EXPECT_EQ(Verdict("$\\begin{pmatrix}1 & 2 \\\\ 3 & 4\\end{pmatrix}$",
                    "\\boxed{\\begin{pmatrix}1 & 3 \\\\ 2 & 4\\end{pmatrix}}"), kIncorrect);
  EXPECT_EQ(Verdict("$\\begin{pmatrix}1 \\\\ 2\\end{pmatrix}$", "\\boxed{\\begin{pmatrix}1 & 2\\end{pmatrix}}"),
            kIncorrect);
  EXPECT_EQ(Verdict("$\\begin{pmatrix}2 & 0 \\\\ 0 & 2\\end{pmatrix}$",
                    "\\boxed{2\\begin{pmatrix}1 & 0 \\\\ 0 & 1\\end{pmatrix}}"), kCorrect);
}

TEST(MathVerifierTest, TextAnswersAndChoiceLetters) {
  EXPECT_EQ(Verdict("$\\text{Evelyn}$", "so $\\boxed{\\text{Evelyn}}$ wins"), kCorrect);
  EXPECT_EQ(Verdict("$\\text{(C)}$", "The answer is (C) because ..."), kCorrect);
  EXPECT_EQ(Verdict("$\\text{C}$", "The answer is (D)."), kIncorrect);
  EXPECT_EQ(Verdict("$\\text{E}$", "$E$"), kCorrect);
}

TEST(MathVerifierTest, UnitsAndDegreesAreDropped) {
  EXPECT_EQ(Verdict("$125$ miles", "\\boxed{125\\textnormal{ miles}}"), kCorrect);
  EXPECT_EQ(Verdict("$90^\\circ$", "\\boxed{90}"), kCorrect);
  EXPECT_EQ(Verdict("72 degrees", "72"), kCorrect);
}

TEST(MathVerifierTest, UnparseableGoldIsNeverCorrect) {
  MathVerdict v = VerifyMath("$\\frac{1}{$", "$\\frac{1}{$");
  EXPECT_EQ(v.verdict, kUnverifiable);
  EXPECT_THAT(v.reason, HasSubstr("gold"));
  EXPECT_EQ(Verdict("", "\\boxed{5}"), kUnverifiable);
  EXPECT_EQ(Verdict("no numbers here at all", "no numbers here at all"), kUnverifiable);
}

TEST(MathVerifierTest, MissingPredictionIsUnverifiable) {
  MathVerdict v = VerifyMath("$5$", "I am not sure.");
  EXPECT_EQ(v.verdict, kUnverifiable);
  EXPECT_THAT(v.reason, HasSubstr("prediction: no answer found"));
  EXPECT_EQ(v.gold_answer, "5");
  EXPECT_EQ(v.pred_answer, "");
}

TEST(MathVerifierTest, ThinkAndAnswerTagsAreSearchedFirst) {
  EXPECT_EQ(Verdict("$6$", "<think>maybe \\boxed{5}</think> The answer is $6$."), kCorrect);
  EXPECT_EQ(Verdict("$6$", "<think>\\boxed{6}?</think><answer>7</answer>"), kIncorrect);
}

TEST(MathVerifierTest, GoldSolutionsAreExtracted) {
  EXPECT_EQ(*ExtractGoldAnswer("She pays 9 * 2 = $<<9*2=18>>18.\n#### 18"), "18");
  EXPECT_EQ(*ExtractGoldAnswer("so $x = \\boxed{\\frac{1}{2}}$."), "\\frac{1}{2}");
  EXPECT_EQ(*ExtractGoldAnswer("the answers are $\\boxed{-2}$ and $\\boxed{1}$."), "-2, 1");
  absl::StatusOr<std::string> none = ExtractGoldAnswer("no answer here");
  EXPECT_THAT(none, StatusIs(absl::StatusCode::kNotFound));
}

TEST(MathVerifierTest, OptionsFromJsonReadsEveryKey) {
  absl::StatusOr<rapidjson::Document> doc = core::ParseJson(
      R"({"gold_extract": ["expr"], "pred_extract": ["latex"], "boxed_first": false,
          "float_rounding": 3, "strict": false, "set_relation": true, "deadline_ms": 7,
          "extract_without_anchor": false})");
  ASSERT_THAT(doc, IsOk());
  MathOptions o;
  ASSERT_THAT(MathOptionsFromJson(*doc, &o), IsOk());
  EXPECT_FALSE(o.gold_extract.latex);
  EXPECT_TRUE(o.gold_extract.expr);
  EXPECT_TRUE(o.pred_extract.latex);
  EXPECT_FALSE(o.pred_extract.expr);
  EXPECT_FALSE(o.boxed_first);
  EXPECT_EQ(o.float_rounding, 3);
  EXPECT_FALSE(o.strict);
  EXPECT_TRUE(o.set_relation);
  EXPECT_EQ(o.deadline_ms, 7);
  EXPECT_FALSE(o.extract_without_anchor);
}

TEST(MathVerifierTest, OptionsFromJsonRefusesUnknownKeysAndBadTypes) {
  MathOptions o;
  auto error = [&](const char* json) {
    absl::StatusOr<rapidjson::Document> doc = core::ParseJson(json);
    EXPECT_THAT(doc, IsOk());
    absl::Status s = MathOptionsFromJson(*doc, &o);
    EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument));
    return std::string(s.message());
  };
  EXPECT_THAT(error(R"({"float_round": 2})"), HasSubstr("options.float_round: unknown option"));
  EXPECT_THAT(error(R"({"strict": "yes"})"), HasSubstr("options.strict: must be true or false"));
  EXPECT_THAT(error(R"({"gold_extract": ["latex", "regex"]})"), HasSubstr("options.gold_extract: unknown target"));
  EXPECT_THAT(error(R"({"float_rounding": 99})"), HasSubstr("options.float_rounding"));
  EXPECT_THAT(error(R"([1, 2])"), HasSubstr("must be a JSON object"));
  EXPECT_EQ(o.float_rounding, 6);  // unchanged after failures
}

TEST(MathVerifierTest, VerdictNames) {
  EXPECT_STREQ(MathVerdictName(kCorrect), "correct");
  EXPECT_STREQ(MathVerdictName(kIncorrect), "incorrect");
  EXPECT_STREQ(MathVerdictName(kUnverifiable), "unverifiable");
}

}  // namespace
}  // namespace zerorl::math
