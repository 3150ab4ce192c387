#include "rollout/kv_manager.h"

#include <c10/util/Exception.h>

#include "gtest/gtest.h"

namespace zerorl::rollout {
namespace {

TEST(KvManagerTest, PlanTakesTheLowestFreeSlotsWithoutChangingAnything) {
  KvManager kv(4, 100);
  AdmitPlan plan = kv.PlanAdmit(2, 50);
  ASSERT_TRUE(plan.fits());
  EXPECT_EQ(plan.slots, (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(kv.free_slots(), 4);  // planning is not taking
  EXPECT_FALSE(kv.in_use(0));
  kv.ApplyAdmit(plan);
  EXPECT_EQ(kv.free_slots(), 2);
  EXPECT_TRUE(kv.in_use(1));
  EXPECT_EQ(kv.length(1), 0);
}

TEST(KvManagerTest, NoFreeSlotsIsAValueThatSaysWait) {
  KvManager kv(2, 100);
  kv.ApplyAdmit(kv.PlanAdmit(2, 10));
  AdmitPlan plan = kv.PlanAdmit(1, 10);
  EXPECT_FALSE(plan.fits());
  EXPECT_EQ(plan.no_room, NoRoom::kSlotsBusy);
  EXPECT_TRUE(plan.slots.empty());
}

TEST(KvManagerTest, TooManySlotsOrTokensNeverFit) {
  KvManager kv(2, 100);
  EXPECT_EQ(kv.PlanAdmit(3, 10).no_room, NoRoom::kNeverFits);
  EXPECT_EQ(kv.PlanAdmit(1, 101).no_room, NoRoom::kNeverFits);
  EXPECT_EQ(kv.PlanAdmit(0, 10).no_room, NoRoom::kNeverFits);
  EXPECT_TRUE(kv.PlanAdmit(2, 100).fits());
}

TEST(KvManagerTest, ReleasedSlotsAreReusedLowestFirst) {
  KvManager kv(3, 10);
  kv.ApplyAdmit(kv.PlanAdmit(3, 10));
  kv.Release(2);
  kv.Release(0);
  AdmitPlan plan = kv.PlanAdmit(2, 10);
  EXPECT_EQ(plan.slots, (std::vector<int64_t>{0, 2}));
}

TEST(KvManagerTest, StalePlanIsRefused) {
  KvManager kv(2, 10);
  AdmitPlan plan = kv.PlanAdmit(1, 10);
  kv.ApplyAdmit(kv.PlanAdmit(1, 10));  // takes slot 0 first
  EXPECT_THROW(kv.ApplyAdmit(plan), c10::Error);
}

TEST(KvManagerTest, AppendsAndSharesTrackLengthsWithinCapacity) {
  KvManager kv(3, 10);
  kv.ApplyAdmit(kv.PlanAdmit(3, 10));
  kv.ApplyAppend(0, 6);
  kv.ApplyShare(0, {1, 2}, 6);
  EXPECT_EQ(kv.length(2), 6);
  kv.ApplyAppend(2, 4);
  EXPECT_EQ(kv.length(2), 10);
  EXPECT_THROW(kv.ApplyAppend(2, 1), c10::Error);  // past the capacity
  EXPECT_THROW(kv.ApplyShare(1, {0}, 7), c10::Error);  // slot 1 holds only 6
}

TEST(KvManagerTest, ReleasingTwiceIsRefused) {
  KvManager kv(1, 10);
  kv.ApplyAdmit(kv.PlanAdmit(1, 10));
  kv.Release(0);
  EXPECT_THROW(kv.Release(0), c10::Error);
  EXPECT_THROW(kv.ApplyAppend(0, 1), c10::Error);
}

}  // namespace
}  // namespace zerorl::rollout
