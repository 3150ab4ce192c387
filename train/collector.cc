#include "train/collector.h"

#include <chrono>

namespace zerorl::train {

absl::StatusOr<std::vector<controller::ScoredBatch>> ResultCollector::Await(
    const std::set<uint64_t>& ids) {
  auto missing = [&] {
    for (uint64_t id : ids) {
      if (!arrived_.count(id)) return true;
    }
    return false;
  };
  while (missing()) {
    if (stop_ != nullptr && stop_->load()) {
      return absl::CancelledError("interrupted while waiting for workers");
    }
    std::optional<controller::ScoredBatch> next = controller_->Next(std::chrono::milliseconds(250));
    if (next) {
      uint64_t id = next->batch.batch_id;
      arrived_.emplace(id, std::move(*next));
      continue;
    }
    if (on_idle_) on_idle_();
  }
  std::vector<controller::ScoredBatch> out;
  for (uint64_t id : ids) {
    out.push_back(std::move(arrived_.at(id)));
    arrived_.erase(id);
  }
  return out;
}

}  // namespace zerorl::train
