#include "train/step_metrics.h"

#include <algorithm>
#include <cmath>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/train/scored_batches.h"

namespace zerorl::train {
namespace {

using ::testing::DoubleEq;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::StartsWith;
using ::zerorl::testing::OkScore;
using ::zerorl::testing::ScoredBatchBuilder;

std::vector<std::string> Names(const metrics::MetricsRow& row) {
  std::vector<std::string> names;
  for (const auto& [name, value] : row.Numbers()) names.push_back(name);
  return names;
}

double Value(const metrics::MetricsRow& row, const std::string& name) {
  for (const auto& [n, value] : row.Numbers()) {
    if (n == name) return value;
  }
  ADD_FAILURE() << "no " << name << " in " << row.ToJson();
  return std::nan("");
}

// Two batches of one prompt each: 4 + 6 and 5 completion tokens.
std::vector<controller::ScoredBatch> TwoBatches() {
  return {ScoredBatchBuilder(1, {"math_accuracy"})
              .Prompt(1 << 20)
              .Completion(1 << 20, 4, {OkScore(1.0)}, 1.0)
              .Completion(1 << 20, 6, {OkScore(0.0)}, 0.0)
              .Seconds(3.0, 2.0)
              .Build(),
          ScoredBatchBuilder(2, {"math_accuracy"})
              .Prompt(2 << 20)
              .Completion(2 << 20, 5, {OkScore(1.0)}, 1.0)
              .Seconds(5.0, 1.0)
              .Build()};
}

ClusterSnapshot SomeCluster() {
  ClusterSnapshot cluster;
  cluster.stats.rollout_workers = 2;
  cluster.stats.reward_workers = 1;
  cluster.stats.workers_lost = 1;
  cluster.stats.redispatched = 3;
  cluster.stats.duplicates = 4;
  cluster.worker_metrics["rollout-0"] = {{"decode_tokens_per_s", 120.0}};
  cluster.worker_metrics["reward-0"] = {{"scored", 9.0}};
  return cluster;
}

TEST(SummarizeRolloutWorkTest, SlowestBatchTimesAndTotals) {
  RolloutWork work = SummarizeRolloutWork(TwoBatches());
  EXPECT_EQ(work.generate_s, 5.0);
  EXPECT_EQ(work.reward_s, 2.0);
  EXPECT_EQ(work.rollout_busy_s, 8.0);
  EXPECT_EQ(work.tokens, 15);
}

TEST(SummarizeRolloutWorkTest, NoBatchesNoWork) {
  RolloutWork work = SummarizeRolloutWork({});
  EXPECT_EQ(work.generate_s, 0.0);
  EXPECT_EQ(work.rollout_busy_s, 0.0);
  EXPECT_EQ(work.tokens, 0);
}

TEST(AddGrpoStepMetricsTest, SyncRowNamesAndValues) {
  std::vector<controller::ScoredBatch> batches = TwoBatches();
  StepSamples samples = CollectSamples(batches, /*learner_version=*/4, /*max_staleness=*/-1);
  metrics::MetricsRow row;
  SampleSummary summary =
      AddGrpoStepMetrics(7, samples, {{"loss", 0.25}, {"kl", 0.01}}, /*policy_version=*/5,
                         /*async=*/false, SomeCluster(), &row);
  EXPECT_THAT(row.ToJson(), StartsWith(R"({"step":7,"phase":"grpo","reward/mean":)"));
  EXPECT_THAT(
      Names(row),
      ElementsAre("step", "reward/mean", "reward/std", "reward/math_accuracy/mean",
                  "completions/mean_length", "completions/max_length",
                  "completions/clipped_ratio", "samples/count", "samples/excluded", "kl", "loss",
                  "policy_version", "workers/rollout", "workers/reward", "workers/lost",
                  "ledger/redispatched", "ledger/duplicates_dropped",
                  "worker/reward-0/scored", "worker/rollout-0/decode_tokens_per_s"));
  EXPECT_THAT(Value(row, "reward/mean"), DoubleEq(2.0 / 3));
  EXPECT_EQ(Value(row, "completions/mean_length"), 5.0);
  EXPECT_EQ(Value(row, "loss"), 0.25);
  EXPECT_EQ(Value(row, "policy_version"), 5);
  EXPECT_EQ(Value(row, "workers/rollout"), 2);
  EXPECT_EQ(Value(row, "workers/reward"), 1);
  EXPECT_EQ(Value(row, "workers/lost"), 1);
  EXPECT_EQ(Value(row, "ledger/redispatched"), 3);
  EXPECT_EQ(Value(row, "ledger/duplicates_dropped"), 4);
  EXPECT_EQ(Value(row, "worker/rollout-0/decode_tokens_per_s"), 120.0);
  EXPECT_THAT(summary.reward_mean, DoubleEq(2.0 / 3));
  EXPECT_EQ(summary.mean_length, 5.0);
}

TEST(AddGrpoStepMetricsTest, AsyncAddsStalenessAfterPolicyVersion) {
  std::vector<controller::ScoredBatch> batches = {
      ScoredBatchBuilder(1, {"math_accuracy"})
          .Prompt(1 << 20)
          .Completion(1 << 20, 4, {OkScore(1.0)}, 1.0, wire::FinishReason::kStop, /*version=*/3)
          .Completion(1 << 20, 4, {OkScore(1.0)}, 1.0, wire::FinishReason::kStop, /*version=*/4)
          .Completion(1 << 20, 4, {OkScore(1.0)}, 1.0, wire::FinishReason::kStop, /*version=*/1)
          .Build()};
  StepSamples samples = CollectSamples(batches, /*learner_version=*/4, /*max_staleness=*/2);
  metrics::MetricsRow row;
  AddGrpoStepMetrics(5, samples, {}, 4, /*async=*/true, ClusterSnapshot(), &row);
  std::vector<std::string> names = Names(row);
  auto version = std::find(names.begin(), names.end(), "policy_version");
  ASSERT_NE(version, names.end());
  EXPECT_THAT(std::vector<std::string>(version, version + 4),
              ElementsAre("policy_version", "async/dropped_stale", "async/policy_lag_mean",
                          "async/policy_lag_max"));
  EXPECT_EQ(Value(row, "async/dropped_stale"), 1);    // version 1 is 3 behind
  EXPECT_EQ(Value(row, "async/policy_lag_mean"), 0.5);  // lags 1 and 0
  EXPECT_EQ(Value(row, "async/policy_lag_max"), 1);
}

TEST(AddGrpoStepMetricsTest, SyncRowHasNoAsyncMetrics) {
  std::vector<controller::ScoredBatch> batches = TwoBatches();
  metrics::MetricsRow row;
  AddGrpoStepMetrics(1, CollectSamples(batches, 0, -1), {}, 0, false, ClusterSnapshot(), &row);
  EXPECT_THAT(row.ToJson(), ::testing::Not(HasSubstr("async/")));
}

TEST(AddStepTimingMetricsTest, NamesAndValues) {
  StepTimings t;
  t.step_s = 10.0;
  t.wait_s = 4.0;
  t.learner_s = 3.0;
  t.weight_sync_s = 0.5;
  t.eval_s = 1.0;
  t.elapsed_s = 100.0;
  t.unix_time_s = 1700000000.25;
  RolloutWork work;
  work.generate_s = 3.5;
  work.reward_s = 1.5;
  work.rollout_busy_s = 8.0;
  work.tokens = 2000;
  metrics::MetricsRow row;
  AddStepTimingMetrics(t, work, /*rollout_workers=*/2, &row);
  EXPECT_THAT(row.Numbers(),
              ElementsAre(Pair("timing/step_s", 10.0), Pair("timing/wait_s", 4.0),
                          Pair("timing/generate_s", 3.5), Pair("timing/reward_s", 1.5),
                          Pair("timing/learner_s", 3.0), Pair("timing/weight_sync_s", 0.5),
                          Pair("timing/eval_s", 1.0), Pair("timing/idle_s", 4.0),
                          Pair("timing/rollout_busy_fraction", 0.4),  // 8 / (2 * 10)
                          Pair("throughput/tokens_per_s", 200.0), Pair("time", 1700000000.25),
                          Pair("elapsed_s", 100.0)));
}

TEST(AddStepTimingMetricsTest, ZeroStepTimeGivesZeroRates) {
  RolloutWork work;
  work.rollout_busy_s = 8.0;
  work.tokens = 2000;
  metrics::MetricsRow row;
  AddStepTimingMetrics(StepTimings(), work, 2, &row);
  EXPECT_EQ(Value(row, "timing/rollout_busy_fraction"), 0.0);
  EXPECT_EQ(Value(row, "throughput/tokens_per_s"), 0.0);
}

TEST(AddStepTimingMetricsTest, NoRolloutWorkersCountsAsOne) {
  StepTimings t;
  t.step_s = 4.0;
  RolloutWork work;
  work.rollout_busy_s = 2.0;
  metrics::MetricsRow row;
  AddStepTimingMetrics(t, work, /*rollout_workers=*/0, &row);
  EXPECT_EQ(Value(row, "timing/rollout_busy_fraction"), 0.5);
}

}  // namespace
}  // namespace zerorl::train
