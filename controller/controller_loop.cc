// The controller thread: one loop that owns the ROUTER socket and the ledger.
#include <unistd.h>

#include <set>
#include <utility>
#include <variant>

#include "controller/internal/controller_impl.h"
#include "core/log.h"
#include "metrics/sink.h"
#include "wire/transport.h"

namespace zerorl::controller {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kPollSlice{10};

Phase PhaseOf(wire::WorkerKind kind) {
  return kind == wire::WorkerKind::kRollout ? Phase::kRollout : Phase::kReward;
}

double SecondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

metrics::MetricsRow Event(const char* name) {
  metrics::MetricsRow row;
  row.Add("event", name).Add("time", metrics::UnixTimeSeconds());
  return row;
}

// Checks that a rollout worker's answer covers exactly the batch: n completions for every
// prompt, sample indices 0..n-1, log-probs per token.
absl::Status CheckRollouts(const wire::PromptBatch& batch, const wire::Rollouts& rollouts) {
  std::map<uint64_t, std::set<int32_t>> seen;
  for (const wire::Prompt& p : batch.prompts) seen[p.id];
  for (const wire::Completion& c : rollouts.completions) {
    auto it = seen.find(c.prompt_id);
    if (it == seen.end()) {
      return absl::InvalidArgumentError("completion for prompt " + std::to_string(c.prompt_id) +
                                        " that is not in the batch");
    }
    if (c.sample_index < 0 || c.sample_index >= batch.sampling.n ||
        !it->second.insert(c.sample_index).second) {
      return absl::InvalidArgumentError("bad or repeated sample index " +
                                        std::to_string(c.sample_index) + " for prompt " +
                                        std::to_string(c.prompt_id));
    }
  }
  for (const auto& [id, samples] : seen) {
    if (static_cast<int>(samples.size()) != batch.sampling.n) {
      return absl::InvalidArgumentError("prompt " + std::to_string(id) + " has " +
                                        std::to_string(samples.size()) + " samples, expected " +
                                        std::to_string(batch.sampling.n));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckScores(const wire::Rollouts& rollouts, const wire::ScoredGroups& scores) {
  if (scores.completions.size() != rollouts.completions.size()) {
    return absl::InvalidArgumentError("scored " + std::to_string(scores.completions.size()) +
                                      " completions, sent " +
                                      std::to_string(rollouts.completions.size()));
  }
  for (size_t i = 0; i < scores.completions.size(); ++i) {
    if (scores.completions[i].prompt_id != rollouts.completions[i].prompt_id ||
        scores.completions[i].sample_index != rollouts.completions[i].sample_index) {
      return absl::InvalidArgumentError("scores out of order at completion " + std::to_string(i));
    }
  }
  return absl::OkStatus();
}

}  // namespace

void Controller::Run() {
  Impl& s = *impl_;
  zmq::socket_t& router = *s.router;
  const auto silence_limit = options_.heartbeat_interval * options_.liveness;

  auto publish_stats = [&] {
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
  };

  auto send_to = [&](const std::string& id, const wire::Frames& frames) {
    absl::Status sent = wire::SendFramesTo(router, id, frames);
    auto it = s.workers.find(id);
    if (it != s.workers.end()) it->second.last_sent = Clock::now();
    return sent;
  };

  auto lose_worker = [&](const std::string& id, const std::string& why) {
    std::vector<uint64_t> requeued = s.ledger.RemoveWorker(id);
    s.workers.erase(id);
    ++s.workers_lost;
    ZLOG(WARNING) << "controller: worker " << id << " lost (" << why << "); "
                  << requeued.size() << " batches re-queued";
    s.Log(Event("worker_lost").Add("worker", id).Add("why", why).Add(
        "requeued", static_cast<int64_t>(requeued.size())));
    for (uint64_t b : requeued) s.Log(Event("requeued").Add("batch", b).Add("from", id));
  };

  auto push_weights = [&](const std::string& id, Impl::Worker& w) {
    if (s.weight_chunks.empty() || w.kind != wire::WorkerKind::kRollout) return;
    for (const wire::Frames& chunk : s.weight_chunks) {
      absl::Status sent = send_to(id, chunk);
      if (!sent.ok()) {
        lose_worker(id, "weight push failed: " + std::string(sent.message()));
        return;
      }
    }
    w.pushed_version = s.published_version;
    w.pushed_at = Clock::now();
    ++s.weight_pushes;
  };

  bool running = true;
  while (running) {
    // 1. Commands from the learner.
    std::deque<Command> commands;
    {
      absl::MutexLock lock(&mu_);
      commands.swap(commands_);
    }
    for (Command& c : commands) {
      switch (c.kind) {
        case Command::kSubmit: {
          uint64_t id = c.batch.batch_id;
          if (!s.submitted.insert(id).second || !s.ledger.Add(id)) {
            ZLOG(ERROR) << "controller: batch id " << id << " submitted twice; ignored";
            absl::MutexLock lock(&mu_);
            --stats_.in_flight;
            break;
          }
          s.Log(Event("submitted").Add("batch", id).Add(
              "prompts", static_cast<int64_t>(c.batch.prompts.size())));
          s.batches[id].batch = std::move(c.batch);
          break;
        }
        case Command::kPublish: {
          Clock::time_point started = Clock::now();
          s.published_version = c.version;
          s.weight_chunks.clear();
          absl::StatusOr<std::vector<wire::WeightUpdate>> chunks =
              wire::SplitWeights(c.version, c.tensors, options_.weight_chunk_bytes);
          if (!chunks.ok()) {
            ZLOG(ERROR) << "controller: cannot publish version " << c.version << ": "
                        << chunks.status();
            break;
          }
          for (const wire::WeightUpdate& chunk : *chunks) {
            absl::StatusOr<wire::Frames> frames = wire::Encode(chunk);
            if (!frames.ok()) {
              ZLOG(ERROR) << "controller: encode weights: " << frames.status();
              s.weight_chunks.clear();
              break;
            }
            s.weight_chunks.push_back(*std::move(frames));
          }
          std::vector<std::string> ids;
          for (auto& [id, w] : s.workers) ids.push_back(id);
          for (const std::string& id : ids) {
            auto it = s.workers.find(id);
            if (it != s.workers.end() && it->second.pushed_version < c.version) {
              push_weights(id, it->second);
            }
          }
          s.last_weight_push_s = SecondsSince(started);
          break;
        }
        case Command::kTrained:
          s.Log(Event("trained").Add("batch", c.batch_id).Add("step", c.step));
          break;
        case Command::kShutdown:
          running = false;
          break;
      }
    }
    if (!running) break;

    // 2. Messages from workers.
    absl::StatusOr<std::vector<bool>> readable = wire::PollReadable({&router}, kPollSlice);
    while (readable.ok() && (*readable)[0]) {
      absl::StatusOr<wire::Received> in =
          wire::ReceiveRoutedMessage(router, std::chrono::milliseconds(0));
      if (!in.ok()) break;
      const std::string id = in->routing_id;
      if (!in->message.ok()) {
        ++s.bad_messages;
        ZLOG(WARNING) << "controller: refused a message from " << wire::PeerName(id) << ": "
                      << in->message.status();
        if (in->message.status().code() == absl::StatusCode::kFailedPrecondition) {
          (void)wire::SendMessageTo(
              router, id, ::zerorl::wire::Shutdown{std::string(in->message.status().message())});
        }
        continue;
      }
      wire::Message& message = *in->message;
      auto worker_it = s.workers.find(id);
      if (wire::TypeOf(message) == wire::MessageType::kHello) {
        const wire::Hello& hello = std::get<wire::Hello>(message);
        if (worker_it != s.workers.end()) lose_worker(id, "said Hello again (restarted)");
        Impl::Worker w;
        w.kind = hello.kind;
        w.held_version = hello.policy_version;
        w.last_heard = Clock::now();
        w.pid = hello.pid;
        w.hostname = hello.hostname;
        s.workers[id] = w;
        s.ledger.AddWorker(id, PhaseOf(hello.kind), std::max(1, hello.slots));
        ZLOG(INFO) << "controller: " << wire::WorkerKindName(hello.kind) << " worker " << id
                   << " joined (pid " << hello.pid << " on " << hello.hostname << ", version "
                   << hello.policy_version << ")";
        s.Log(
            Event("worker_joined").Add("worker", id).Add("kind", wire::WorkerKindName(hello.kind)));
        Impl::Worker& stored = s.workers[id];
        (void)send_to(id, *wire::Encode(wire::Heartbeat{s.published_version}));
        if (stored.held_version < s.published_version) push_weights(id, stored);
        continue;
      }
      if (worker_it == s.workers.end()) continue;  // not introduced: it will re-Hello
      Impl::Worker& w = worker_it->second;
      w.last_heard = Clock::now();
      switch (wire::TypeOf(message)) {
        case wire::MessageType::kHeartbeat:
          w.held_version = std::get<wire::Heartbeat>(message).policy_version;
          break;
        case wire::MessageType::kMetrics: {
          absl::MutexLock lock(&mu_);
          for (const auto& [name, value] : std::get<wire::Metrics>(message).values) {
            worker_metrics_[id][name] = value;
          }
          break;
        }
        case wire::MessageType::kRollouts: {
          wire::Rollouts& rollouts = std::get<wire::Rollouts>(message);
          uint64_t batch_id = rollouts.batch_id;
          auto batch_it = s.batches.find(batch_id);
          if (batch_it != s.batches.end()) {
            absl::Status valid = CheckRollouts(batch_it->second.batch, rollouts);
            if (!valid.ok()) {
              ZLOG(WARNING) << "controller: rollouts of batch " << batch_id << " from " << id
                            << " refused: " << valid;
              s.ledger.Abandon(batch_id, id);
              s.Log(Event("refused").Add("batch", batch_id).Add("worker", id).Add(
                  "why", std::string(valid.message())));
              break;
            }
          }
          Ledger::Answer answer = s.ledger.Complete(batch_id, Phase::kRollout, id);
          if (answer != Ledger::Answer::kAccepted) {
            s.Log(Event("duplicate").Add("batch", batch_id).Add("phase", "rollout").Add("worker", id));
            break;
          }
          Impl::Batch& b = batch_it->second;
          b.rollouts = std::move(rollouts);
          b.rollout_worker = id;
          b.rollout_s = SecondsSince(b.dispatched_at);
          s.Log(Event("accepted").Add("batch", batch_id).Add("phase", "rollout").Add("worker", id));
          break;
        }
        case wire::MessageType::kScoredGroups: {
          wire::ScoredGroups& scores = std::get<wire::ScoredGroups>(message);
          uint64_t batch_id = scores.batch_id;
          auto batch_it = s.batches.find(batch_id);
          if (batch_it != s.batches.end()) {
            absl::Status valid = CheckScores(batch_it->second.rollouts, scores);
            if (!valid.ok()) {
              ZLOG(WARNING) << "controller: scores of batch " << batch_id << " from " << id
                            << " refused: " << valid;
              s.ledger.Abandon(batch_id, id);
              break;
            }
          }
          Ledger::Answer answer = s.ledger.Complete(batch_id, Phase::kReward, id);
          if (answer != Ledger::Answer::kAccepted) {
            s.Log(Event("duplicate").Add("batch", batch_id).Add("phase", "reward").Add("worker", id));
            break;
          }
          Impl::Batch& b = batch_it->second;
          ScoredBatch result;
          result.batch = std::move(b.batch);
          result.rollouts = std::move(b.rollouts);
          result.scores = std::move(scores);
          result.rollout_worker = b.rollout_worker;
          result.reward_worker = id;
          result.rollout_s = b.rollout_s;
          result.reward_s = SecondsSince(b.dispatched_at);
          s.batches.erase(batch_it);
          s.Log(Event("accepted").Add("batch", batch_id).Add("phase", "reward").Add("worker", id));
          absl::MutexLock lock(&mu_);
          results_.push_back(std::move(result));
          break;
        }
        default:
          ZLOG(WARNING) << "controller: unexpected " << wire::MessageTypeName(wire::TypeOf(message))
                        << " from " << id << "; ignored";
      }
      readable = wire::PollReadable({&router}, std::chrono::milliseconds(0));
    }

    // 3. Liveness, deadlines, weight re-pushes, heartbeats.
    Clock::time_point now = Clock::now();
    std::vector<std::string> silent;
    for (const auto& [id, w] : s.workers) {
      if (now - w.last_heard > silence_limit) silent.push_back(id);
    }
    for (const std::string& id : silent) {
      lose_worker(id, "no heartbeat for " + std::to_string(silence_limit.count()) + " ms");
    }
    if (options_.work_deadline.count() > 0) {
      for (uint64_t b : s.ledger.ExpireOlderThan(options_.work_deadline, now)) {
        ZLOG(WARNING) << "controller: batch " << b << " past its deadline; re-dispatched";
        s.Log(Event("requeued").Add("batch", b).Add("why", "deadline"));
      }
    }
    std::vector<std::string> ids;
    for (const auto& [id, w] : s.workers) ids.push_back(id);
    for (const std::string& id : ids) {
      auto it = s.workers.find(id);
      if (it == s.workers.end()) continue;
      Impl::Worker& w = it->second;
      if (w.kind == wire::WorkerKind::kRollout && w.held_version < s.published_version &&
          w.pushed_version >= s.published_version && now - w.pushed_at > options_.weight_repush) {
        ZLOG(WARNING) << "controller: " << id << " still reports version " << w.held_version
                      << "; pushing " << s.published_version << " again";
        push_weights(id, w);
      }
      if (s.workers.count(id) && now - w.last_sent >= options_.heartbeat_interval) {
        absl::Status sent = send_to(id, *wire::Encode(wire::Heartbeat{s.published_version}));
        if (!sent.ok()) lose_worker(id, "heartbeat send failed: " + std::string(sent.message()));
      }
    }

    // 4. Dispatch: rollout work to workers with free slots and recent enough weights, then
    // scoring work to reward workers.
    for (const auto& id : ids) {
      auto it = s.workers.find(id);
      if (it == s.workers.end()) continue;
      Impl::Worker& w = it->second;
      Phase phase = PhaseOf(w.kind);
      while (s.ledger.FreeSlots(id) > 0) {
        std::optional<uint64_t> next = s.ledger.PeekWaiting(phase);
        if (!next) break;
        Impl::Batch& b = s.batches.at(*next);
        wire::Frames frames;
        if (phase == Phase::kRollout) {
          if (std::max(w.held_version, w.pushed_version) < b.batch.policy_version) break;
          frames = *wire::Encode(b.batch);
        } else {
          wire::Rollouts with_prompts = b.rollouts;
          with_prompts.prompts = b.batch.prompts;
          frames = *wire::Encode(with_prompts);
        }
        absl::Status sent = send_to(id, frames);
        if (!sent.ok()) {
          lose_worker(id, "send failed: " + std::string(sent.message()));
          break;
        }
        s.ledger.Dispatch(phase, id, Clock::now());
        b.dispatched_at = Clock::now();
        s.Log(Event("dispatched").Add("batch", *next).Add("phase", PhaseName(phase)).Add(
            "worker", id));
      }
    }
    publish_stats();
  }

  // Shutdown: tell every worker, let the socket linger briefly.
  std::string reason;
  {
    absl::MutexLock lock(&mu_);
    reason = shutdown_reason_;
  }
  for (const auto& [id, w] : s.workers)
    (void)wire::SendMessageTo(router, id, ::zerorl::wire::Shutdown{reason});
  s.router.reset();
}

}  // namespace zerorl::controller
