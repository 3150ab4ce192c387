// JSON for the sandbox's command line (`zerorl sandbox run|judge`) and for anyone feeding it
// JSON lines.
//
// A judge request is one JSON object, with stdin/stdout tests
//   {"language": "python", "code": "...", "tests": [{"stdin": "1 2\n", "expected_stdout": "3\n"}]}
// or assertion programs (a string or a list of strings, each one test)
//   {"language": "python", "code": "...", "test_code": "def check(candidate): ...",
//    "entry_point": "add"}
// and optionally "id" (any JSON value, echoed in the result), "float_tolerance",
// "time_limit_ms" (CPU and wall time per test) and "memory_mib". Unknown keys are errors:
// a misspelt "expected_output" must not silently judge against an empty output.
#ifndef ZERORL_VERIFIERS_SANDBOX_JSON_H_
#define ZERORL_VERIFIERS_SANDBOX_JSON_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "verifiers/sandbox/judge.h"
#include "verifiers/sandbox/sandbox.h"

namespace zerorl::sandbox {

struct ParsedJudgeRequest {
  JudgeRequest request;
  std::string id_json;  // the "id" value as JSON text, "" when absent
};

// kInvalidArgument naming the key and what is wrong with it. `defaults` gives the limits
// for keys the line leaves out.
absl::StatusOr<ParsedJudgeRequest> ParseJudgeRequest(absl::string_view json,
                                                     const Limits& defaults);

// {"passed": bool, "pass_fraction": num, "results": [{"status", "detail", "exit_code",
//  "signal", "wall_ms", "cpu_ms", "max_rss_kib"}, ...]} (+ "id", + "compile_output").
std::string JudgeResultToJson(const JudgeResult& result, const std::string& id_json);
// A line for a request that got no verdict: {"passed": false, "pass_fraction": 0,
// "results": [], "error": "..."} (+ "id").
std::string JudgeErrorToJson(const absl::Status& status, const std::string& id_json);
// {"status", "exit_code", "signal", "stdout", "stderr", "wall_ms", "cpu_ms", "max_rss_kib"}.
std::string RunResultToJson(const RunResult& result);

}  // namespace zerorl::sandbox

#endif  // ZERORL_VERIFIERS_SANDBOX_JSON_H_
