#include "verifiers/sandbox/pool.h"

#include <sched.h>

#include <utility>

#include "core/status.h"

namespace zerorl::sandbox {

int AvailableCpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return 1;
  int count = CPU_COUNT(&set);
  return count > 0 ? count : 1;
}

absl::StatusOr<std::unique_ptr<SandboxPool>> SandboxPool::Create(const SandboxOptions& options,
                                                                 int num_workers) {
  if (num_workers < 0) return absl::InvalidArgumentError("num_workers must be >= 0");
  if (num_workers == 0) num_workers = AvailableCpus();
  SandboxOptions with_boxes = options;
  if (with_boxes.warm_boxes == -1) with_boxes.warm_boxes = num_workers;  // one per worker
  ASSIGN_OR_RETURN(std::unique_ptr<Sandbox> sandbox, Sandbox::Create(with_boxes));
  return std::unique_ptr<SandboxPool>(new SandboxPool(std::move(sandbox), num_workers));
}

SandboxPool::SandboxPool(std::unique_ptr<Sandbox> sandbox, int num_workers)
    : sandbox_(std::move(sandbox)) {
  workers_.reserve(num_workers);
  for (int i = 0; i < num_workers; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

SandboxPool::~SandboxPool() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& worker : workers_) worker.join();
}

void SandboxPool::Enqueue(std::function<void()> task) {
  absl::MutexLock lock(&mu_);
  queue_.push_back(std::move(task));
}

void SandboxPool::WorkerLoop() {
  for (;;) {
    std::function<void()> task;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](SandboxPool* pool) ABSL_EXCLUSIVE_LOCKS_REQUIRED(pool->mu_) {
            return pool->stopping_ || !pool->queue_.empty();
          },
          this));
      if (queue_.empty()) return;  // stopping, and everything queued is done
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
  }
}

std::future<absl::StatusOr<JudgeResult>> SandboxPool::SubmitJudge(JudgeRequest request) {
  auto task = std::make_shared<std::packaged_task<absl::StatusOr<JudgeResult>()>>(
      [this, request = std::move(request)] { return zerorl::sandbox::Judge(*sandbox_, request); });
  std::future<absl::StatusOr<JudgeResult>> result = task->get_future();
  Enqueue([task] { (*task)(); });
  return result;
}

std::future<absl::StatusOr<RunResult>> SandboxPool::SubmitRun(RunRequest request) {
  auto task = std::make_shared<std::packaged_task<absl::StatusOr<RunResult>()>>(
      [this, request = std::move(request)] { return sandbox_->Run(request); });
  std::future<absl::StatusOr<RunResult>> result = task->get_future();
  Enqueue([task] { (*task)(); });
  return result;
}

absl::StatusOr<JudgeResult> SandboxPool::Judge(const JudgeRequest& request) {
  return SubmitJudge(request).get();
}

absl::StatusOr<RunResult> SandboxPool::Run(const RunRequest& request) {
  return SubmitRun(request).get();
}

size_t SandboxPool::queued() const {
  absl::MutexLock lock(&mu_);
  return queue_.size();
}

}  // namespace zerorl::sandbox
