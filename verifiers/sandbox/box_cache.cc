// BoxCache and BoxLease: warm boxes kept between jobs, and the lease a job holds on one.
#include <unistd.h>

#include <cstddef>
#include <utility>

#include "core/status.h"
#include "verifiers/sandbox/internal/box.h"

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
  const pid_t self = ::gettid();
  std::vector<std::unique_ptr<Box>> dead;  // ended outside the lock
  std::unique_ptr<Box> found;
  {
    absl::MutexLock lock(&mu_);
    for (size_t i = idle_.size(); i-- > 0 && found == nullptr;) {
      if (idle_[i]->maker_thread() != self) continue;
      std::unique_ptr<Box> box = std::move(idle_[i]);
      idle_.erase(idle_.begin() + static_cast<std::ptrdiff_t>(i));
      if (box->InitAlive()) {
        found = std::move(box);
      } else {
        dead.push_back(std::move(box));  // its init ended while idle (killed from outside)
      }
    }
  }
  return found;
}

void BoxCache::Give(std::unique_ptr<Box> box) {
  if (box == nullptr || !box->reusable()) return;
  std::vector<std::unique_ptr<Box>> evicted;  // ended outside the lock
  absl::MutexLock lock(&mu_);
  for (size_t i = idle_.size(); i-- > 0;) {  // boxes whose thread is gone died with it
    if (!idle_[i]->InitAlive()) {
      evicted.push_back(std::move(idle_[i]));
      idle_.erase(idle_.begin() + static_cast<std::ptrdiff_t>(i));
    }
  }
  idle_.push_back(std::move(box));
  while (idle_.size() > capacity_) {
    evicted.push_back(std::move(idle_.front()));
    idle_.erase(idle_.begin());
  }
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
  if (box_ == nullptr) return;
  box_->EndJob().IgnoreError();  // a box that cannot end its job is not kept
  shared_->warm_boxes->Give(std::move(box_));
}

}  // namespace zerorl::sandbox
