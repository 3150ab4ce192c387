// Replay mode of `zerorl eval --completions FILE`: completions made elsewhere (another
// engine, an earlier run) scored against a dataset without a model.
//
// One JSON object per line; blank lines are skipped:
//   {"id": "gsm8k/test/3" | 17, "completions": ["...", ...]}
//   {"index": 3, "completions": [{"text": "...", "num_tokens": 87, "finish_reason": "stop"}]}
// "id" is the problem id (a number n matches the id "<n>" or "<dataset>/<n>", as the dataset
// loader names ids); "index" is the 0-based position in the dataset (after --limit).
// Exactly one of them. A completion is a string, or an object with "text" and optional
// "num_tokens" (int >= 0) and "finish_reason" ("stop", "length", "abort").
#ifndef ZERORL_EVAL_REPLAY_H_
#define ZERORL_EVAL_REPLAY_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "datasets/datasets.h"
#include "eval/scoring.h"

namespace zerorl::eval {

struct ReplayLine {
  int64_t line_number = 0;  // 1-based
  std::string id;           // "" when the line gives an index
  int64_t index = -1;       // -1 when the line gives an id
  std::vector<Completion> completions;
};

// Parses one line. kInvalidArgument "SOURCE:LINE: why" for bad JSON, a missing or mistyped
// key, both or neither of id/index, an empty completions list.
absl::StatusOr<ReplayLine> ParseReplayLine(std::string_view text, int64_t line_number,
                                           const std::string& source);

// Reads every line of `path`. kNotFound when it cannot be opened; the first bad line's
// error otherwise.
absl::StatusOr<std::vector<ReplayLine>> ReadReplayFile(const std::string& path);

// Matches each line to its problem in `problems`: the problem index of every line, in
// order. kInvalidArgument "SOURCE:LINE: ..." for an id that is not in the dataset, an index
// out of range, or a problem given twice.
absl::StatusOr<std::vector<size_t>> MatchReplay(const std::vector<ReplayLine>& lines,
                                                const std::vector<datasets::Problem>& problems,
                                                const std::string& source);

}  // namespace zerorl::eval

#endif  // ZERORL_EVAL_REPLAY_H_
