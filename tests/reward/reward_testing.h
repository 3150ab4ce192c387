// Helpers for the reward tests: pipelines built from config text (so every test also goes
// through the config reader), and one-sample scoring.
#ifndef ZERORL_TESTS_REWARD_REWARD_TESTING_H_
#define ZERORL_TESTS_REWARD_REWARD_TESTING_H_

#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "gtest/gtest.h"
#include "reward/reward.h"

namespace zerorl::reward_testing {

// The reward section of {"reward": {"functions": FUNCTIONS_JSON, EXTRA}}; fails the test
// when the config does not read.
inline config::RewardConfig RewardSection(const std::string& functions_json,
                                          const std::string& extra = "") {
  std::string text = "{\"reward\": {\"functions\": " + functions_json +
                     (extra.empty() ? "" : ", " + extra) + "}}";
  absl::StatusOr<config::Config> config = config::LoadConfigFromSources({{"test.json", text}}, {});
  EXPECT_TRUE(config.ok()) << config.status();
  return config.ok() ? config->reward : config::RewardConfig{};
}

// The config errors for a reward section ("" when it reads).
inline std::string RewardConfigErrors(const std::string& reward_json) {
  absl::StatusOr<config::Config> config =
      config::LoadConfigFromSources({{"test.json", "{\"reward\": " + reward_json + "}"}}, {});
  return config.ok() ? "" : std::string(config.status().message());
}

inline reward::RewardPipelineOptions TestOptions() {
  reward::RewardPipelineOptions options;
  options.default_max_length = 100;
  options.plugin_host = {ZERORL_TEST_PLUGIN_HOST};
  return options;
}

inline std::unique_ptr<reward::RewardPipeline> MakePipeline(const std::string& functions_json,
                                                    const std::string& extra = "") {
  absl::StatusOr<std::unique_ptr<reward::RewardPipeline>> pipeline =
      reward::RewardPipeline::Create(RewardSection(functions_json, extra), TestOptions());
  EXPECT_TRUE(pipeline.ok()) << pipeline.status();
  return pipeline.ok() ? std::move(*pipeline) : nullptr;
}

struct One {
  One(std::string c, std::string a = "") : completion(std::move(c)), answer(std::move(a)) {}
  std::string completion;
  std::string answer;
  std::string prompt = "Question?";
  std::string metadata;
  int64_t num_tokens = -1;
};

// Scores one sample; returns its SampleReward.
inline reward::SampleReward ScoreOne(reward::RewardPipeline& pipeline, const One& one) {
  reward::RewardBatch batch;
  batch.prompts.push_back({one.prompt, one.answer, one.metadata});
  batch.samples.push_back({0, one.completion, one.num_tokens});
  reward::BatchRewards rewards = pipeline.Score(batch);
  return rewards.samples.at(0);
}

// The first function's score for one sample.
inline wire::FunctionScore FirstScore(reward::RewardPipeline& pipeline, const One& one) {
  return ScoreOne(pipeline, one).scores.at(0);
}

}  // namespace zerorl::reward_testing

#endif  // ZERORL_TESTS_REWARD_REWARD_TESTING_H_
