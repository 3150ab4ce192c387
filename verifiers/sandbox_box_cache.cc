// BoxCache and BoxLease: warm boxes kept between jobs, and the lease a job holds on one.
#include <utility>

#include "core/status.h"
#include "verifiers/sandbox_box.h"

namespace zerorl::sandbox {

BoxCache::~BoxCache() { Clear(); }

void BoxCache::Clear() {
  std::vector<std::unique_ptr<Box>> ending;
  {
    absl::MutexLock lock(&mu_);
    ending.swap(idle_);
  }
}

std::unique_ptr<Box> BoxCache::Take() {
  absl::MutexLock lock(&mu_);
  while (!idle_.empty()) {
    std::unique_ptr<Box> box = std::move(idle_.back());
    idle_.pop_back();
    if (box->InitAlive()) return box;  // else it ended while idle (killed from outside)
  }
  return nullptr;
}

void BoxCache::Give(std::unique_ptr<Box> box) {
  if (box == nullptr || !box->reusable()) return;
  absl::MutexLock lock(&mu_);
  if (idle_.size() < capacity_) idle_.push_back(std::move(box));
}

size_t BoxCache::idle() const {
  absl::MutexLock lock(&mu_);
  return idle_.size();
}

absl::StatusOr<BoxLease> BoxLease::Begin(const SandboxShared& shared, BoxPlan plan) {
  std::unique_ptr<Box> box = shared.warm_boxes->Take();
  // A warm box whose init just went away (it was alive a moment ago) is replaced.
  if (box != nullptr && !box->BeginJob(plan).ok()) box.reset();
  if (box == nullptr) {
    ASSIGN_OR_RETURN(box, Box::Start(shared));
    RETURN_IF_ERROR(box->BeginJob(std::move(plan)));
  }
  return BoxLease(&shared, std::move(box));
}

BoxLease::~BoxLease() {
  if (box_ != nullptr) shared_->warm_boxes->Give(std::move(box_));
}

}  // namespace zerorl::sandbox
