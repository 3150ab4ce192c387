#include "train/ids.h"

#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace zerorl::train {
namespace {

using ::testing::HasSubstr;
using ::zerorl::testing::IsOk;
using ::zerorl::testing::StatusIs;

TEST(FirstBatchIdTest, AMillionIdsPerStepDone) {
  // The numbers every earlier run used: a fresh run from 1,000,000, a resume after step 5
  // from 6,000,000.
  EXPECT_EQ(FirstBatchId(0).value(), 1000000u);
  EXPECT_EQ(FirstBatchId(5).value(), 6000000u);
  EXPECT_EQ(FirstBatchId(1234).value(), 1235000000u);
}

TEST(FirstBatchIdTest, NegativeStepsIsAnError) {
  EXPECT_THAT(FirstBatchId(-1),
              StatusIs(absl::StatusCode::kOutOfRange,
                       "batch ids: -1 steps done is outside [0, 8796091] (batch ids must stay "
                       "under 2^43)"));
}

TEST(FirstBatchIdTest, LastStepLeavesAFullStepOfIds) {
  ASSERT_THAT(FirstBatchId(8796091), IsOk());
  EXPECT_LE(FirstBatchId(8796091).value() + kBatchIdsPerStep - 1, kMaxBatchId);
  EXPECT_THAT(FirstBatchId(8796092), StatusIs(absl::StatusCode::kOutOfRange,
                                              HasSubstr("8796092 steps done is outside")));
}

TEST(PromptIdTest, BatchIdAboveTheIndexBits) {
  EXPECT_EQ(PromptId(3, 5).value(), (uint64_t{3} << 20) + 5);
  EXPECT_EQ(PromptId(1000000, 0).value(), uint64_t{1000000} * 1048576);
  EXPECT_EQ(PromptId(1, kMaxPromptsPerBatch - 1).value(), uint64_t{2} * 1048576 - 1);
}

TEST(PromptIdTest, RoundTrips) {
  for (uint64_t batch : {uint64_t{0}, uint64_t{1}, uint64_t{1000000}, kMaxBatchId}) {
    for (size_t index : {size_t{0}, size_t{1}, size_t{4097}, kMaxPromptsPerBatch - 1}) {
      absl::StatusOr<uint64_t> id = PromptId(batch, index);
      ASSERT_THAT(id, IsOk());
      EXPECT_EQ(BatchIdOf(*id), batch);
      EXPECT_EQ(PromptIndexOf(*id), index);
    }
  }
}

TEST(PromptIdTest, LargestIdIsANonNegativeInt64) {
  uint64_t id = PromptId(kMaxBatchId, kMaxPromptsPerBatch - 1).value();
  EXPECT_EQ(id, uint64_t{0x7FFFFFFFFFFFFFFF});
  EXPECT_GE(static_cast<int64_t>(id), 0);  // the learner's group id
}

TEST(PromptIdTest, IndexThatDoesNotFitIsAnError) {
  // 7 << 20 | 1048576 would be batch 8's prompt 0.
  EXPECT_THAT(PromptId(7, kMaxPromptsPerBatch),
              StatusIs(absl::StatusCode::kOutOfRange,
                       "prompt id: index 1048576 in batch 7 does not fit in 20 bits (at most "
                       "1048576 prompts per batch)"));
}

TEST(PromptIdTest, BatchIdThatDoesNotFitIsAnError) {
  EXPECT_THAT(PromptId(kMaxBatchId + 1, 0),
              StatusIs(absl::StatusCode::kOutOfRange,
                       "prompt id: batch id 8796093022208 does not fit in 43 bits"));
}

TEST(TrainPromptSeedTest, SameSeedsAsEveryEarlierRun) {
  // Values of the seed function runs have always used: a resumed run samples the same.
  EXPECT_EQ(TrainPromptSeed(1, 1, 0).value(), 15779773781579850091ull);
  EXPECT_EQ(TrainPromptSeed(1, 1, 7).value(), 11498552553963321670ull);
  EXPECT_EQ(TrainPromptSeed(42, 300, 63).value(), 1418365307656771272ull);
  EXPECT_EQ(TrainPromptSeed(-5, 2, 1).value(), 9997286345040322889ull);
}

TEST(TrainPromptSeedTest, DistinctAcrossStepsAndIndices) {
  std::set<uint64_t> seeds;
  for (int64_t step = 0; step < 20; ++step) {
    for (size_t index = 0; index < 64; ++index) {
      seeds.insert(TrainPromptSeed(3, step, index).value());
    }
  }
  EXPECT_EQ(seeds.size(), 20u * 64u);
  EXPECT_NE(TrainPromptSeed(3, 1, 0).value(), TrainPromptSeed(4, 1, 0).value());
}

TEST(TrainPromptSeedTest, IndexThatWouldOverlapTheNextStepIsAnError) {
  // (step 0, index 2^20) and (step 1, index 0) would mix to the same seed.
  EXPECT_THAT(TrainPromptSeed(1, 0, kMaxPromptsPerStep),
              StatusIs(absl::StatusCode::kOutOfRange,
                       "prompt seed: index 1048576 of step 0 does not fit in 20 bits "
                       "(data.prompts_per_step at most 1048576)"));
  EXPECT_THAT(TrainPromptSeed(1, 0, kMaxPromptsPerStep - 1), IsOk());
}

TEST(TrainPromptSeedTest, StepOutsideTheSeedBitsIsAnError) {
  EXPECT_THAT(TrainPromptSeed(1, -1, 0),
              StatusIs(absl::StatusCode::kOutOfRange,
                       "prompt seed: step -1 is outside [0, 17592186044415]"));
  EXPECT_THAT(TrainPromptSeed(1, kMaxSeedStep + 1, 0),
              StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("step 17592186044416")));
  EXPECT_THAT(TrainPromptSeed(1, kMaxSeedStep, 0), IsOk());
}

}  // namespace
}  // namespace zerorl::train
