// Internal to the sandbox: the system-call filter. Compiled once per Sandbox in the parent
// with libseccomp (errors reported as a Status) and loaded by each step's process just before
// it execs the program; every process the program starts inherits it. (The box's init keeps
// its capabilities and no filter: it mounts each job's /tmp.)
//
// Policy: allow by default, refuse (EPERM) what a program never needs and an escape would:
// ptrace and cross-process memory access, mount and the new mount API, pivot_root, chroot,
// unshare, setns, clone with any CLONE_NEW* flag (clone3 answers ENOSYS so libc falls back
// to clone, whose flags can be checked), kexec, bpf, perf_event_open, keyrings, module
// loading, io_uring, userfaultfd, open_by_handle_at, pidfd_getfd, swap, reboot, acct,
// syslog, clock setting, iopl/ioperm; changing another process's limits, priority, scheduling,
// CPU affinity or memory placement (prlimit64, setpriority, sched_set*, ioprio_set,
// migrate_pages, move_pages with a pid other than 0: programs share a uid with init); and
// socket() for any family but AF_UNIX (plus AF_INET and AF_INET6 when the box has a loopback
// network). System calls of another architecture (i386 int 0x80, x32) kill the process.
#ifndef ZERORL_VERIFIERS_SANDBOX_INTERNAL_SECCOMP_H_
#define ZERORL_VERIFIERS_SANDBOX_INTERNAL_SECCOMP_H_

#include <linux/filter.h>

#include <vector>

#include "absl/status/statusor.h"

namespace zerorl::sandbox {

class SeccompProgram {
 public:
  // kInternal naming the libseccomp call that failed.
  static absl::StatusOr<SeccompProgram> Compile(bool allow_ip_sockets);

  SeccompProgram() = default;
  SeccompProgram(SeccompProgram&& other) noexcept;
  SeccompProgram& operator=(SeccompProgram&& other) noexcept;

  // The BPF program for prctl(PR_SET_SECCOMP); valid while this object lives.
  const sock_fprog* program() const { return &program_; }
  size_t size() const { return filter_.size(); }

 private:
  void Point();
  std::vector<sock_filter> filter_;
  sock_fprog program_ = {};
};

}  // namespace zerorl::sandbox

#endif  // ZERORL_VERIFIERS_SANDBOX_INTERNAL_SECCOMP_H_
