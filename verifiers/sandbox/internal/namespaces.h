// Internal to the sandbox: the box's namespaces. The parent clones the box's first process
// into new user, PID, network, mount, IPC, UTS and cgroup namespaces, the way posix_spawn
// does (sharing the parent's memory on a small stack of its own, the parent thread suspended
// until the exec, so nothing of the parent's address space is copied), executes the init
// program from its memfd there, and writes its uid/gid maps.
#ifndef ZERORL_VERIFIERS_SANDBOX_INTERNAL_NAMESPACES_H_
#define ZERORL_VERIFIERS_SANDBOX_INTERNAL_NAMESPACES_H_

#include <sys/types.h>

#include "absl/status/statusor.h"
#include "verifiers/sandbox/internal/child.h"

namespace zerorl::sandbox {

// The box's first process, seen from the parent. Owns the pidfd; the destructor kills the
// process (its whole PID namespace dies with it) and reaps it if Reap() was not called.
class BoxProcess {
 public:
  BoxProcess() = default;
  BoxProcess(pid_t pid, int pidfd) : pid_(pid), pidfd_(pidfd) {}
  BoxProcess(BoxProcess&& other) noexcept;
  BoxProcess& operator=(BoxProcess&& other) noexcept;
  ~BoxProcess();

  pid_t pid() const { return pid_; }
  int pidfd() const { return pidfd_; }
  // SIGKILL through the pidfd (no risk of hitting a recycled pid).
  void Kill() const;
  // Waits for the process to end; returns its wait status.
  int Reap();

 private:
  void Release();
  pid_t pid_ = -1;
  int pidfd_ = -1;
  bool reaped_ = false;
};

// What the box's first process starts with.
struct InitLaunch {
  int program_fd;         // the init executable (a memfd)
  int fds[kNumInitFds];   // become kCtlFd..kSetupFd in the box
  int cap_last_cap;       // /proc/sys/kernel/cap_last_cap
};

// Clones the box's first process into its namespaces and executes init there. Returns once
// init runs. kResourceExhausted when the kernel is out of pids or namespaces,
// kFailedPrecondition (with a hint) when it refuses user namespaces or executing init from a
// memfd (vm.memfd_noexec).
absl::StatusOr<BoxProcess> CloneBoxInit(const InitLaunch& launch);

struct IdMapping {
  uid_t inner_uid;
  uid_t outer_uid;
  gid_t inner_gid;
  gid_t outer_gid;
  bool deny_setgroups;  // required for an unprivileged caller's gid_map
};
// Writes /proc/PID/{setgroups,uid_map,gid_map}: exactly one id each, inner -> outer.
absl::Status WriteIdMaps(pid_t pid, const IdMapping& mapping);

}  // namespace zerorl::sandbox

#endif  // ZERORL_VERIFIERS_SANDBOX_INTERNAL_NAMESPACES_H_
