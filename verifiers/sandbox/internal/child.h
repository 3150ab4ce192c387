// Internal to the sandbox: what the parent and the box's first process (its "init", PID 1 of
// the new PID namespace) share. Init is a separate small static program (verifiers/sandbox/init/),
// embedded in this library and executed from a memfd (verifiers/sandbox/internal/init_image.h), so that making
// a box never copies the caller's address space. Plans therefore travel as bytes
// (verifiers/sandbox/internal/wire.h): the setup once per box, at fd kSetupFd, and one job per request, as a
// memfd passed over the control socket.
//
// Init's checklist reads like nsjail's (init/main.cc):
//
//   CHILD_RETURN_IF_ERROR(AwaitGo());
//   CHILD_RETURN_IF_ERROR(SwitchToSandboxUser(setup));
//   CHILD_RETURN_IF_ERROR(BuildRoot(setup));
//   ...
//
// and each step returns a ChildError (a step name, an index and an errno) that init sends to
// the parent, which turns it into an absl::Status naming the step.
//
// Protocol on the control socket (SOCK_SEQPACKET, one struct per message):
//   parent -> init: kGo once (id maps written, cgroup joined); then, per request, kJob (with
//                   the job's memfd as SCM_RIGHTS), kRun(i) / kKill; kExit to end the box.
//                   kRun with `last` set ends the job after that step; kEndJob ends it
//                   without one (a compile error stopped it).
//   init -> parent: kReady (step kReadyBox) after the box is built and (step kReadyJob) after
//                   each job is set up, either left out when a command is already waiting;
//                   or kSetupFailed once (then init exits); one kStepDone per kRun; one
//                   kJobEnded per kEndJob.
// Between kRun and kStepDone, init runs step i and kills every other process of the box
// before it reports, so the parent can drain the output pipes knowing that all of step i's
// output is in them and nothing of step i+1's. When a job ends, init also drops its /tmp; the
// next job gets a fresh /tmp and a fresh IPC namespace, so nothing of one request is seen by
// the next (a box is reused across requests: see BoxCache in verifiers/sandbox/internal/box.h).
#ifndef ZERORL_VERIFIERS_SANDBOX_INTERNAL_CHILD_H_
#define ZERORL_VERIFIERS_SANDBOX_INTERNAL_CHILD_H_

#include <linux/filter.h>
#include <sys/resource.h>
#include <sys/types.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>

namespace zerorl::sandbox {

// File descriptors inside the box. Init starts with kCtlFd..kSetupFd and closes kSetupFd once
// read; a step sees only 0, 1, 2 and, for the assertion harness, kStepMarkerFd and
// kStepPayloadFd.
inline constexpr int kCtlFd = 3;
inline constexpr int kOutFd = 4;
inline constexpr int kErrFd = 5;
inline constexpr int kMarkerWriteFd = 6;
inline constexpr int kSetupFd = 7;        // memfd: the encoded ChildSetup
inline constexpr int kInitExecFd = 8;     // the init program's memfd, close-on-exec
inline constexpr int kNumInitFds = 5;     // kCtlFd..kSetupFd
inline constexpr int kStepMarkerFd = 3;   // write end of the marker pipe
inline constexpr int kStepPayloadFd = 4;  // memfd: the harness's nonce, solution and tests

// The setup steps, in order; names come from SetupStepName() (verifiers/sandbox/wire.cc).
enum class SetupStep : uint32_t {
  kNone = 0,
  kExecInit,         // the parent's child could not execute init (index: what failed)
  kReadSetup,        // index = the WireSection that did not decode
  kAwaitGo,
  kSetGroups,
  kSetGid,
  kSetUid,
  kKeepCaps,
  kMakeMountsPrivate,
  kMountRootTmpfs,
  kRootEntry,        // index = which RootEntry
  kMountProc,
  kLoopback,
  kHostname,
  kPivotRoot,
  kRemountRootReadOnly,
  kProtectInit,
  kParentDeathSignal,
  kReceiveJob,
  kReadJob,          // index = the WireSection that did not decode
  kNewIpcNamespace,
  kMountWorkTmpfs,
  kWriteWorkFile,    // index = which work file
  kCount,
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

enum class CommandType : uint32_t { kGo = 1, kJob, kRun, kKill, kEndJob, kExit };
struct Command {
  CommandType type;
  uint32_t step;
  uint32_t last;  // kRun: the job ends after this step
};

enum class ReportType : uint32_t { kReady = 1, kSetupFailed, kStepDone, kJobEnded };
inline constexpr uint32_t kReadyBox = 1;  // Report::step of a kReady
inline constexpr uint32_t kReadyJob = 2;
enum ReportFlags : uint32_t {
  kReportTimedOut = 1,         // init killed the step at its wall limit
  kReportKilledOnRequest = 2,  // the parent asked (output limit)
  kReportExecFailed = 4,       // the step could not be started; `error` holds the errno
  kReportCpuTimedOut = 8,      // init killed the step at its CPU limit
  kReportTainted = 16,         // the job ended, but init's own state was changed: do not reuse
                               // (on the last kStepDone of a job, or on kJobEnded)
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

// One piece of the root filesystem, planned once in the parent (verifiers/sandbox/mounts.cc).
enum class RootEntryKind : uint32_t {
  kDirectory,       // mkdir
  kSymlink,         // symlink(source, path)
  kFile,            // a file with `data` as contents
  kBindReadOnly,    // bind-mount host `source` at path, read-only
  kBindDevice,      // bind-mount a host device node (null, zero, urandom), read-write
  kCount,
};
struct RootEntry {
  RootEntryKind kind;
  const char* path;    // absolute path below the staging directory
  const char* source;  // host path or symlink target ("" when unused)
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

// What never changes for the boxes of one Sandbox: who, which root, which network, which
// filter, which environment.
struct ChildSetup {
  uid_t uid;
  gid_t gid;
  bool drop_supplementary_groups;  // setgroups() is allowed (the caller was root)
  const char* staging_dir;         // where the new root is assembled before pivot_root
  const char* root_tmpfs_options;
  const RootEntry* root_entries;
  size_t num_root_entries;
  const char* proc_path;           // staging_dir + "/proc"
  const char* work_dir_in_box;     // "/tmp": the work tmpfs, mounted per job
  bool loopback;
  const char* hostname;
  int cap_last_cap;
  const sock_filter* seccomp;      // applied by every step right before exec
  size_t seccomp_length;
  char* const* envp;               // null-terminated; every step's environment
};

struct ChildFile {
  const char* path;  // absolute, inside the work directory
  const char* data;
  size_t size;
  mode_t mode;
};

struct ChildStep {
  const char* path;                // absolute path of the program to exec
  char* const* argv;               // null-terminated
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

// One request: the work files and the steps that run on them.
struct ChildJob {
  const char* work_tmpfs_options;  // "size=...,uid=...,gid=...,mode=0755"
  const ChildFile* files;
  size_t num_files;
  const ChildStep* steps;
  size_t num_steps;
};

}  // namespace zerorl::sandbox

#endif  // ZERORL_VERIFIERS_SANDBOX_INTERNAL_CHILD_H_
