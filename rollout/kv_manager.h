// Slot bookkeeping for the KV cache (model/kv_cache.h): which slot holds which sequence and
// how many tokens each slot has cached. It never touches tensors; the engine does the
// forwards and copies a plan describes. Every change is first planned (const, no mutation)
// and then applied, and "no room" is an answer, not an error: the scheduler decides what to
// do about it (wait, as the FIFO head, until slots free up).
//
//   AdmitPlan plan = kv.PlanAdmit(/*count=*/8, /*tokens=*/prompt + max_new_tokens);
//   if (!plan.fits()) return;          // plan.no_room says why
//   kv.ApplyAdmit(plan);               // plan.slots are now ours, each with 0 tokens
//   kv.ApplyAppend(plan.slots[0], prompt);      // after prefilling the first slot
//   kv.ApplyShare(plan.slots[0], {plan.slots.begin() + 1, plan.slots.end()}, prompt);
//   kv.Release(slot);                  // a finished sequence gives its slot back
//
// Slots are handed out lowest first, which keeps the live slots of a decode batch close
// together (a run of consecutive slots is read from the cache without a copy).
#ifndef ZERORL_ROLLOUT_KV_MANAGER_H_
#define ZERORL_ROLLOUT_KV_MANAGER_H_

#include <cstdint>
#include <vector>

namespace zerorl::rollout {

enum class NoRoom {
  kNone,         // it fits
  kSlotsBusy,    // fewer free slots than asked for right now: wait for sequences to finish
  kNeverFits,    // more slots than exist, or more tokens than a slot holds: never fits
};

struct AdmitPlan {
  std::vector<int64_t> slots;  // [count] free slots, ascending; empty unless fits()
  NoRoom no_room = NoRoom::kNone;
  bool fits() const { return no_room == NoRoom::kNone; }
};

class KvManager {
 public:
  KvManager(int64_t num_slots, int64_t capacity);

  int64_t num_slots() const { return static_cast<int64_t>(length_.size()); }
  int64_t capacity() const { return capacity_; }
  int64_t free_slots() const { return free_count_; }
  bool in_use(int64_t slot) const { return length_[slot] >= 0; }
  // Tokens cached in a slot in use.
  int64_t length(int64_t slot) const { return length_[slot]; }

  // Where `count` sequences of up to `tokens` tokens each would go.
  AdmitPlan PlanAdmit(int64_t count, int64_t tokens) const;
  // Takes the planned slots (each starts empty). The plan must fit and its slots must still
  // be free (nothing else was applied since it was made); checked.
  void ApplyAdmit(const AdmitPlan& plan);
  // `count` tokens were written to `slot` after what it held; checked against the capacity.
  void ApplyAppend(int64_t slot, int64_t count);
  // The first `length` tokens of `src` were copied into each of `dst` (in use; any tokens
  // they held are replaced).
  void ApplyShare(int64_t src, const std::vector<int64_t>& dst, int64_t length);
  // Gives a slot back; its contents are garbage from now on.
  void Release(int64_t slot);

 private:
  std::vector<int64_t> length_;  // [num_slots] tokens cached; -1 = free
  int64_t capacity_;
  int64_t free_count_;
};

}  // namespace zerorl::rollout

#endif  // ZERORL_ROLLOUT_KV_MANAGER_H_
