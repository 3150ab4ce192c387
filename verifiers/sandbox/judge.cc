#include "verifiers/sandbox/judge.h"

#include <memory>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/status.h"
#include "verifiers/sandbox/internal/box.h"
#include "verifiers/sandbox/internal/compare.h"
#include "verifiers/sandbox/internal/harness.h"
#include "verifiers/sandbox/internal/program.h"

namespace zerorl::sandbox {
namespace {

constexpr size_t kDetailChars = 300;

// What the box runs: the program's plan with one step per test, and each harness step's
// nonce (empty for stdin/stdout tests).
struct JudgePlan {
  BoxPlan box;
  size_t first_test_step = 0;
  std::vector<std::string> nonces;
};

std::string Clip(std::string text) {
  if (text.size() > kDetailChars) text = text.substr(0, kDetailChars) + "...";
  return text;
}

// Python 3.11+ underlines the failing expression with a line of ^ and ~.
bool IsCaretLine(absl::string_view line) {
  return absl::StripAsciiWhitespace(line).find_first_not_of("^~") == absl::string_view::npos;
}

// The last `count` non-empty lines of `text` (caret lines skipped), trimmed, joined with " | ".
std::string Tail(const std::string& text, size_t count) {
  std::vector<absl::string_view> lines;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipWhitespace())) {
    if (!IsCaretLine(line)) lines.push_back(line);
  }
  size_t first = lines.size() > count ? lines.size() - count : 0;
  std::vector<std::string> kept;
  for (size_t i = first; i < lines.size(); ++i) {
    kept.emplace_back(absl::StripAsciiWhitespace(lines[i]));
  }
  return Clip(absl::StrJoin(kept, " | "));
}

// The compiler's first error line, else its first line.
std::string FirstError(const std::string& diagnostics) {
  std::vector<absl::string_view> lines = absl::StrSplit(diagnostics, '\n', absl::SkipWhitespace());
  for (absl::string_view line : lines) {
    if (absl::StrContains(line, "error")) return Clip(std::string(line));
  }
  return lines.empty() ? "compilation failed" : Clip(std::string(lines[0]));
}

absl::Status ValidateRequest(const Language& language, const JudgeRequest& request) {
  if (request.tests.empty() == request.test_programs.empty()) {
    return absl::InvalidArgumentError(
        "give either stdin/stdout tests or assertion test programs, not both and not neither");
  }
  if (!request.test_programs.empty() && language.harness_argv.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "assertion test programs are not supported for ", language.name,
        "; use stdin/stdout tests"));
  }
  if (!request.entry_point.empty() && request.test_programs.empty()) {
    return absl::InvalidArgumentError("entry_point needs assertion test programs");
  }
  if (request.float_tolerance < 0) {
    return absl::InvalidArgumentError("float_tolerance must be >= 0");
  }
  return ValidateLimits(request.limits);
}

absl::StatusOr<JudgePlan> PlanJudge(const Language& language, const JudgeRequest& request,
                                    const Limits& compile_limits) {
  JudgePlan plan;
  plan.box = PlanProgram(language, request.code, request.limits, compile_limits);
  plan.first_test_step = plan.box.steps.size();
  for (const IoTest& test : request.tests) {
    plan.box.steps.push_back(ProgramStep(language, request.limits, test.stdin_data));
  }
  for (const std::string& program : request.test_programs) {
    ASSIGN_OR_RETURN(std::string nonce, MakeNonce());
    ASSIGN_OR_RETURN(std::string payload,
                     MakeHarnessPayload(nonce, request.code, program, request.entry_point));
    plan.box.steps.push_back(HarnessStep(language, request.limits, std::move(payload)));
    plan.nonces.push_back(std::move(nonce));
  }
  return plan;
}

TestResult LimitVerdict(const RunResult& run, const Limits& limits) {
  TestResult test;
  switch (run.status) {
    case RunStatus::kTimeLimit:
      test.status = TestStatus::kTimeLimit;
      test.detail = absl::StrCat("time limit (", limits.cpu_time_ms, " ms CPU, ",
                                 limits.wall_time_ms, " ms wall): ran ", run.wall_ms,
                                 " ms wall, ", run.cpu_ms, " ms CPU");
      break;
    case RunStatus::kMemoryLimit:
      test.status = TestStatus::kMemoryLimit;
      test.detail = absl::StrCat("memory limit (", limits.memory_mib, " MiB)");
      break;
    case RunStatus::kOutputLimit:
      test.status = TestStatus::kOutputLimit;
      test.detail = absl::StrCat("output limit (", limits.stdout_limit_bytes, " bytes stdout, ",
                                 limits.stderr_limit_bytes, " bytes stderr)");
      break;
    default:
      test.status = TestStatus::kRuntimeError;
      test.detail = run.signal != 0 ? absl::StrCat("killed by signal ", run.signal)
                                    : absl::StrCat("exit code ", run.exit_code);
      if (!run.stderr_data.empty()) absl::StrAppend(&test.detail, ": ", Tail(run.stderr_data, 1));
      break;
  }
  return test;
}

// The verdict on one test from its run. Passing needs exit code 0 and, for assertion
// programs, exactly the harness's nonce on the marker pipe.
TestResult Verdict(const JudgeRequest& request, const JudgePlan& plan, size_t test_index,
                   StepOutcome outcome) {
  std::string marker = std::move(outcome.marker);
  RunResult run = ToRunResult(std::move(outcome), request.limits);
  TestResult test;
  bool harness = !request.test_programs.empty();
  if (run.status == RunStatus::kOk && !harness) {
    OutputComparison c =
        CompareOutput(request.tests[test_index].expected_stdout, run.stdout_data,
                      request.float_tolerance);
    test.status = c.equal ? TestStatus::kPassed : TestStatus::kFailed;
    test.detail = c.first_difference;
  } else if (run.status == RunStatus::kOk) {
    bool proved = marker == plan.nonces[test_index];
    test.status = proved ? TestStatus::kPassed : TestStatus::kFailed;
    if (!proved) {
      test.detail = marker.empty()
                        ? "the program exited 0 before its tests finished (no completion proof)"
                        : "a forged completion marker was written";
    }
  } else if (harness && run.status == RunStatus::kRuntimeError && run.signal == 0 &&
             run.exit_code == kHarnessAssertionExitCode) {
    test.status = TestStatus::kFailed;
    test.detail = Tail(run.stderr_data, 3);
  } else {
    test = LimitVerdict(run, request.limits);
  }
  test.exit_code = run.exit_code;
  test.signal = run.signal;
  test.wall_ms = run.wall_ms;
  test.cpu_ms = run.cpu_ms;
  test.max_rss_kib = run.max_rss_kib;
  return test;
}

size_t NumTests(const JudgeRequest& request) {
  return request.tests.size() + request.test_programs.size();
}

}  // namespace

const char* TestStatusName(TestStatus status) {
  switch (status) {
    case TestStatus::kPassed: return "passed";
    case TestStatus::kFailed: return "failed";
    case TestStatus::kRuntimeError: return "runtime_error";
    case TestStatus::kTimeLimit: return "time_limit";
    case TestStatus::kMemoryLimit: return "memory_limit";
    case TestStatus::kOutputLimit: return "output_limit";
    case TestStatus::kCompileError: return "compile_error";
  }
  return "failed";
}

absl::StatusOr<JudgeResult> Judge(const Sandbox& sandbox, const JudgeRequest& request) {
  ASSIGN_OR_RETURN(const Language* language, LookUpLanguage(request.language));
  RETURN_IF_ERROR(ValidateRequest(*language, request));
  Limits compile_limits = request.compile_limits.value_or(language->compile_limits);
  if (HasCompileStep(*language)) {
    RETURN_IF_ERROR(core::Annotate(ValidateLimits(compile_limits), "compile"));
  }
  ASSIGN_OR_RETURN(JudgePlan plan, PlanJudge(*language, request, compile_limits));
  JudgeResult result;
  size_t num_tests = NumTests(request);
  // One box runs every test; if a test takes the box down (its init OOM-killed), the rest
  // run in a fresh one.
  while (result.results.size() < num_tests) {
    ASSIGN_OR_RETURN(BoxLease box, BoxLease::Begin(sandbox.shared(), plan.box));
    if (HasCompileStep(*language)) {
      ASSIGN_OR_RETURN(StepOutcome compiled, box->Run(0));
      RunResult compile = CompileResult(compiled, compile_limits);
      if (compile.status == RunStatus::kSandboxError) return absl::InternalError(compile.error);
      if (compile.status != RunStatus::kOk) {
        result.compile_output = compile.stderr_data;
        TestResult failed;
        failed.status = TestStatus::kCompileError;
        failed.detail = FirstError(compile.stderr_data);
        result.results.resize(num_tests, failed);
        break;
      }
    }
    while (result.results.size() < num_tests && box->usable()) {
      size_t index = result.results.size();
      ASSIGN_OR_RETURN(StepOutcome outcome,
                       box->Run(plan.first_test_step + index, /*last=*/index + 1 == num_tests));
      if (outcome.exec_failed || (outcome.box_died && !outcome.oom_killed &&
                                  !outcome.wall_timed_out)) {
        return absl::InternalError(absl::StrCat(
            "sandbox: test ", index, " could not run: ",
            ToRunResult(std::move(outcome), request.limits).error));
      }
      result.results.push_back(Verdict(request, plan, index, std::move(outcome)));
    }
  }
  size_t passed = 0;
  for (const TestResult& test : result.results) passed += test.status == TestStatus::kPassed;
  result.pass_fraction = num_tests == 0 ? 0 : static_cast<double>(passed) / num_tests;
  result.passed = num_tests > 0 && passed == num_tests;
  return result;
}

}  // namespace zerorl::sandbox
