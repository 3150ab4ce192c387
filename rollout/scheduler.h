// Continuous batching: which prompts are prefilled and which sequences decode in each engine
// step. Groups (the G samples of one prompt) are admitted first come, first served as soon as
// the KV manager has slots for all of them; a prompt is prefilled once per group into the
// group's first slot, in chunks of at most `max_prefill_tokens` per step, interleaved with the
// decode steps of the sequences already running, and its K/V is then copied to the group's
// other slots. A sequence that finishes gives its slot back at once, so the next group starts
// while the rest keep decoding: a batch of very different lengths takes about as long as its
// longest sequence, not as long as rounds of its longest ones.
//
// Nothing waiting is ever overtaken: when the head group does not fit yet, later ones wait
// behind it (no starvation, and the order of admission is the order of submission).
//
//   Scheduler scheduler(&kv, options);
//   ASSIGN_OR_RETURN(int64_t first, scheduler.AddGroup({prompt_len, 8, max_new_tokens}));
//   while (!scheduler.done()) {
//     StepPlan plan = scheduler.Schedule();   // bookkeeping already applied to `kv`
//     ... run plan.prefill, copy plan.shares, sample the first tokens of plan.started ...
//     ... run plan.decode and sample; scheduler.Finish(seq) for each sequence that ended ...
//   }
//
// A plan is a promise: the KV bookkeeping it describes is applied when Schedule() returns, and
// the caller must carry it out before the next Schedule().
#ifndef ZERORL_ROLLOUT_SCHEDULER_H_
#define ZERORL_ROLLOUT_SCHEDULER_H_

#include <cstdint>
#include <deque>
#include <vector>

#include "absl/status/statusor.h"
#include "rollout/kv_manager.h"

namespace zerorl::rollout {

struct SchedulerOptions {
  // Prompt tokens prefilled per step, over all prompts. Larger: fewer, more efficient prefill
  // forwards; smaller: running sequences wait less for a long prompt. A prompt longer than this
  // is prefilled in chunks.
  int64_t max_prefill_tokens = 2048;
  // Prefill each group's prompt once and copy its K/V to the other samples' slots. Off: every
  // sample prefills its own copy (the reference the tests compare sharing against).
  bool share_prefix = true;
};

struct GroupSpec {
  int64_t prompt_tokens = 0;   // >= 1
  int64_t samples = 1;         // >= 1; more than the slots is split into several prefills
  int64_t max_new_tokens = 1;  // >= 1
};

// A prompt chunk to append to a slot's cache.
struct PrefillRow {
  int64_t unit = 0;   // the prefill unit (see unit_sequences)
  int64_t group = 0;  // the group it belongs to (AddGroup calls, counted from 0)
  int64_t slot = 0;
  int64_t start = 0;  // prompt tokens already cached (= offset of the chunk in the prompt)
  int64_t count = 0;
  bool completes = false;  // the prompt's last chunk: logits of its last token are needed
};

// After the prefill forward: copy the first `length` tokens of `src` to each of `dst`.
struct ShareCopy {
  int64_t src = 0;
  std::vector<int64_t> dst;
  int64_t length = 0;
};

// One token of a running sequence: its last sampled token goes to position `start`.
struct DecodeRow {
  int64_t sequence = 0;
  int64_t slot = 0;
  int64_t start = 0;
};

struct StepPlan {
  std::vector<PrefillRow> prefill;  // in admission order
  std::vector<ShareCopy> shares;
  std::vector<DecodeRow> decode;    // by slot, ascending
  bool empty() const { return prefill.empty() && decode.empty(); }
};

class Scheduler {
 public:
  // `kv` must outlive the scheduler and be used by nothing else meanwhile.
  Scheduler(KvManager* kv, const SchedulerOptions& options);

  // Queues a group. Returns the id of its first sequence; its samples are that id and the
  // next samples - 1 ones, in sample order. kInvalidArgument (nothing queued) when a field is
  // out of range or prompt_tokens + max_new_tokens exceeds the slot capacity.
  absl::StatusOr<int64_t> AddGroup(const GroupSpec& group);

  // Plans the next step: decode rows for every running sequence, then admissions (FIFO, as
  // far as slots allow) and prefill chunks up to the token budget.
  StepPlan Schedule();

  // The sequences a prefill unit starts when its last chunk is done, in sample order.
  std::vector<int64_t> unit_sequences(int64_t unit) const;

  // A running sequence ended (after its last token was sampled): its slot is released.
  void Finish(int64_t sequence);

  // True when every queued sequence has finished.
  bool done() const { return finished_ == static_cast<int64_t>(sequences_.size()); }
  int64_t num_running() const { return running_; }
  int64_t num_waiting() const { return static_cast<int64_t>(waiting_.size()); }

 private:
  enum class State { kWaiting, kPrefilling, kRunning, kFinished };
  struct Sequence {
    State state = State::kWaiting;
    int64_t slot = -1;
  };
  struct Unit {
    int64_t group = 0;
    int64_t first_sequence = 0;
    int64_t num_sequences = 0;
    int64_t prompt_tokens = 0;
    int64_t tokens_per_slot = 0;  // prompt + max_new_tokens
    int64_t prefilled = 0;        // prompt tokens cached in the leader slot
    std::vector<int64_t> slots;   // leader first
  };

  void Admit();
  void PlanPrefill(StepPlan* plan);

  KvManager* kv_;
  SchedulerOptions options_;
  std::vector<Sequence> sequences_;
  std::vector<Unit> units_;
  int64_t num_groups_ = 0;
  std::deque<int64_t> waiting_;     // units not admitted yet, FIFO
  std::deque<int64_t> prefilling_;  // admitted units whose prompt is not fully cached, FIFO
  std::vector<int64_t> slot_owner_;  // [num_slots] sequence holding the slot, or -1
  int64_t running_ = 0;
  int64_t finished_ = 0;
};

}  // namespace zerorl::rollout

#endif  // ZERORL_ROLLOUT_SCHEDULER_H_
