#include "learner/micro_batch.h"

#include <algorithm>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace zerorl::learner {
namespace {

using ::testing::ElementsAre;

TEST(MicroBatchTest, PacksLongestFirstWithinTheBudget) {
  // Longest first: 100 (1), 60 (3), 50 (0), 40 (4), 10 (2).
  // Budget 130: [1] then 2 x 100 > 130 -> new; [3, 0] = 2 x 60 = 120; [4, 2] = 2 x 40.
  auto plan = PlanMicroBatches({50, 100, 10, 60, 40}, 130);
  EXPECT_THAT(plan, ElementsAre(ElementsAre(1), ElementsAre(3, 0), ElementsAre(4, 2)));
}

TEST(MicroBatchTest, RowLongerThanTheBudgetTravelsAlone) {
  auto plan = PlanMicroBatches({500, 5, 5}, 100);
  EXPECT_THAT(plan, ElementsAre(ElementsAre(0), ElementsAre(1, 2)));
}

TEST(MicroBatchTest, TiesKeepIndexOrderAndEveryRowAppearsOnce) {
  std::vector<int64_t> lengths = {7, 7, 7, 7, 7, 7, 7};
  auto plan = PlanMicroBatches(lengths, 21);
  EXPECT_THAT(plan, ElementsAre(ElementsAre(0, 1, 2), ElementsAre(3, 4, 5), ElementsAre(6)));
  std::vector<int64_t> seen;
  for (auto& mb : plan) seen.insert(seen.end(), mb.begin(), mb.end());
  std::sort(seen.begin(), seen.end());
  EXPECT_THAT(seen, ElementsAre(0, 1, 2, 3, 4, 5, 6));
}

TEST(MicroBatchTest, EmptyInputGivesNoMicroBatches) {
  EXPECT_TRUE(PlanMicroBatches({}, 10).empty());
}

}  // namespace
}  // namespace zerorl::learner
