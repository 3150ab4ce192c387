// Judging a program against tests in the formats RL datasets use:
//
//  * stdin/stdout tests (APPS, CodeContests, TACO, LiveCodeBench "stdin"): the program runs
//    once per test with its stdin, and its stdout is compared with the expected output
//    (verifiers/sandbox/internal/compare.h: trailing whitespace trimmed per line, optional float tolerance).
//  * assertion programs (HumanEval's `check(candidate)`, MBPP's assert lists, pytest-style
//    files whose test functions the program calls): each runs after the solution in the
//    same interpreter, and passes only if the harness proves that it finished
//    (verifiers/sandbox/internal/harness.h explains why `exit(0)` and friends cannot fake that).
//
//   JudgeRequest request;
//   request.language = "python";
//   request.code = problem.prompt + completion;
//   request.test_programs = {problem.test};
//   request.entry_point = problem.entry_point;          // calls check(<entry_point>)
//   absl::StatusOr<JudgeResult> result = Judge(sandbox, request);
//   // result->passed, result->pass_fraction, result->results[i].status / .detail
//
// All tests of a request run in one box, one after another (a compiled program is compiled
// once); no process survives from one test to the next, files in /tmp do. Thread-safe as
// Sandbox::Run is; SandboxPool (verifiers/sandbox/pool.h) runs many requests at once.
#ifndef ZERORL_VERIFIERS_SANDBOX_JUDGE_H_
#define ZERORL_VERIFIERS_SANDBOX_JUDGE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "verifiers/sandbox/sandbox.h"

namespace zerorl::sandbox {

struct IoTest {
  std::string stdin_data;
  std::string expected_stdout;
};

struct JudgeRequest {
  std::string language;
  std::string code;
  // Exactly one of the two kinds of tests:
  std::vector<IoTest> tests;
  std::vector<std::string> test_programs;  // Python: each one test, run after the solution
  std::string entry_point;     // with test_programs: also call check(<entry_point>) after each
  double float_tolerance = 0;  // stdin/stdout tests; 0 = exact lines
  Limits limits;               // per test
  std::optional<Limits> compile_limits;  // unset = the language's defaults
};

enum class TestStatus {
  kPassed,
  kFailed,        // wrong output, a failed assert, or tests that did not finish (exit(0))
  kRuntimeError,
  kTimeLimit,
  kMemoryLimit,
  kOutputLimit,
  kCompileError,  // every test of a program that does not compile
};
const char* TestStatusName(TestStatus status);  // "passed", "failed", "runtime_error", ...

struct TestResult {
  TestStatus status = TestStatus::kFailed;
  // Why, in one line: "line 2: expected \"15\", got \"14\"", the failed assert, the last
  // line of a traceback, the compiler's first error.
  std::string detail;
  int exit_code = 0;
  int signal = 0;
  double wall_ms = 0;
  double cpu_ms = 0;
  int64_t max_rss_kib = 0;
};

struct JudgeResult {
  bool passed = false;         // every test passed (and there was at least one)
  double pass_fraction = 0;    // passed tests / tests
  std::vector<TestResult> results;  // one per test, in order
  std::string compile_output;  // the compiler's diagnostics, when it failed
};

// Runs every test. kInvalidArgument for a bad request (unknown language, no tests or both
// kinds, assertion tests in a language without a harness, a bad entry point or limit);
// kInternal / kResourceExhausted when the sandbox failed, in which case no verdict is
// given (never a silent "failed").
absl::StatusOr<JudgeResult> Judge(const Sandbox& sandbox, const JudgeRequest& request);

}  // namespace zerorl::sandbox

#endif  // ZERORL_VERIFIERS_SANDBOX_JUDGE_H_
