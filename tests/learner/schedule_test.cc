#include "learner/schedule.h"

#include <cmath>

#include "gtest/gtest.h"

namespace zerorl::learner {
namespace {

TEST(ScheduleTest, ConstantWithWarmup) {
  config::OptimizerConfig c;
  c.lr = 1.0;
  c.warmup_steps = 4;
  EXPECT_DOUBLE_EQ(LearningRate(c, 0, 10), 0.25);  // the first update is not wasted
  EXPECT_DOUBLE_EQ(LearningRate(c, 3, 10), 1.0);
  EXPECT_DOUBLE_EQ(LearningRate(c, 9, 10), 1.0);
}

TEST(ScheduleTest, CosineFromPeakToMinimum) {
  config::OptimizerConfig c;
  c.lr = 2.0;
  c.schedule = config::LrSchedule::kCosine;
  c.warmup_steps = 2;
  c.min_lr_ratio = 0.1;
  // After warmup, p = (k - 2) / 8.
  EXPECT_DOUBLE_EQ(LearningRate(c, 1, 10), 2.0);
  EXPECT_DOUBLE_EQ(LearningRate(c, 2, 10), 2.0);
  EXPECT_NEAR(LearningRate(c, 6, 10), 0.2 + 1.8 * 0.5, 1e-12);  // p = 0.5
  EXPECT_NEAR(LearningRate(c, 4, 10), 0.2 + 1.8 * 0.5 * (1 + std::cos(M_PI / 4)), 1e-12);
  EXPECT_NEAR(LearningRate(c, 10, 10), 0.2, 1e-12);
  EXPECT_NEAR(LearningRate(c, 50, 10), 0.2, 1e-12);  // past the end: stays at the minimum
}

TEST(ScheduleTest, CosineWithoutWarmupStartsAtPeak) {
  config::OptimizerConfig c;
  c.lr = 1e-6;
  c.schedule = config::LrSchedule::kCosine;
  EXPECT_DOUBLE_EQ(LearningRate(c, 0, 100), 1e-6);
  EXPECT_NEAR(LearningRate(c, 100, 100), 0.0, 1e-20);
}

}  // namespace
}  // namespace zerorl::learner
