#include "rollout/kv_manager.h"

#include <c10/util/Exception.h>

namespace zerorl::rollout {

KvManager::KvManager(int64_t num_slots, int64_t capacity)
    : length_(num_slots, -1), capacity_(capacity), free_count_(num_slots) {
  TORCH_CHECK(num_slots > 0 && capacity > 0, "KvManager: num_slots and capacity must be > 0");
}

AdmitPlan KvManager::PlanAdmit(int64_t count, int64_t tokens) const {
  AdmitPlan plan;
  if (count < 1 || count > num_slots() || tokens > capacity_) {
    plan.no_room = NoRoom::kNeverFits;
    return plan;
  }
  if (count > free_count_) {
    plan.no_room = NoRoom::kSlotsBusy;
    return plan;
  }
  for (int64_t slot = 0; slot < num_slots() && static_cast<int64_t>(plan.slots.size()) < count;
       ++slot) {
    if (length_[slot] < 0) plan.slots.push_back(slot);
  }
  return plan;
}

void KvManager::ApplyAdmit(const AdmitPlan& plan) {
  TORCH_CHECK(plan.fits(), "KvManager: applying a plan that does not fit");
  for (int64_t slot : plan.slots) {
    TORCH_CHECK(slot >= 0 && slot < num_slots() && length_[slot] < 0, "KvManager: slot ", slot,
                " is not free (stale plan)");
    length_[slot] = 0;
    --free_count_;
  }
}

void KvManager::ApplyAppend(int64_t slot, int64_t count) {
  TORCH_CHECK(slot >= 0 && slot < num_slots() && length_[slot] >= 0, "KvManager: slot ", slot,
              " is not in use");
  TORCH_CHECK(count >= 0 && length_[slot] + count <= capacity_, "KvManager: slot ", slot,
              " would hold ", length_[slot] + count, " tokens, capacity ", capacity_);
  length_[slot] += count;
}

void KvManager::ApplyShare(int64_t src, const std::vector<int64_t>& dst, int64_t length) {
  TORCH_CHECK(src >= 0 && src < num_slots() && length_[src] >= length, "KvManager: slot ", src,
              " holds fewer than ", length, " tokens to share");
  for (int64_t slot : dst) {
    TORCH_CHECK(slot >= 0 && slot < num_slots() && length_[slot] >= 0 && slot != src,
                "KvManager: share target ", slot, " is not a slot in use");
    length_[slot] = length;
  }
}

void KvManager::Release(int64_t slot) {
  TORCH_CHECK(slot >= 0 && slot < num_slots() && length_[slot] >= 0, "KvManager: slot ", slot,
              " released twice");
  length_[slot] = -1;
  ++free_count_;
}

}  // namespace zerorl::rollout
