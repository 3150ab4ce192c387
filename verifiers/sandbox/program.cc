#include "verifiers/sandbox/internal/program.h"

#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "verifiers/sandbox/internal/limits.h"

namespace zerorl::sandbox {

absl::StatusOr<const Language*> LookUpLanguage(const std::string& name) {
  const Language* language = FindLanguage(name);
  if (language == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown language \"", name, "\"; known: ", LanguageNames()));
  }
  return language;
}

BoxPlan PlanProgram(const Language& language, const std::string& code,
                    const Limits& run_limits, const Limits& compile_limits) {
  BoxPlan plan;
  plan.files.push_back({language.source_file, code, 0644});
  plan.work_dir_mib = run_limits.work_dir_mib;
  if (HasCompileStep(language)) {
    plan.work_dir_mib = std::max(run_limits.work_dir_mib, compile_limits.work_dir_mib);
    BoxStep compile;
    compile.argv = ExpandArgv(language.compile_argv, compile_limits);
    compile.limits = compile_limits;
    compile.address_space_extra_mib = language.address_space_extra_mib;
    plan.steps.push_back(std::move(compile));
  }
  return plan;
}

BoxStep ProgramStep(const Language& language, const Limits& limits, std::string stdin_data) {
  BoxStep step;
  step.argv = ExpandArgv(language.run_argv, limits);
  step.stdin_data = std::move(stdin_data);
  step.limits = limits;
  step.address_space_extra_mib = language.address_space_extra_mib;
  return step;
}

BoxStep HarnessStep(const Language& language, const Limits& limits, std::string payload) {
  BoxStep step;
  step.argv = ExpandArgv(language.harness_argv, limits);
  step.has_payload = true;
  step.payload = std::move(payload);
  step.marker = true;
  step.limits = limits;
  step.address_space_extra_mib = language.address_space_extra_mib;
  return step;
}

RunResult ToRunResult(StepOutcome outcome, const Limits& limits) {
  RunResult result;
  result.status = ClassifyOutcome(outcome, limits);
  result.exit_code = outcome.exit_code;
  result.signal = outcome.signal;
  result.stdout_data = std::move(outcome.stdout_data);
  result.stderr_data = std::move(outcome.stderr_data);
  result.stdout_truncated = outcome.stdout_truncated;
  result.stderr_truncated = outcome.stderr_truncated;
  result.wall_ms = outcome.wall_ms;
  result.cpu_ms = outcome.cpu_ms;
  result.max_rss_kib = outcome.max_rss_kib;
  if (outcome.exec_failed) {
    result.error = absl::StrCat("cannot execute the program: ", std::strerror(outcome.exec_errno));
  } else if (outcome.box_died && result.status == RunStatus::kRuntimeError) {
    result.status = RunStatus::kSandboxError;
    result.error = "the box's init process died during the run";
  }
  return result;
}

RunResult CompileResult(const StepOutcome& outcome, const Limits& compile_limits) {
  RunResult result = ToRunResult(outcome, compile_limits);
  if (result.status == RunStatus::kOk || result.status == RunStatus::kSandboxError) {
    return result;
  }
  const char* why = nullptr;
  switch (result.status) {
    case RunStatus::kTimeLimit: why = "the compiler exceeded its time limit"; break;
    case RunStatus::kMemoryLimit: why = "the compiler exceeded its memory limit"; break;
    case RunStatus::kOutputLimit: why = "the compiler's output exceeded its limit"; break;
    default: break;
  }
  if (why != nullptr) {
    if (!result.stderr_data.empty() && result.stderr_data.back() != '\n') result.stderr_data += '\n';
    absl::StrAppend(&result.stderr_data, "zerorl sandbox: ", why, "\n");
  }
  result.status = RunStatus::kCompileError;
  return result;
}

}  // namespace zerorl::sandbox
