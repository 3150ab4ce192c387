// The controller thread: one loop that owns the ROUTER socket and the ledger. Run() is the
// checklist; every step below is one line of it. Messages from workers are handled in
// controller_receive.cc.
#include <utility>

#include "controller/internal/controller_impl.h"
#include "core/log.h"
#include "metrics/sink.h"
#include "wire/transport.h"

namespace zerorl::controller {

void Controller::Run() {
  while (DrainCommands()) {
    ReceiveFromWorkers();
    CheckLiveness();
    RepushWeights();
    SendHeartbeats();
    Dispatch();
    PublishStats();
  }
  SayGoodbye();
}

// ---- Learner -> controller ------------------------------------------------------------

bool Controller::DrainCommands() {
  std::deque<Command> commands;
  {
    absl::MutexLock lock(&mu_);
    commands.swap(commands_);
  }
  for (Command& c : commands) {
    switch (c.kind) {
      case Command::kSubmit:
        ApplySubmit(c);
        break;
      case Command::kPublish:
        ApplyPublish(c);
        break;
      case Command::kTrained:
        impl_->Log(Event("trained").Add("batch", c.batch_id).Add("step", c.step));
        break;
      case Command::kShutdown:
        return false;
    }
  }
  return true;
}

// Submit() checked the batch and its id, and encoded it.
void Controller::ApplySubmit(Command& c) {
  Impl& s = *impl_;
  const uint64_t id = c.batch.batch_id;
  s.ledger.Add(id);
  s.Log(Event("submitted").Add("batch", id).Add("prompts",
                                                static_cast<int64_t>(c.batch.prompts.size())));
  Impl::Batch& b = s.batches[id];
  b.batch = std::move(c.batch);
  b.rollout_frames = std::move(c.frames);
}

// Encodes the new version's chunks once and pushes them to every rollout worker behind it.
void Controller::ApplyPublish(Command& c) {
  Impl& s = *impl_;
  const Clock::time_point started = Clock::now();
  s.published_version = c.version;
  s.weight_chunks.clear();
  for (const wire::WeightUpdate& chunk : c.chunks) {
    absl::StatusOr<wire::Frames> frames = wire::Encode(chunk);
    if (!frames.ok()) {
      ZLOG(ERROR) << "controller: cannot publish version " << c.version << ": "
                  << frames.status();
      s.weight_chunks.clear();
      return;
    }
    s.weight_chunks.push_back(*std::move(frames));
  }
  for (const std::string& id : s.WorkerIds()) {
    auto it = s.workers.find(id);
    if (it != s.workers.end() && it->second.pushed_version < c.version) s.PushWeights(id);
  }
  s.last_weight_push_s = SecondsSince(started);
}

// ---- Liveness, weights, heartbeats ------------------------------------------------------

void Controller::CheckLiveness() {
  Impl& s = *impl_;
  const auto silence_limit = options_.heartbeat_interval * options_.liveness;
  const Clock::time_point now = Clock::now();
  for (const std::string& id : s.WorkerIds()) {
    if (now - s.workers.at(id).last_heard > silence_limit) {
      s.LoseWorker(id, "no heartbeat for " + std::to_string(silence_limit.count()) + " ms");
    }
  }
  if (options_.work_deadline.count() > 0) {
    for (uint64_t b : s.ledger.ExpireOlderThan(options_.work_deadline, now)) {
      ZLOG(WARNING) << "controller: batch " << b << " past its deadline; re-dispatched";
      s.Log(Event("requeued").Add("batch", b).Add("why", "deadline"));
    }
  }
}

void Controller::RepushWeights() {
  Impl& s = *impl_;
  const Clock::time_point now = Clock::now();
  for (const std::string& id : s.WorkerIds()) {
    auto it = s.workers.find(id);
    if (it == s.workers.end()) continue;
    const Impl::Worker& w = it->second;
    if (w.kind == wire::WorkerKind::kRollout && w.held_version < s.published_version &&
        w.pushed_version >= s.published_version && now - w.pushed_at > options_.weight_repush) {
      ZLOG(WARNING) << "controller: " << id << " still reports version " << w.held_version
                    << "; pushing " << s.published_version << " again";
      s.PushWeights(id);
    }
  }
}

void Controller::SendHeartbeats() {
  Impl& s = *impl_;
  const Clock::time_point now = Clock::now();
  for (const std::string& id : s.WorkerIds()) {
    auto it = s.workers.find(id);
    if (it == s.workers.end() || now - it->second.last_sent < options_.heartbeat_interval) {
      continue;
    }
    absl::Status sent = s.SendTo(id, wire::Heartbeat{s.published_version});
    if (!sent.ok()) s.LoseWorker(id, "heartbeat send failed: " + std::string(sent.message()));
  }
}

// ---- Dispatch -------------------------------------------------------------------------

void Controller::Dispatch() {
  for (const std::string& id : impl_->WorkerIds()) DispatchTo(id);
}

// Fills the worker's free slots from its phase's queue: rollout work only once the worker
// holds (or has been pushed) the policy version the batch needs; scoring work with the
// prompts attached. Both were encoded (and checked) before they were queued.
void Controller::DispatchTo(const std::string& id) {
  Impl& s = *impl_;
  auto it = s.workers.find(id);
  if (it == s.workers.end()) return;
  const Impl::Worker& w = it->second;
  const Phase phase = PhaseOf(w.kind);
  while (s.ledger.FreeSlots(id) > 0) {
    std::optional<uint64_t> next = s.ledger.PeekWaiting(phase);
    if (!next) break;
    Impl::Batch& b = s.batches.at(*next);
    if (phase == Phase::kRollout &&
        std::max(w.held_version, w.pushed_version) < b.batch.policy_version) {
      break;
    }
    absl::Status sent =
        s.SendTo(id, phase == Phase::kRollout ? b.rollout_frames : b.reward_frames);
    if (!sent.ok()) {
      s.LoseWorker(id, "send failed: " + std::string(sent.message()));
      break;
    }
    s.ledger.Dispatch(phase, id, Clock::now());
    b.dispatched_at = Clock::now();
    s.Log(Event("dispatched").Add("batch", *next).Add("phase", PhaseName(phase)).Add("worker", id));
  }
}

// ---- Controller thread -> learner ---------------------------------------------------------

void Controller::PublishStats() {
  const Impl& s = *impl_;
  absl::MutexLock lock(&mu_);
  stats_.rollout_workers = 0;
  stats_.reward_workers = 0;
  stats_.worker_versions.clear();
  stats_.connected.clear();
  for (const auto& [id, w] : s.workers) {
    stats_.connected.insert(id);
    if (w.kind == wire::WorkerKind::kRollout) {
      ++stats_.rollout_workers;
      stats_.worker_versions[id] = w.held_version;
    } else {
      ++stats_.reward_workers;
    }
  }
  stats_.waiting_rollout = s.ledger.waiting(Phase::kRollout);
  stats_.waiting_reward = s.ledger.waiting(Phase::kReward);
  stats_.duplicates = s.ledger.duplicates();
  stats_.redispatched = s.ledger.redispatched();
  stats_.workers_lost = s.workers_lost;
  stats_.bad_messages = s.bad_messages;
  stats_.weight_pushes = s.weight_pushes;
  stats_.last_weight_push_s = s.last_weight_push_s;
}

// Tells every worker the run is over and lets the socket linger briefly.
void Controller::SayGoodbye() {
  Impl& s = *impl_;
  std::string reason;
  {
    absl::MutexLock lock(&mu_);
    reason = shutdown_reason_;
  }
  for (const auto& [id, w] : s.workers) {
    (void)wire::SendMessageTo(*s.router, id, ::zerorl::wire::Shutdown{reason});
  }
  s.router.reset();
}

// ---- Impl: the thread's helpers -----------------------------------------------------------

std::vector<std::string> Controller::Impl::WorkerIds() const {
  std::vector<std::string> ids;
  ids.reserve(workers.size());
  for (const auto& [id, w] : workers) ids.push_back(id);
  return ids;
}

absl::Status Controller::Impl::SendTo(const std::string& id, const wire::Frames& frames) {
  absl::Status sent = wire::SendFramesTo(*router, id, frames);
  auto it = workers.find(id);
  if (it != workers.end()) it->second.last_sent = Clock::now();
  return sent;
}

absl::Status Controller::Impl::SendTo(const std::string& id, const wire::Message& message) {
  absl::StatusOr<wire::Frames> frames = wire::Encode(message);
  if (!frames.ok()) return frames.status();
  return SendTo(id, *frames);
}

void Controller::Impl::LoseWorker(const std::string& id, const std::string& why) {
  std::vector<uint64_t> requeued = ledger.RemoveWorker(id);
  workers.erase(id);
  ++workers_lost;
  ZLOG(WARNING) << "controller: worker " << id << " lost (" << why << "); " << requeued.size()
                << " batches re-queued";
  Log(Event("worker_lost").Add("worker", id).Add("why", why).Add(
      "requeued", static_cast<int64_t>(requeued.size())));
  for (uint64_t b : requeued) Log(Event("requeued").Add("batch", b).Add("from", id));
}

void Controller::Impl::PushWeights(const std::string& id) {
  auto it = workers.find(id);
  if (it == workers.end() || weight_chunks.empty() ||
      it->second.kind != wire::WorkerKind::kRollout) {
    return;
  }
  for (const wire::Frames& chunk : weight_chunks) {
    absl::Status sent = SendTo(id, chunk);
    if (!sent.ok()) {
      LoseWorker(id, "weight push failed: " + std::string(sent.message()));
      return;
    }
  }
  Worker& w = it->second;
  w.pushed_version = published_version;
  w.pushed_at = Clock::now();
  ++weight_pushes;
}

void Controller::Impl::Log(const metrics::MetricsRow& row) {
  if (ledger_log == nullptr) return;
  absl::Status written = ledger_log->Write(row);
  if (!written.ok()) ZLOG(WARNING) << "ledger: " << written;
}

}  // namespace zerorl::controller
