// Scorer over real GSM8K / MATH-500 / HumanEval rows with fixed "model" outputs: the gold
// solutions (always right), a wrong answer and no answer, mixed in known proportions.
#include "eval/scoring.h"

#include "eval/metrics.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_support.h"

namespace zerorl::eval {
namespace {

using ::testing::DoubleNear;
using ::testing::ElementsAre;
using ::testing::Pair;
using ::zerorl::testing::IsOk;
using ::zerorl::testing::StatusIs;

std::vector<datasets::Problem> Load(const std::string& preset, const std::string& relative,
                                    int limit) {
  config::DatasetConfig config;
  config.preset = preset;
  config.path = testing::TestDataPath(relative);
  config.limit = limit;
  absl::StatusOr<datasets::Dataset> data =
      datasets::LoadDataset(config, config::BadLinePolicy::kError);
  EXPECT_THAT(data, IsOk());
  std::vector<datasets::Problem> problems;
  if (!data.ok()) return problems;
  for (size_t i = 0; i < data->size(); ++i) problems.push_back(*data->Get(i));
  return problems;
}

config::RewardConfig MathOnly() {
  config::RewardConfig reward;
  reward.functions.resize(1);
  reward.functions[0].name = "math_accuracy";
  reward.functions[0].math_accuracy.deadline_ms = 0;  // no clock: results must not depend on load
  return reward;
}

std::unique_ptr<Scorer> MakeScorer(config::RewardConfig reward,
                                   std::vector<datasets::TaskKind> kinds) {
  reward.sandbox_workers = 2;
  absl::StatusOr<std::unique_ptr<Scorer>> scorer = Scorer::Create(reward, kinds, {});
  EXPECT_THAT(scorer, IsOk());
  return scorer.ok() ? *std::move(scorer) : nullptr;
}

Completion Text(std::string text) {
  Completion c;
  c.text = std::move(text);
  return c;
}

TEST(ScorerTest, GoldSolutionsOfGsm8kAndMath500AreAllCorrect) {
  ZERORL_REQUIRE_TEST_DATA();
  std::vector<datasets::Problem> problems = Load("gsm8k", "gsm8k/test.jsonl", 10);
  for (datasets::Problem& p : Load("math500", "math/test.jsonl", 10))
    problems.push_back(std::move(p));
  ASSERT_EQ(problems.size(), 20u);
  std::unique_ptr<Scorer> scorer = MakeScorer(MathOnly(), {datasets::TaskKind::kMath});
  ASSERT_NE(scorer, nullptr);
  std::vector<ProblemInput> inputs;
  for (const datasets::Problem& p : problems) inputs.push_back({p, p.prompt, {Text(p.solution)}});
  std::vector<ProblemResult> results = scorer->Score(std::move(inputs));
  ASSERT_EQ(results.size(), 20u);
  for (const ProblemResult& r : results) {
    ASSERT_EQ(r.samples.size(), 1u);
    EXPECT_EQ(r.samples[0].correct, 1) << r.problem.id << ": " << r.samples[0].verdict;
    EXPECT_EQ(r.samples[0].reward, 1.0) << r.problem.id;
    EXPECT_FALSE(r.samples[0].extracted_answer.empty()) << r.problem.id;
  }
  EvalMetrics m = Summarize(StatsOf(results), true);
  EXPECT_EQ(m.judged_problems, 20);
  EXPECT_DOUBLE_EQ(m.pass_at_1, 1.0);
  EXPECT_THAT(m.maj_at_k, ElementsAre(Pair(1, 1.0)));
}

TEST(ScorerTest, MixedCompletionsGiveHandComputedPassAndMajority) {
  ZERORL_REQUIRE_TEST_DATA();
  std::vector<datasets::Problem> problems = Load("gsm8k", "gsm8k/test.jsonl", 2);
  ASSERT_EQ(problems.size(), 2u);
  // Problem 0 (gold 18): wrong, right (a different spelling), wrong (same wrong answer),
  // no answer -> c = 1, majority of 4 = the wrong answer (2 votes vs 1).
  // Problem 1 (gold 3): right, wrong, right, wrong (another) -> c = 2; maj@4: 3 wins 2:1:1.
  const std::string& gold0 = problems[0].answer;
  const std::string& gold1 = problems[1].answer;
  ASSERT_EQ(gold0, "18");
  ASSERT_EQ(gold1, "3");
  std::vector<ProblemInput> inputs;
  inputs.push_back({problems[0], problems[0].prompt,
                    {Text("<answer>17</answer>"), Text("The answer is $\\boxed{18.0}$"),
                     Text("the answer is 17.00"), Text("I cannot tell.")}});
  inputs.push_back({problems[1], problems[1].prompt,
                    {Text("\\boxed{3}"), Text("\\boxed{4}"), Text("<answer>3</answer>"),
                     Text("\\boxed{5}")}});
  std::unique_ptr<Scorer> scorer = MakeScorer(MathOnly(), {datasets::TaskKind::kMath});
  ASSERT_NE(scorer, nullptr);
  std::vector<ProblemResult> results = scorer->Score(std::move(inputs));
  ASSERT_EQ(results.size(), 2u);
  std::vector<int> correct0, cluster0, cluster1;
  for (const ScoredSample& s : results[0].samples) correct0.push_back(s.correct);
  for (const ScoredSample& s : results[0].samples) cluster0.push_back(s.cluster);
  for (const ScoredSample& s : results[1].samples) cluster1.push_back(s.cluster);
  EXPECT_THAT(correct0, ElementsAre(0, 1, 0, 0));  // no answer is judged wrong (reward 0)
  EXPECT_THAT(cluster0, ElementsAre(0, 1, 0, -1));  // 17 and 17.00 are one answer
  EXPECT_THAT(cluster1, ElementsAre(0, 1, 0, 2));
  EXPECT_EQ(results[0].samples[1].extracted_answer, "18.0");
  EXPECT_EQ(results[0].samples[3].extracted_answer, "");
  EXPECT_EQ(results[0].num_correct(), 1);
  EXPECT_EQ(results[1].num_correct(), 2);

  EvalMetrics m = Summarize(StatsOf(results), true);
  // pass@1 = (1/4 + 2/4) / 2; pass@2 = ((1 - C(3,2)/C(4,2)) + (1 - C(2,2)/C(4,2))) / 2
  //        = (1/2 + 5/6) / 2; pass@4 = 1.
  EXPECT_THAT(m.pass_at_k, ElementsAre(Pair(1, DoubleNear(0.375, 1e-12)),
                                       Pair(2, DoubleNear((0.5 + 5.0 / 6.0) / 2, 1e-12)),
                                       Pair(4, DoubleNear(1.0, 1e-12))));
  // maj@1: 17 (wrong), 3 (right) -> 0.5; maj@2: 17 vs 18 tie -> 17 wrong; 3 vs 4 tie -> 3
  // right -> 0.5; maj@4: 17 wrong, 3 right -> 0.5.
  EXPECT_THAT(m.maj_at_k, ElementsAre(Pair(1, 0.5), Pair(2, 0.5), Pair(4, 0.5)));
}

TEST(ScorerTest, HumanEvalCanonicalSolutionsPassAndBrokenCodeFails) {
  ZERORL_REQUIRE_TEST_DATA();
  std::vector<datasets::Problem> problems = Load("humaneval", "humaneval/HumanEval.jsonl", 3);
  ASSERT_EQ(problems.size(), 3u);
  std::unique_ptr<Scorer> scorer = MakeScorer(MathOnly(), {datasets::TaskKind::kCode});
  ASSERT_NE(scorer, nullptr);
  EXPECT_EQ(scorer->CorrectnessFunction(datasets::TaskKind::kCode), "code_tests");
  EXPECT_THAT(scorer->function_names(), ElementsAre("math_accuracy", "code_tests"));
  std::vector<ProblemInput> inputs;
  for (const datasets::Problem& p : problems) {
    inputs.push_back({p, p.prompt,
                      {Text("```python\n" + p.prompt + p.solution + "```"),
                       Text("```python\ndef " + p.tests->entry_point + "(*args):\n    return None\n```")}});
  }
  std::vector<ProblemResult> results = scorer->Score(std::move(inputs));
  ASSERT_EQ(results.size(), 3u);
  for (const ProblemResult& r : results) {
    EXPECT_EQ(r.samples[0].correct, 1) << r.problem.id << ": " << r.samples[0].verdict;
    EXPECT_EQ(r.samples[1].correct, 0) << r.problem.id << ": " << r.samples[1].verdict;
    EXPECT_EQ(r.samples[0].extracted_answer, "");  // no math answers for code
    EXPECT_EQ(r.samples[0].cluster, -1);
  }
  EvalMetrics m = Summarize(StatsOf(results), false);
  EXPECT_THAT(m.pass_at_k, ElementsAre(Pair(1, 0.5), Pair(2, 1.0)));
}

TEST(ScorerTest, UnreadableGoldIsNotJudged) {
  datasets::Problem p;
  p.id = "x/0";
  p.dataset = "x";
  p.prompt = "?";
  p.answer = "\\frac{";  // the verifier cannot read this gold
  std::unique_ptr<Scorer> scorer = MakeScorer(MathOnly(), {datasets::TaskKind::kMath});
  ASSERT_NE(scorer, nullptr);
  std::vector<ProblemResult> results = scorer->Score({{p, p.prompt, {Text("\\boxed{1}")}}});
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].samples[0].correct, -1);
  EXPECT_THAT(results[0].samples[0].verdict, ::testing::HasSubstr("unverifiable"));
  EvalMetrics m = Summarize(StatsOf(results), true);
  EXPECT_EQ(m.unjudged_problems, 1);
  EXPECT_EQ(m.judged_problems, 0);
}

TEST(ScorerTest, BadRewardConfigNamesTheKey) {
  config::RewardConfig reward = MathOnly();
  reward.functions.push_back({});
  reward.functions.back().name = "format";
  reward.functions.back().format.pattern = "(";
  absl::StatusOr<std::unique_ptr<Scorer>> scorer =
      Scorer::Create(reward, {datasets::TaskKind::kMath}, {});
  EXPECT_THAT(scorer, StatusIs(absl::StatusCode::kInvalidArgument,
                               ::testing::HasSubstr("reward.functions[1]")));
}

}  // namespace
}  // namespace zerorl::eval
