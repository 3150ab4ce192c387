// The built-in reward functions, one case per behaviour, through real pipelines.
#include <cmath>

#include "datasets/datasets.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/reward/reward_testing.h"
#include "tests/testing/status_matchers.h"

namespace zerorl::reward {
namespace {

using reward_testing::FirstScore;
using reward_testing::MakePipeline;
using reward_testing::One;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using ::zerorl::testing::StatusIs;

std::string CountdownProblem(std::vector<int64_t> numbers, int64_t target) {
  datasets::Problem p;
  p.id = "countdown/0";
  p.kind = datasets::TaskKind::kCountdown;
  p.prompt = "Reach the target.";
  p.countdown = datasets::CountdownTask{std::move(numbers), target};
  return ProblemToJson(p);
}

std::string CodeProblem() {
  datasets::Problem p;
  p.id = "code/0";
  p.kind = datasets::TaskKind::kCode;
  p.prompt = "def add(a, b):\n    \"\"\"Add two numbers.\"\"\"\n";
  p.tests = datasets::CodeTests{};
  p.tests->asserts = {"assert add(1, 2) == 3", "assert add(2, 2) == 4", "assert add(0, 0) == 0"};
  return ProblemToJson(p);
}

// ---- math_accuracy ----

TEST(MathAccuracyTest, AnswerInsideAnswerTagsIsCorrect) {
  auto pipeline = MakePipeline(R"([{"name": "math_accuracy"}])");
  wire::FunctionScore s =
      FirstScore(*pipeline, {"<think>6 * 7 = 42, not 41</think> <answer>42</answer>", "42"});
  EXPECT_EQ(s.mark, wire::ScoreMark::kOk);
  EXPECT_EQ(s.value, 1.0);
  EXPECT_THAT(s.detail, StartsWith("equal"));
}

TEST(MathAccuracyTest, BoxedLatexAnswerIsCorrect) {
  auto pipeline = MakePipeline(R"([{"name": "math_accuracy"}])");
  wire::FunctionScore s =
      FirstScore(*pipeline, {"<answer>$\\boxed{\\frac{1}{2}}$</answer>", "0.5"});
  EXPECT_EQ(s.mark, wire::ScoreMark::kOk);
  EXPECT_EQ(s.value, 1.0);
}

TEST(MathAccuracyTest, WrongAnswerScoresZeroAndSaysWhat) {
  auto pipeline = MakePipeline(R"([{"name": "math_accuracy"}])");
  wire::FunctionScore s =
      FirstScore(*pipeline, {"<think>6 * 7 = 42</think> <answer>41</answer>", "42"});
  EXPECT_EQ(s.mark, wire::ScoreMark::kOk);
  EXPECT_EQ(s.value, 0.0);
  EXPECT_THAT(s.detail, StartsWith("not equal"));
  EXPECT_THAT(s.detail, HasSubstr(": gold 42, got 41"));
}

TEST(MathAccuracyTest, UnreadablePredictionScoresZeroWithTheReason) {
  auto pipeline = MakePipeline(R"([{"name": "math_accuracy"}])");
  wire::FunctionScore s = FirstScore(*pipeline, {"", "42"});
  EXPECT_EQ(s.mark, wire::ScoreMark::kOk);
  EXPECT_EQ(s.value, 0.0);
  EXPECT_THAT(s.detail, StartsWith("unverifiable prediction:"));
  EXPECT_EQ(pipeline->Counters()["reward/math_accuracy/unverifiable_prediction"], 1);
}

TEST(MathAccuracyTest, UnreadableGoldIsNotApplicableAndCounted) {
  auto pipeline = MakePipeline(R"([{"name": "math_accuracy"}])");
  wire::FunctionScore s = FirstScore(*pipeline, {"<answer>42</answer>", "\\frac{"});
  EXPECT_EQ(s.mark, wire::ScoreMark::kNotApplicable);
  EXPECT_THAT(s.detail, StartsWith("unverifiable gold:"));
  auto counters = pipeline->Counters();
  EXPECT_EQ(counters["reward/math_accuracy/unverifiable_gold"], 1);
  EXPECT_EQ(counters["reward/math_accuracy/not_applicable"], 1);
}

TEST(MathAccuracyTest, NoGoldAnswerIsNotApplicable) {
  auto pipeline = MakePipeline(R"([{"name": "math_accuracy"}])");
  wire::FunctionScore s = FirstScore(*pipeline, {"<answer>42</answer>", ""});
  EXPECT_EQ(s.mark, wire::ScoreMark::kNotApplicable);
  EXPECT_EQ(s.detail, "no gold answer");
}

TEST(MathAccuracyTest, GoldFromTheProblemWhenThePromptHasNone) {
  datasets::Problem p;
  p.id = "gsm8k/test/0";
  p.prompt = "How many?";
  p.answer = "18";
  auto pipeline = MakePipeline(R"([{"name": "math_accuracy"}])");
  One one{"<answer>18</answer>", ""};
  one.metadata = ProblemToJson(p);
  EXPECT_EQ(FirstScore(*pipeline, one).value, 1.0);
}

TEST(MathAccuracyTest, CodeAndCountdownProblemsAreNotApplicable) {
  auto pipeline = MakePipeline(R"([{"name": "math_accuracy"}])");
  One code{"<answer>3</answer>", "3"};
  code.metadata = CodeProblem();
  wire::FunctionScore s = FirstScore(*pipeline, code);
  EXPECT_EQ(s.mark, wire::ScoreMark::kNotApplicable);
  EXPECT_EQ(s.detail, "a code problem");
  One countdown{"<answer>3</answer>", "1 + 2"};
  countdown.metadata = CountdownProblem({1, 2}, 3);
  EXPECT_EQ(FirstScore(*pipeline, countdown).detail, "a countdown problem");
}

// ---- countdown ----

TEST(CountdownRewardTest, ExpressionReachingTheTargetScoresOne) {
  auto pipeline = MakePipeline(R"([{"name": "countdown"}])");
  One one{"<think>8 * 2</think> <answer>(3 + 5) * 2</answer>"};
  one.metadata = CountdownProblem({3, 5, 2}, 16);
  wire::FunctionScore s = FirstScore(*pipeline, one);
  EXPECT_EQ(s.mark, wire::ScoreMark::kOk);
  EXPECT_EQ(s.value, 1.0);
}

TEST(CountdownRewardTest, TextAfterAnEqualsSignIsIgnored) {
  auto pipeline = MakePipeline(R"([{"name": "countdown"}])");
  One one{"<answer>(3 + 5) * 2 = 16</answer>"};
  one.metadata = CountdownProblem({3, 5, 2}, 16);
  EXPECT_EQ(FirstScore(*pipeline, one).value, 1.0);
}

TEST(CountdownRewardTest, WrongValueScoresZeroWithTheReason) {
  auto pipeline = MakePipeline(R"([{"name": "countdown"}])");
  One one{"<answer>3 + 5 + 2</answer>"};
  one.metadata = CountdownProblem({3, 5, 2}, 16);
  wire::FunctionScore s = FirstScore(*pipeline, one);
  EXPECT_EQ(s.mark, wire::ScoreMark::kOk);
  EXPECT_EQ(s.value, 0.0);
  EXPECT_FALSE(s.detail.empty());
}

TEST(CountdownRewardTest, UnusedNumbersFailOnlyWhenAllMustBeUsed) {
  One one{"<answer>3 + 5</answer>"};
  one.metadata = CountdownProblem({3, 5, 2}, 8);
  auto all = MakePipeline(R"([{"name": "countdown"}])");
  EXPECT_EQ(FirstScore(*all, one).value, 0.0);
  auto some = MakePipeline(R"([{"name": "countdown", "use_all_numbers": false}])");
  EXPECT_EQ(FirstScore(*some, one).value, 1.0);
}

TEST(CountdownRewardTest, MissingAnswerTagScoresZero) {
  auto pipeline = MakePipeline(R"([{"name": "countdown"}])");
  One one{"(3 + 5) * 2"};
  one.metadata = CountdownProblem({3, 5, 2}, 16);
  wire::FunctionScore s = FirstScore(*pipeline, one);
  EXPECT_EQ(s.value, 0.0);
  EXPECT_EQ(s.detail, "no <answer>...</answer>");
}

TEST(CountdownRewardTest, OtherProblemsAreNotApplicable) {
  auto pipeline = MakePipeline(R"([{"name": "countdown"}])");
  wire::FunctionScore s = FirstScore(*pipeline, {"<answer>1</answer>", "1"});
  EXPECT_EQ(s.mark, wire::ScoreMark::kNotApplicable);
  EXPECT_EQ(s.detail, "not a countdown problem");
}

// ---- format ----

TEST(FormatRewardTest, ThinkThenAnswerMatches) {
  auto pipeline = MakePipeline(R"([{"name": "format"}])");
  EXPECT_EQ(FirstScore(*pipeline, {"<think>\nsteps\n</think>\n<answer>\n4\n</answer>"}).value, 1.0);
}

TEST(FormatRewardTest, MissingOrMisplacedPartsDoNotMatch) {
  auto pipeline = MakePipeline(R"([{"name": "format"}])");
  EXPECT_EQ(FirstScore(*pipeline, {"<think>steps</think>"}).value, 0.0);
  EXPECT_EQ(FirstScore(*pipeline, {"<answer>4</answer><think>steps</think>"}).value, 0.0);
  EXPECT_EQ(FirstScore(*pipeline, {"<think>steps</think><answer>4</answer> and more"}).value, 0.0);
  wire::FunctionScore s = FirstScore(*pipeline, {"4"});
  EXPECT_EQ(s.mark, wire::ScoreMark::kOk);
  EXPECT_EQ(s.detail, "does not match the format pattern");
}

TEST(FormatRewardTest, PromptThatOpensTheReasoningCounts) {
  auto pipeline = MakePipeline(R"([{"name": "format"}])");
  One one{"steps</think> <answer>4</answer>"};
  one.prompt = "<|User|>2+2?<|Assistant|><think>\n";
  EXPECT_EQ(FirstScore(*pipeline, one).value, 1.0);
  one.prompt = "2+2?";
  EXPECT_EQ(FirstScore(*pipeline, one).value, 0.0);
}

TEST(FormatRewardTest, CustomPattern) {
  auto pipeline = MakePipeline(R"([{"name": "format", "pattern": "(?s).*\\\\boxed\\{.+\\}.*"}])");
  EXPECT_EQ(FirstScore(*pipeline, {"so \\boxed{4}."}).value, 1.0);
  EXPECT_EQ(FirstScore(*pipeline, {"so 4."}).value, 0.0);
}

TEST(FormatRewardTest, InvalidPatternIsRefusedWithTheKey) {
  absl::StatusOr<std::unique_ptr<RewardPipeline>> pipeline = RewardPipeline::Create(
      reward_testing::RewardSection(R"([{"name": "math_accuracy"}, {"name": "format", "pattern": "(<think>"}])"),
      reward_testing::TestOptions());
  ASSERT_THAT(
      pipeline,
      StatusIs(absl::StatusCode::kInvalidArgument,
               "reward.functions[1].pattern: not a valid RE2 pattern: missing ): (<think>"));
}

TEST(FormatRewardTest, TagCountIsTheShareOfTagsPresentOnce) {
  auto pipeline = MakePipeline(R"([{"name": "format", "mode": "tag_count"}])");
  EXPECT_EQ(FirstScore(*pipeline, {"<think>a</think><answer>b</answer>"}).value, 1.0);
  wire::FunctionScore half = FirstScore(*pipeline, {"<think>a</think>"});
  EXPECT_EQ(half.value, 0.5);
  EXPECT_EQ(half.detail, "not once: <answer> x0, </answer> x0");
  EXPECT_EQ(FirstScore(*pipeline, {"<think>a</think><think>b</think><answer>c</answer>"}).value, 0.5);
}

TEST(FormatRewardTest, TagCountWithOwnTags) {
  auto pipeline = MakePipeline(R"([{"name": "format", "mode": "tag_count", "tags": ["<code>", "</code>"]}])");
  EXPECT_EQ(FirstScore(*pipeline, {"<code>x</code>"}).value, 1.0);
}

// ---- length (DAPO's soft overlong punishment, eq. 13) ----

double LengthScore(RewardPipeline& pipeline, int64_t tokens) {
  One one{"text"};
  one.num_tokens = tokens;
  wire::FunctionScore s = FirstScore(pipeline, one);
  EXPECT_EQ(s.mark, wire::ScoreMark::kOk);
  return s.value;
}

TEST(LengthRewardTest, DapoFormulaAtItsBoundaries) {
  // L_max = 100, L_cache = 20: 0 up to 80, then (80 - L) / 20, -1 beyond 100.
  auto pipeline = MakePipeline(R"([{"name": "length", "max_length": 100, "buffer": 20}])");
  EXPECT_EQ(LengthScore(*pipeline, 0), 0.0);
  EXPECT_EQ(LengthScore(*pipeline, 80), 0.0);         // L = L_max - L_cache
  EXPECT_DOUBLE_EQ(LengthScore(*pipeline, 81), -0.05);  // just inside the soft zone
  EXPECT_DOUBLE_EQ(LengthScore(*pipeline, 90), -0.5);
  EXPECT_DOUBLE_EQ(LengthScore(*pipeline, 99), -0.95);
  EXPECT_EQ(LengthScore(*pipeline, 100), -1.0);        // L = L_max
  EXPECT_EQ(LengthScore(*pipeline, 101), -1.0);        // beyond
  EXPECT_EQ(LengthScore(*pipeline, 100000), -1.0);
}

TEST(LengthRewardTest, DefaultsTakeMaxNewTokensAndAFifthAsBuffer) {
  // TestOptions() gives default_max_length 100, so the buffer is 20.
  auto pipeline = MakePipeline(R"([{"name": "length"}])");
  EXPECT_EQ(LengthScore(*pipeline, 80), 0.0);
  EXPECT_DOUBLE_EQ(LengthScore(*pipeline, 90), -0.5);
  EXPECT_EQ(LengthScore(*pipeline, 101), -1.0);
}

TEST(LengthRewardTest, ZeroBufferIsAHardCut) {
  auto pipeline = MakePipeline(R"([{"name": "length", "max_length": 3, "buffer": 0}])");
  // max_length / 5 == 0 tokens of buffer.
  EXPECT_EQ(LengthScore(*pipeline, 3), 0.0);
  EXPECT_EQ(LengthScore(*pipeline, 4), -1.0);
}

TEST(LengthRewardTest, LinearAndCosinePenalties) {
  auto linear = MakePipeline(R"([{"name": "length", "penalty": "linear", "max_length": 100}])");
  EXPECT_EQ(LengthScore(*linear, 0), 0.0);
  EXPECT_DOUBLE_EQ(LengthScore(*linear, 50), -0.5);
  EXPECT_EQ(LengthScore(*linear, 100), -1.0);
  EXPECT_EQ(LengthScore(*linear, 101), -1.0);
  auto cosine = MakePipeline(R"([{"name": "length", "penalty": "cosine", "max_length": 100}])");
  EXPECT_EQ(LengthScore(*cosine, 0), 0.0);
  EXPECT_DOUBLE_EQ(LengthScore(*cosine, 25), (std::cos(M_PI / 4) - 1) / 2);
  EXPECT_NEAR(LengthScore(*cosine, 50), -0.5, 1e-15);
  EXPECT_EQ(LengthScore(*cosine, 100), -1.0);
  EXPECT_EQ(LengthScore(*cosine, 101), -1.0);
}

TEST(LengthRewardTest, UnknownLengthIsNotApplicable) {
  auto pipeline = MakePipeline(R"([{"name": "length"}])");
  wire::FunctionScore s = FirstScore(*pipeline, {"text"});
  EXPECT_EQ(s.mark, wire::ScoreMark::kNotApplicable);
  EXPECT_EQ(s.detail, "completion length in tokens unknown");
}

// ---- language_consistency ----

TEST(LanguageConsistencyTest, ReasoningInTheQuestionsScriptScoresOne) {
  auto pipeline = MakePipeline(R"([{"name": "language_consistency"}])");
  One one{"<think>Add the two numbers.</think><answer>5</answer>"};
  one.prompt = "What is 2 + 3?";
  wire::FunctionScore s = FirstScore(*pipeline, one);
  EXPECT_EQ(s.value, 1.0);
  EXPECT_EQ(s.detail, "16 of 16 letters in Latin");
}

TEST(LanguageConsistencyTest, MixedReasoningScoresItsShare) {
  auto pipeline = MakePipeline(R"([{"name": "language_consistency"}])");
  One one{"<think>abcd 你好世界</think><answer>5</answer>"};
  one.prompt = "What is 2 + 3?";
  wire::FunctionScore s = FirstScore(*pipeline, one);
  EXPECT_EQ(s.value, 0.5);
  EXPECT_EQ(s.detail, "4 of 8 letters in Latin");
}

TEST(LanguageConsistencyTest, LatexIsNotCountedAsLatin) {
  auto pipeline = MakePipeline(R"([{"name": "language_consistency"}])");
  One one{"<think>计算 \\frac{1}{2} 和 $x + y$</think><answer>1</answer>"};
  one.prompt = "计算一半";
  wire::FunctionScore s = FirstScore(*pipeline, one);
  EXPECT_EQ(s.value, 1.0);
  EXPECT_EQ(s.detail, "3 of 3 letters in CJK");
}

TEST(LanguageConsistencyTest, UsesTheProblemsQuestionNotTheTemplate) {
  datasets::Problem p;
  p.id = "p";
  p.prompt = "Сколько будет два плюс три?";
  auto pipeline = MakePipeline(R"([{"name": "language_consistency"}])");
  One one{"<think>два плюс три</think><answer>5</answer>"};
  one.prompt = "A conversation between User and Assistant. User: Сколько? Assistant:";
  one.metadata = ProblemToJson(p);
  EXPECT_EQ(FirstScore(*pipeline, one).detail, "10 of 10 letters in Cyrillic");
}

TEST(LanguageConsistencyTest, NoLettersIsNotApplicable) {
  auto pipeline = MakePipeline(R"([{"name": "language_consistency"}])");
  One one{"<think>2 + 3 = 5</think><answer>5</answer>"};
  wire::FunctionScore s = FirstScore(*pipeline, one);
  EXPECT_EQ(s.mark, wire::ScoreMark::kNotApplicable);
  EXPECT_EQ(s.detail, "the reasoning has no letters");
  one.prompt = "2 + 3?";
  EXPECT_EQ(FirstScore(*pipeline, one).detail, "the question has no letters");
}

TEST(LanguageConsistencyTest, ReasoningWithoutThinkTagsIsTheTextBeforeTheAnswer) {
  auto pipeline = MakePipeline(R"([{"name": "language_consistency"}])");
  One one{"abcd <answer>你好</answer>"};
  EXPECT_EQ(FirstScore(*pipeline, one).value, 1.0);
}

}  // namespace
}  // namespace zerorl::reward
