// Internal to the sandbox: per-box cgroups for memory and process limits.
//
// Create() looks for a place it may make cgroups, in this order: a cgroup v2 directory whose
// subtree_control already delegates memory and pids (systemd Delegate=yes, or
// SandboxOptions::cgroup_v2_parent); else the v1 memory and pids hierarchies below this
// process's own cgroups (writable when running as root). What it cannot find is left to
// rlimits (RLIMIT_AS, RLIMIT_NPROC). Slots are directories named
// zerorl-sandbox-<pid>-<manager>-<n>, made on first use, reused run after run (no mkdir/rmdir per run)
// and removed by the destructor; slots left by a process that died are removed on Create().
//
// Thread-safe: Acquire/Release may be called from any thread; a slot belongs to one box.
#ifndef ZERORL_VERIFIERS_SANDBOX_INTERNAL_CGROUP_H_
#define ZERORL_VERIFIERS_SANDBOX_INTERNAL_CGROUP_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "verifiers/sandbox/sandbox.h"

namespace zerorl::sandbox {

class CgroupSlot {
 public:
  // `memory_dir`/`pids_dir` are "" when that controller is not used; `v2` says which files.
  CgroupSlot(bool v2, std::string memory_dir, std::string pids_dir);
  ~CgroupSlot();  // removes the directories (they are empty once the box is gone)

  // Limits for the next step: memory (swap included, so a box never swaps) and tasks.
  absl::Status SetLimits(int64_t memory_bytes, int max_processes);
  // Moves `pid` (the box's init) into the slot; its children follow.
  absl::Status Attach(pid_t pid);
  // Call before a step starts / after it ended: was anything OOM-killed in between?
  absl::Status BeginStep();
  absl::StatusOr<bool> OomKilledSinceBegin();

  const std::string& memory_dir() const { return memory_dir_; }
  const std::string& pids_dir() const { return pids_dir_; }

 private:
  absl::StatusOr<int64_t> OomKillCount() const;
  absl::Status SetMemory(int64_t bytes);

  bool v2_;
  std::string memory_dir_;
  std::string pids_dir_;
  int64_t memory_bytes_ = -1;  // what is written now, to skip rewriting
  int max_processes_ = -1;
  int64_t oom_kills_at_begin_ = 0;
};

class CgroupManager {
 public:
  // Never fails for lack of cgroups (the modes say rlimits then); kInvalidArgument when an
  // explicit parent in `options` is not a usable cgroup directory.
  static absl::StatusOr<std::unique_ptr<CgroupManager>> Create(const SandboxOptions& options);
  ~CgroupManager();

  MemoryLimitMode memory_mode() const { return memory_mode_; }
  ProcessLimitMode process_mode() const { return process_mode_; }
  bool enabled() const {
    return memory_mode_ != MemoryLimitMode::kRlimitAs ||
           process_mode_ != ProcessLimitMode::kRlimitNproc;
  }

  // A free slot (made if needed); nullptr when cgroups are not used.
  absl::StatusOr<std::unique_ptr<CgroupSlot>> Acquire();
  void Release(std::unique_ptr<CgroupSlot> slot);

 private:
  CgroupManager() = default;
  absl::StatusOr<std::unique_ptr<CgroupSlot>> MakeSlot();

  MemoryLimitMode memory_mode_ = MemoryLimitMode::kRlimitAs;
  ProcessLimitMode process_mode_ = ProcessLimitMode::kRlimitNproc;
  std::string memory_parent_;  // v2: the one parent for both controllers
  std::string pids_parent_;
  int id_ = 0;  // tells this process's managers apart in slot names
  absl::Mutex mu_;
  std::vector<std::unique_ptr<CgroupSlot>> free_ ABSL_GUARDED_BY(mu_);
  int next_slot_ ABSL_GUARDED_BY(mu_) = 0;
};

// Exposed for tests: "<hierarchy mount>/<path>" of this process's cgroup for a v1
// controller ("memory", "pids") or v2 (controller ""), from /proc/self/{cgroup,mountinfo}
// text. "" when there is none.
std::string FindOwnCgroup(const std::string& proc_self_cgroup, const std::string& mountinfo,
                          const std::string& controller);

}  // namespace zerorl::sandbox

#endif  // ZERORL_VERIFIERS_SANDBOX_INTERNAL_CGROUP_H_
