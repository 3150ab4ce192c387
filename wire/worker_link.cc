#include "wire/worker_link.h"

#include <unistd.h>

#include <algorithm>

#include "core/log.h"
#include "core/status.h"
#include "wire/transport.h"

namespace zerorl::wire {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kPollSlice{20};  // outbox latency vs. idle wakeups

std::string Hostname() {
  char name[256] = {0};
  if (::gethostname(name, sizeof(name) - 1) != 0) return "unknown";
  return name;
}

}  // namespace

WorkerLink::WorkerLink(const WorkerLinkOptions& options, int64_t policy_version)
    : options_(options), policy_version_(policy_version) {}

absl::StatusOr<std::unique_ptr<WorkerLink>> WorkerLink::Start(const WorkerLinkOptions& options,
                                                              int64_t policy_version) {
  RETURN_IF_ERROR(ValidateEndpoint(options.endpoint));
  if (options.worker_id.empty() || options.worker_id.size() > 255 || options.worker_id[0] == '\0') {
    return absl::InvalidArgumentError("worker id must be 1..255 bytes, not starting with NUL");
  }
  if (options.slots < 1) return absl::InvalidArgumentError("worker slots must be >= 1");
  std::unique_ptr<WorkerLink> link(new WorkerLink(options, policy_version));
  link->io_thread_ = std::thread([raw = link.get()] { raw->Run(); });
  return link;
}

WorkerLink::~WorkerLink() {
  stop_.store(true);
  if (io_thread_.joinable()) io_thread_.join();
}

std::optional<WorkerEvent> WorkerLink::Next(std::chrono::milliseconds timeout) {
  absl::MutexLock lock(&mu_);
  auto has_event = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return !inbox_.empty(); };
  mu_.AwaitWithTimeout(absl::Condition(&has_event), absl::FromChrono(timeout));
  if (inbox_.empty()) return std::nullopt;
  WorkerEvent event = std::move(inbox_.front());
  inbox_.pop_front();
  return event;
}

void WorkerLink::Send(Message message) {
  absl::MutexLock lock(&mu_);
  outbox_.push_back(std::move(message));
}

void WorkerLink::SetPolicyVersion(int64_t version) {
  policy_version_.store(version);
  Send(Heartbeat{version});  // tell the controller now, not at the next interval
}

WorkerLinkStats WorkerLink::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

// One connection to the controller: a fresh socket per (re)connect, and the conversation's
// clocks. Touched only by the I/O thread.
struct WorkerLink::Session {
  explicit Session(zmq::socket_t s) : socket(std::move(s)) {}
  zmq::socket_t socket;
  Clock::time_point last_heard = Clock::now();  // anything from the controller
  Clock::time_point last_sent = Clock::now();   // anything to it
  Clock::time_point last_chunk = Clock::now();  // a weight chunk
  bool heard = false;                           // the controller said anything at all
  WeightAssembler assembler;                    // the version arriving now
};

void WorkerLink::Run() {
  zmq::context_t context(1);
  std::chrono::milliseconds backoff = options_.reconnect_interval;
  while (!stop_.load()) {
    absl::StatusOr<std::unique_ptr<Session>> session = Connect(context);
    if (!session.ok()) {
      ZLOG(ERROR) << "worker " << options_.worker_id << ": " << session.status();
      return;
    }
    const End end = Converse(**session);
    if (end == End::kShutdown) ServeUntilDestroyed(**session);
    if (end != End::kControllerSilent) return;
    // The controller went silent: start over with a fresh socket and a new Hello, after a
    // back-off that grows while the controller stays away.
    if ((*session)->heard) backoff = options_.reconnect_interval;
    session->reset();
    const size_t discarded = DiscardQueuedWork();
    ZLOG(WARNING) << "worker " << options_.worker_id << ": controller silent for "
                  << (options_.heartbeat_interval * options_.liveness).count()
                  << " ms; reconnecting in " << backoff.count() << " ms"
                  << (discarded ? " (dropping " + std::to_string(discarded) + " queued batches)"
                                : "");
    const Clock::time_point wake = Clock::now() + backoff;
    while (!stop_.load() && Clock::now() < wake) std::this_thread::sleep_for(kPollSlice);
    backoff = std::min(backoff * 2, options_.reconnect_interval_max);
  }
}

absl::StatusOr<std::unique_ptr<WorkerLink::Session>> WorkerLink::Connect(zmq::context_t& context) {
  SocketOptions socket_options;
  socket_options.linger_ms = 500;
  socket_options.send_timeout_ms = 5000;  // a full pipe means the controller is gone
  ASSIGN_OR_RETURN(zmq::socket_t socket,
                   MakeDealerSocket(context, options_.worker_id, socket_options));
  RETURN_IF_ERROR(::zerorl::wire::Connect(socket, options_.endpoint));
  auto session = std::make_unique<Session>(std::move(socket));
  Hello hello;
  hello.kind = options_.kind;
  hello.worker_id = options_.worker_id;
  hello.pid = ::getpid();
  hello.hostname = Hostname();
  hello.slots = options_.slots;
  hello.policy_version = policy_version_.load();
  hello.capabilities = options_.capabilities;
  absl::Status said = SendMessage(session->socket, hello);
  if (!said.ok()) ZLOG(WARNING) << "worker " << options_.worker_id << ": Hello: " << said;
  return session;
}

WorkerLink::End WorkerLink::Converse(Session& session) {
  const auto silence_limit = options_.heartbeat_interval * options_.liveness;
  for (;;) {
    SendResults(session);  // first: results free the controller's view of our slots
    if (stop_.load()) {
      SendResults(session);  // queued before ~WorkerLink
      return End::kStopped;
    }
    if (ReceiveFromController(session)) {
      SendResults(session);  // what the compute loop queued before it saw the Shutdown
      return End::kShutdown;
    }
    DropStalledWeights(session);
    SendHeartbeat(session);
    if (Clock::now() - session.last_heard > silence_limit) return End::kControllerSilent;
  }
}

void WorkerLink::SendResults(Session& session) {
  std::deque<Message> outgoing;
  {
    absl::MutexLock lock(&mu_);
    outgoing.swap(outbox_);
  }
  for (const Message& m : outgoing) {
    absl::Status sent = SendMessage(session.socket, m);
    if (!sent.ok()) {
      ZLOG(WARNING) << "worker " << options_.worker_id << ": send "
                    << MessageTypeName(TypeOf(m)) << ": " << sent;
    }
    session.last_sent = Clock::now();
  }
}

// Waits up to kPollSlice for one message and hands it on: work and complete weight
// versions to the compute loop, in arrival order.
bool WorkerLink::ReceiveFromController(Session& session) {
  absl::StatusOr<Received> received = ReceiveMessage(session.socket, kPollSlice);
  if (!received.ok()) {
    const absl::StatusCode code = received.status().code();
    if (code != absl::StatusCode::kDeadlineExceeded && code != absl::StatusCode::kCancelled) {
      ZLOG(WARNING) << "worker " << options_.worker_id << ": receive: " << received.status();
    }
    return false;
  }
  session.last_heard = Clock::now();
  session.heard = true;
  if (!received->message.ok()) {
    ZLOG(WARNING) << "worker " << options_.worker_id << ": bad message from controller: "
                  << received->message.status();
    absl::MutexLock lock(&mu_);
    ++stats_.bad_messages;
    return false;
  }
  Message& message = *received->message;
  switch (TypeOf(message)) {
    case MessageType::kHeartbeat:
      return false;
    case MessageType::kPromptBatch:
    case MessageType::kRollouts: {
      WorkerEvent event;
      event.kind = WorkerEvent::kWork;
      event.work = std::move(message);
      Deliver(std::move(event));
      return false;
    }
    case MessageType::kWeightUpdate:
      OnWeightChunk(session, std::get<WeightUpdate>(message));
      return false;
    case MessageType::kShutdown: {
      WorkerEvent event;
      event.kind = WorkerEvent::kShutdown;
      event.shutdown_reason = std::get<Shutdown>(message).reason;
      Deliver(std::move(event));
      return true;
    }
    default:
      ZLOG(WARNING) << "worker " << options_.worker_id << ": unexpected "
                    << MessageTypeName(TypeOf(message)) << " from controller; ignored";
      return false;
  }
}

// Adds a chunk to the version being assembled; a complete version becomes one event.
void WorkerLink::OnWeightChunk(Session& session, const WeightUpdate& chunk) {
  session.last_chunk = Clock::now();
  absl::StatusOr<bool> complete = session.assembler.Add(chunk);
  if (!complete.ok()) {
    ZLOG(WARNING) << "worker " << options_.worker_id << ": weight chunk refused: "
                  << complete.status();
    return;
  }
  if (!*complete) return;
  WorkerEvent event;
  event.kind = WorkerEvent::kWeights;
  event.weights_version = session.assembler.version();
  absl::StatusOr<std::vector<ReceivedTensor>> tensors = session.assembler.Take();
  if (!tensors.ok()) {
    ZLOG(WARNING) << "worker " << options_.worker_id << ": " << tensors.status();
    return;
  }
  event.weights = *std::move(tensors);
  Deliver(std::move(event));
  absl::MutexLock lock(&mu_);
  ++stats_.weight_versions;
}

// A version whose chunks stopped arriving is dropped; the next heartbeat reports the
// version still held, so the controller pushes again.
void WorkerLink::DropStalledWeights(Session& session) {
  WeightAssembler& assembler = session.assembler;
  if (assembler.version() == kNoPolicyVersion || assembler.complete() ||
      Clock::now() - session.last_chunk <= options_.weight_timeout) {
    return;
  }
  ZLOG(WARNING) << "worker " << options_.worker_id << ": weight version " << assembler.version()
                << " incomplete after " << options_.weight_timeout.count() << " ms; dropped";
  assembler = WeightAssembler();
  session.last_sent = Clock::time_point();  // report the version we still hold right away
}

void WorkerLink::SendHeartbeat(Session& session) {
  const Clock::time_point now = Clock::now();
  if (now - session.last_sent < options_.heartbeat_interval) return;
  absl::Status beat = SendMessage(session.socket, Heartbeat{policy_version_.load()});
  if (!beat.ok()) ZLOG(DEBUG) << "worker heartbeat: " << beat;
  session.last_sent = now;
}

void WorkerLink::ServeUntilDestroyed(Session& session) {
  while (!stop_.load()) {
    SendResults(session);
    std::this_thread::sleep_for(kPollSlice);
  }
  SendResults(session);  // queued before ~WorkerLink
}

// Work queued from a controller that went silent is dropped: the controller that answers
// the next Hello re-dispatches it. Weight and Shutdown events stay. Returns how many.
size_t WorkerLink::DiscardQueuedWork() {
  size_t discarded = 0;
  {
    absl::MutexLock lock(&mu_);
    std::deque<WorkerEvent> kept;
    for (WorkerEvent& e : inbox_) {
      if (e.kind == WorkerEvent::kWork) {
        ++discarded;
      } else {
        kept.push_back(std::move(e));
      }
    }
    inbox_.swap(kept);
    stats_.discarded_work += static_cast<int64_t>(discarded);
    ++stats_.reconnects;
  }
  return discarded;
}

void WorkerLink::Deliver(WorkerEvent event) {
  absl::MutexLock lock(&mu_);
  inbox_.push_back(std::move(event));
}

}  // namespace zerorl::wire
