#include "controller/controller.h"

#include <set>
#include <utility>
#include <variant>

#include "controller/internal/controller_impl.h"
#include "core/log.h"
#include "core/status.h"
#include "metrics/sink.h"
#include "wire/transport.h"

namespace zerorl::controller {
namespace {

// The frames a rollout worker will be sent for `batch`, or why it could not get through:
// the encoder's limits, every limit and range the worker's decoder enforces (the frames
// are decoded back), two prompts with one id (their answers could never be told apart),
// and the size of the answer (prompts x sampling.n completions).
absl::StatusOr<wire::Frames> EncodeBatch(const wire::PromptBatch& batch) {
  ASSIGN_OR_RETURN(wire::Frames frames, wire::Encode(batch));
  absl::StatusOr<wire::Message> decoded = wire::Decode(frames);
  if (!decoded.ok()) {
    return absl::InvalidArgumentError("a rollout worker would refuse it: " +
                                      std::string(decoded.status().message()));
  }
  std::set<uint64_t> prompt_ids;
  for (const wire::Prompt& p : batch.prompts) {
    if (!prompt_ids.insert(p.id).second) {
      return absl::InvalidArgumentError("prompt id " + std::to_string(p.id) + " appears twice");
    }
  }
  const uint64_t completions = batch.prompts.size() * static_cast<uint64_t>(batch.sampling.n);
  if (completions > wire::kMaxItems) {
    return absl::InvalidArgumentError(
        std::to_string(batch.prompts.size()) + " prompts x sampling.n " +
        std::to_string(batch.sampling.n) + " = " + std::to_string(completions) +
        " completions, over the wire limit of " + std::to_string(wire::kMaxItems) +
        " (kMaxItems) per answer; submit smaller batches");
  }
  return frames;
}

}  // namespace

Controller::Controller(const ControllerOptions& options)
    : options_(options), impl_(std::make_unique<Impl>()) {}

absl::StatusOr<std::unique_ptr<Controller>> Controller::Start(const ControllerOptions& options) {
  std::unique_ptr<Controller> controller(new Controller(options));
  Impl& impl = *controller->impl_;
  wire::SocketOptions socket_options;
  // The loop serving every worker never waits on one that stopped reading.
  socket_options.send_timeout_ms = 0;
  socket_options.linger_ms = 200;
  ASSIGN_OR_RETURN(zmq::socket_t router, wire::MakeRouterSocket(impl.context, socket_options));
  impl.router.emplace(std::move(router));
  ASSIGN_OR_RETURN(controller->endpoint_, wire::Bind(*impl.router, options.endpoint));
  if (!options.ledger_path.empty()) {
    ASSIGN_OR_RETURN(impl.ledger_log, metrics::MetricsSink::Open(options.ledger_path,
                                                                 metrics::MetricsSink::kAppend));
  }
  controller->thread_ = std::thread([raw = controller.get()] { raw->Run(); });
  return controller;
}

Controller::~Controller() { Shutdown("controller destroyed"); }

absl::Status Controller::Submit(wire::PromptBatch batch) {
  const uint64_t id = batch.batch_id;
  absl::StatusOr<wire::Frames> frames = EncodeBatch(batch);  // outside the lock: may be big
  if (!frames.ok()) {
    return absl::InvalidArgumentError("batch " + std::to_string(id) + ": " +
                                      std::string(frames.status().message()));
  }
  absl::MutexLock lock(&mu_);
  if (stop_.load()) return absl::FailedPreconditionError("controller is shut down");
  if (!submitted_.insert(id).second) {
    return absl::AlreadyExistsError("batch id " + std::to_string(id) + " was submitted before");
  }
  Command command;
  command.kind = Command::kSubmit;
  command.batch = std::move(batch);
  command.frames = *std::move(frames);
  commands_.push_back(std::move(command));
  ++stats_.in_flight;
  return absl::OkStatus();
}

std::optional<ScoredBatch> Controller::Next(std::chrono::milliseconds timeout) {
  absl::MutexLock lock(&mu_);
  auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return !results_.empty(); };
  mu_.AwaitWithTimeout(absl::Condition(&ready), absl::FromChrono(timeout));
  if (results_.empty()) return std::nullopt;
  ScoredBatch result = std::move(results_.front());
  results_.pop_front();
  --stats_.in_flight;
  return result;
}

std::vector<FailedBatch> Controller::TakeFailures() {
  absl::MutexLock lock(&mu_);
  std::vector<FailedBatch> failures;
  failures.swap(failures_);
  return failures;
}

absl::Status Controller::Publish(int64_t version, std::vector<wire::NamedTensor> tensors) {
  absl::MutexLock lock(&mu_);
  if (stop_.load()) return absl::FailedPreconditionError("controller is shut down");
  if (version <= stats_.published_version) {
    return absl::InvalidArgumentError("policy version " + std::to_string(version) +
                                      " is not newer than the published " +
                                      std::to_string(stats_.published_version));
  }
  // Split here, so a malformed tensor is the caller's error; encoding (a CRC-32C of every
  // byte) is left to the controller thread.
  absl::StatusOr<std::vector<wire::WeightUpdate>> chunks =
      wire::SplitWeights(version, tensors, options_.weight_chunk_bytes);
  if (!chunks.ok()) {
    return absl::InvalidArgumentError("policy version " + std::to_string(version) + ": " +
                                      std::string(chunks.status().message()));
  }
  stats_.published_version = version;
  Command command;
  command.kind = Command::kPublish;
  command.version = version;
  command.chunks = *std::move(chunks);
  commands_.push_back(std::move(command));
  return absl::OkStatus();
}

void Controller::RecordTrained(uint64_t batch_id, int64_t step) {
  absl::MutexLock lock(&mu_);
  Command command;
  command.kind = Command::kTrained;
  command.batch_id = batch_id;
  command.step = step;
  commands_.push_back(std::move(command));
}

absl::Status Controller::WaitForWorkers(int rollout, int reward,
                                       std::chrono::milliseconds timeout) {
  absl::MutexLock lock(&mu_);
  auto enough = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return stats_.rollout_workers >= rollout && stats_.reward_workers >= reward;
  };
  if (!mu_.AwaitWithTimeout(absl::Condition(&enough), absl::FromChrono(timeout))) {
    return absl::DeadlineExceededError(
        "waited " + std::to_string(timeout.count() / 1000) + " s for " + std::to_string(rollout) +
        " rollout and " + std::to_string(reward) + " reward workers at " + endpoint_ + "; " +
        std::to_string(stats_.rollout_workers) + " and " + std::to_string(stats_.reward_workers) +
        " connected");
  }
  return absl::OkStatus();
}

absl::Status Controller::WaitForWeights(std::chrono::milliseconds timeout) {
  absl::MutexLock lock(&mu_);
  auto current = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    for (const auto& [id, version] : stats_.worker_versions) {
      if (version != stats_.published_version) return false;
    }
    return true;
  };
  if (!mu_.AwaitWithTimeout(absl::Condition(&current), absl::FromChrono(timeout))) {
    return absl::DeadlineExceededError("rollout workers did not report policy version " +
                                       std::to_string(stats_.published_version) + " within " +
                                       std::to_string(timeout.count()) + " ms");
  }
  return absl::OkStatus();
}

std::map<std::string, std::map<std::string, double>> Controller::WorkerMetrics() const {
  absl::MutexLock lock(&mu_);
  return worker_metrics_;
}

ControllerStats Controller::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

void Controller::Shutdown(const std::string& reason) {
  {
    absl::MutexLock lock(&mu_);
    if (stop_.load()) return;
    shutdown_reason_ = reason;
    Command command;
    command.kind = Command::kShutdown;
    commands_.push_back(std::move(command));
  }
  if (thread_.joinable()) thread_.join();
  stop_.store(true);
}

}  // namespace zerorl::controller
