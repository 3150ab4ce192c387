#include "train/collector.h"

#include <algorithm>
#include <optional>
#include <utility>

namespace zerorl::train {

ResultCollector::ResultCollector(controller::Controller* controller,
                                 std::function<void()> on_idle, const std::atomic<bool>* stop,
                                 std::chrono::milliseconds idle_period)
    : controller_(controller),
      on_idle_(std::move(on_idle)),
      stop_(stop),
      idle_period_(std::max(idle_period, std::chrono::milliseconds(1))) {}

absl::StatusOr<std::vector<controller::ScoredBatch>> ResultCollector::Await(
    const std::set<uint64_t>& ids) {
  using Clock = std::chrono::steady_clock;
  auto missing = [&] {
    for (uint64_t id : ids) {
      if (!arrived_.count(id)) return true;
    }
    return false;
  };
  Clock::time_point next_idle = Clock::now() + idle_period_;
  while (missing()) {
    if (stop_ != nullptr && stop_->load()) {
      return absl::CancelledError("interrupted while waiting for workers");
    }
    absl::Status failed = CheckFailures(ids);
    if (!failed.ok()) return failed;
    // Wait for a result no longer than until on_idle is due.
    const auto wait = std::chrono::ceil<std::chrono::milliseconds>(next_idle - Clock::now());
    std::optional<controller::ScoredBatch> next =
        controller_->Next(std::max(wait, std::chrono::milliseconds(0)));
    if (next) {
      const uint64_t id = next->batch.batch_id;
      arrived_.emplace(id, *std::move(next));
    }
    if (Clock::now() >= next_idle) {
      if (on_idle_) on_idle_();
      next_idle = Clock::now() + idle_period_;
    }
  }
  std::vector<controller::ScoredBatch> out;
  for (uint64_t id : ids) {
    out.push_back(std::move(arrived_.at(id)));
    arrived_.erase(id);
  }
  return out;
}

absl::Status ResultCollector::CheckFailures(const std::set<uint64_t>& ids) {
  for (controller::FailedBatch& f : controller_->TakeFailures()) {
    failed_.emplace(f.batch_id, std::move(f.status));
  }
  for (uint64_t id : ids) {
    auto it = failed_.find(id);
    if (it != failed_.end()) return it->second;
  }
  return absl::OkStatus();
}

}  // namespace zerorl::train
