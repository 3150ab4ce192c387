// Internal to the sandbox: box plans for a program in a language (write the source, maybe
// compile it, then run it once per test), shared by Sandbox::Run and Judge.
#ifndef ZERORL_VERIFIERS_SANDBOX_INTERNAL_PROGRAM_H_
#define ZERORL_VERIFIERS_SANDBOX_INTERNAL_PROGRAM_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "verifiers/sandbox/internal/box.h"
#include "verifiers/sandbox/languages.h"
#include "verifiers/sandbox/sandbox.h"

namespace zerorl::sandbox {

// The language named `name`, or kInvalidArgument listing the known ones.
absl::StatusOr<const Language*> LookUpLanguage(const std::string& name);

// A plan that writes `code` to the language's source file and, when the language compiles,
// has the compile step as step 0 (see HasCompileStep). Append run steps after it.
BoxPlan PlanProgram(const Language& language, const std::string& code,
                    const Limits& run_limits, const Limits& compile_limits);
inline bool HasCompileStep(const Language& language) { return !language.compile_argv.empty(); }

// Runs the program with `stdin_data` on stdin.
BoxStep ProgramStep(const Language& language, const Limits& limits, std::string stdin_data);
// Runs the assertion harness with `payload` (MakeHarnessPayload) at fd 4, marker at fd 3.
BoxStep HarnessStep(const Language& language, const Limits& limits, std::string payload);

// The outcome of the compile step as a RunResult: kOk, or kCompileError whose stderr is the
// compiler's diagnostics, followed by a line saying which limit it hit, if one.
RunResult CompileResult(const StepOutcome& outcome, const Limits& compile_limits);
// A run step's outcome as a RunResult (status from ClassifyOutcome).
RunResult ToRunResult(StepOutcome outcome, const Limits& limits);

}  // namespace zerorl::sandbox

#endif  // ZERORL_VERIFIERS_SANDBOX_INTERNAL_PROGRAM_H_
