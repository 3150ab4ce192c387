#include "verifiers/sandbox/internal/seccomp.h"

#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <initializer_list>
#include <memory>

#include "absl/strings/str_cat.h"
#include "core/status.h"

namespace zerorl::sandbox {
namespace {

// Refused with EPERM; names this architecture does not have are skipped.
constexpr const char* kDeniedSyscalls[] = {
    "ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd", "kcmp",
    "mount", "umount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree",
    "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
    "unshare", "setns",
    "kexec_load", "kexec_file_load", "reboot",
    "bpf", "perf_event_open", "userfaultfd", "lookup_dcookie", "fanotify_init",
    "keyctl", "add_key", "request_key",
    "init_module", "finit_module", "delete_module",
    "io_uring_setup", "io_uring_enter", "io_uring_register",
    "open_by_handle_at", "name_to_handle_at",
    "swapon", "swapoff", "acct", "quotactl", "quotactl_fd", "syslog", "vhangup", "uselib",
    "iopl", "ioperm", "settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
    "sethostname", "setdomainname",
};

constexpr uint64_t kNamespaceCloneFlags[] = {
    CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC,
    CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET,
};

constexpr uint32_t kIoprioWhoProcess = 1;  // IOPRIO_WHO_PROCESS

struct FilterDeleter {
  void operator()(void* ctx) const { seccomp_release(ctx); }
};
using Filter = std::unique_ptr<void, FilterDeleter>;

absl::Status Check(int rc, const std::string& what) {
  if (rc == 0) return absl::OkStatus();
  return absl::InternalError(absl::StrCat("seccomp: ", what, ": ", std::strerror(-rc)));
}

absl::Status DenySocketFamilies(scmp_filter_ctx ctx, bool allow_ip_sockets) {
  int socket_nr = seccomp_syscall_resolve_name("socket");
  for (int family = 0; family < AF_MAX; ++family) {
    bool allowed = family == AF_UNIX ||
                   (allow_ip_sockets && (family == AF_INET || family == AF_INET6));
    if (allowed) continue;
    RETURN_IF_ERROR(Check(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), socket_nr, 1,
                                           SCMP_A0_32(SCMP_CMP_EQ, static_cast<uint32_t>(family))),
                          absl::StrCat("socket family ", family)));
  }
  return Check(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), socket_nr, 1,
                                SCMP_A0_32(SCMP_CMP_GE, static_cast<uint32_t>(AF_MAX))),
               "socket families >= AF_MAX");
}

// A program shares its uid with the box's init, which outlives it and starts the next
// request's programs: it may change its own limits, priority and CPU affinity, never another
// process's (pid/who 0 means the caller).
absl::Status DenyChangesToOtherProcesses(scmp_filter_ctx ctx) {
  auto deny = [&](const char* name, std::initializer_list<scmp_arg_cmp> when) -> absl::Status {
    int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR) return absl::OkStatus();
    return Check(seccomp_rule_add_array(ctx, SCMP_ACT_ERRNO(EPERM), nr,
                                        static_cast<unsigned>(when.size()), when.begin()),
                 absl::StrCat(name, " on another process"));
  };
  RETURN_IF_ERROR(deny("prlimit64", {SCMP_A0_32(SCMP_CMP_NE, 0), SCMP_A2_64(SCMP_CMP_NE, 0)}));
  RETURN_IF_ERROR(deny("setpriority", {SCMP_A0_32(SCMP_CMP_NE, PRIO_PROCESS)}));
  RETURN_IF_ERROR(deny("setpriority", {SCMP_A1_32(SCMP_CMP_NE, 0)}));
  for (const char* name : {"sched_setaffinity", "sched_setscheduler", "sched_setparam",
                           "sched_setattr", "migrate_pages", "move_pages"}) {
    RETURN_IF_ERROR(deny(name, {SCMP_A0_32(SCMP_CMP_NE, 0)}));
  }
  RETURN_IF_ERROR(deny("ioprio_set", {SCMP_A0_32(SCMP_CMP_NE, kIoprioWhoProcess)}));
  return deny("ioprio_set", {SCMP_A1_32(SCMP_CMP_NE, 0)});
}

absl::Status AddRules(scmp_filter_ctx ctx, bool allow_ip_sockets) {
  for (const char* name : kDeniedSyscalls) {
    int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR) continue;
    RETURN_IF_ERROR(Check(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0), name));
  }
  int clone_nr = seccomp_syscall_resolve_name("clone");
  for (uint64_t flag : kNamespaceCloneFlags) {
    RETURN_IF_ERROR(Check(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), clone_nr, 1,
                                           SCMP_A0_64(SCMP_CMP_MASKED_EQ, flag, flag)),
                          "clone with a CLONE_NEW* flag"));
  }
  int clone3_nr = seccomp_syscall_resolve_name("clone3");
  if (clone3_nr != __NR_SCMP_ERROR) {
    RETURN_IF_ERROR(Check(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), clone3_nr, 0), "clone3"));
  }
  RETURN_IF_ERROR(DenyChangesToOtherProcesses(ctx));
  return DenySocketFamilies(ctx, allow_ip_sockets);
}

// seccomp_export_bpf writes to a descriptor; a memfd brings the program back into memory.
absl::StatusOr<std::vector<sock_filter>> Export(scmp_filter_ctx ctx) {
  int fd = memfd_create("seccomp-bpf", MFD_CLOEXEC);
  if (fd < 0) return absl::InternalError(absl::StrCat("memfd_create: ", std::strerror(errno)));
  absl::Status status = Check(seccomp_export_bpf(ctx, fd), "export_bpf");
  off_t size = status.ok() ? lseek(fd, 0, SEEK_END) : -1;
  std::vector<sock_filter> filter;
  if (status.ok() && (size <= 0 || size % sizeof(sock_filter) != 0)) {
    status = absl::InternalError(absl::StrCat("seccomp: exported program has ", size, " bytes"));
  }
  if (status.ok()) {
    filter.resize(static_cast<size_t>(size) / sizeof(sock_filter));
    if (pread(fd, filter.data(), static_cast<size_t>(size), 0) != size) {
      status = absl::InternalError(absl::StrCat("seccomp: reading the program: ",
                                                std::strerror(errno)));
    }
  }
  close(fd);
  if (!status.ok()) return status;
  return filter;
}

}  // namespace

SeccompProgram::SeccompProgram(SeccompProgram&& other) noexcept
    : filter_(std::move(other.filter_)) {
  Point();
  other.Point();
}

SeccompProgram& SeccompProgram::operator=(SeccompProgram&& other) noexcept {
  filter_ = std::move(other.filter_);
  Point();
  other.Point();
  return *this;
}

void SeccompProgram::Point() {
  program_.len = static_cast<unsigned short>(filter_.size());
  program_.filter = filter_.data();
}

absl::StatusOr<SeccompProgram> SeccompProgram::Compile(bool allow_ip_sockets) {
  Filter ctx(seccomp_init(SCMP_ACT_ALLOW));
  if (ctx == nullptr) return absl::InternalError("seccomp_init failed");
  // no_new_privs is set by each step's process itself, right before it loads the filter.
  RETURN_IF_ERROR(Check(seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0), "attr NNP"));
  RETURN_IF_ERROR(Check(seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS),
                        "attr BADARCH"));
  RETURN_IF_ERROR(AddRules(ctx.get(), allow_ip_sockets));
  ASSIGN_OR_RETURN(std::vector<sock_filter> filter, Export(ctx.get()));
  if (filter.size() > BPF_MAXINSNS) {
    return absl::InternalError(absl::StrCat("seccomp: program too long: ", filter.size()));
  }
  SeccompProgram program;
  program.filter_ = std::move(filter);
  program.Point();
  return program;
}

}  // namespace zerorl::sandbox
