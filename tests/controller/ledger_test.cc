#include "controller/ledger.h"

#include "gtest/gtest.h"

namespace zerorl::controller {
namespace {

using State = Ledger::State;
using Answer = Ledger::Answer;

class LedgerTest : public ::testing::Test {
 protected:
  Ledger::Clock::time_point t0 = Ledger::Clock::now();
  Ledger ledger;
};

TEST_F(LedgerTest, BatchGoesThroughBothPhasesOnce) {
  ASSERT_TRUE(ledger.Add(7));
  EXPECT_FALSE(ledger.Add(7));  // ids are unique
  ledger.AddWorker("r0", Phase::kRollout, 1);
  ledger.AddWorker("s0", Phase::kReward, 1);
  ASSERT_EQ(ledger.PeekWaiting(Phase::kRollout), std::optional<uint64_t>(7));
  ledger.Dispatch(Phase::kRollout, "r0", t0);
  EXPECT_EQ(ledger.FreeSlots("r0"), 0);
  EXPECT_EQ(ledger.Find(7)->state, State::kAtRollout);
  EXPECT_EQ(ledger.Complete(7, Phase::kRollout, "r0"), Answer::kAccepted);
  EXPECT_EQ(ledger.FreeSlots("r0"), 1);
  EXPECT_EQ(ledger.PeekWaiting(Phase::kReward), std::optional<uint64_t>(7));
  ledger.Dispatch(Phase::kReward, "s0", t0);
  EXPECT_EQ(ledger.Complete(7, Phase::kReward, "s0"), Answer::kAccepted);
  EXPECT_EQ(ledger.Find(7)->state, State::kDone);
  EXPECT_EQ(ledger.in_flight(), 0u);
}

TEST_F(LedgerTest, DeadWorkersBatchGoesBackToTheFrontOfTheQueue) {
  ledger.Add(1);
  ledger.Add(2);
  ledger.AddWorker("r0", Phase::kRollout, 1);
  ledger.Dispatch(Phase::kRollout, "r0", t0);  // takes 1
  EXPECT_EQ(ledger.RemoveWorker("r0"), std::vector<uint64_t>{1});
  EXPECT_EQ(ledger.PeekWaiting(Phase::kRollout), std::optional<uint64_t>(1));
  EXPECT_EQ(ledger.redispatched(), 1);
  EXPECT_EQ(ledger.Find(1)->attempts_rollout, 1);
}

TEST_F(LedgerTest, LateAnswerAfterRedispatchIsAcceptedOnceAndTheOtherDropped) {
  ledger.Add(1);
  ledger.AddWorker("slow", Phase::kRollout, 1);
  ledger.AddWorker("fast", Phase::kRollout, 1);
  ledger.Dispatch(Phase::kRollout, "slow", t0);
  EXPECT_EQ(ledger.ExpireOlderThan(std::chrono::milliseconds(10), t0 + std::chrono::seconds(1)),
            std::vector<uint64_t>{1});
  EXPECT_EQ(ledger.FreeSlots("slow"), 0);  // still busy: never flooded
  ledger.Dispatch(Phase::kRollout, "fast", t0);
  EXPECT_EQ(ledger.Complete(1, Phase::kRollout, "slow"), Answer::kAccepted);
  EXPECT_EQ(ledger.Complete(1, Phase::kRollout, "fast"), Answer::kDuplicate);
  EXPECT_EQ(ledger.duplicates(), 1);
  EXPECT_EQ(ledger.FreeSlots("slow"), 1);
  EXPECT_EQ(ledger.FreeSlots("fast"), 1);
  EXPECT_EQ(ledger.Find(1)->state, State::kWaitReward);
}

TEST_F(LedgerTest, AnswerForAQueuedBatchTakesItOutOfTheQueue) {
  ledger.Add(1);
  ledger.AddWorker("a", Phase::kRollout, 1);
  ledger.Dispatch(Phase::kRollout, "a", t0);
  ledger.ExpireOlderThan(std::chrono::milliseconds(1), t0 + std::chrono::seconds(1));
  ASSERT_EQ(ledger.waiting(Phase::kRollout), 1u);
  EXPECT_EQ(ledger.Complete(1, Phase::kRollout, "a"), Answer::kAccepted);
  EXPECT_EQ(ledger.waiting(Phase::kRollout), 0u);
  EXPECT_EQ(ledger.waiting(Phase::kReward), 1u);
}

TEST_F(LedgerTest, UnknownAndWrongPhaseAnswersAreDropped) {
  ledger.AddWorker("s0", Phase::kReward, 2);
  EXPECT_EQ(ledger.Complete(99, Phase::kReward, "s0"), Answer::kUnknown);
  ledger.Add(1);
  EXPECT_EQ(ledger.Complete(1, Phase::kReward, "s0"), Answer::kDuplicate);  // not scored yet
  EXPECT_EQ(ledger.duplicates(), 2);
}

TEST_F(LedgerTest, RemovingAWorkerDoesNotRequeueWorkRedoneElsewhere) {
  ledger.Add(1);
  ledger.AddWorker("a", Phase::kRollout, 1);
  ledger.AddWorker("b", Phase::kRollout, 1);
  ledger.Dispatch(Phase::kRollout, "a", t0);
  ledger.ExpireOlderThan(std::chrono::milliseconds(1), t0 + std::chrono::seconds(1));
  ledger.Dispatch(Phase::kRollout, "b", t0);
  EXPECT_TRUE(ledger.RemoveWorker("a").empty());
  EXPECT_EQ(ledger.Find(1)->worker, "b");
}

TEST_F(LedgerTest, AbandonRequeuesOnlyForTheHolder) {
  ledger.Add(1);
  ledger.AddWorker("a", Phase::kRollout, 1);
  ledger.Dispatch(Phase::kRollout, "a", t0);
  EXPECT_TRUE(ledger.Abandon(1, "a"));
  EXPECT_EQ(ledger.FreeSlots("a"), 1);
  EXPECT_EQ(ledger.waiting(Phase::kRollout), 1u);
  EXPECT_FALSE(ledger.Abandon(1, "a"));
}

TEST_F(LedgerTest, AWorkerThatJoinsAgainStartsWithEmptyHands) {
  ledger.Add(1);
  ledger.AddWorker("r0", Phase::kRollout, 1);
  ledger.Dispatch(Phase::kRollout, "r0", t0);
  ledger.AddWorker("r0", Phase::kRollout, 2);  // restarted: what it held is redone
  EXPECT_EQ(ledger.FreeSlots("r0"), 2);
  EXPECT_EQ(ledger.Find(1)->state, State::kWaitRollout);
  EXPECT_EQ(ledger.PeekWaiting(Phase::kRollout), std::optional<uint64_t>(1));
  EXPECT_EQ(ledger.redispatched(), 1);
}

TEST_F(LedgerTest, DroppedBatchLeavesItsQueueAndLaterAnswersAreDuplicates) {
  ledger.Add(1);
  ledger.Add(2);
  ledger.AddWorker("slow", Phase::kRollout, 1);
  ledger.AddWorker("fast", Phase::kRollout, 1);
  ledger.Dispatch(Phase::kRollout, "slow", t0);  // takes 1
  ledger.Dispatch(Phase::kRollout, "fast", t0);  // takes 2
  EXPECT_EQ(ledger.Complete(2, Phase::kRollout, "fast"), Answer::kAccepted);
  ASSERT_EQ(ledger.waiting(Phase::kReward), 1u);
  EXPECT_TRUE(ledger.Drop(2));
  EXPECT_EQ(ledger.waiting(Phase::kReward), 0u);
  EXPECT_EQ(ledger.Find(2)->state, State::kDone);
  EXPECT_EQ(ledger.Complete(2, Phase::kRollout, "fast"), Answer::kDuplicate);
  // A batch still in a worker's hands: the worker keeps the slot until it answers.
  EXPECT_TRUE(ledger.Drop(1));
  EXPECT_EQ(ledger.FreeSlots("slow"), 0);
  EXPECT_EQ(ledger.RemoveWorker("slow"), std::vector<uint64_t>{});  // nothing to redo
  EXPECT_EQ(ledger.in_flight(), 0u);
  EXPECT_FALSE(ledger.Drop(99));
}

}  // namespace
}  // namespace zerorl::controller
