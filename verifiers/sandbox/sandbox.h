// The code sandbox: runs a program written by a model, isolated from the host and bounded
// in time, memory, processes, files and output, and reports what happened.
//
//   absl::StatusOr<std::unique_ptr<Sandbox>> sandbox = Sandbox::Create(SandboxOptions{});
//   if (!sandbox.ok()) return sandbox.status();            // the kernel refused isolation
//   RunRequest request;
//   request.language = "python";
//   request.code = "print(input()[::-1])";
//   request.stdin_data = "abc";
//   absl::StatusOr<RunResult> result = (*sandbox)->Run(request);
//   // result->status == RunStatus::kOk, result->stdout_data == "cba\n"
//
// Isolation (what nsjail does, built on the kernel's own mechanisms): every box gets new
// user, PID, network, mount, IPC, UTS and cgroup namespaces; a root made of read-only bind
// mounts of /usr and the /lib*, /bin links, a generated minimal /etc, a fresh /proc, a /dev
// with only null, zero, random and urandom, and a size-limited tmpfs at /tmp that is the
// only writable place and the working directory. Programs run as an unprivileged uid/gid
// with every capability dropped, no_new_privs, and a seccomp filter (compiled once in the
// parent) that refuses ptrace, mount, namespace changes, kexec, bpf, perf, keyrings, module
// loading, io_uring, changes to other processes and sockets other than AF_UNIX. Limits: CPU
// time, wall time (every process of the run is killed), memory (a cgroup, v2 or v1, when one
// is writable; RLIMIT_AS otherwise), processes (cgroup pids or RLIMIT_NPROC), file size, open
// files, stdout/stderr (excess is cut and reported) and no core dumps; the environment is
// empty but for PATH, HOME, TMPDIR and a UTF-8 locale.
//
// Nothing of a run survives it: no process (each step's processes are killed when it ends),
// no file and no mount (its /tmp is unmounted), no SysV IPC object (the next run gets a new
// IPC namespace). That is what lets a box be reused: a box whose run ended cleanly is kept
// warm (SandboxOptions::warm_boxes) and the next run only mounts a fresh /tmp in it, which
// saves building the namespaces and the root again. The box's first process is a small
// program of its own (embedded in this library, executed from a memfd), started without
// copying the caller's memory, so a Sandbox may live in a large process.
//
// Judging programs against tests is in verifiers/sandbox/judge.h; running many at once, in
// verifiers/sandbox/pool.h; the implementation, one file per kernel concern, in sandbox_*.cc.
//
// Needs: Linux 5.9+ with user namespaces allowed to this process (as root, or as a normal
// user where unprivileged user namespaces are on, as on Debian and Fedora), and executable
// memfds (vm.memfd_noexec <= 1, the default). As root the box's memory and process limits
// use cgroups; as a normal user they use rlimits unless a cgroup v2 subtree delegates memory
// and pids (systemd: a unit with Delegate=yes; or set SandboxOptions::cgroup_v2_parent).
//
// Threads: a Sandbox is thread-safe; Run() may be called from many threads at once, each
// call runs in a box of its own (SandboxPool in verifiers/sandbox/pool.h bounds how many at once).
#ifndef ZERORL_VERIFIERS_SANDBOX_SANDBOX_H_
#define ZERORL_VERIFIERS_SANDBOX_SANDBOX_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace zerorl::sandbox {

// Per-run limits. Every field has a unit in its name; all must be > 0.
struct Limits {
  int64_t wall_time_ms = 10000;   // real time; past it every process of the run is killed
  int64_t cpu_time_ms = 10000;    // user+system CPU of the program and the children it waited for
  int64_t memory_mib = 512;       // cgroup memory (RAM, tmpfs files included) or RLIMIT_AS
  int max_processes = 64;         // tasks (threads count) alive at once
  int64_t file_size_mib = 16;     // largest file the program may write (RLIMIT_FSIZE)
  int64_t work_dir_mib = 64;      // size of the /tmp tmpfs
  int max_open_files = 256;       // RLIMIT_NOFILE
  int64_t stack_mib = 64;         // RLIMIT_STACK: deep recursion in C++ solutions needs room
  int64_t stdout_limit_bytes = 8 << 20;  // past it the run is killed (status kOutputLimit)
  int64_t stderr_limit_bytes = 1 << 20;
};

// How a run ended. Names (RunStatusName) are the CLI's JSON strings.
enum class RunStatus {
  kOk,             // exited 0
  kRuntimeError,   // exited non-zero or died by a signal
  kTimeLimit,      // passed wall_time_ms or cpu_time_ms
  kMemoryLimit,    // killed by the memory cgroup, or failed to allocate (MemoryError, bad_alloc)
  kOutputLimit,    // wrote more than stdout_limit_bytes / stderr_limit_bytes
  kCompileError,   // the compiler refused the program (or hit its own limits)
  kSandboxError,   // the sandbox itself failed (see RunResult::error)
};
const char* RunStatusName(RunStatus status);  // "ok", "runtime_error", ...

struct RunRequest {
  std::string language;    // a name from Languages(): "python", "cpp", "java"
  std::string code;        // the program's source text
  std::string stdin_data;  // bytes on the program's stdin (then EOF)
  Limits limits;           // for the program
  // For the compiler, when the language has one; unset = the language's defaults
  // (Language::compile_limits in verifiers/sandbox/languages.h: 20 s, 1 GiB, 16 processes).
  std::optional<Limits> compile_limits;
};

struct RunResult {
  RunStatus status = RunStatus::kSandboxError;
  int exit_code = 0;       // when it exited; 0 when killed
  int signal = 0;          // the signal that killed it, else 0
  std::string stdout_data;
  std::string stderr_data;  // for kCompileError: the compiler's diagnostics
  bool stdout_truncated = false;
  bool stderr_truncated = false;
  double wall_ms = 0;
  double cpu_ms = 0;
  int64_t max_rss_kib = 0;
  std::string error;        // kSandboxError: what failed
};

// How a Sandbox isolates, decided once by Sandbox::Create from what this machine allows.
enum class MemoryLimitMode { kCgroupV2, kCgroupV1, kRlimitAs };
enum class ProcessLimitMode { kCgroupV2, kCgroupV1, kRlimitNproc };
const char* MemoryLimitModeName(MemoryLimitMode mode);   // "cgroup_v2", "cgroup_v1", "rlimit_as"
const char* ProcessLimitModeName(ProcessLimitMode mode);

struct SandboxOptions {
  // The uid/gid programs run as inside the box (never 0: inner root is not mapped).
  uid_t inner_uid = 1000;
  gid_t inner_gid = 1000;
  // When the caller is root, the host uid/gid the inner ones map to: an unprivileged id, so
  // that nothing in the box is root anywhere. As non-root, the caller's own ids are used
  // (the only mapping an unprivileged user may write).
  uid_t outer_uid_when_root = 65534;
  gid_t outer_gid_when_root = 65534;
  // Give each box a private loopback interface (127.0.0.1, ::1) and allow AF_INET/AF_INET6
  // sockets in it. Nothing outside the box is reachable either way; off refuses IP sockets.
  bool allow_loopback_network = false;
  // Use cgroups for memory and process limits when writable (else rlimits). A cgroup also
  // makes memory_limit exact: the kernel OOM-kills inside the box, never elsewhere.
  bool use_cgroups = true;
  // Where per-run cgroups are made; empty = below this process's own cgroup.
  std::string cgroup_v1_memory_parent;
  std::string cgroup_v1_pids_parent;
  std::string cgroup_v2_parent;
  // Boxes kept warm between runs: a run takes an idle box when there is one (a fresh /tmp
  // and IPC namespace in it, about a millisecond) instead of building one (namespaces, root,
  // cgroup: several). A box is reused only by the thread that made it (its init dies with
  // that thread): a pool worker keeps its own, a thread calling Run() again gets its last.
  // Each idle box is one sleeping process and its namespaces. -1: one per CPU this process
  // may use (in a SandboxPool: one per worker); 0: every run builds a new box.
  int warm_boxes = -1;
};

// What Create() found and will use; for logs and the benchmark.
struct SandboxEnvironment {
  bool running_as_root = false;
  uid_t outer_uid = 0;
  gid_t outer_gid = 0;
  MemoryLimitMode memory_mode = MemoryLimitMode::kRlimitAs;
  ProcessLimitMode process_mode = ProcessLimitMode::kRlimitNproc;
  std::string ToString() const;  // one line
};

class SandboxShared;  // verifiers/sandbox/internal/box.h: the parts prepared once (seccomp program, root plan)

class Sandbox {
 public:
  // Probes the machine (compiles the seccomp filter, plans the root, finds a writable
  // cgroup, builds one empty box, which stays warm). kFailedPrecondition with a hint when
  // the kernel refuses user namespaces, mounts in them, or executing from a memfd
  // (vm.memfd_noexec); kInvalidArgument for bad options.
  static absl::StatusOr<std::unique_ptr<Sandbox>> Create(const SandboxOptions& options);
  ~Sandbox();  // ends the warm boxes
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;

  // Compiles (when the language needs it) and runs request.code once. Whatever the program
  // does is a RunResult; a non-OK status means the request was bad (kInvalidArgument:
  // unknown language, a limit <= 0) or the sandbox could not work (kInternal,
  // kResourceExhausted), never something the program did. Thread-safe.
  absl::StatusOr<RunResult> Run(const RunRequest& request) const;

  const SandboxEnvironment& environment() const;
  // The machinery, for the judge and the pool (verifiers/sandbox/internal/box.h).
  SandboxShared& shared() const { return *shared_; }

 private:
  explicit Sandbox(std::unique_ptr<SandboxShared> shared);
  std::unique_ptr<SandboxShared> shared_;
};

// Checks every field of `limits` is > 0; kInvalidArgument naming the field otherwise.
absl::Status ValidateLimits(const Limits& limits);

}  // namespace zerorl::sandbox

#endif  // ZERORL_VERIFIERS_SANDBOX_SANDBOX_H_
