#include "gtest/gtest.h"
#include "rollout/engine.h"

namespace zerorl::rollout {
namespace {

TEST(EngineOptionsFromConfigTest, DefaultsOfTheRunConfig) {
  const config::Config config;
  const EngineOptions options = EngineOptionsFromConfig(config);
  EXPECT_EQ(options.max_batch, config.rollout.max_batch);
  EXPECT_EQ(options.pack_weights, config.rollout.fast_cpu);
  EXPECT_TRUE(options.pack_weights);  // rollout.fast_cpu is on by default
  EXPECT_EQ(options.threads, 0);      // the process's own
  EXPECT_TRUE(options.eos_token_ids.empty());
  // What the config does not say keeps the engine's defaults.
  EXPECT_EQ(options.max_seq_len, EngineOptions().max_seq_len);
  EXPECT_EQ(options.max_prefill_tokens, EngineOptions().max_prefill_tokens);
  EXPECT_EQ(options.share_prefix, EngineOptions().share_prefix);
}

TEST(EngineOptionsFromConfigTest, FollowsRolloutAndModelKeys) {
  config::Config config;
  config.rollout.max_batch = 12;
  config.rollout.fast_cpu = false;
  config.model.threads = 3;
  const EngineOptions options = EngineOptionsFromConfig(config);
  EXPECT_EQ(options.max_batch, 12);
  EXPECT_FALSE(options.pack_weights);
  EXPECT_EQ(options.threads, 3);
}

}  // namespace
}  // namespace zerorl::rollout
