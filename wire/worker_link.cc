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

void WorkerLink::Run() {
  zmq::context_t context(1);
  SocketOptions socket_options;
  socket_options.linger_ms = 500;
  socket_options.send_timeout_ms = 5000;  // a full pipe means the controller is gone
  std::chrono::milliseconds backoff = options_.reconnect_interval;
  const auto silence_limit = options_.heartbeat_interval * options_.liveness;

  while (!stop_.load()) {
    absl::StatusOr<zmq::socket_t> socket =
        MakeDealerSocket(context, options_.worker_id, socket_options);
    if (!socket.ok()) {
      ZLOG(ERROR) << "worker " << options_.worker_id << ": " << socket.status();
      return;
    }
    absl::Status connected = Connect(*socket, options_.endpoint);
    if (!connected.ok()) {
      ZLOG(ERROR) << "worker " << options_.worker_id << ": " << connected;
      return;
    }
    Hello hello;
    hello.kind = options_.kind;
    hello.worker_id = options_.worker_id;
    hello.pid = ::getpid();
    hello.hostname = Hostname();
    hello.slots = options_.slots;
    hello.policy_version = policy_version_.load();
    hello.capabilities = options_.capabilities;
    absl::Status said = SendMessage(*socket, hello);
    if (!said.ok()) ZLOG(WARNING) << "worker " << options_.worker_id << ": Hello: " << said;

    Clock::time_point last_heard = Clock::now();
    Clock::time_point last_sent = Clock::now();
    Clock::time_point last_chunk = Clock::now();
    WeightAssembler assembler;
    bool lost = false;
    bool shutdown = false;
    while (!lost && !shutdown) {
      // Results first: they free the controller's view of our slots.
      std::deque<Message> outgoing;
      {
        absl::MutexLock lock(&mu_);
        outgoing.swap(outbox_);
      }
      for (const Message& m : outgoing) {
        absl::Status sent = SendMessage(*socket, m);
        if (!sent.ok()) {
          ZLOG(WARNING) << "worker " << options_.worker_id << ": send "
                        << MessageTypeName(TypeOf(m)) << ": " << sent;
        }
        last_sent = Clock::now();
      }
      if (stop_.load()) break;

      absl::StatusOr<Received> received = ReceiveMessage(*socket, kPollSlice);
      Clock::time_point now = Clock::now();
      if (received.ok()) {
        last_heard = now;
        backoff = options_.reconnect_interval;
        if (!received->message.ok()) {
          ZLOG(WARNING) << "worker " << options_.worker_id << ": bad message from controller: "
                        << received->message.status();
          absl::MutexLock lock(&mu_);
          ++stats_.bad_messages;
          continue;
        }
        Message& message = *received->message;
        switch (TypeOf(message)) {
          case MessageType::kHeartbeat:
            break;
          case MessageType::kPromptBatch:
          case MessageType::kRollouts: {
            WorkerEvent event;
            event.kind = WorkerEvent::kWork;
            event.work = std::move(message);
            absl::MutexLock lock(&mu_);
            inbox_.push_back(std::move(event));
            break;
          }
          case MessageType::kWeightUpdate: {
            last_chunk = now;
            absl::StatusOr<bool> complete = assembler.Add(std::get<WeightUpdate>(message));
            if (!complete.ok()) {
              ZLOG(WARNING) << "worker " << options_.worker_id << ": weight chunk refused: "
                            << complete.status();
              break;
            }
            if (!*complete) break;
            WorkerEvent event;
            event.kind = WorkerEvent::kWeights;
            event.weights_version = assembler.version();
            absl::StatusOr<std::vector<ReceivedTensor>> tensors = assembler.Take();
            if (!tensors.ok()) {
              ZLOG(WARNING) << "worker " << options_.worker_id << ": " << tensors.status();
              break;
            }
            event.weights = *std::move(tensors);
            absl::MutexLock lock(&mu_);
            inbox_.push_back(std::move(event));
            ++stats_.weight_versions;
            break;
          }
          case MessageType::kShutdown: {
            WorkerEvent event;
            event.kind = WorkerEvent::kShutdown;
            event.shutdown_reason = std::get<Shutdown>(message).reason;
            absl::MutexLock lock(&mu_);
            inbox_.push_back(std::move(event));
            shutdown = true;
            break;
          }
          default:
            ZLOG(WARNING) << "worker " << options_.worker_id << ": unexpected "
                          << MessageTypeName(TypeOf(message)) << " from controller; ignored";
        }
      } else if (received.status().code() != absl::StatusCode::kDeadlineExceeded &&
                 received.status().code() != absl::StatusCode::kCancelled) {
        ZLOG(WARNING) << "worker " << options_.worker_id << ": receive: " << received.status();
      }

      if (assembler.version() != kNoPolicyVersion && !assembler.complete() &&
          now - last_chunk > options_.weight_timeout) {
        ZLOG(WARNING) << "worker " << options_.worker_id << ": weight version "
                      << assembler.version() << " incomplete after "
                      << options_.weight_timeout.count() << " ms; dropped";
        assembler = WeightAssembler();
        last_sent = Clock::time_point();  // report the version we still hold right away
      }
      if (now - last_sent >= options_.heartbeat_interval) {
        absl::Status beat = SendMessage(*socket, Heartbeat{policy_version_.load()});
        if (!beat.ok()) ZLOG(DEBUG) << "worker heartbeat: " << beat;
        last_sent = now;
      }
      if (now - last_heard > silence_limit) lost = true;
    }
    if (shutdown || stop_.load()) {
      // Flush what the compute loop queued before it saw the shutdown.
      std::deque<Message> outgoing;
      {
        absl::MutexLock lock(&mu_);
        outgoing.swap(outbox_);
      }
      for (const Message& m : outgoing) (void)SendMessage(*socket, m);
      if (shutdown) {
        // Keep serving sends until the owner destroys the link.
        while (!stop_.load()) {
          std::deque<Message> late;
          {
            absl::MutexLock lock(&mu_);
            late.swap(outbox_);
          }
          for (const Message& m : late) (void)SendMessage(*socket, m);
          std::this_thread::sleep_for(kPollSlice);
        }
      }
      return;
    }
    // The controller went silent: start over with a fresh socket and a new Hello.
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
    ZLOG(WARNING) << "worker " << options_.worker_id << ": controller silent for "
                  << silence_limit.count() << " ms; reconnecting in " << backoff.count()
                  << " ms" << (discarded ? " (dropping " + std::to_string(discarded) +
                                               " queued batches)"
                                         : "");
    Clock::time_point wake = Clock::now() + backoff;
    while (!stop_.load() && Clock::now() < wake) std::this_thread::sleep_for(kPollSlice);
    backoff = std::min(backoff * 2, options_.reconnect_interval_max);
  }
}

}  // namespace zerorl::wire
