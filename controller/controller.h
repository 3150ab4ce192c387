// The controller: the broker (README: How it works), in the learner's rank-0 process. It binds
// one ROUTER socket and runs the conversation of wire/protocol.h on its own thread; the
// learner talks to it through this thread-safe facade.
//
//   ASSIGN_OR_RETURN(auto controller, Controller::Start({.endpoint = "ipc:///run/c.sock"}));
//   RETURN_IF_ERROR(controller->Publish(0, weights));        // every rollout worker gets v0
//   RETURN_IF_ERROR(controller->Submit(batch));                // PromptBatch, unique batch_id
//   std::optional<ScoredBatch> done = controller->Next(std::chrono::seconds(1));
//   controller->RecordTrained(done->batch.batch_id, step);
//   controller->Shutdown("run finished");
//
// A submitted batch goes to a rollout worker with a free slot that holds (or has been
// pushed) a recent enough policy version, its Rollouts then go, with the prompts attached,
// to a reward worker, and the scored result comes out of Next() exactly once. Workers that
// stop heartbeating are dropped and their work re-dispatched (wire/protocol.h liveness);
// late or duplicate answers are dropped (controller/ledger.h). A batch that cannot be sent on
// is given up (TakeFailures()) instead of stopping the others. Weights are pushed to every
// rollout worker behind the published version, before any batch that needs them: ZeroMQ
// keeps per-peer order, so a worker applies them before generating that batch.
//
// With `ledger_path` set, every event (submitted, dispatched, accepted, refused, duplicate,
// requeued, abandoned, worker_joined, worker_lost, trained) is appended there as a JSON
// line, so a run can be audited: each batch id has exactly one "trained" line.
#ifndef ZERORL_CONTROLLER_CONTROLLER_H_
#define ZERORL_CONTROLLER_CONTROLLER_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "wire/messages.h"
#include "wire/weight_sync.h"

namespace zerorl::controller {

struct ControllerOptions {
  std::string endpoint;  // where to bind: "ipc://DIR/controller.sock", "tcp://0.0.0.0:5555"
  // Liveness (wire/protocol.h); tests shorten these.
  std::chrono::milliseconds heartbeat_interval = wire::kHeartbeatInterval;
  int liveness = wire::kHeartbeatLiveness;
  // A batch held by one worker longer than this is also given to another (the first answer
  // wins). 0 = no deadline: only a worker's death re-dispatches its work.
  std::chrono::milliseconds work_deadline{0};
  // A worker that still reports an older version this long after a push gets it again.
  std::chrono::milliseconds weight_repush = wire::kWeightTimeout;
  size_t weight_chunk_bytes = wire::kWeightChunkBytes;
  std::string ledger_path;  // JSON lines of ledger events; empty = none
};

// A batch that went through both phases.
struct ScoredBatch {
  wire::PromptBatch batch;     // as submitted
  wire::Rollouts rollouts;     // the accepted completions (prompts not attached)
  wire::ScoredGroups scores;   // one ScoredCompletion per completion
  std::string rollout_worker;
  std::string reward_worker;
  double rollout_s = 0.0;  // wall time from dispatch to accepted answer, per phase
  double reward_s = 0.0;
};

// A batch the controller gave up on: it never comes out of Next().
struct FailedBatch {
  uint64_t batch_id = 0;
  absl::Status status;  // why, naming the batch and the limit it broke
};

struct ControllerStats {
  int rollout_workers = 0;  // alive now
  int reward_workers = 0;
  size_t waiting_rollout = 0;
  size_t waiting_reward = 0;
  size_t in_flight = 0;  // submitted, not yet out of Next() nor given up
  int64_t duplicates = 0;
  int64_t redispatched = 0;
  int64_t workers_lost = 0;
  int64_t bad_messages = 0;
  int64_t published_version = wire::kNoPolicyVersion;
  int64_t weight_pushes = 0;
  double last_weight_push_s = 0.0;  // encoding + queueing one version for all workers
  std::map<std::string, int64_t> worker_versions;  // rollout worker -> version it reports
  std::set<std::string> connected;                 // ids of the workers alive now
};

class Controller {
 public:
  // Binds and starts the controller thread. kUnavailable if the endpoint is in use,
  // kInvalidArgument if it is malformed; the error of opening `ledger_path`.
  static absl::StatusOr<std::unique_ptr<Controller>> Start(const ControllerOptions& options);
  ~Controller();  // Shutdown("controller destroyed") if not done yet
  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;

  // The endpoint actually bound (a tcp port chosen by the kernel is filled in).
  const std::string& endpoint() const { return endpoint_; }

  // Queues a batch for the rollout workers. It is checked here, on the caller's thread, so
  // that nothing a worker would refuse reaches the controller thread; on error nothing is
  // queued:
  //   kInvalidArgument     over a wire limit (wire/protocol.h: more than kMaxItems prompts,
  //                        or prompts x sampling.n completions in the answer; a header over
  //                        kMaxHeaderBytes), a field a worker's decoder refuses (sampling.n
  //                        < 1, a stop string over kMaxNameBytes, ...) or two prompts with
  //                        one id; the message names the limit or the field;
  //   kAlreadyExists       its batch_id was submitted before;
  //   kFailedPrecondition  the controller is shut down.
  absl::Status Submit(wire::PromptBatch batch);
  // The next scored batch, or nullopt after `timeout`.
  std::optional<ScoredBatch> Next(std::chrono::milliseconds timeout);
  // The batches given up on since the last call, each returned once: a batch is given up
  // when its rollouts, with the prompts attached for the reward worker, are over a wire
  // limit (kInvalidArgument). It is logged and gets an "abandoned" ledger line.
  std::vector<FailedBatch> TakeFailures();
  // Publishes `version`: rollout workers behind it get the tensors pushed. The tensors'
  // memory (their Frames' owners) must stay unchanged until the next Publish.
  // kInvalidArgument if `version` is not newer than the last one or a tensor is malformed
  // (wire::SplitWeights), kFailedPrecondition after Shutdown. (Chunks are encoded on the
  // controller thread; one that cannot be, a tensor name that is not UTF-8, is logged and
  // that version is not pushed.)
  absl::Status Publish(int64_t version, std::vector<wire::NamedTensor> tensors);
  // Writes a "trained" ledger line for the batch (when `ledger_path` is set).
  void RecordTrained(uint64_t batch_id, int64_t step);
  // Waits until at least this many workers of each kind said Hello; kDeadlineExceeded.
  absl::Status WaitForWorkers(int rollout, int reward, std::chrono::milliseconds timeout);
  // Waits until every rollout worker reports the published version; kDeadlineExceeded.
  absl::Status WaitForWeights(std::chrono::milliseconds timeout);
  // Latest Metrics values per worker ("rollout-0" -> name -> value).
  std::map<std::string, std::map<std::string, double>> WorkerMetrics() const;
  ControllerStats stats() const;
  // Sends Shutdown to every worker and stops the thread. Idempotent.
  void Shutdown(const std::string& reason);

 private:
  struct Impl;     // the controller thread's state (controller_impl.h)
  struct Command;  // a request from the learner's thread
  explicit Controller(const ControllerOptions& options);

  // The controller thread. Run() is the loop; each step is one of these (controller_loop.cc,
  // controller_receive.cc), and only the controller thread calls them.
  void Run();
  bool DrainCommands();  // applies the learner's commands; false once Shutdown is among them
  void ApplySubmit(Command& command);
  void ApplyPublish(Command& command);
  void ReceiveFromWorkers();  // every message waiting on the socket, handled in order
  void HandleMessage(const std::string& id, wire::Message& message);
  void OnHello(const std::string& id, const wire::Hello& hello);
  void OnMetrics(const std::string& id, const wire::Metrics& metrics);
  void OnRollouts(const std::string& id, wire::Rollouts& rollouts);
  void OnScores(const std::string& id, wire::ScoredGroups& scores);
  void GiveUp(uint64_t batch_id, const absl::Status& why);  // see TakeFailures()
  void CheckLiveness();  // silent workers are lost, batches past their deadline re-queued
  void RepushWeights();  // to rollout workers that still report an older version
  void SendHeartbeats();
  void Dispatch();  // waiting batches to workers with free slots
  void DispatchTo(const std::string& id);
  void PublishStats();
  void SayGoodbye();  // Shutdown to every worker; closes the socket

  const ControllerOptions options_;
  std::string endpoint_;
  std::unique_ptr<Impl> impl_;
  std::thread thread_;
  std::atomic<bool> stop_{false};

  mutable absl::Mutex mu_;
  // Learner -> controller thread.
  std::deque<Command> commands_ ABSL_GUARDED_BY(mu_);
  std::set<uint64_t> submitted_ ABSL_GUARDED_BY(mu_);  // every batch id ever queued
  // Controller thread -> learner.
  std::deque<ScoredBatch> results_ ABSL_GUARDED_BY(mu_);
  std::vector<FailedBatch> failures_ ABSL_GUARDED_BY(mu_);
  ControllerStats stats_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::map<std::string, double>> worker_metrics_ ABSL_GUARDED_BY(mu_);
  std::string shutdown_reason_ ABSL_GUARDED_BY(mu_);
};

}  // namespace zerorl::controller

#endif  // ZERORL_CONTROLLER_CONTROLLER_H_
