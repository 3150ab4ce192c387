// A pool of workers that keeps N sandboxes busy: requests wait in a FIFO queue and each
// worker runs one box at a time, so at most N boxes (default: one per core) compete for
// the CPU. This is what the reward layer calls, from any number of threads:
//
//   absl::StatusOr<std::unique_ptr<SandboxPool>> pool = SandboxPool::Create({}, 0);
//   absl::StatusOr<JudgeResult> verdict = (*pool)->Judge(request);          // blocks
//   std::future<absl::StatusOr<JudgeResult>> later = (*pool)->SubmitJudge(request);
//
// Thread-safe: every method may be called from any thread. Results are whatever Judge() /
// Sandbox::Run() return for the request. Destroying the pool finishes the requests already
// queued, then joins the workers; requests must not be submitted during destruction.
#ifndef ZERORL_VERIFIERS_SANDBOX_POOL_H_
#define ZERORL_VERIFIERS_SANDBOX_POOL_H_

#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "verifiers/sandbox/judge.h"
#include "verifiers/sandbox/sandbox.h"

namespace zerorl::sandbox {

class SandboxPool {
 public:
  // Creates the Sandbox (see Sandbox::Create for its errors) and `num_workers` workers;
  // 0 = the number of CPUs this process may run on. Each worker keeps a warm box between
  // requests unless options.warm_boxes says otherwise.
  static absl::StatusOr<std::unique_ptr<SandboxPool>> Create(const SandboxOptions& options,
                                                             int num_workers);
  ~SandboxPool();
  SandboxPool(const SandboxPool&) = delete;
  SandboxPool& operator=(const SandboxPool&) = delete;

  std::future<absl::StatusOr<JudgeResult>> SubmitJudge(JudgeRequest request);
  std::future<absl::StatusOr<RunResult>> SubmitRun(RunRequest request);
  // Submit and wait.
  absl::StatusOr<JudgeResult> Judge(const JudgeRequest& request);
  absl::StatusOr<RunResult> Run(const RunRequest& request);

  int num_workers() const { return static_cast<int>(workers_.size()); }
  size_t queued() const;  // requests not yet started
  const Sandbox& sandbox() const { return *sandbox_; }

 private:
  SandboxPool(std::unique_ptr<Sandbox> sandbox, int num_workers);
  void Enqueue(std::function<void()> task);
  void WorkerLoop();

  std::unique_ptr<Sandbox> sandbox_;
  mutable absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> workers_;
};

// CPUs this process may run on (sched_getaffinity), at least 1.
int AvailableCpus();

}  // namespace zerorl::sandbox

#endif  // ZERORL_VERIFIERS_SANDBOX_POOL_H_
