#include "rollout/scheduler.h"

#include <map>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace zerorl::rollout {
namespace {

using ::testing::HasSubstr;

// Drives a scheduler the way the engine does, with each sequence ending after a fixed
// number of tokens (no model): returns, per sequence, the step its first token was sampled
// (after its prefill) and the step it finished.
struct Trace {
  std::map<int64_t, int64_t> first_token_step, finish_step;
  int64_t steps = 0;
};

Trace Drive(Scheduler& scheduler, const std::vector<int64_t>& lengths) {
  Trace trace;
  std::map<int64_t, int64_t> generated;
  auto on_token = [&](int64_t seq) {
    if (++generated[seq] == lengths[seq]) {
      scheduler.Finish(seq);
      trace.finish_step[seq] = trace.steps;
    }
  };
  while (!scheduler.done()) {
    StepPlan plan = scheduler.Schedule();
    EXPECT_FALSE(plan.empty());
    if (plan.empty()) break;
    for (const PrefillRow& row : plan.prefill) {
      if (!row.completes) continue;
      for (int64_t seq : scheduler.unit_sequences(row.unit)) {
        trace.first_token_step[seq] = trace.steps;
        on_token(seq);
      }
    }
    for (const DecodeRow& row : plan.decode) on_token(row.sequence);
    ++trace.steps;
  }
  return trace;
}

TEST(SchedulerTest, GroupPrefillsOnceAndSharesItsPrompt) {
  KvManager kv(8, 64);
  Scheduler scheduler(&kv, {});
  ASSERT_EQ(*scheduler.AddGroup({10, 4, 5}), 0);
  ASSERT_EQ(*scheduler.AddGroup({7, 4, 5}), 4);
  StepPlan plan = scheduler.Schedule();
  ASSERT_EQ(plan.prefill.size(), 2u);
  EXPECT_EQ(plan.prefill[0].slot, 0);
  EXPECT_EQ(plan.prefill[0].count, 10);
  EXPECT_TRUE(plan.prefill[0].completes);
  EXPECT_EQ(plan.prefill[1].slot, 4);
  ASSERT_EQ(plan.shares.size(), 2u);
  EXPECT_EQ(plan.shares[0].dst, (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(plan.shares[1].length, 7);
  EXPECT_EQ(kv.length(3), 10);
  EXPECT_EQ(scheduler.unit_sequences(1), (std::vector<int64_t>{4, 5, 6, 7}));
  EXPECT_TRUE(plan.decode.empty());  // first tokens come from the prefill logits
  StepPlan next = scheduler.Schedule();
  ASSERT_EQ(next.decode.size(), 8u);
  EXPECT_EQ(next.decode[5].slot, 5);
  EXPECT_EQ(next.decode[5].start, 7);
}

TEST(SchedulerTest, WithoutSharingEverySamplePrefillsItsOwnSlot) {
  KvManager kv(4, 64);
  Scheduler scheduler(&kv, {2048, /*share_prefix=*/false});
  ASSERT_TRUE(scheduler.AddGroup({10, 3, 5}).ok());
  StepPlan plan = scheduler.Schedule();
  EXPECT_EQ(plan.prefill.size(), 3u);
  EXPECT_TRUE(plan.shares.empty());
}

TEST(SchedulerTest, LongPromptIsPrefilledInChunksWhileOthersDecode) {
  KvManager kv(4, 200);
  Scheduler scheduler(&kv, {/*max_prefill_tokens=*/32, true});
  ASSERT_TRUE(scheduler.AddGroup({8, 1, 50}).ok());
  ASSERT_TRUE(scheduler.AddGroup({100, 1, 50}).ok());
  StepPlan first = scheduler.Schedule();
  ASSERT_EQ(first.prefill.size(), 2u);  // all of the short one, 24 tokens of the long one
  EXPECT_EQ(first.prefill[1].count, 24);
  EXPECT_FALSE(first.prefill[1].completes);
  StepPlan second = scheduler.Schedule();
  ASSERT_EQ(second.decode.size(), 1u);  // the short one decodes meanwhile
  ASSERT_EQ(second.prefill.size(), 1u);
  EXPECT_EQ(second.prefill[0].start, 24);
  EXPECT_EQ(second.prefill[0].count, 32);
  scheduler.Schedule();
  StepPlan last = scheduler.Schedule();
  EXPECT_EQ(last.prefill[0].count, 12);
  EXPECT_TRUE(last.prefill[0].completes);
}

TEST(SchedulerTest, FinishedSlotsGoToWaitingGroupsWithoutRounds) {
  // Two slots; one 100-token sequence and eight 5-token ones: the short ones flow through the
  // second slot while the long one runs, so everything ends when the long one does.
  KvManager kv(2, 200);
  Scheduler scheduler(&kv, {});
  std::vector<int64_t> lengths = {100};
  ASSERT_TRUE(scheduler.AddGroup({4, 1, 100}).ok());
  for (int i = 0; i < 8; ++i) {
    ASSERT_TRUE(scheduler.AddGroup({4, 1, 5}).ok());
    lengths.push_back(5);
  }
  Trace trace = Drive(scheduler, lengths);
  EXPECT_EQ(trace.finish_step[0], 99);
  EXPECT_LE(trace.finish_step[8], 99);
  EXPECT_EQ(trace.steps, 100);
}

TEST(SchedulerTest, NoGroupIsOvertakenSoNoneStarves) {
  // A 3-sample group waits for 3 free slots; single-sample groups queued behind it must not
  // take the slots it waits for, or it could wait forever.
  KvManager kv(4, 100);
  Scheduler scheduler(&kv, {});
  std::vector<int64_t> lengths;
  ASSERT_TRUE(scheduler.AddGroup({4, 2, 30}).ok());
  lengths.insert(lengths.end(), {30, 30});
  ASSERT_TRUE(scheduler.AddGroup({4, 1, 10}).ok());
  lengths.push_back(10);
  ASSERT_TRUE(scheduler.AddGroup({4, 3, 10}).ok());  // needs 3 slots: waits for the first group
  lengths.insert(lengths.end(), {10, 10, 10});
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(scheduler.AddGroup({4, 1, 2}).ok());
    lengths.push_back(2);
  }
  Trace trace = Drive(scheduler, lengths);
  ASSERT_EQ(trace.finish_step.size(), lengths.size());
  // Admission (first token) order is submission order.
  for (int64_t seq = 1; seq < static_cast<int64_t>(lengths.size()); ++seq) {
    EXPECT_LE(trace.first_token_step[seq - 1], trace.first_token_step[seq]) << seq;
  }
  EXPECT_EQ(trace.first_token_step[3], 30);  // admitted right after the first group ended
}

TEST(SchedulerTest, GroupLargerThanTheSlotsIsSplit) {
  KvManager kv(4, 100);
  Scheduler scheduler(&kv, {});
  ASSERT_TRUE(scheduler.AddGroup({6, 10, 3}).ok());
  Trace trace = Drive(scheduler, std::vector<int64_t>(10, 3));
  EXPECT_EQ(trace.finish_step.size(), 10u);
}

TEST(SchedulerTest, GroupThatCannotFitIsRefused) {
  KvManager kv(4, 100);
  Scheduler scheduler(&kv, {});
  absl::StatusOr<int64_t> id = scheduler.AddGroup({90, 1, 20});
  EXPECT_EQ(id.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(id.status().message(), HasSubstr("exceeds the 100 tokens a KV slot holds"));
  EXPECT_EQ(scheduler.AddGroup({0, 1, 20}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(scheduler.done());  // nothing was queued
}

}  // namespace
}  // namespace zerorl::rollout
