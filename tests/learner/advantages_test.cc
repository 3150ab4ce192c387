#include "learner/advantages.h"

#include <cmath>
#include <limits>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace zerorl::learner {
namespace {

using ::testing::ElementsAre;
using ::testing::FloatNear;
using ::testing::HasSubstr;

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();

AdvantageOptions Options(config::AdvantageEstimator e, config::RewardScaling s) {
  AdvantageOptions o;
  o.estimator = e;
  o.scale = s;
  return o;
}

TEST(AdvantagesTest, GrpoNormalisesWithinEachGroup) {
  // Group 7: [1, 0, 0, 1]: mean 0.5, unbiased std sqrt(1/3) = 0.577350.
  // Group 9: [2, 2]: zero std, advantages exactly 0.
  auto a =
      ComputeAdvantages({1, 0, 0, 1, 2, 2}, {7, 7, 7, 7, 9, 9},
                        Options(config::AdvantageEstimator::kGrpo, config::RewardScaling::kGroup));
  ASSERT_TRUE(a.ok()) << a.status();
  const float x = 0.5 / (0.5773503 + 1e-4);  // 0.865876
  EXPECT_THAT(a->values, ElementsAre(FloatNear(x, 1e-5), FloatNear(-x, 1e-5),
                                     FloatNear(-x, 1e-5), FloatNear(x, 1e-5), 0.0f, 0.0f));
  EXPECT_EQ(a->num_groups, 2);
  EXPECT_DOUBLE_EQ(a->frac_reward_zero_std, 0.5);
}

TEST(AdvantagesTest, GroupsNeverMixWhateverTheOrder) {
  auto contiguous = ComputeAdvantages({1, 0, 11, 10}, {1, 1, 2, 2}, AdvantageOptions());
  auto interleaved = ComputeAdvantages({1, 11, 0, 10}, {1, 2, 1, 2}, AdvantageOptions());
  ASSERT_TRUE(contiguous.ok() && interleaved.ok());
  EXPECT_FLOAT_EQ(contiguous->values[0], interleaved->values[0]);
  EXPECT_FLOAT_EQ(contiguous->values[1], interleaved->values[2]);
  EXPECT_FLOAT_EQ(contiguous->values[2], interleaved->values[1]);
  EXPECT_FLOAT_EQ(contiguous->values[3], interleaved->values[3]);
  // Group {11, 10} and group {1, 0} give the same advantages: only the rewards within a
  // group matter, not the other group's level.
  EXPECT_FLOAT_EQ(contiguous->values[0], contiguous->values[2]);
}

TEST(AdvantagesTest, DrGrpoIsRewardMinusMeanWithNoStd) {
  // scale_rewards does not apply to dr_grpo.
  auto a = ComputeAdvantages(
      {1, 0, 0}, {0, 0, 0},
      Options(config::AdvantageEstimator::kDrGrpo, config::RewardScaling::kGroup));
  ASSERT_TRUE(a.ok());
  EXPECT_THAT(a->values, ElementsAre(FloatNear(2.0 / 3, 1e-7), FloatNear(-1.0 / 3, 1e-7),
                                     FloatNear(-1.0 / 3, 1e-7)));
}

TEST(AdvantagesTest, RlooSubtractsTheMeanOfTheOthers) {
  auto none =
      ComputeAdvantages({1, 0, 0, 0}, {0, 0, 0, 0},
                        Options(config::AdvantageEstimator::kRloo, config::RewardScaling::kNone));
  ASSERT_TRUE(none.ok());
  EXPECT_THAT(none->values, ElementsAre(FloatNear(1.0, 1e-7), FloatNear(-1.0 / 3, 1e-7),
                                        FloatNear(-1.0 / 3, 1e-7), FloatNear(-1.0 / 3, 1e-7)));
  // Group std of [1, 0, 0, 0]: mean 0.25, sum of squares 0.75, / 3 -> 0.25, std 0.5.
  auto group =
      ComputeAdvantages({1, 0, 0, 0}, {0, 0, 0, 0},
                        Options(config::AdvantageEstimator::kRloo, config::RewardScaling::kGroup));
  ASSERT_TRUE(group.ok());
  EXPECT_NEAR(group->values[0], 1.0 / 0.5001, 1e-5);
  EXPECT_NEAR(group->values[1], -1.0 / 3 / 0.5001, 1e-5);
}

TEST(AdvantagesTest, BatchScalingUsesTheWholeBatchStdButGroupMeans) {
  // Rewards [1, 0 | 3, 1]: group means 0.5 and 2; batch std of {1, 0, 3, 1}: mean 1.25,
  // squares 4.75, / 3 = 1.583333, std 1.258306.
  auto a =
      ComputeAdvantages({1, 0, 3, 1}, {0, 0, 1, 1},
                        Options(config::AdvantageEstimator::kGrpo, config::RewardScaling::kBatch));
  ASSERT_TRUE(a.ok());
  const double d = 1.2583057 + 1e-4;
  EXPECT_THAT(a->values, ElementsAre(FloatNear(0.5 / d, 1e-5), FloatNear(-0.5 / d, 1e-5),
                                     FloatNear(1.0 / d, 1e-5), FloatNear(-1.0 / d, 1e-5)));
}

TEST(AdvantagesTest, ScaleNoneLeavesRewardMinusMean) {
  auto a = ComputeAdvantages(
      {3, 1}, {0, 0}, Options(config::AdvantageEstimator::kGrpo, config::RewardScaling::kNone));
  ASSERT_TRUE(a.ok());
  EXPECT_THAT(a->values, ElementsAre(1.0f, -1.0f));
}

TEST(AdvantagesTest, ZeroStdGroupIsExactlyZeroDespiteRounding) {
  // The mean of three 0.1s is not exactly 0.1 in floating point.
  auto a = ComputeAdvantages({0.1, 0.1, 0.1}, {4, 4, 4}, AdvantageOptions());
  ASSERT_TRUE(a.ok());
  EXPECT_THAT(a->values, ElementsAre(0.0f, 0.0f, 0.0f));
  EXPECT_THAT(a->trainable, ElementsAre(true, true, true));
  EXPECT_DOUBLE_EQ(a->frac_reward_zero_std, 1.0);
}

TEST(AdvantagesTest, NotApplicableRewardIsOutOfTheBaselineAndUntrainable) {
  // Valid rewards of the group: [1, 0]: mean 0.5, std 0.707107.
  auto a = ComputeAdvantages({1, kNan, 0}, {0, 0, 0}, AdvantageOptions());
  ASSERT_TRUE(a.ok());
  const float x = 0.5 / (0.7071068 + 1e-4);
  EXPECT_THAT(a->values, ElementsAre(FloatNear(x, 1e-5), 0.0f, FloatNear(-x, 1e-5)));
  EXPECT_THAT(a->trainable, ElementsAre(true, false, true));
  EXPECT_EQ(a->num_not_applicable, 1);
}

TEST(AdvantagesTest, GroupOfOneHasNoSignal) {
  for (auto e : {config::AdvantageEstimator::kGrpo, config::AdvantageEstimator::kDrGrpo,
                 config::AdvantageEstimator::kRloo}) {
    auto a = ComputeAdvantages({0.7}, {0}, Options(e, config::RewardScaling::kGroup));
    ASSERT_TRUE(a.ok());
    EXPECT_THAT(a->values, ElementsAre(0.0f));
  }
}

TEST(AdvantagesTest, SizeMismatchIsRefused) {
  auto a = ComputeAdvantages({1, 0}, {0}, AdvantageOptions());
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(a.status().message(),
            "advantages: 2 rewards but 1 group ids; give one id per sample");
}

TEST(AdvantagesTest, InfiniteRewardIsRefused) {
  auto a = ComputeAdvantages({1, std::numeric_limits<double>::infinity()}, {0, 0},
                             AdvantageOptions());
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(a.status().message(), HasSubstr("sample 1 has reward inf"));
}

TEST(AdvantagesTest, OptionsFromConfig) {
  config::AlgorithmConfig config;
  config.advantage = config::AdvantageEstimator::kRloo;
  config.scale_rewards = config::RewardScaling::kBatch;
  AdvantageOptions o = AdvantageOptionsFromConfig(config);
  EXPECT_EQ(o.estimator, config::AdvantageEstimator::kRloo);
  EXPECT_EQ(o.scale, config::RewardScaling::kBatch);
}

}  // namespace
}  // namespace zerorl::learner
