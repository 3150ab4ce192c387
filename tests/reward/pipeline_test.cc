// The pipeline: weighting, not-applicable and error handling, the group shuffle control,
// counters, and the reward section of the config.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/reward/reward_testing.h"
#include "tests/testing/status_matchers.h"

namespace zerorl::reward {
namespace {

using reward_testing::MakePipeline;
using reward_testing::One;
using reward_testing::RewardConfigErrors;
using reward_testing::ScoreOne;
using ::testing::HasSubstr;
using ::zerorl::testing::IsOk;
using ::zerorl::testing::StatusIs;

wire::FunctionScore Mark(wire::ScoreMark mark, double value = 0.0) {
  return wire::FunctionScore{mark, value, ""};
}

TEST(CombineScoresTest, WeightedSumOfTheOkScores) {
  EXPECT_DOUBLE_EQ(
      CombineScores({Mark(wire::ScoreMark::kOk, 1.0), Mark(wire::ScoreMark::kOk, 0.5)}, {1.0, 0.1}),
      1.05);
  EXPECT_DOUBLE_EQ(
      CombineScores({Mark(wire::ScoreMark::kOk, 1.0), Mark(wire::ScoreMark::kOk, -1.0)},
                    {2.0, 0.5}),
      1.5);
}

TEST(CombineScoresTest, NotApplicableLeavesTheSumUntouched) {
  EXPECT_DOUBLE_EQ(
      CombineScores({Mark(wire::ScoreMark::kNotApplicable), Mark(wire::ScoreMark::kOk, 1.0)},
                    {1.0, 0.1}),
      0.1);
}

TEST(CombineScoresTest, NothingApplicableIsNaN) {
  EXPECT_TRUE(std::isnan(CombineScores(
      {Mark(wire::ScoreMark::kNotApplicable), Mark(wire::ScoreMark::kNotApplicable)}, {1.0, 1.0})));
  EXPECT_TRUE(std::isnan(CombineScores({}, {})));
}

TEST(CombineScoresTest, AnyErrorIsNaNNotAZero) {
  EXPECT_TRUE(std::isnan(
      CombineScores({Mark(wire::ScoreMark::kOk, 1.0), Mark(wire::ScoreMark::kError)}, {1.0, 0.1})));
}

TEST(RewardPipelineTest, WeightsCombineTheFunctionsAndRawScoresAreKept) {
  auto pipeline = MakePipeline(
      R"([{"name": "math_accuracy", "weight": 1.0}, {"name": "format", "weight": 0.25}])");
  ASSERT_EQ(pipeline->function_names(), (std::vector<std::string>{"math_accuracy", "format"}));
  SampleReward right = ScoreOne(*pipeline, {"<think>x</think><answer>4</answer>", "4"});
  EXPECT_DOUBLE_EQ(right.total, 1.25);
  EXPECT_DOUBLE_EQ(right.raw_total, 1.25);
  EXPECT_EQ(right.scores[0].value, 1.0);
  EXPECT_EQ(right.scores[1].value, 1.0);
  SampleReward wrong_format = ScoreOne(*pipeline, {"<answer>4</answer>", "4"});
  EXPECT_DOUBLE_EQ(wrong_format.total, 1.0);
  SampleReward no_gold = ScoreOne(*pipeline, {"<think>x</think><answer>4</answer>", ""});
  EXPECT_EQ(no_gold.scores[0].mark, wire::ScoreMark::kNotApplicable);
  EXPECT_DOUBLE_EQ(no_gold.total, 0.25);
}

TEST(RewardPipelineTest, SampleWithoutItsPromptGetsAnErrorFromEveryFunction) {
  auto pipeline = MakePipeline(R"([{"name": "math_accuracy"}, {"name": "format"}])");
  RewardBatch batch;
  batch.prompts.push_back({"Q", "4", ""});
  batch.samples.push_back({0, "<answer>4</answer>", 3});
  batch.samples.push_back({7, "<answer>4</answer>", 3});
  batch.samples.push_back({0, "<answer>5</answer>", 3});
  BatchRewards rewards = pipeline->Score(batch);
  ASSERT_EQ(rewards.samples.size(), 3u);
  EXPECT_EQ(rewards.samples[0].scores[0].value, 1.0);
  EXPECT_EQ(rewards.samples[2].scores[0].value, 0.0);
  for (const wire::FunctionScore& s : rewards.samples[1].scores) {
    EXPECT_EQ(s.mark, wire::ScoreMark::kError);
    EXPECT_EQ(s.detail, "the sample's prompt (index 7) is not in the batch of 1 prompts");
  }
  EXPECT_TRUE(std::isnan(rewards.samples[1].total));
  EXPECT_EQ(rewards.functions[0].ok, 2);
  EXPECT_EQ(rewards.functions[0].errors, 1);
  EXPECT_DOUBLE_EQ(rewards.functions[0].sum, 1.0);
}

TEST(RewardPipelineTest, CountersAccumulateOverBatches) {
  auto pipeline = MakePipeline(R"([{"name": "math_accuracy"}])");
  ScoreOne(*pipeline, {"<answer>4</answer>", "4"});
  ScoreOne(*pipeline, {"<answer>4</answer>", ""});
  std::map<std::string, double> c = pipeline->Counters();
  EXPECT_EQ(c["reward/batches"], 2);
  EXPECT_EQ(c["reward/samples"], 2);
  EXPECT_EQ(c["reward/math_accuracy/ok"], 1);
  EXPECT_EQ(c["reward/math_accuracy/not_applicable"], 1);
  EXPECT_EQ(c["reward/math_accuracy/errors"], 0);
  EXPECT_GE(c["reward/math_accuracy/seconds"], 0.0);
}

TEST(RewardPipelineTest, NoFunctionsIsRefused) {
  config::RewardConfig config;
  config.functions.clear();
  auto pipeline = RewardPipeline::Create(config, reward_testing::TestOptions());
  ASSERT_THAT(pipeline, StatusIs(absl::StatusCode::kInvalidArgument,
                                 "reward.functions: no reward function is configured"));
}

// ---- shuffle_within_group: the control run ----

std::multiset<double> Values(const std::vector<double>& v, const std::vector<uint64_t>& group,
                             uint64_t g) {
  std::multiset<double> out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (group[i] == g) out.insert(v[i]);
  }
  return out;
}

TEST(ShuffleWithinGroupsTest, PermutesEachGroupAmongItself) {
  std::vector<uint64_t> group = {0, 1, 0, 1, 0, 1, 0, 1, 2};
  std::vector<double> before = {0, 10, 1, 11, 2, 12, 3, 13, 99};
  std::vector<double> after = before;
  ShuffleWithinGroups(42, group, &after);
  for (uint64_t g : {0, 1, 2}) EXPECT_EQ(Values(before, group, g), Values(after, group, g));
  EXPECT_EQ(after[8], 99);  // a group of one stays put
  std::vector<double> again = before;
  ShuffleWithinGroups(42, group, &again);
  EXPECT_EQ(again, after);  // deterministic in the batch id
}

TEST(ShuffleWithinGroupsTest, DifferentBatchesGetDifferentPermutations) {
  std::vector<uint64_t> group(16, 5);
  std::vector<double> base(16);
  for (int i = 0; i < 16; ++i) base[i] = i;
  std::set<std::vector<double>> seen;
  int moved = 0;
  for (uint64_t batch = 0; batch < 20; ++batch) {
    std::vector<double> v = base;
    ShuffleWithinGroups(batch, group, &v);
    seen.insert(v);
    moved += v != base;
  }
  EXPECT_EQ(seen.size(), 20u);
  EXPECT_EQ(moved, 20);
}

TEST(ShuffleWithinGroupsTest, ThePipelineShufflesTotalsButNotRawScores) {
  auto pipeline = MakePipeline(R"([{"name": "math_accuracy"}])", R"("shuffle_within_group": true)");
  RewardBatch batch;
  batch.batch_id = 3;
  batch.prompts.push_back({"Q1", "1", ""});
  batch.prompts.push_back({"Q2", "2", ""});
  for (int i = 0; i < 8; ++i) {
    batch.samples.push_back({0, "<answer>" + std::to_string(i % 2) + "</answer>", 4});
    batch.samples.push_back({1, "<answer>" + std::to_string(2 * (i % 4 == 0)) + "</answer>", 4});
  }
  BatchRewards rewards = pipeline->Score(batch);
  std::vector<double> raw, total;
  std::vector<uint64_t> group;
  bool any_moved = false;
  for (size_t i = 0; i < batch.samples.size(); ++i) {
    const SampleReward& s = rewards.samples[i];
    EXPECT_EQ(s.raw_total, s.scores[0].value);  // raw stays with its sample
    raw.push_back(s.raw_total);
    total.push_back(s.total);
    group.push_back(batch.samples[i].prompt);
    any_moved |= s.total != s.raw_total;
  }
  EXPECT_TRUE(any_moved);
  EXPECT_EQ(Values(raw, group, 0), Values(total, group, 0));
  EXPECT_EQ(Values(raw, group, 1), Values(total, group, 1));
}

// ---- the reward section of the config ----

TEST(RewardConfigTest, UnknownFunctionNameSuggestsTheClosest) {
  EXPECT_EQ(RewardConfigErrors(R"({"functions": [{"name": "math_acuracy"}]})"),
            "test.json:1: reward.functions[0].name: unknown reward function \"math_acuracy\" "
            "(did you mean \"math_accuracy\"?); one of: math_accuracy, code_tests, countdown, "
            "format, length, language_consistency, plugin, remote (your own code: \"plugin\" or "
            "\"remote\")");
}

TEST(RewardConfigTest, AnotherFunctionsKeyIsUnknown) {
  EXPECT_THAT(RewardConfigErrors(R"({"functions": [{"name": "math_accuracy", "max_length": 5}]})"),
              HasSubstr("reward.functions[0].max_length: unknown key"));
  EXPECT_THAT(RewardConfigErrors(R"({"functions": [{"name": "length", "max_lenght": 5}]})"),
              HasSubstr("reward.functions[0].max_lenght: unknown key (did you mean \"max_length\"?)"));
}

TEST(RewardConfigTest, OptionsOfTheOtherModeAreRefused) {
  EXPECT_THAT(RewardConfigErrors(R"({"functions": [{"name": "format", "tags": ["<a>"]}]})"),
              HasSubstr("reward.functions[0].tags: applies to mode \"tag_count\" only"));
  EXPECT_THAT(RewardConfigErrors(
                  R"({"functions": [{"name": "length", "penalty": "linear", "buffer": 10}]})"),
              HasSubstr("reward.functions[0].buffer: applies to penalty \"dapo\" only"));
  EXPECT_THAT(RewardConfigErrors(
                  R"({"functions": [{"name": "length", "max_length": 10, "buffer": 11}]})"),
              HasSubstr("reward.functions[0].buffer: must be <= max_length (10), got 11"));
}

TEST(RewardConfigTest, PluginsNeedTheirTarget) {
  EXPECT_THAT(RewardConfigErrors(R"({"functions": [{"name": "plugin"}]})"),
              HasSubstr("reward.functions[0].library: required key is missing"));
  EXPECT_THAT(RewardConfigErrors(R"({"functions": [{"name": "remote"}]})"),
              HasSubstr("reward.functions[0].endpoint: required key is missing"));
  EXPECT_THAT(RewardConfigErrors(R"({"functions": [{"name": "remote", "endpoint": "localhost:1"}]})"),
              HasSubstr("must start with tcp://, ipc:// or inproc://, got \"localhost:1\""));
  EXPECT_THAT(RewardConfigErrors(R"({"functions": [{"name": "remote", "endpoint": "tcp://a:1", "library": "x"}]})"),
              HasSubstr("reward.functions[0].library: unknown key"));
}

TEST(RewardConfigTest, LabelsMustBeUnique) {
  EXPECT_THAT(RewardConfigErrors(R"({"functions": [{"name": "length"}, {"name": "length"}]})"),
              HasSubstr("reward.functions[1].label: reward function label \"length\" is used "
                        "twice; give each function of one kind its own \"label\""));
  EXPECT_EQ(RewardConfigErrors(R"({"functions": [{"name": "length"},
                                                 {"name": "length", "label": "length_cos",
                                                  "penalty": "cosine"}]})"),
            "");
}

TEST(RewardConfigTest, ResolvedConfigShowsOnlyEachFunctionsOwnKeysAndReadsBack) {
  absl::StatusOr<config::Config> config = config::LoadConfigFromSources(
      {{"a.json", R"({"reward": {"shuffle_within_group": true, "functions": [
          {"name": "length", "max_length": 64}, {"name": "remote", "endpoint": "tcp://h:1"}]}})"}},
      {});
  ASSERT_THAT(config, IsOk());
  std::string json = config::ConfigToJson(*config);
  EXPECT_THAT(json, HasSubstr("\"shuffle_within_group\": true"));
  EXPECT_THAT(json, HasSubstr("\"penalty\": \"dapo\""));
  EXPECT_THAT(json, ::testing::Not(HasSubstr("\"pattern\"")));
  absl::StatusOr<config::Config> again =
      config::LoadConfigFromSources({{"resolved.json", json}}, {});
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(config::ConfigToJson(*again), json);
  EXPECT_EQ(again->reward.functions[0].length.max_length, 64);
  EXPECT_EQ(again->reward.functions[1].plugin.endpoint, "tcp://h:1");
}

TEST(RewardConfigTest, DefaultsAreMathAccuracyAndAWeakFormat) {
  config::RewardConfig config;
  ASSERT_EQ(config.functions.size(), 2u);
  EXPECT_EQ(config.functions[0].name, "math_accuracy");
  EXPECT_EQ(config.functions[1].name, "format");
  EXPECT_EQ(config.functions[1].weight, 0.1);
  EXPECT_FALSE(config.shuffle_within_group);
}

}  // namespace
}  // namespace zerorl::reward
