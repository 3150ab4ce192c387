#include "verifiers/sandbox/internal/namespaces.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "verifiers/sandbox/internal/init_image.h"

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif

namespace zerorl::sandbox {
namespace {

constexpr unsigned long kBoxNamespaces = CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET |
                                         CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS |
                                         CLONE_NEWCGROUP;

constexpr size_t kTrampolineStackBytes = 64 << 10;

std::string ErrnoText(int error) { return std::strerror(error); }

// What the box's first process did before exec, seen through the memory it shares with us.
enum TrampolineStage { kStageOk = 0, kStageCapabilities, kStageMoveFds, kStagePlaceFds,
                       kStageNull, kStageClose, kStageExec };
constexpr const char* kStageNames[] = {"", "keeping capabilities across exec",
                                       "moving descriptors", "placing descriptors",
                                       "opening /dev/null", "closing descriptors",
                                       "executing init from its memfd"};
struct Trampoline {
  const InitLaunch* launch;
  volatile int failed_stage;
  volatile int error;
};

// The box's first process until it execs init: it shares the parent's memory on its own
// stack, so it makes system calls only (no allocation, no locks, no sanitizer hooks).
// Descriptors go to kCtlFd..kSetupFd (and the program to kInitExecFd, close-on-exec), 0 and 1
// (and 2, when the parent has none) to /dev/null, and every other descriptor is closed.
__attribute__((no_sanitize("address", "undefined"))) int RunTrampoline(void* arg) {
  Trampoline* t = static_cast<Trampoline*>(arg);
  const InitLaunch& launch = *t->launch;
  // The new user namespace gave us every capability in it, but exec keeps capabilities only
  // for its root, and init's uid is not even mapped yet: as ambient capabilities they
  // survive. Init needs them to build the box; every step drops them all.
  int stage = kStageCapabilities;
  __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct caps[2] = {};
  bool ok = ::syscall(SYS_capget, &header, caps) == 0;
  for (__user_cap_data_struct& c : caps) c.inheritable = c.permitted;
  ok = ok && ::syscall(SYS_capset, &header, caps) == 0;
  for (long cap = 0; ok && cap <= launch.cap_last_cap; ++cap) {
    ok = ::syscall(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0L, 0L) == 0;
  }
  // Raw system calls only, below: no libc wrapper a sanitizer might intercept.
  long moved[kNumInitFds + 1];
  if (ok) stage = kStageMoveFds;
  for (int i = 0; ok && i <= kNumInitFds; ++i) {  // out of the way: a source may sit on a target
    int from = i < kNumInitFds ? launch.fds[i] : launch.program_fd;
    moved[i] = ::syscall(SYS_fcntl, from, F_DUPFD_CLOEXEC, kInitExecFd + 1);
    ok = moved[i] >= 0;
  }
  if (ok) stage = kStagePlaceFds;
  for (int i = 0; ok && i < kNumInitFds; ++i) {
    ok = ::syscall(SYS_dup3, moved[i], kCtlFd + i, 0) >= 0;
  }
  ok = ok && ::syscall(SYS_dup3, moved[kNumInitFds], kInitExecFd, O_CLOEXEC) >= 0;
  if (ok) stage = kStageNull;
  // Not close-on-exec: when 0 is free it is where /dev/null lands, and there it must stay.
  long null_fd = ok ? ::syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDWR) : -1;
  ok = ok && null_fd >= 0;
  for (long fd = 0; ok && fd <= 2; ++fd) {
    // 2 stays the parent's stderr when it has one (crash messages of init are seen there).
    if (fd == 2 && ::syscall(SYS_fcntl, 2L, F_GETFD) >= 0) break;
    ok = fd == null_fd || ::syscall(SYS_dup3, null_fd, fd, 0) >= 0;
  }
  if (ok) stage = kStageClose;
  ok = ok && ::syscall(SYS_close_range, kInitExecFd + 1, ~0U, 0) == 0;
  if (ok) {
    stage = kStageExec;
    char name[] = "zerorl-sandbox-init";
    char* argv[] = {name, nullptr};
    char* envp[] = {nullptr};
    ::syscall(SYS_execveat, kInitExecFd, "", argv, envp, AT_EMPTY_PATH);
  }
  t->error = errno;
  t->failed_stage = stage;
  ::syscall(SYS_exit, 127);
  __builtin_unreachable();
}

absl::Status CloneFailure(int error) {
  std::string what = absl::StrCat("clone into new namespaces: ", ErrnoText(error));
  if (error == EPERM || error == EACCES || error == EINVAL) {
    return absl::FailedPreconditionError(absl::StrCat(
        what, "; this kernel refuses user namespaces to this process (check "
              "user.max_user_namespaces, kernel.unprivileged_userns_clone, an AppArmor "
              "restrict_unprivileged_userns policy, or a container seccomp profile)"));
  }
  if (error == EAGAIN || error == ENOSPC || error == ENOMEM) {
    return absl::ResourceExhaustedError(what);
  }
  return absl::InternalError(what);
}

absl::Status WriteProcFile(pid_t pid, const char* name, const std::string& text) {
  std::string path = absl::StrCat("/proc/", pid, "/", name);
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return absl::InternalError(absl::StrCat("open ", path, ": ", ErrnoText(errno)));
  ssize_t n = ::write(fd, text.data(), text.size());
  int error = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(text.size())) {
    return absl::InternalError(absl::StrCat("write \"", text.substr(0, text.size() - 1), "\" to ",
                                            path, ": ", ErrnoText(error)));
  }
  return absl::OkStatus();
}

}  // namespace

BoxProcess::BoxProcess(BoxProcess&& other) noexcept
    : pid_(other.pid_), pidfd_(other.pidfd_), reaped_(other.reaped_) {
  other.pid_ = -1;
  other.pidfd_ = -1;
}

BoxProcess& BoxProcess::operator=(BoxProcess&& other) noexcept {
  if (this != &other) {
    Release();
    pid_ = other.pid_;
    pidfd_ = other.pidfd_;
    reaped_ = other.reaped_;
    other.pid_ = -1;
    other.pidfd_ = -1;
  }
  return *this;
}

BoxProcess::~BoxProcess() { Release(); }

void BoxProcess::Release() {
  if (pid_ > 0 && !reaped_) {
    Kill();
    Reap();
  }
  if (pidfd_ >= 0) ::close(pidfd_);
  pid_ = -1;
  pidfd_ = -1;
}

void BoxProcess::Kill() const {
  if (pidfd_ >= 0 && !reaped_) ::syscall(SYS_pidfd_send_signal, pidfd_, SIGKILL, nullptr, 0);
}

int BoxProcess::Reap() {
  int status = 0;
  if (pid_ <= 0 || reaped_) return status;
  while (::waitpid(pid_, &status, __WALL) < 0 && errno == EINTR) {
  }
  reaped_ = true;
  return status;
}

absl::StatusOr<BoxProcess> CloneBoxInit(const InitLaunch& launch) {
  void* stack = ::mmap(nullptr, kTrampolineStackBytes, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) {
    return absl::ResourceExhaustedError(absl::StrCat("mmap: ", ErrnoText(errno)));
  }
  Trampoline trampoline = {&launch, 0, 0};
  // Every signal blocked (glibc's internal ones too) while the child shares our memory: no
  // handler of ours may run on its stack. Init resets the mask.
  uint64_t all = ~0ULL, saved = 0;
  ::syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &saved, sizeof(all));
  int pidfd = -1;
  pid_t pid = ::clone(RunTrampoline, static_cast<char*>(stack) + kTrampolineStackBytes,
                      kBoxNamespaces | CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD,
                      &trampoline, &pidfd);
  int error = errno;
  ::syscall(SYS_rt_sigprocmask, SIG_SETMASK, &saved, nullptr, sizeof(saved));
  ::munmap(stack, kTrampolineStackBytes);
  if (pid < 0) return CloneFailure(error);
  BoxProcess process(pid, pidfd);
  if (trampoline.failed_stage == 0) return process;
  process.Reap();  // it exited at once
  int exec_error = trampoline.error;
  if (trampoline.failed_stage == kStageExec && (exec_error == EACCES || exec_error == EPERM)) {
    return absl::FailedPreconditionError(MemfdExecHint());
  }
  return absl::InternalError(absl::StrCat("sandbox: starting the box's init: ",
                                          kStageNames[trampoline.failed_stage], ": ",
                                          ErrnoText(exec_error)));
}

absl::Status WriteIdMaps(pid_t pid, const IdMapping& mapping) {
  if (mapping.deny_setgroups) {
    absl::Status status = WriteProcFile(pid, "setgroups", "deny\n");
    if (!status.ok()) return status;
  }
  absl::Status status =
      WriteProcFile(pid, "uid_map", absl::StrCat(mapping.inner_uid, " ", mapping.outer_uid, " 1\n"));
  if (!status.ok()) return status;
  return WriteProcFile(pid, "gid_map",
                       absl::StrCat(mapping.inner_gid, " ", mapping.outer_gid, " 1\n"));
}

}  // namespace zerorl::sandbox
