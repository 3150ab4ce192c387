#include "train/evaluation.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/train/scored_batches.h"

namespace zerorl::train {
namespace {

using ::testing::DoubleEq;
using ::testing::ElementsAre;
using ::testing::Pair;
using ::zerorl::testing::ErrorScore;
using ::zerorl::testing::NotApplicableScore;
using ::zerorl::testing::OkScore;
using ::zerorl::testing::ScoredBatchBuilder;

constexpr uint64_t kP = 1 << 20;
constexpr uint64_t kQ = (1 << 20) + 1;

config::RewardConfig Functions(std::vector<std::pair<std::string, std::string>> names_labels) {
  config::RewardConfig reward;
  reward.functions.clear();
  for (const auto& [name, label] : names_labels) {
    config::RewardFunctionConfig f;
    f.name = name;
    f.label = label;
    reward.functions.push_back(f);
  }
  return reward;
}

std::vector<int> Correct(const eval::ProblemStats& p) {
  std::vector<int> correct;
  for (const eval::SampleStats& s : p.samples) correct.push_back(s.correct);
  return correct;
}

TEST(CorrectnessFunctionTest, FirstCheckerAmongTheRewardFunctions) {
  EXPECT_EQ(CorrectnessFunction(Functions({{"format", ""}, {"countdown", ""},
                                           {"math_accuracy", ""}})),
            "countdown");
  EXPECT_EQ(CorrectnessFunction(config::RewardConfig()), "math_accuracy");  // the default
  EXPECT_EQ(CorrectnessFunction(Functions({{"format", ""}, {"length", ""}})), "");
}

TEST(CorrectnessFunctionTest, NamesTheFunctionByItsLabel) {
  EXPECT_EQ(CorrectnessFunction(Functions({{"code_tests", "tests"}})), "tests");
}

TEST(ProblemStatsOfTest, OneProblemPerPromptJudgedByTheCorrectnessFunction) {
  std::vector<controller::ScoredBatch> batches = {
      ScoredBatchBuilder(1, {"format", "math_accuracy"})
          .Prompt(kP)
          .Prompt(kQ)
          .Completion(kP, 4, {OkScore(1), OkScore(1)}, 1.1)
          .Completion(kQ, 2, {OkScore(1), OkScore(0.5)}, 0.6, wire::FinishReason::kLength)
          .Completion(kP, 3, {OkScore(0), NotApplicableScore()}, 0.5)
          .Completion(kQ, 5, {OkScore(0), ErrorScore()}, 0.0)
          .Completion(kQ, 6, {OkScore(0), OkScore(1.0 - 1e-12)}, 1.0)
          .Build()};
  StepSamples samples = CollectSamples(batches, 0, -1);
  std::vector<eval::ProblemStats> problems = ProblemStatsOf(samples, "math_accuracy");
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_THAT(Correct(problems[0]), ElementsAre(1, 0));     // prompt kP, first seen
  EXPECT_THAT(Correct(problems[1]), ElementsAre(0, 0, 1));  // 0.5 is not correct
  EXPECT_EQ(problems[1].samples[0].length, 2);
  EXPECT_EQ(problems[1].samples[0].truncated, 1);
  EXPECT_EQ(problems[1].samples[1].truncated, 0);
}

TEST(ProblemStatsOfTest, WithoutACorrectnessFunctionAPositiveTotalIsCorrect) {
  std::vector<controller::ScoredBatch> batches = {
      ScoredBatchBuilder(1, {"format"})
          .Prompt(kP)
          .Completion(kP, 1, {OkScore(0.2)}, 0.2)
          .Completion(kP, 1, {OkScore(0)}, 0.0)
          .Build()};
  StepSamples samples = CollectSamples(batches, 0, -1);
  std::vector<eval::ProblemStats> problems = ProblemStatsOf(samples, "");
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_THAT(Correct(problems[0]), ElementsAre(1, 0));
}

TEST(SummarizeEvalSetTest, PassAtOneAndK) {
  // Problem 1: one of two samples right; problem 2: both. Lengths 2, 4, 6, 8; one truncated.
  std::vector<eval::ProblemStats> problems(2);
  problems[0].samples = {{1, 2, 0, -1}, {0, 4, 1, -1}};
  problems[1].samples = {{1, 6, 0, -1}, {1, 8, 0, -1}};
  EvalResult r = SummarizeEvalSet("gsm8k", problems);
  EXPECT_EQ(r.dataset, "gsm8k");
  EXPECT_EQ(r.problems, 2);
  EXPECT_DOUBLE_EQ(r.accuracy, 0.75);
  EXPECT_THAT(r.pass_at_k, ElementsAre(Pair(2, DoubleEq(1.0))));
  EXPECT_DOUBLE_EQ(r.mean_length, 5.0);
  EXPECT_DOUBLE_EQ(r.truncated_ratio, 0.25);
  EXPECT_EQ(r.seconds, 0.0);
}

TEST(AddEvalMetricsTest, NamesPerDataset) {
  EvalResult a;
  a.dataset = "gsm8k";
  a.problems = 10;
  a.accuracy = 0.5;
  a.pass_at_k = {{2, 0.7}, {4, 0.8}};
  a.mean_length = 120.0;
  a.truncated_ratio = 0.1;
  a.seconds = 3.5;
  EvalResult b;
  b.dataset = "math500";
  b.problems = 5;
  metrics::MetricsRow row;
  AddEvalMetrics({a, b}, &row);
  EXPECT_THAT(row.Numbers(),
              ElementsAre(Pair("eval/gsm8k/pass@1", 0.5), Pair("eval/gsm8k/pass@2", 0.7),
                          Pair("eval/gsm8k/pass@4", 0.8), Pair("eval/gsm8k/mean_length", 120.0),
                          Pair("eval/gsm8k/truncated_ratio", 0.1),
                          Pair("eval/gsm8k/problems", 10), Pair("timing/eval_gsm8k_s", 3.5),
                          Pair("eval/math500/pass@1", 0.0),
                          Pair("eval/math500/mean_length", 0.0),
                          Pair("eval/math500/truncated_ratio", 0.0),
                          Pair("eval/math500/problems", 5), Pair("timing/eval_math500_s", 0.0)));
}

TEST(EvalSamplingLabelTest, GreedyOrSamplesAtATemperature) {
  config::RunConfig run;
  run.eval_samples = 1;
  run.eval_temperature = 0.0;
  EXPECT_EQ(EvalSamplingLabel(run), "greedy");
  run.eval_samples = 8;
  run.eval_temperature = 0.6;
  EXPECT_EQ(EvalSamplingLabel(run), "8 samples at T=0.6");
  run.eval_samples = 1;
  EXPECT_EQ(EvalSamplingLabel(run), "1 sample at T=0.6");
}

}  // namespace
}  // namespace zerorl::train
