// Internal to the sandbox: turning Limits into resource limits for a step (planned in the
// parent, applied by the step's process just before exec: init/steps.cc), and
// turning what happened to a step into a RunStatus.
#ifndef ZERORL_VERIFIERS_SANDBOX_INTERNAL_LIMITS_H_
#define ZERORL_VERIFIERS_SANDBOX_INTERNAL_LIMITS_H_

#include <cstdint>
#include <string>

#include "verifiers/sandbox/internal/child.h"
#include "verifiers/sandbox/sandbox.h"

namespace zerorl::sandbox {

// Fills step->rlimits: CPU (whole seconds, rounded up; the exact limit is checked after the
// run), file size, open files, stack, no core dumps, processes (+1 for init, which shares
// the uid), and, when no cgroup limits memory, the address space (memory_mib plus
// `address_space_extra_mib` for runtimes that reserve more than they use).
void PlanRlimits(const Limits& limits, bool memory_by_rlimit, int64_t address_space_extra_mib,
                 ChildStep* step);

// What happened to one step, as the parent saw it.
struct StepOutcome {
  int wait_status = 0;
  bool exited = false;        // WIFEXITED
  int exit_code = 0;
  int signal = 0;             // WTERMSIG, when killed
  bool exec_failed = false;   // the program could not be started; exec_errno says why
  int exec_errno = 0;
  bool wall_timed_out = false;   // init (or the parent, as a backstop) hit the wall limit
  bool cpu_timed_out = false;    // init saw the CPU limit pass
  bool output_limited = false;   // stdout/stderr passed its cap and the step was killed
  bool oom_killed = false;       // the box's memory cgroup OOM-killed a process
  bool box_died = false;         // init itself ended: the box cannot run further steps
  double wall_ms = 0;
  double cpu_ms = 0;
  int64_t max_rss_kib = 0;
  std::string stdout_data;
  std::string stderr_data;
  bool stdout_truncated = false;
  bool stderr_truncated = false;
  std::string marker;            // bytes written on the marker pipe (the harness's nonce)
};

// The status of a program run: output cap, then time (wall, CPU, SIGXCPU), then memory (the
// cgroup OOM-killed, or the program reported MemoryError / std::bad_alloc / an
// OutOfMemoryError), then the exit. exec failures are kSandboxError.
RunStatus ClassifyOutcome(const StepOutcome& outcome, const Limits& limits);

}  // namespace zerorl::sandbox

#endif  // ZERORL_VERIFIERS_SANDBOX_INTERNAL_LIMITS_H_
