#include "verifiers/sandbox_namespaces.h"

#include <fcntl.h>
#include <linux/sched.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif

namespace zerorl::sandbox {
namespace {

constexpr unsigned long kBoxNamespaces = CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET |
                                         CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS |
                                         CLONE_NEWCGROUP;

std::string ErrnoText(int error) { return std::strerror(error); }

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

absl::StatusOr<BoxProcess> CloneBoxInit(const ChildPlan& plan) {
  int pidfd = -1;
  // A fork-like clone (no new stack): the child continues on its copy of this stack.
  long pid = ::syscall(SYS_clone, kBoxNamespaces | CLONE_PIDFD | SIGCHLD, nullptr, &pidfd,
                       nullptr, 0);
  if (pid == 0) BoxInitMain(plan);
  if (pid > 0) return BoxProcess(static_cast<pid_t>(pid), pidfd);
  int error = errno;
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

// ---- child side ----

ChildError SetUpNetwork(const ChildPlan& plan) {
  // A new network namespace has only a loopback device, and it is down: with it down no
  // socket can reach anything, with it up only the box itself.
  if (!plan.loopback) return {};
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ChildFail(SetupStep::kLoopback, 0);
  struct ifreq request = {};
  std::memcpy(request.ifr_name, "lo", 3);
  if (::ioctl(fd, SIOCGIFFLAGS, &request) != 0) {
    ChildError error = ChildFail(SetupStep::kLoopback, 1);
    ::close(fd);
    return error;
  }
  request.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (::ioctl(fd, SIOCSIFFLAGS, &request) != 0) {
    ChildError error = ChildFail(SetupStep::kLoopback, 2);
    ::close(fd);
    return error;
  }
  ::close(fd);
  return {};
}

ChildError SetHostname(const ChildPlan& plan) {
  if (::sethostname(plan.hostname, std::strlen(plan.hostname)) != 0) {
    return ChildFail(SetupStep::kHostname);
  }
  return {};
}

}  // namespace zerorl::sandbox
