#include "learner/batch.h"

#include <cmath>
#include <limits>

#include <torch/torch.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace zerorl::learner {
namespace {

using ::testing::HasSubstr;

torch::Tensor Row(std::vector<float> v) { return torch::tensor(v); }

Sample MakeSample(std::vector<int32_t> prompt, std::vector<int32_t> completion, double reward,
                  int64_t group) {
  Sample s;
  s.prompt_ids = std::move(prompt);
  s.completion_ids = std::move(completion);
  s.reward = reward;
  s.group_id = group;
  return s;
}

TEST(BatchTest, LaysOutPromptCompletionMaskAndRolloutLogProbs) {
  std::vector<Sample> samples = {MakeSample({1, 2}, {3, 4, 5}, 1, 0),
                                 MakeSample({1, 2}, {6}, 0, 0)};
  samples[0].completion_logprobs = {-0.5f, -1.0f, -1.5f};
  samples[1].policy_version = 4;
  auto b = BuildTrainBatch(samples, BatchOptions());
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_TRUE(torch::equal(b->input_ids, torch::tensor({{1, 2, 3, 4, 5}, {1, 2, 6, 0, 0}}, torch::kLong)));
  EXPECT_TRUE(torch::equal(b->lengths, torch::tensor({5, 3}, torch::kLong)));
  EXPECT_TRUE(torch::equal(b->loss_mask[0], Row({0, 0, 1, 1, 1})));
  EXPECT_TRUE(torch::equal(b->loss_mask[1], Row({0, 0, 1, 0, 0})));
  EXPECT_TRUE(torch::equal(b->behaviour_logprobs[0], Row({0, 0, -0.5, -1.0, -1.5})));
  EXPECT_TRUE(torch::equal(b->has_behaviour, torch::tensor({true, false})));
  EXPECT_TRUE(torch::equal(b->policy_versions, torch::tensor({0, 4}, torch::kLong)));
  EXPECT_GT(b->advantages[0].item<float>(), 0);
  EXPECT_LT(b->advantages[1].item<float>(), 0);
  EXPECT_EQ(b->stats.at("frac_reward_zero_std"), 0);
}

TEST(BatchTest, NoRolloutLogProbsAnywhereLeavesThemUndefined) {
  auto b = BuildTrainBatch({MakeSample({1}, {2}, 1, 0)}, BatchOptions());
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(b->behaviour_logprobs.defined());
}

TEST(BatchTest, TruncatedCompletionsAreMaskedOnlyWhenAsked) {
  std::vector<Sample> samples = {MakeSample({1}, {2, 3}, 1, 0), MakeSample({1}, {4, 5}, 0, 0)};
  samples[0].truncated = true;
  auto kept = BuildTrainBatch(samples, BatchOptions());
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->loss_mask[0].sum().item<float>(), 2);
  BatchOptions o;
  o.mask_truncated_completions = true;
  auto masked = BuildTrainBatch(samples, o);
  ASSERT_TRUE(masked.ok());
  EXPECT_EQ(masked->loss_mask[0].sum().item<float>(), 0);
  EXPECT_EQ(masked->loss_mask[1].sum().item<float>(), 2);
  EXPECT_EQ(masked->stats.at("samples/truncated_masked"), 1);
}

TEST(BatchTest, NotApplicableRewardGetsNoLoss) {
  std::vector<Sample> samples = {MakeSample({1}, {2}, 1, 0),
                                 MakeSample({1}, {3}, std::numeric_limits<double>::quiet_NaN(), 0),
                                 MakeSample({1}, {4}, 0, 0)};
  auto b = BuildTrainBatch(samples, BatchOptions());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->loss_mask[1].sum().item<float>(), 0);
  EXPECT_EQ(b->advantages[1].item<float>(), 0);
  EXPECT_EQ(b->stats.at("samples/reward_not_applicable"), 1);
}

TEST(BatchTest, EmptyPromptIsRefused) {
  auto b = BuildTrainBatch({MakeSample({1}, {2}, 1, 0), MakeSample({}, {2}, 1, 0)}, BatchOptions());
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(b.status().message(), "sample 1: empty prompt_ids");
}

TEST(BatchTest, LogProbCountMismatchIsRefused) {
  Sample s = MakeSample({1}, {2, 3}, 1, 0);
  s.completion_logprobs = {-1.0f};
  auto b = BuildTrainBatch({s}, BatchOptions());
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().message(),
            "sample 0: 1 completion_logprobs for 2 completion tokens; give one per token or none");
}

TEST(BatchTest, PositiveLogProbIsRefused) {
  Sample s = MakeSample({1}, {2, 3}, 1, 0);
  s.completion_logprobs = {-1.0f, 0.5f};
  auto b = BuildTrainBatch({s}, BatchOptions());
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().message(),
            "sample 0: completion_logprobs[1] = 0.5 is not a log-probability (finite, <= 0)");
}

TEST(BatchTest, SftBatchPutsLossOnCompletionsAndCutsLongExamples) {
  auto b = BuildSftBatch({{{1, 2, 3}, {4, 5}}, {{6}, {7, 8, 9, 10, 11, 12}}}, 5);
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(torch::equal(b->input_ids, torch::tensor({{1, 2, 3, 4, 5}, {6, 7, 8, 9, 10}}, torch::kLong)));
  EXPECT_TRUE(torch::equal(b->loss_mask[0], Row({0, 0, 0, 1, 1})));
  EXPECT_TRUE(torch::equal(b->loss_mask[1], Row({0, 1, 1, 1, 1})));
  EXPECT_TRUE(torch::equal(b->advantages, Row({1, 1})));
}

TEST(BatchTest, SftExampleWithoutCompletionIsRefused) {
  auto b = BuildSftBatch({{{1}, {2}}, {{1, 2}, {}}}, 8);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().message(),
            "SFT example 1: needs a non-empty prompt and completion (got 2 and 0 tokens)");
}

TEST(BatchTest, SliceRowsCutsToTheLongestRow) {
  auto b = BuildTrainBatch({MakeSample({1, 2}, {3, 4, 5, 6}, 1, 0), MakeSample({1}, {2}, 0, 0),
                            MakeSample({7}, {8, 9}, 0, 0)},
                           BatchOptions());
  ASSERT_TRUE(b.ok());
  TrainBatch s = SliceRows(*b, {2, 1});
  EXPECT_TRUE(torch::equal(s.input_ids, torch::tensor({{7, 8, 9}, {1, 2, 0}}, torch::kLong)));
  EXPECT_EQ(s.loss_mask.size(1), 3);
  EXPECT_TRUE(torch::equal(s.lengths, torch::tensor({3, 2}, torch::kLong)));
}

}  // namespace
}  // namespace zerorl::learner
