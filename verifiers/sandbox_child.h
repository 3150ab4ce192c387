// Internal to the sandbox: what the parent hands the box's first process (its "init", PID 1
// of the new PID namespace) and the messages they exchange.
//
// The parent may be multi-threaded, so the child of clone() may only make system calls
// until it execs: no malloc, no locks, no absl::Status, no C++ exceptions. Everything it
// needs is planned in the parent as plain data (ChildPlan: C strings and arrays that the
// child sees in its copy of the parent's memory), and each child step returns a ChildError
// (a step name, an index and an errno) that init sends to the parent, which turns it into an
// absl::Status naming the step. The child's checklist (BoxInitMain) reads like nsjail's:
//
//   CHILD_RETURN_IF_ERROR(AwaitGo(...));
//   CHILD_RETURN_IF_ERROR(SwitchToSandboxUser(...));
//   CHILD_RETURN_IF_ERROR(BuildRoot(...));
//   ...
//
// Protocol on the control socket (SOCK_SEQPACKET, one struct per message):
//   parent -> init: kGo once (id maps written, cgroup joined), then kRun(i) / kKill / kExit;
//                   kRun with `last` set tells init to exit once it has reported the step.
//   init -> parent: kReady (left out when a kRun is already waiting) or kSetupFailed once,
//                   then one kStepDone per kRun.
// Between kRun and kStepDone, init runs step i and kills every other process of the box
// before it reports, so the parent can drain the output pipes knowing that all of step i's
// output is in them and nothing of step i+1's. The parent may send kGo and the first kRun
// together, and does not wait for kReady before it: fewer round trips per box.
#ifndef ZERORL_VERIFIERS_SANDBOX_CHILD_H_
#define ZERORL_VERIFIERS_SANDBOX_CHILD_H_

#include <linux/filter.h>
#include <sys/resource.h>
#include <sys/types.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>

namespace zerorl::sandbox {

// File descriptors inside the box. Init keeps kCtlFd..kMarkerWriteFd; a step sees only
// 0, 1, 2 and, for the assertion harness, kStepMarkerFd and kStepPayloadFd.
inline constexpr int kCtlFd = 3;
inline constexpr int kOutFd = 4;
inline constexpr int kErrFd = 5;
inline constexpr int kMarkerWriteFd = 6;
inline constexpr int kFirstFreeFd = 7;
inline constexpr int kStepMarkerFd = 3;   // write end of the marker pipe
inline constexpr int kStepPayloadFd = 4;  // memfd: the harness's nonce, solution and tests
inline constexpr int kStepExecErrorFd = 5;  // close-on-exec; carries errno if execve fails

// The setup steps of the child, in order; names come from SetupStepName().
enum class SetupStep : uint32_t {
  kNone = 0,
  kRenumberFds,
  kAwaitGo,
  kSetGroups,
  kSetGid,
  kSetUid,
  kKeepCaps,
  kMakeMountsPrivate,
  kMountRootTmpfs,
  kRootEntry,  // index = which RootEntry
  kMountProc,
  kMountWorkTmpfs,
  kLoopback,
  kHostname,
  kPivotRoot,
  kRemountRootReadOnly,
  kWriteWorkFile,  // index = which work file
  kDropCapabilities,
  kNoNewPrivs,
  kSeccomp,
  kParentDeathSignal,
};
const char* SetupStepName(SetupStep step);

// What a child step returns: ok, or where it failed and the errno.
struct ChildError {
  SetupStep step = SetupStep::kNone;
  int32_t index = 0;
  int32_t error = 0;
  bool ok() const { return step == SetupStep::kNone; }
};
inline ChildError ChildFail(SetupStep step, int32_t index = 0) { return {step, index, errno}; }

#define CHILD_RETURN_IF_ERROR(expr)                                  \
  do {                                                               \
    ::zerorl::sandbox::ChildError zerorl_child_error_ = (expr);      \
    if (!zerorl_child_error_.ok()) return zerorl_child_error_;       \
  } while (0)

enum class CommandType : uint32_t { kGo = 1, kRun, kKill, kExit };
struct Command {
  CommandType type;
  uint32_t step;
  uint32_t last;  // kRun: exit after this step
};

enum class ReportType : uint32_t { kReady = 1, kSetupFailed, kStepDone };
enum ReportFlags : uint32_t {
  kReportTimedOut = 1,        // init killed the step at its wall limit
  kReportKilledOnRequest = 2,  // the parent asked (output limit)
  kReportExecFailed = 4,      // execve failed; `error` holds its errno
  kReportCpuTimedOut = 8,     // init killed the step at its CPU limit
};
struct Report {
  ReportType type;
  uint32_t step;
  ChildError setup;  // kSetupFailed
  int32_t wait_status;
  int32_t error;
  uint32_t flags;
  int64_t wall_us;
  int64_t user_us;
  int64_t system_us;
  int64_t max_rss_kib;
};

// One piece of the root filesystem, planned once in the parent (sandbox_mounts.cc).
enum class RootEntryKind : uint32_t {
  kDirectory,       // mkdir
  kSymlink,         // symlink(source, path)
  kFile,            // a file with `data` as contents
  kBindReadOnly,    // bind-mount host `source` at path, read-only
  kBindDevice,      // bind-mount a host device node (null, zero, urandom), read-write
};
struct RootEntry {
  RootEntryKind kind;
  const char* path;    // absolute path below the staging directory
  const char* source;  // host path or symlink target
  const char* data;    // kFile contents
  size_t data_size;
  bool source_is_directory;
  unsigned long keep_mount_flags;  // flags of the source mount that must survive a remount
};

struct RlimitSetting {
  int resource;
  rlim_t value;  // soft = hard = value, except RLIMIT_CPU (hard = soft + 1 s)
};
inline constexpr int kMaxRlimits = 10;

struct ChildStep {
  const char* path;                // absolute path of the program to exec
  char* const* argv;               // null-terminated
  char* const* envp;               // null-terminated
  const char* stdin_data;
  size_t stdin_size;
  const char* payload;             // the harness payload, or nullptr
  size_t payload_size;
  bool marker;                     // give the step the marker pipe at kStepMarkerFd
  bool raise_oom_score;            // make the step, not init, the memory cgroup's OOM victim
  RlimitSetting rlimits[kMaxRlimits];
  int num_rlimits;
  int64_t wall_time_ms;
  int64_t cpu_time_ms;             // watched by init while the step runs (RLIMIT_CPU backs it)
};

struct ChildFile {
  const char* path;  // absolute, inside the work directory
  const char* data;
  size_t size;
  mode_t mode;
};

struct ChildPlan {
  // The parent's descriptors, renumbered by the child to kCtlFd..kMarkerWriteFd.
  int ctl_fd;
  int out_fd;
  int err_fd;
  int marker_write_fd;
  // Identity inside the box.
  uid_t uid;
  gid_t gid;
  bool drop_supplementary_groups;  // setgroups() is allowed (the caller was root)
  // The root filesystem.
  const char* staging_dir;         // where the new root is assembled before pivot_root
  const char* root_tmpfs_options;
  const RootEntry* root_entries;
  size_t num_root_entries;
  const char* proc_path;           // staging_dir + "/proc"
  const char* work_path;           // staging_dir + "/tmp"
  const char* work_tmpfs_options;  // "size=...,uid=...,gid=...,mode=0755"
  const char* work_dir_in_box;     // "/tmp"
  const ChildFile* files;
  size_t num_files;
  // Network and host name.
  bool loopback;
  const char* hostname;
  // Privileges.
  int cap_last_cap;
  const sock_fprog* seccomp;
  // What to run.
  const ChildStep* steps;
  size_t num_steps;
};

// The box's first process: sets the box up, reports kReady (or kSetupFailed), then runs
// steps on command until kExit or until the parent goes away. Never returns.
[[noreturn]] void BoxInitMain(const ChildPlan& plan);

// Child steps, one file per concern (all async-signal-safe).
ChildError BuildRoot(const ChildPlan& plan);           // sandbox_mounts.cc
ChildError EnterRoot(const ChildPlan& plan);           // sandbox_mounts.cc
ChildError SetUpNetwork(const ChildPlan& plan);        // sandbox_namespaces.cc
ChildError SetHostname(const ChildPlan& plan);         // sandbox_namespaces.cc
ChildError SwitchToSandboxUser(const ChildPlan& plan);  // sandbox_credentials.cc
ChildError DropPrivileges(const ChildPlan& plan);      // sandbox_credentials.cc
ChildError ApplySeccomp(const ChildPlan& plan);        // sandbox_seccomp.cc
// Sets every limit of `step`; returns false (errno set) on the first failure.
bool ApplyRlimits(const ChildStep& step);              // sandbox_limits.cc

}  // namespace zerorl::sandbox

#endif  // ZERORL_VERIFIERS_SANDBOX_CHILD_H_
