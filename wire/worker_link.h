// The worker's side of the conversation in wire/protocol.h, shared by rollout and reward
// workers: an I/O thread owns the DEALER socket (Hello, heartbeats both ways, reconnect
// after the controller goes silent, weight chunks assembled into whole versions) and hands
// the worker's compute loop one event at a time, in arrival order.
//
//   ASSIGN_OR_RETURN(auto link, WorkerLink::Start(options));
//   while (true) {
//     std::optional<WorkerEvent> event = link->Next(std::chrono::seconds(1));
//     if (!event) continue;
//     if (event->kind == WorkerEvent::kShutdown) break;
//     if (event->kind == WorkerEvent::kWeights) { Apply(event->weights); link->SetPolicyVersion(v); }
//     if (event->kind == WorkerEvent::kWork) link->Send(Generate(event->work));
//   }
//
// Because events keep their order, a WeightUpdate the controller pushed before a batch is
// applied before that batch is generated, and never in the middle of one. Work queued from
// a controller that went silent is discarded at reconnect (the new controller re-sends it).
#ifndef ZERORL_WIRE_WORKER_LINK_H_
#define ZERORL_WIRE_WORKER_LINK_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "wire/messages.h"
#include "wire/weight_sync.h"

namespace zmq {
class context_t;
}  // namespace zmq

namespace zerorl::wire {

struct WorkerLinkOptions {
  std::string endpoint;  // the controller's, e.g. "ipc:///run/x/controller.sock"
  WorkerKind kind = WorkerKind::kRollout;
  std::string worker_id;  // unique in the run; the DEALER routing id
  int32_t slots = 1;      // batches taken at once
  std::map<std::string, std::string> capabilities;
  // Liveness: the controller is presumed gone after `liveness` silent intervals.
  std::chrono::milliseconds heartbeat_interval = kHeartbeatInterval;
  int liveness = kHeartbeatLiveness;
  std::chrono::milliseconds reconnect_interval = kReconnectInterval;
  std::chrono::milliseconds reconnect_interval_max = kReconnectIntervalMax;
  // A version whose chunks stop arriving for this long is dropped (the controller re-pushes).
  std::chrono::milliseconds weight_timeout = kWeightTimeout;
};

struct WorkerEvent {
  enum Kind { kWork, kWeights, kShutdown };
  Kind kind = kWork;
  Message work;                         // kWork: a PromptBatch, or Rollouts to score
  int64_t weights_version = kNoPolicyVersion;  // kWeights
  std::vector<ReceivedTensor> weights;  // kWeights: every tensor of that version
  std::string shutdown_reason;          // kShutdown
};

struct WorkerLinkStats {
  int64_t reconnects = 0;
  int64_t bad_messages = 0;         // frames from the controller that did not decode
  int64_t discarded_work = 0;       // queued work dropped at a reconnect
  int64_t weight_versions = 0;      // complete versions received
};

class WorkerLink {
 public:
  // Connects and says Hello; returns at once (ZeroMQ connects in the background).
  // kInvalidArgument for a malformed endpoint or worker id, or slots < 1.
  static absl::StatusOr<std::unique_ptr<WorkerLink>> Start(const WorkerLinkOptions& options,
                                                           int64_t policy_version = kNoPolicyVersion);
  ~WorkerLink();  // stops the I/O thread; queued results are sent if the socket allows
  WorkerLink(const WorkerLink&) = delete;
  WorkerLink& operator=(const WorkerLink&) = delete;

  // The next event, or nullopt after `timeout`. Called from the compute loop only.
  std::optional<WorkerEvent> Next(std::chrono::milliseconds timeout);
  // Queues a result (Rollouts, ScoredGroups, Metrics) for the I/O thread. Thread-safe.
  // The I/O thread encodes it; one that cannot be encoded (over a wire limit) or sent is
  // logged and dropped.
  void Send(Message message);
  // The version the worker now holds; announced in heartbeats and the next Hello.
  void SetPolicyVersion(int64_t version);
  int64_t policy_version() const { return policy_version_.load(); }
  WorkerLinkStats stats() const;

 private:
  struct Session;  // one connection to the controller (worker_link.cc)
  enum class End { kShutdown, kStopped, kControllerSilent };  // how a session ended
  explicit WorkerLink(const WorkerLinkOptions& options, int64_t policy_version);

  // The I/O thread. Run() is the loop; each step is one of these, called only by it.
  void Run();
  absl::StatusOr<std::unique_ptr<Session>> Connect(zmq::context_t& context);  // + Hello
  End Converse(Session& session);  // until Shutdown, ~WorkerLink or the controller's silence
  void SendResults(Session& session);
  bool ReceiveFromController(Session& session);  // true once Shutdown arrived
  void OnWeightChunk(Session& session, const WeightUpdate& chunk);
  void DropStalledWeights(Session& session);
  void SendHeartbeat(Session& session);
  void ServeUntilDestroyed(Session& session);  // after Shutdown: late results still go out
  size_t DiscardQueuedWork();                  // before a reconnect
  void Deliver(WorkerEvent event);             // to the compute loop

  const WorkerLinkOptions options_;
  std::atomic<int64_t> policy_version_;
  std::atomic<bool> stop_{false};
  std::thread io_thread_;

  mutable absl::Mutex mu_;
  std::deque<WorkerEvent> inbox_ ABSL_GUARDED_BY(mu_);
  std::deque<Message> outbox_ ABSL_GUARDED_BY(mu_);
  WorkerLinkStats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace zerorl::wire

#endif  // ZERORL_WIRE_WORKER_LINK_H_
