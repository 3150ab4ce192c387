// Private to controller/: the state of the controller thread and the learner's commands.
#ifndef ZERORL_CONTROLLER_INTERNAL_CONTROLLER_IMPL_H_
#define ZERORL_CONTROLLER_INTERNAL_CONTROLLER_IMPL_H_

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "controller/controller.h"
#include "controller/ledger.h"
#include "core/log.h"
#include "metrics/sink.h"
#include "zmq.hpp"

namespace zerorl::controller {

using Clock = std::chrono::steady_clock;

inline Phase PhaseOf(wire::WorkerKind kind) {
  return kind == wire::WorkerKind::kRollout ? Phase::kRollout : Phase::kReward;
}

inline double SecondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// A ledger.jsonl line: {"event": name, "time": unix seconds}, more keys added by the caller.
inline metrics::MetricsRow Event(const char* name) {
  metrics::MetricsRow row;
  row.Add("event", name).Add("time", metrics::UnixTimeSeconds());
  return row;
}

// Requests from the learner's thread, applied by the controller thread in order.
struct Controller::Command {
  enum Kind { kSubmit, kPublish, kTrained, kShutdown } kind = kShutdown;
  wire::PromptBatch batch;                 // kSubmit
  wire::Frames frames;                     // kSubmit: `batch` encoded, checked by Submit()
  int64_t version = 0;                     // kPublish
  std::vector<wire::WeightUpdate> chunks;  // kPublish: the tensors split by Publish()
  uint64_t batch_id = 0;                   // kTrained
  int64_t step = 0;                        // kTrained
};

struct Controller::Impl {
  struct Worker {
    wire::WorkerKind kind = wire::WorkerKind::kRollout;
    int64_t held_version = wire::kNoPolicyVersion;    // what it reports
    int64_t pushed_version = wire::kNoPolicyVersion;  // what we queued for it
    Clock::time_point pushed_at;
    Clock::time_point last_heard;
    Clock::time_point last_sent;
    int64_t pid = 0;
    std::string hostname;
  };
  struct Batch {
    wire::PromptBatch batch;
    wire::Frames rollout_frames;  // `batch` encoded (Submit); dropped once its rollouts are in
    wire::Rollouts rollouts;
    wire::Frames reward_frames;   // `rollouts` with the prompts attached, encoded
    std::string rollout_worker;
    double rollout_s = 0.0;
    Clock::time_point dispatched_at;
  };

  zmq::context_t context{1};
  std::optional<zmq::socket_t> router;
  Ledger ledger;
  std::map<std::string, Worker> workers;  // by routing id
  std::map<uint64_t, Batch> batches;      // in flight
  int64_t published_version = wire::kNoPolicyVersion;
  std::vector<wire::Frames> weight_chunks;      // encoded chunks of the published version
  std::unique_ptr<metrics::MetricsSink> ledger_log;
  int64_t workers_lost = 0;
  int64_t bad_messages = 0;
  int64_t weight_pushes = 0;
  double last_weight_push_s = 0.0;

  // The ids of the workers alive now (a copy: steps that may lose a worker iterate it).
  std::vector<std::string> WorkerIds() const;
  // Sends to one worker and notes when; the status of the send.
  absl::Status SendTo(const std::string& id, const wire::Frames& frames);
  absl::Status SendTo(const std::string& id, const wire::Message& message);
  // Forgets the worker; the batches in its hands go back to their queues.
  void LoseWorker(const std::string& id, const std::string& why);
  // Queues every chunk of the published version for the rollout worker `id`; loses it if
  // a send fails. Nothing for a reward worker or before the first Publish.
  void PushWeights(const std::string& id);
  // Appends one event to ledger.jsonl, when there is one.
  void Log(const metrics::MetricsRow& row);
};

}  // namespace zerorl::controller

#endif  // ZERORL_CONTROLLER_INTERNAL_CONTROLLER_IMPL_H_
