// The line format of `zerorl reward score`: JSON lines in, one JSON line out per line in.
//
// In: {"prompt": str, "completion": str, "answer"?: str|number, "tests"?: TESTS,
//      "countdown"?: {"numbers": [int], "target": int}, "kind"?: "math"|"code"|"countdown",
//      "num_tokens"?: int, "metadata"?: object, "id"?: str|number}
//   TESTS is a program (str, HumanEval's `test` with "entry_point" beside it in an
//   object), a list of assert lines (MBPP), or {"program", "entry_point", "asserts",
//   "setup"}. Other keys are ignored, so the lines of `zerorl data preview` (problems) can be
//   scored directly with another key as the completion (ScoreLineOptions).
//   The problem the built-in functions read is `metadata` (e.g. a problem as the trainer
//   sends it), or without it the line itself, completed with the line's own id, prompt,
//   answer, tests, countdown and kind (kind defaults to code with tests, countdown with
//   countdown, else math); plugins get that object as their metadata.
// Out: {"line": N, "id"?: ..., "total": number|null,
//       "scores": {"<function>": {"value": number|null, "mark": "ok"|"not_applicable"|"error",
//                                 "detail": str}}}
//   or, for a line that cannot be read, {"line": N, "error": "line N: why"}.
#ifndef ZERORL_REWARD_OFFLINE_SCORING_H_
#define ZERORL_REWARD_OFFLINE_SCORING_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "reward/reward.h"

namespace zerorl::reward {

struct ScoreLineOptions {
  std::string completion_key = "completion";  // which key holds the completion
};

struct ScoreLine {
  RewardPrompt prompt;
  std::string completion;
  int64_t num_tokens = -1;
  std::string id;  // echoed as JSON text ("\"gsm8k/test/3\"", "17"); "" when absent
};

// Reads one input line; `line_number` is 1-based. kInvalidArgument "line N: why" for bad
// JSON, a missing or mistyped key, or a problem that does not read (datasets.h).
absl::StatusOr<ScoreLine> ParseScoreLine(std::string_view text, int64_t line_number,
                                         const ScoreLineOptions& options = {});

// The output line (without the newline) for a scored sample / an unreadable line.
std::string ScoredLineJson(int64_t line_number, const std::string& id,
                           const std::vector<std::string>& functions, const SampleReward& reward);
std::string ErrorLineJson(int64_t line_number, const std::string& message);

}  // namespace zerorl::reward

#endif  // ZERORL_REWARD_OFFLINE_SCORING_H_
