#include "rollout/scheduler.h"

#include <algorithm>

#include <c10/util/Exception.h>

#include "absl/strings/str_cat.h"

namespace zerorl::rollout {

Scheduler::Scheduler(KvManager* kv, const SchedulerOptions& options)
    : kv_(kv), options_(options), slot_owner_(kv->num_slots(), -1) {
  TORCH_CHECK(options_.max_prefill_tokens > 0, "Scheduler: max_prefill_tokens must be > 0");
}

absl::StatusOr<int64_t> Scheduler::AddGroup(const GroupSpec& group) {
  if (group.prompt_tokens < 1 || group.samples < 1 || group.max_new_tokens < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a group needs prompt_tokens, samples and max_new_tokens >= 1, got ",
        group.prompt_tokens, ", ", group.samples, ", ", group.max_new_tokens));
  }
  int64_t tokens = group.prompt_tokens + group.max_new_tokens;
  if (tokens > kv_->capacity()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "prompt (", group.prompt_tokens, " tokens) + max_new_tokens (", group.max_new_tokens,
        ") exceeds the ", kv_->capacity(), " tokens a KV slot holds"));
  }
  int64_t first = static_cast<int64_t>(sequences_.size());
  int64_t per_unit = options_.share_prefix ? std::min(group.samples, kv_->num_slots()) : 1;
  for (int64_t done = 0; done < group.samples; done += per_unit) {
    Unit unit;
    unit.group = num_groups_;
    unit.first_sequence = first + done;
    unit.num_sequences = std::min(per_unit, group.samples - done);
    unit.prompt_tokens = group.prompt_tokens;
    unit.tokens_per_slot = tokens;
    waiting_.push_back(static_cast<int64_t>(units_.size()));
    units_.push_back(std::move(unit));
  }
  sequences_.resize(first + group.samples);
  ++num_groups_;
  return first;
}

StepPlan Scheduler::Schedule() {
  StepPlan plan;
  for (int64_t slot = 0; slot < kv_->num_slots(); ++slot) {
    int64_t seq = slot_owner_[slot];
    if (seq < 0 || sequences_[seq].state != State::kRunning) continue;
    plan.decode.push_back({seq, slot, kv_->length(slot)});
    kv_->ApplyAppend(slot, 1);
  }
  Admit();
  PlanPrefill(&plan);
  return plan;
}

void Scheduler::Admit() {
  while (!waiting_.empty()) {
    Unit& unit = units_[waiting_.front()];
    AdmitPlan admit = kv_->PlanAdmit(unit.num_sequences, unit.tokens_per_slot);
    TORCH_CHECK(admit.no_room != NoRoom::kNeverFits, "Scheduler: a unit can never fit");
    if (!admit.fits()) return;  // the head waits for slots; nothing overtakes it
    kv_->ApplyAdmit(admit);
    unit.slots = admit.slots;
    for (int64_t i = 0; i < unit.num_sequences; ++i) {
      Sequence& seq = sequences_[unit.first_sequence + i];
      seq.state = State::kPrefilling;
      seq.slot = unit.slots[i];
      slot_owner_[seq.slot] = unit.first_sequence + i;
    }
    prefilling_.push_back(waiting_.front());
    waiting_.pop_front();
  }
}

void Scheduler::PlanPrefill(StepPlan* plan) {
  int64_t budget = options_.max_prefill_tokens;
  while (budget > 0 && !prefilling_.empty()) {
    int64_t id = prefilling_.front();
    Unit& unit = units_[id];
    int64_t leader = unit.slots[0];
    int64_t count = std::min(unit.prompt_tokens - unit.prefilled, budget);
    bool completes = unit.prefilled + count == unit.prompt_tokens;
    plan->prefill.push_back({id, unit.group, leader, unit.prefilled, count, completes});
    kv_->ApplyAppend(leader, count);
    unit.prefilled += count;
    budget -= count;
    if (!completes) break;  // the budget is spent on this prompt
    if (unit.num_sequences > 1) {
      ShareCopy share{leader, {unit.slots.begin() + 1, unit.slots.end()}, unit.prompt_tokens};
      kv_->ApplyShare(share.src, share.dst, share.length);
      plan->shares.push_back(std::move(share));
    }
    for (int64_t i = 0; i < unit.num_sequences; ++i) {
      sequences_[unit.first_sequence + i].state = State::kRunning;
    }
    running_ += unit.num_sequences;
    prefilling_.pop_front();
  }
}

std::vector<int64_t> Scheduler::unit_sequences(int64_t unit) const {
  std::vector<int64_t> ids(units_[unit].num_sequences);
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = units_[unit].first_sequence + i;
  return ids;
}

void Scheduler::Finish(int64_t sequence) {
  TORCH_CHECK(sequence >= 0 && sequence < static_cast<int64_t>(sequences_.size()) &&
                  sequences_[sequence].state == State::kRunning,
              "Scheduler: sequence ", sequence, " is not running");
  Sequence& seq = sequences_[sequence];
  seq.state = State::kFinished;
  kv_->Release(seq.slot);
  slot_owner_[seq.slot] = -1;
  --running_;
  ++finished_;
}

}  // namespace zerorl::rollout
