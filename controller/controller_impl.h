// Private to controller/: the state of the controller thread and the learner's commands.
#ifndef ZERORL_CONTROLLER_CONTROLLER_IMPL_H_
#define ZERORL_CONTROLLER_CONTROLLER_IMPL_H_

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

namespace zerorl {

// Requests from the learner's thread, applied by the controller thread in order.
struct Controller::Command {
  enum Kind { kSubmit, kPublish, kTrained, kShutdown } kind;
  PromptBatch batch;                 // kSubmit
  int64_t version = 0;               // kPublish
  std::vector<NamedTensor> tensors;  // kPublish
  uint64_t batch_id = 0;             // kTrained
  int64_t step = 0;                  // kTrained
};

struct Controller::Impl {
  using Clock = std::chrono::steady_clock;
  struct Worker {
    WorkerKind kind = WorkerKind::kRollout;
    int64_t held_version = kNoPolicyVersion;    // what it reports
    int64_t pushed_version = kNoPolicyVersion;  // what we queued for it
    Clock::time_point pushed_at;
    Clock::time_point last_heard;
    Clock::time_point last_sent;
    int64_t pid = 0;
    std::string hostname;
  };
  struct Batch {
    PromptBatch batch;
    Rollouts rollouts;
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
  int64_t published_version = kNoPolicyVersion;
  std::vector<Frames> weight_chunks;      // encoded chunks of the published version
  std::unique_ptr<MetricsSink> ledger_log;
  int64_t workers_lost = 0;
  int64_t bad_messages = 0;
  int64_t weight_pushes = 0;
  double last_weight_push_s = 0.0;

  void Log(MetricsRow row) {
    if (ledger_log == nullptr) return;
    absl::Status written = ledger_log->Write(row);
    if (!written.ok()) ZLOG(WARNING) << "ledger: " << written;
  }
};

}  // namespace zerorl

#endif  // ZERORL_CONTROLLER_CONTROLLER_IMPL_H_
