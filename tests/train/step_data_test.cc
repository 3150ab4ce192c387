#include "train/step_data.h"

#include <cmath>
#include <set>

#include "core/json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/train/scored_batches.h"

namespace zerorl::train {
namespace {

using ::testing::DoubleEq;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::zerorl::testing::ErrorScore;
using ::zerorl::testing::NotApplicableScore;
using ::zerorl::testing::OkScore;
using ::zerorl::testing::ScoredBatchBuilder;

constexpr uint64_t kP = 1 << 20;  // prompt 0 of batch 1
constexpr uint64_t kQ = 2 << 20;  // prompt 0 of batch 2

// One group of four scored by math_accuracy and format: 1.5 (stop), 0 (length), an aborted
// sample, and one with no applicable score and a failed one.
controller::ScoredBatch MixedGroup() {
  return ScoredBatchBuilder(1, {"math_accuracy", "format"})
      .Prompt(kP, 3)
      .Completion(kP, 4, {OkScore(1.0), OkScore(0.5)}, 1.5)
      .Completion(kP, 6, {OkScore(0.0), OkScore(0.0)}, 0.0, wire::FinishReason::kLength)
      .Completion(kP, 2, {OkScore(0.0), OkScore(0.0)}, 0.0, wire::FinishReason::kAbort)
      .Completion(kP, 8, {NotApplicableScore("no answer"), ErrorScore("timeout")}, 0.0)
      .Build();
}

// MixedGroup() and a second group of one sample, solved, with both rewards 1.
std::vector<controller::ScoredBatch> MixedGroupAndASolvedOne() {
  return {MixedGroup(), ScoredBatchBuilder(2, {"math_accuracy", "format"})
                            .Prompt(kQ)
                            .Completion(kQ, 1, {OkScore(1), OkScore(1)}, 2)
                            .Build()};
}

rapidjson::Document Parse(const metrics::MetricsRow& row) {
  absl::StatusOr<rapidjson::Document> doc = core::ParseJson(row.ToJson());
  EXPECT_TRUE(doc.ok()) << doc.status();
  return doc.ok() ? std::move(*doc) : rapidjson::Document();
}

TEST(CollectSamplesTest, SamplesCarryTheirPromptCompletionAndReward) {
  std::vector<controller::ScoredBatch> batches = {MixedGroup()};
  StepSamples step = CollectSamples(batches, /*learner_version=*/0, /*max_staleness=*/-1);
  ASSERT_EQ(step.samples.size(), 4u);
  ASSERT_EQ(step.origins.size(), 4u);
  const learner::Sample& s = step.samples[0];
  EXPECT_THAT(s.prompt_ids, ElementsAre(10, 11, 12));
  EXPECT_THAT(s.completion_ids, ElementsAre(100, 101, 102, 103));
  EXPECT_THAT(s.completion_logprobs, ElementsAre(-0.5f, -0.5f, -0.5f, -0.5f));
  EXPECT_EQ(s.reward, 1.5);
  EXPECT_EQ(s.group_id, static_cast<int64_t>(kP));
  EXPECT_FALSE(s.truncated);
  EXPECT_TRUE(step.samples[1].truncated);  // finish_reason "length"
  EXPECT_EQ(step.samples[1].reward, 0.0);
  EXPECT_EQ(step.origins[1].prompt, &batches[0].batch.prompts[0]);
  EXPECT_EQ(step.origins[1].completion, &batches[0].rollouts.completions[1]);
  EXPECT_EQ(step.origins[1].score, &batches[0].scores.completions[1]);
  EXPECT_EQ(step.origins[1].functions, &batches[0].scores.functions);
}

TEST(CollectSamplesTest, AbortedUnscoredOrFailedSamplesHaveNoReward) {
  std::vector<controller::ScoredBatch> batches = {MixedGroup()};
  StepSamples step = CollectSamples(batches, 0, -1);
  EXPECT_TRUE(std::isnan(step.samples[2].reward));  // aborted
  EXPECT_TRUE(std::isnan(step.samples[3].reward));  // not applicable + error
  EXPECT_EQ(step.excluded, 2);
  EXPECT_EQ(step.dropped_stale, 0);
}

TEST(CollectSamplesTest, OneFailedFunctionExcludesTheSample) {
  std::vector<controller::ScoredBatch> batches = {
      ScoredBatchBuilder(1, {"a", "b"})
          .Prompt(kP)
          .Completion(kP, 1, {OkScore(1.0), ErrorScore()}, 1.0)
          .Completion(kP, 1, {OkScore(1.0), NotApplicableScore()}, 1.0)
          .Build()};
  StepSamples step = CollectSamples(batches, 0, -1);
  EXPECT_TRUE(std::isnan(step.samples[0].reward));
  EXPECT_EQ(step.samples[1].reward, 1.0);  // one ok score and none failed
  EXPECT_EQ(step.excluded, 1);
}

TEST(CollectSamplesTest, StaleSamplesDroppedOnlyWithMaxStaleness) {
  auto batches = [] {
    return std::vector<controller::ScoredBatch>{
        ScoredBatchBuilder(1, {"a"})
            .Prompt(kP)
            .Completion(kP, 1, {OkScore(1)}, 1, wire::FinishReason::kStop, /*version=*/5)
            .Completion(kP, 1, {OkScore(1)}, 1, wire::FinishReason::kStop, /*version=*/3)
            .Completion(kP, 1, {OkScore(1)}, 1, wire::FinishReason::kStop, /*version=*/2)
            .Build()};
  };
  std::vector<controller::ScoredBatch> a = batches();
  StepSamples bounded = CollectSamples(a, /*learner_version=*/5, /*max_staleness=*/2);
  EXPECT_EQ(bounded.samples.size(), 2u);
  EXPECT_EQ(bounded.dropped_stale, 1);
  EXPECT_EQ(bounded.mean_policy_lag, 1.0);  // lags 0 and 2
  EXPECT_EQ(bounded.max_policy_lag, 2);
  EXPECT_EQ(bounded.samples[1].policy_version, 3);

  std::vector<controller::ScoredBatch> b = batches();
  StepSamples unbounded = CollectSamples(b, 5, -1);
  EXPECT_EQ(unbounded.samples.size(), 3u);
  EXPECT_EQ(unbounded.dropped_stale, 0);
  EXPECT_DOUBLE_EQ(unbounded.mean_policy_lag, 5.0 / 3);
  EXPECT_EQ(unbounded.max_policy_lag, 3);
}

TEST(CollectSamplesTest, BatchesInOrder) {
  std::vector<controller::ScoredBatch> batches = {
      ScoredBatchBuilder(1, {"a"}).Prompt(kP).Completion(kP, 1, {OkScore(0)}, 0).Build(),
      ScoredBatchBuilder(2, {"a"}).Prompt(kQ).Completion(kQ, 1, {OkScore(1)}, 1).Build()};
  StepSamples step = CollectSamples(batches, 0, -1);
  ASSERT_EQ(step.samples.size(), 2u);
  EXPECT_EQ(step.samples[0].group_id, static_cast<int64_t>(kP));
  EXPECT_EQ(step.samples[1].group_id, static_cast<int64_t>(kQ));
}

TEST(AddSampleMetricsTest, TrlNamesAndValues) {
  std::vector<controller::ScoredBatch> batches = {MixedGroup()};
  StepSamples step = CollectSamples(batches, 0, -1);
  metrics::MetricsRow row;
  SampleSummary summary = AddSampleMetrics(step, &row);
  EXPECT_THAT(row.Numbers(),
              ElementsAre(Pair("reward/mean", 0.75),  // 1.5 and 0; the others have none
                          Pair("reward/std", 0.75),
                          Pair("reward/math_accuracy/mean", DoubleEq(1.0 / 3)),  // 3 ok
                          Pair("reward/math_accuracy/not_applicable", 1),
                          Pair("reward/format/mean", DoubleEq(0.5 / 3)),
                          Pair("reward/format/errors", 1),
                          Pair("completions/mean_length", 5.0),  // (4 + 6 + 2 + 8) / 4
                          Pair("completions/max_length", 8),
                          Pair("completions/clipped_ratio", 0.25),
                          Pair("completions/aborted", 1), Pair("samples/count", 4),
                          Pair("samples/excluded", 2)));
  EXPECT_EQ(summary.reward_mean, 0.75);
  EXPECT_EQ(summary.mean_length, 5.0);
  EXPECT_THAT(summary.function_means,
              ElementsAre(Pair("format", DoubleEq(0.5 / 3)),
                          Pair("math_accuracy", DoubleEq(1.0 / 3))));
}

TEST(AddSampleMetricsTest, NoSamplesWritesNullRewards) {
  metrics::MetricsRow row;
  SampleSummary summary = AddSampleMetrics(StepSamples(), &row);
  EXPECT_EQ(row.ToJson(),
            R"({"reward/mean":null,"reward/std":null,"completions/mean_length":0.0,)"
            R"("completions/max_length":0,"completions/clipped_ratio":0.0,"samples/count":0,)"
            R"("samples/excluded":0})");
  EXPECT_TRUE(std::isnan(summary.reward_mean));
  EXPECT_EQ(summary.mean_length, 0.0);
}

TEST(SampleRowsTest, FirstGroupAlwaysWithEveryField) {
  // SampleOrigin points into the batches: they outlive `step`.
  const std::vector<controller::ScoredBatch> batches = MixedGroupAndASolvedOne();
  StepSamples step = CollectSamples(batches, 0, -1);
  SampleLogOptions log;
  log.step = 9;
  log.fraction = 0.0;
  std::vector<metrics::MetricsRow> rows =
      SampleRows(step, torch::tensor({0.5f, -0.5f, 0.0f, 0.0f, 1.0f}), log);
  ASSERT_EQ(rows.size(), 4u);  // the first group only
  EXPECT_EQ(rows[0].ToJson(),
            R"({"schema":1,"step":9,"split":"train","policy_version":0,"prompt_id":1048576,)"
            R"("sample_index":0,"prompt":"prompt 1048576","completion":"completion 0",)"
            R"("answer":"1048576","reward":1.5,"finish_reason":"stop","num_tokens":4,)"
            R"("advantage":0.5,"rewards":{"math_accuracy":1.0,"format":0.5}})");
  rapidjson::Document last = Parse(rows[3]);
  EXPECT_TRUE(last["reward"].IsNull());
  EXPECT_TRUE(last["rewards"]["math_accuracy"].IsNull());
  EXPECT_STREQ(last["reward_marks"]["math_accuracy"].GetString(), "not_applicable: no answer");
  EXPECT_STREQ(last["reward_marks"]["format"].GetString(), "error: timeout");
  EXPECT_STREQ(Parse(rows[2])["finish_reason"].GetString(), "abort");
}

TEST(SampleRowsTest, FractionOneLogsEverySampleAndNoAdvantageWithoutOne) {
  // SampleOrigin points into the batches: they outlive `step`.
  const std::vector<controller::ScoredBatch> batches = MixedGroupAndASolvedOne();
  StepSamples step = CollectSamples(batches, 0, -1);
  SampleLogOptions log;
  log.split = "eval/gsm8k";
  log.fraction = 1.0;
  std::vector<metrics::MetricsRow> rows = SampleRows(step, torch::Tensor(), log);
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_STREQ(Parse(rows[4])["split"].GetString(), "eval/gsm8k");
  EXPECT_THAT(rows[4].ToJson(), ::testing::Not(HasSubstr("advantage")));
}

TEST(SampleRowsTest, SeededDrawOfTheOtherGroups) {
  ScoredBatchBuilder builder(1, {"a"});
  for (uint64_t g = 0; g < 200; ++g) {
    builder.Prompt(kP + g).Completion(kP + g, 1, {OkScore(1)}, 1);
  }
  std::vector<controller::ScoredBatch> batches = {builder.Build()};
  StepSamples step = CollectSamples(batches, 0, -1);
  auto logged = [&](uint64_t seed, int64_t at_step) {
    SampleLogOptions log;
    log.step = at_step;
    log.seed = seed;
    log.fraction = 0.25;
    std::set<std::string> prompts;
    for (const metrics::MetricsRow& r : SampleRows(step, torch::Tensor(), log)) {
      prompts.insert(Parse(r)["prompt"].GetString());
    }
    return prompts;
  };
  std::set<std::string> a = logged(1, 3);
  EXPECT_EQ(a, logged(1, 3));  // the same draw every time
  EXPECT_NE(a, logged(2, 3));
  EXPECT_NE(a, logged(1, 4));
  EXPECT_TRUE(a.count("prompt 1048576"));  // the first group
  EXPECT_GT(a.size(), 25u);                // about 1 + 199 / 4
  EXPECT_LT(a.size(), 80u);
}

TEST(SampleRowsTest, NoSamplesNoRows) {
  EXPECT_TRUE(SampleRows(StepSamples(), torch::Tensor(), SampleLogOptions()).empty());
}

}  // namespace
}  // namespace zerorl::train
