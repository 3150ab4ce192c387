#include "controller/ledger.h"

#include <algorithm>

namespace zerorl::controller {

const char* PhaseName(Phase phase) { return phase == Phase::kRollout ? "rollout" : "reward"; }

bool Ledger::Add(uint64_t batch_id) {
  if (!entries_.emplace(batch_id, Entry{}).second) return false;
  waiting_rollout_.push_back(batch_id);
  return true;
}

void Ledger::AddWorker(const std::string& worker, Phase phase, int slots) {
  RemoveWorker(worker);
  workers_[worker] = Worker{phase, slots, {}};
}

void Ledger::Requeue(uint64_t batch_id, Entry& entry) {
  ++redispatched_;
  if (entry.state == State::kAtRollout) {
    entry.state = State::kWaitRollout;
    waiting_rollout_.push_front(batch_id);
  } else if (entry.state == State::kAtReward) {
    entry.state = State::kWaitReward;
    waiting_reward_.push_front(batch_id);
  }
  entry.worker.clear();
}

std::vector<uint64_t> Ledger::RemoveWorker(const std::string& worker) {
  std::vector<uint64_t> requeued;
  auto it = workers_.find(worker);
  if (it == workers_.end()) return requeued;
  for (uint64_t batch_id : it->second.holding) {
    Entry& entry = entries_.at(batch_id);
    // Only a batch this worker is the current holder of goes back; one already redone
    // elsewhere (and held there now) or finished stays where it is.
    bool held_here = (entry.state == State::kAtRollout || entry.state == State::kAtReward) &&
                     entry.worker == worker;
    if (held_here) {
      Requeue(batch_id, entry);
      requeued.push_back(batch_id);
    }
  }
  workers_.erase(it);
  return requeued;
}

int Ledger::FreeSlots(const std::string& worker) const {
  auto it = workers_.find(worker);
  if (it == workers_.end()) return 0;
  return it->second.slots - static_cast<int>(it->second.holding.size());
}

std::optional<uint64_t> Ledger::PeekWaiting(Phase phase) const {
  const auto& queue = phase == Phase::kRollout ? waiting_rollout_ : waiting_reward_;
  if (queue.empty()) return std::nullopt;
  return queue.front();
}

void Ledger::Dispatch(Phase phase, const std::string& worker, Clock::time_point now) {
  auto& queue = phase == Phase::kRollout ? waiting_rollout_ : waiting_reward_;
  uint64_t batch_id = queue.front();
  queue.pop_front();
  Entry& entry = entries_.at(batch_id);
  entry.state = phase == Phase::kRollout ? State::kAtRollout : State::kAtReward;
  entry.worker = worker;
  entry.since = now;
  (phase == Phase::kRollout ? entry.attempts_rollout : entry.attempts_reward)++;
  workers_.at(worker).holding.insert(batch_id);
}

Ledger::Answer Ledger::Complete(uint64_t batch_id, Phase phase, const std::string& worker) {
  auto worker_it = workers_.find(worker);
  if (worker_it != workers_.end()) worker_it->second.holding.erase(batch_id);
  auto it = entries_.find(batch_id);
  if (it == entries_.end()) {
    ++duplicates_;
    return Answer::kUnknown;
  }
  Entry& entry = it->second;
  // Any answer for the phase the batch is in counts, also from a worker it was taken away
  // from (its result is as good as the one being redone); the batch leaves any queue.
  bool in_phase = phase == Phase::kRollout
                      ? entry.state == State::kAtRollout || entry.state == State::kWaitRollout
                      : entry.state == State::kAtReward || entry.state == State::kWaitReward;
  if (!in_phase) {
    ++duplicates_;
    return Answer::kDuplicate;
  }
  auto& queue = phase == Phase::kRollout ? waiting_rollout_ : waiting_reward_;
  for (auto q = queue.begin(); q != queue.end(); ++q) {
    if (*q == batch_id) {
      queue.erase(q);
      break;
    }
  }
  if (phase == Phase::kRollout) {
    entry.state = State::kWaitReward;
    waiting_reward_.push_back(batch_id);
  } else {
    entry.state = State::kDone;
  }
  entry.worker.clear();
  return Answer::kAccepted;
}

bool Ledger::Abandon(uint64_t batch_id, const std::string& worker) {
  auto worker_it = workers_.find(worker);
  if (worker_it != workers_.end()) worker_it->second.holding.erase(batch_id);
  auto it = entries_.find(batch_id);
  if (it == entries_.end()) return false;
  Entry& entry = it->second;
  bool held_here = (entry.state == State::kAtRollout || entry.state == State::kAtReward) &&
                   entry.worker == worker;
  if (held_here) Requeue(batch_id, entry);
  return held_here;
}

bool Ledger::Drop(uint64_t batch_id) {
  auto it = entries_.find(batch_id);
  if (it == entries_.end()) return false;
  for (auto* queue : {&waiting_rollout_, &waiting_reward_}) {
    queue->erase(std::remove(queue->begin(), queue->end(), batch_id), queue->end());
  }
  it->second.state = State::kDone;
  it->second.worker.clear();
  return true;
}

std::vector<uint64_t> Ledger::ExpireOlderThan(std::chrono::milliseconds deadline,
                                              Clock::time_point now) {
  std::vector<uint64_t> expired;
  for (auto& [batch_id, entry] : entries_) {
    bool held = entry.state == State::kAtRollout || entry.state == State::kAtReward;
    if (held && now - entry.since > deadline) {
      Requeue(batch_id, entry);
      expired.push_back(batch_id);
    }
  }
  return expired;
}

const Ledger::Entry* Ledger::Find(uint64_t batch_id) const {
  auto it = entries_.find(batch_id);
  return it == entries_.end() ? nullptr : &it->second;
}

size_t Ledger::waiting(Phase phase) const {
  return phase == Phase::kRollout ? waiting_rollout_.size() : waiting_reward_.size();
}

size_t Ledger::in_flight() const {
  size_t n = 0;
  for (const auto& [id, entry] : entries_) n += entry.state != State::kDone;
  return n;
}

}  // namespace zerorl::controller
