// The files `zerorl eval` writes, a stable export format for other dashboards. Both carry
// "schema_version" (kSchemaVersion); fields are only ever added within a version, and a
// change of meaning or a removal bumps it.
//
// problems.jsonl, one line per problem in evaluation order:
//   {"schema_version": 1, "index": 0, "id": "gsm8k/test/0", "dataset": "gsm8k",
//    "kind": "math"|"code"|"countdown", "prompt": "<the rendered prompt>",
//    "answer": "18" (gold; "" for code), "num_samples": 4, "num_correct": 1,
//    "samples": [{"completion": str, "reward": number|null, "correct": true|false|null,
//                 "length": int|null, "finish_reason": "stop"|"length"|"abort"|null,
//                 "extracted_answer": str|null, "verdict": str}, ...]}
//   reward: the weighted total of the reward functions (null: not applicable or an error);
//   correct: null when the correctness function could not judge the sample; length:
//   completion tokens (null when unknown, e.g. replayed text without a tokenizer);
//   extracted_answer: math only, null when no answer was found; verdict: the correctness
//   function's one-line reason.
//
// summary.json:
//   {"schema_version": 1, "model": str, "dataset": str, "dataset_path": str,
//    "mode": "generate"|"replay", "completions": str (replay only), "n": 4 (replay: the
//    most completions of any line), "temperature": 0.6, "top_p": 1.0, "max_new_tokens": 512,
//    "seed": 1 (these four in generate mode only), "template": "r1",
//    "reward_functions": [str], "correctness_function": str,
//    "metrics": {"problems", "samples", "judged_problems", "unjudged_problems",
//                "unjudged_samples", "pass@1", "pass@K"..., "maj@K"... (math),
//                "mean_length", "max_length" (null when no length is known),
//                "truncation_rate" (null when no finish reason is known)},
//    "wall_time_s": 12.5, "problems_per_s": 3.1, "generation_s": 10.2, "scoring_s": 2.0}
//   pass@K and maj@K are reported for K in KValues(metrics.min_samples) (eval/metrics.h).
#ifndef ZERORL_EVAL_REPORT_H_
#define ZERORL_EVAL_REPORT_H_

#include <string>
#include <vector>

#include "eval/metrics.h"
#include "eval/scoring.h"

namespace zerorl::eval {

inline constexpr int kSchemaVersion = 1;

// One problems.jsonl line (no newline); `index` is the problem's position in the run.
std::string ProblemLine(const ProblemResult& result, int64_t index);

struct RunInfo {
  std::string model;         // model folder; "" in replay mode
  std::string dataset;       // the dataset's name
  std::string dataset_path;  // file it was read from; "" for synthetic sets
  std::string mode = "generate";
  std::string completions;   // replay: the completions file
  int n = 1;                 // samples asked per problem (replay: the most any line had)
  double temperature = 0.0;
  double top_p = 1.0;
  int64_t max_new_tokens = 0;
  std::string template_name;
  int64_t seed = 0;
  std::vector<std::string> reward_functions;
  std::string correctness_function;
  double wall_time_s = 0.0;
  double generation_s = 0.0;
  double scoring_s = 0.0;
};

// summary.json, pretty-printed, with a trailing newline.
std::string SummaryJson(const RunInfo& info, const EvalMetrics& metrics);

// "pass@1 0.2500  pass@4 0.5000  maj@4 0.2500  mean_length 87.5 ..." for stderr.
std::string SummaryLine(const EvalMetrics& metrics);

}  // namespace zerorl::eval

#endif  // ZERORL_EVAL_REPORT_H_
