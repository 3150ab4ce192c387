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
  absl::MutexLock lock(&mu_);
  if (stop_.load()) return absl::FailedPreconditionError("controller is shut down");
  Command command{Command::kSubmit, std::move(batch), 0, {}, 0, 0};
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

absl::Status Controller::Publish(int64_t version, std::vector<wire::NamedTensor> tensors) {
  absl::MutexLock lock(&mu_);
  if (stop_.load()) return absl::FailedPreconditionError("controller is shut down");
  if (version <= stats_.published_version) {
    return absl::InvalidArgumentError("policy version " + std::to_string(version) +
                                      " is not newer than the published " +
                                      std::to_string(stats_.published_version));
  }
  stats_.published_version = version;
  commands_.push_back(Command{Command::kPublish, {}, version, std::move(tensors), 0, 0});
  return absl::OkStatus();
}

void Controller::RecordTrained(uint64_t batch_id, int64_t step) {
  absl::MutexLock lock(&mu_);
  commands_.push_back(Command{Command::kTrained, {}, 0, {}, batch_id, step});
}

absl::Status Controller::WaitForWorkers(int rollout, int reward, std::chrono::milliseconds timeout) {
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
    commands_.push_back(Command{Command::kShutdown, {}, 0, {}, 0, 0});
  }
  if (thread_.joinable()) thread_.join();
  stop_.store(true);
}

}  // namespace zerorl::controller
