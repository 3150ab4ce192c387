// The controller thread's receiving step: every message waiting on the ROUTER socket, one
// handler per message type. A worker's answer is checked against the batch it answers
// before the ledger accepts it; whatever does not fit is refused and the batch redone.
#include <algorithm>
#include <set>
#include <utility>
#include <variant>

#include "controller/internal/controller_impl.h"
#include "core/log.h"
#include "wire/transport.h"

namespace zerorl::controller {
namespace {

constexpr std::chrono::milliseconds kPollSlice{10};

// Checks that a rollout worker's answer covers exactly the batch: n completions for every
// prompt, sample indices 0..n-1.
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

// Checks that a reward worker scored exactly the completions it was sent, in their order.
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

// The scoring request for a reward worker: the accepted rollouts with the batch's prompts
// attached, encoded once (a re-dispatch sends the same frames). `rollouts` is left with no
// prompts, as ScoredBatch promises.
absl::StatusOr<wire::Frames> EncodeWithPrompts(wire::Rollouts& rollouts,
                                               const std::vector<wire::Prompt>& prompts) {
  rollouts.prompts = prompts;
  absl::StatusOr<wire::Frames> frames = wire::Encode(rollouts);
  rollouts.prompts.clear();
  rollouts.prompts.shrink_to_fit();
  return frames;
}

}  // namespace

void Controller::ReceiveFromWorkers() {
  Impl& s = *impl_;
  std::chrono::milliseconds wait = kPollSlice;  // the loop's pace when nothing arrives
  for (;;) {
    absl::StatusOr<std::vector<bool>> readable = wire::PollReadable({&*s.router}, wait);
    if (!readable.ok() || !(*readable)[0]) return;
    wait = std::chrono::milliseconds(0);
    absl::StatusOr<wire::Received> in =
        wire::ReceiveRoutedMessage(*s.router, std::chrono::milliseconds(0));
    if (!in.ok()) return;
    if (in->message.ok()) {
      HandleMessage(in->routing_id, *in->message);
      continue;
    }
    const absl::Status& why = in->message.status();
    ++s.bad_messages;
    ZLOG(WARNING) << "controller: refused a message from " << wire::PeerName(in->routing_id)
                  << ": " << why;
    if (why.code() == absl::StatusCode::kFailedPrecondition) {  // another protocol version
      (void)wire::SendMessageTo(*s.router, in->routing_id,
                                ::zerorl::wire::Shutdown{std::string(why.message())});
    }
  }
}

void Controller::HandleMessage(const std::string& id, wire::Message& message) {
  Impl& s = *impl_;
  if (const wire::Hello* hello = std::get_if<wire::Hello>(&message)) {
    OnHello(id, *hello);
    return;
  }
  auto worker = s.workers.find(id);
  if (worker == s.workers.end()) return;  // not introduced: it will say Hello again
  worker->second.last_heard = Clock::now();
  switch (wire::TypeOf(message)) {
    case wire::MessageType::kHeartbeat:
      worker->second.held_version = std::get<wire::Heartbeat>(message).policy_version;
      break;
    case wire::MessageType::kMetrics:
      OnMetrics(id, std::get<wire::Metrics>(message));
      break;
    case wire::MessageType::kRollouts:
      OnRollouts(id, std::get<wire::Rollouts>(message));
      break;
    case wire::MessageType::kScoredGroups:
      OnScores(id, std::get<wire::ScoredGroups>(message));
      break;
    default:
      ZLOG(WARNING) << "controller: unexpected " << wire::MessageTypeName(wire::TypeOf(message))
                    << " from " << id << "; ignored";
  }
}

// A worker joined, or rejoined after a restart (its old self is lost first): it gets a
// heartbeat with the published version and, if behind, the weights.
void Controller::OnHello(const std::string& id, const wire::Hello& hello) {
  Impl& s = *impl_;
  if (s.workers.count(id)) s.LoseWorker(id, "said Hello again (restarted)");
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
  s.Log(Event("worker_joined").Add("worker", id).Add("kind", wire::WorkerKindName(hello.kind)));
  (void)s.SendTo(id, wire::Heartbeat{s.published_version});
  if (hello.policy_version < s.published_version) s.PushWeights(id);
}

void Controller::OnMetrics(const std::string& id, const wire::Metrics& metrics) {
  absl::MutexLock lock(&mu_);
  for (const auto& [name, value] : metrics.values) worker_metrics_[id][name] = value;
}

// The first valid answer for the batch's rollout phase is kept; the batch then waits for
// a reward worker, or is given up if its scoring request would be over a wire limit. A
// malformed answer is refused and the batch goes back to its queue.
void Controller::OnRollouts(const std::string& id, wire::Rollouts& rollouts) {
  Impl& s = *impl_;
  const uint64_t batch_id = rollouts.batch_id;
  auto batch = s.batches.find(batch_id);
  if (batch != s.batches.end()) {
    absl::Status valid = CheckRollouts(batch->second.batch, rollouts);
    if (!valid.ok()) {
      ZLOG(WARNING) << "controller: rollouts of batch " << batch_id << " from " << id
                    << " refused: " << valid;
      s.ledger.Abandon(batch_id, id);
      s.Log(Event("refused").Add("batch", batch_id).Add("worker", id).Add(
          "why", std::string(valid.message())));
      return;
    }
  }
  if (s.ledger.Complete(batch_id, Phase::kRollout, id) != Ledger::Answer::kAccepted) {
    s.Log(Event("duplicate").Add("batch", batch_id).Add("phase", "rollout").Add("worker", id));
    return;
  }
  Impl::Batch& b = batch->second;
  b.rollouts = std::move(rollouts);
  b.rollout_worker = id;
  b.rollout_s = SecondsSince(b.dispatched_at);
  b.rollout_frames.clear();  // the rollout phase is over: never sent again
  s.Log(Event("accepted").Add("batch", batch_id).Add("phase", "rollout").Add("worker", id));
  absl::StatusOr<wire::Frames> request = EncodeWithPrompts(b.rollouts, b.batch.prompts);
  if (!request.ok()) {
    GiveUp(batch_id, request.status());
    return;
  }
  b.reward_frames = *std::move(request);
}

void Controller::GiveUp(uint64_t batch_id, const absl::Status& why) {
  Impl& s = *impl_;
  s.ledger.Drop(batch_id);
  s.batches.erase(batch_id);
  const std::string reason = std::string(why.message());
  ZLOG(ERROR) << "controller: batch " << batch_id << " given up: " << reason;
  s.Log(Event("abandoned").Add("batch", batch_id).Add("why", reason));
  absl::MutexLock lock(&mu_);
  failures_.push_back(FailedBatch{
      batch_id, absl::Status(why.code(), "batch " + std::to_string(batch_id) +
                                             " given up by the controller: " + reason)});
  --stats_.in_flight;
}

// The first valid scores finish the batch: it goes to the learner, exactly once.
void Controller::OnScores(const std::string& id, wire::ScoredGroups& scores) {
  Impl& s = *impl_;
  const uint64_t batch_id = scores.batch_id;
  auto batch = s.batches.find(batch_id);
  if (batch != s.batches.end()) {
    absl::Status valid = CheckScores(batch->second.rollouts, scores);
    if (!valid.ok()) {
      ZLOG(WARNING) << "controller: scores of batch " << batch_id << " from " << id
                    << " refused: " << valid;
      s.ledger.Abandon(batch_id, id);
      s.Log(Event("refused").Add("batch", batch_id).Add("worker", id).Add(
          "why", std::string(valid.message())));
      return;
    }
  }
  if (s.ledger.Complete(batch_id, Phase::kReward, id) != Ledger::Answer::kAccepted) {
    s.Log(Event("duplicate").Add("batch", batch_id).Add("phase", "reward").Add("worker", id));
    return;
  }
  Impl::Batch& b = batch->second;
  ScoredBatch result;
  result.batch = std::move(b.batch);
  result.rollouts = std::move(b.rollouts);
  result.scores = std::move(scores);
  result.rollout_worker = b.rollout_worker;
  result.reward_worker = id;
  result.rollout_s = b.rollout_s;
  result.reward_s = SecondsSince(b.dispatched_at);
  s.batches.erase(batch);
  s.Log(Event("accepted").Add("batch", batch_id).Add("phase", "reward").Add("worker", id));
  absl::MutexLock lock(&mu_);
  results_.push_back(std::move(result));
}

}  // namespace zerorl::controller
