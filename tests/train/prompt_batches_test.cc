#include "train/prompt_batches.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "train/ids.h"

namespace zerorl::train {
namespace {

using ::testing::ElementsAre;
using ::zerorl::testing::StatusIs;

// `count` prompts whose seeds are 100, 101, ... and whose ids are garbage to be overwritten.
std::vector<wire::Prompt> Prompts(size_t count) {
  std::vector<wire::Prompt> prompts(count);
  for (size_t i = 0; i < count; ++i) {
    prompts[i].id = 999;
    prompts[i].seed = 100 + i;
    prompts[i].text = "p" + std::to_string(i);
  }
  return prompts;
}

std::vector<size_t> Sizes(const std::vector<wire::PromptBatch>& batches) {
  std::vector<size_t> sizes;
  for (const wire::PromptBatch& b : batches) sizes.push_back(b.prompts.size());
  return sizes;
}

TEST(PromptsPerBatchTest, OneWorkersCapacity) {
  // 64 sequences at 8 samples a prompt: 8 prompts.
  EXPECT_EQ(PromptsPerBatch(64, 8, 100, /*workers=*/0), 8u);
  EXPECT_EQ(PromptsPerBatch(64, 1, 100, 0), 64u);
}

TEST(PromptsPerBatchTest, AtLeastOnePromptWhenAGroupExceedsMaxBatch) {
  EXPECT_EQ(PromptsPerBatch(4, 16, 10, 0), 1u);
  EXPECT_EQ(PromptsPerBatch(4, 16, 10, 3), 1u);
}

TEST(PromptsPerBatchTest, SpreadOverWorkers) {
  // 10 prompts, 3 workers: ceil(10 / 3) = 4 per batch (batches of 4, 4, 2).
  EXPECT_EQ(PromptsPerBatch(64, 8, 10, 3), 4u);
  // Capacity still caps it: 100 prompts over 2 workers would be 50.
  EXPECT_EQ(PromptsPerBatch(64, 8, 100, 2), 8u);
  EXPECT_EQ(PromptsPerBatch(64, 8, 0, 2), 1u);
}

TEST(PromptsPerBatchTest, OneWorkerCutsAsNoWorkersDoes) {
  for (size_t n : {1u, 5u, 8u, 9u, 40u}) {
    EXPECT_EQ(std::min<size_t>(n, PromptsPerBatch(64, 8, n, 0)), PromptsPerBatch(64, 8, n, 1));
  }
}

TEST(MakePromptBatchesTest, ConsecutiveRunsWithTheNextIds) {
  config::SamplingConfig sampling;
  sampling.n = 4;
  sampling.temperature = 0.7;
  uint64_t next = 1000000;
  absl::StatusOr<std::vector<wire::PromptBatch>> batches =
      MakePromptBatches(Prompts(5), 2, /*policy_version=*/7, sampling, &next);
  ASSERT_TRUE(batches.ok()) << batches.status();
  EXPECT_THAT(Sizes(*batches), ElementsAre(2, 2, 1));
  EXPECT_EQ(next, 1000003u);
  size_t k = 0;
  for (size_t b = 0; b < batches->size(); ++b) {
    const wire::PromptBatch& batch = (*batches)[b];
    EXPECT_EQ(batch.batch_id, 1000000u + b);
    EXPECT_EQ(batch.policy_version, 7);
    EXPECT_EQ(batch.sampling.n, 4);
    EXPECT_EQ(batch.sampling.temperature, 0.7);
    for (size_t i = 0; i < batch.prompts.size(); ++i, ++k) {
      const wire::Prompt& p = batch.prompts[i];
      EXPECT_EQ(p.id, PromptId(batch.batch_id, i).value());
      EXPECT_EQ(p.seed, 100 + k);  // order and seeds kept
      EXPECT_EQ(p.text, "p" + std::to_string(k));
    }
  }
  EXPECT_EQ((*batches)[1].prompts[1].id, (uint64_t{1000001} << 20) + 1);
}

TEST(MakePromptBatchesTest, NoPromptsNoBatches) {
  uint64_t next = 5;
  absl::StatusOr<std::vector<wire::PromptBatch>> batches =
      MakePromptBatches({}, 3, 0, config::SamplingConfig(), &next);
  ASSERT_TRUE(batches.ok());
  EXPECT_TRUE(batches->empty());
  EXPECT_EQ(next, 5u);
}

TEST(MakePromptBatchesTest, ZeroPromptsPerBatchIsAnError) {
  uint64_t next = 5;
  EXPECT_THAT(MakePromptBatches(Prompts(2), 0, 0, config::SamplingConfig(), &next),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "prompt batches: prompts_per_batch must be >= 1"));
  EXPECT_EQ(next, 5u);
}

TEST(MakePromptBatchesTest, BatchIdPastTheLayoutIsAnErrorAndUsesNoIds) {
  // The first batch still fits, the second would not.
  uint64_t next = kMaxBatchId;
  EXPECT_THAT(MakePromptBatches(Prompts(3), 2, 0, config::SamplingConfig(), &next),
              StatusIs(absl::StatusCode::kOutOfRange,
                       "prompt id: batch id 8796093022208 does not fit in 43 bits"));
  EXPECT_EQ(next, kMaxBatchId);
}

TEST(MakePromptBatchesTest, MorePromptsThanAnIdIndexHoldsIsAnError) {
  uint64_t next = 1;
  EXPECT_THAT(MakePromptBatches(Prompts(kMaxPromptsPerBatch + 1), kMaxPromptsPerBatch + 1, 0,
                                config::SamplingConfig(), &next),
              StatusIs(absl::StatusCode::kOutOfRange,
                       ::testing::HasSubstr("index 1048576 in batch 1 does not fit")));
  EXPECT_EQ(next, 1u);
}

}  // namespace
}  // namespace zerorl::train
