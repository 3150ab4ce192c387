#include "verifiers/sandbox/internal/limits.h"

#include <signal.h>
#include <sys/resource.h>

#include "absl/strings/string_view.h"

namespace zerorl::sandbox {
namespace {

constexpr rlim_t kMiB = 1 << 20;

void Add(ChildStep* step, int resource, rlim_t value) {
  if (step->num_rlimits < kMaxRlimits) step->rlimits[step->num_rlimits++] = {resource, value};
}

// Messages runtimes print when an allocation fails: under RLIMIT_AS (and under a cgroup
// when the kernel refuses a huge mapping outright) this is how a memory limit shows.
bool ReportsOutOfMemory(absl::string_view stderr_data) {
  for (absl::string_view marker : {"MemoryError", "std::bad_alloc", "java.lang.OutOfMemoryError",
                                  "Cannot allocate memory", "out of memory"}) {
    if (stderr_data.find(marker) != absl::string_view::npos) return true;
  }
  return false;
}

}  // namespace

void PlanRlimits(const Limits& limits, bool memory_by_rlimit, int64_t address_space_extra_mib,
                 ChildStep* step) {
  step->num_rlimits = 0;
  Add(step, RLIMIT_CPU, static_cast<rlim_t>((limits.cpu_time_ms + 999) / 1000));
  Add(step, RLIMIT_FSIZE, static_cast<rlim_t>(limits.file_size_mib) * kMiB);
  Add(step, RLIMIT_NOFILE, static_cast<rlim_t>(limits.max_open_files));
  Add(step, RLIMIT_STACK, static_cast<rlim_t>(limits.stack_mib) * kMiB);
  Add(step, RLIMIT_CORE, 0);
  Add(step, RLIMIT_NPROC, static_cast<rlim_t>(limits.max_processes) + 1);
  if (memory_by_rlimit) {
    Add(step, RLIMIT_AS, static_cast<rlim_t>(limits.memory_mib + address_space_extra_mib) * kMiB);
  }
  step->wall_time_ms = limits.wall_time_ms;
  step->cpu_time_ms = limits.cpu_time_ms;
}

RunStatus ClassifyOutcome(const StepOutcome& outcome, const Limits& limits) {
  if (outcome.exec_failed) return RunStatus::kSandboxError;
  if (outcome.output_limited) return RunStatus::kOutputLimit;
  if (outcome.wall_timed_out || outcome.cpu_timed_out || outcome.cpu_ms > static_cast<double>(limits.cpu_time_ms) ||
      outcome.signal == SIGXCPU) {
    return RunStatus::kTimeLimit;
  }
  bool failed = !outcome.exited || outcome.exit_code != 0;
  if (outcome.oom_killed || (failed && ReportsOutOfMemory(outcome.stderr_data))) {
    return RunStatus::kMemoryLimit;
  }
  return failed ? RunStatus::kRuntimeError : RunStatus::kOk;
}

}  // namespace zerorl::sandbox
