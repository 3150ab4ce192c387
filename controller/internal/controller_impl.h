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

// Requests from the learner's thread, applied by the controller thread in order.
struct Controller::Command {
  enum Kind { kSubmit, kPublish, kTrained, kShutdown } kind;
  wire::PromptBatch batch;                 // kSubmit
  int64_t version = 0;               // kPublish
  std::vector<wire::NamedTensor> tensors;  // kPublish
  uint64_t batch_id = 0;             // kTrained
  int64_t step = 0;                  // kTrained
};

struct Controller::Impl {
  using Clock = std::chrono::steady_clock;
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
    wire::Rollouts rollouts;
    std::string rollout_worker;
    double rollout_s = 0.0;
    Clock::time_point dispatched_at;
  };

  zmq::context_t context{1};
  std::optional<zmq::socket_t> router;
  Ledger ledger;
  std::map<std::string, Worker> workers;  // by routing id
  std::map<uint64_t, Batch> batches;      // in flight
  std::set<uint64_t> submitted;           // every id ever submitted
  int64_t published_version = wire::kNoPolicyVersion;
  std::vector<wire::Frames> weight_chunks;      // encoded chunks of the published version
  std::unique_ptr<metrics::MetricsSink> ledger_log;
  int64_t workers_lost = 0;
  int64_t bad_messages = 0;
  int64_t weight_pushes = 0;
  double last_weight_push_s = 0.0;

  void Log(metrics::MetricsRow row) {
    if (ledger_log == nullptr) return;
    absl::Status written = ledger_log->Write(row);
    if (!written.ok()) ZLOG(WARNING) << "ledger: " << written;
  }
};

}  // namespace zerorl::controller

#endif  // ZERORL_CONTROLLER_INTERNAL_CONTROLLER_IMPL_H_
