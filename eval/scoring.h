// Scoring for `zerorl eval`: every sample of a problem through the reward pipeline, its
// correctness from the task's verifier, and (math) its extracted answer and answer cluster
// for majority voting.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<Scorer> scorer,
//                    Scorer::Create(config.reward, {TaskKind::kMath}, pipeline_options));
//   std::vector<ProblemResult> results = scorer->Score(std::move(inputs));
//   EvalMetrics metrics = Summarize(StatsOf(results), scorer->majority());
//
// Correctness: a sample is correct when the correctness function of its problem's kind
// (math_accuracy for math, code_tests for code, countdown for countdown) scores it >= 1
// (code_tests with pass_fraction: every test passed). The first function of that name in
// reward.functions is used; when reward.functions has none, one with default options and
// weight 1 is added, so it also counts in the reward. A sample the function marks not
// applicable or error is not judged (correct = -1): an unreadable gold, a broken sandbox.
//
// Math answers are read with ExtractMathAnswer() under the math_accuracy options, and two
// answers are one when their texts are equal or VerifyMath(first, other) says they are
// equivalent (ClusterAnswers(): the first member of a cluster is compared against).
#ifndef ZERORL_EVAL_SCORING_H_
#define ZERORL_EVAL_SCORING_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "config/config.h"
#include "datasets/datasets.h"
#include "eval/metrics.h"
#include "reward/reward.h"
#include "verifiers/math/verifier.h"

namespace zerorl::eval {

// One completion to score, as the engine (or a replayed file) gives it.
struct Completion {
  std::string text;
  int64_t num_tokens = -1;     // -1 unknown
  std::string finish_reason;   // "stop", "length", "abort"; "" unknown
};

struct ScoredSample {
  Completion completion;
  double reward = 0.0;           // the pipeline's weighted total (NaN: not applicable/error)
  int correct = -1;              // 1, 0, or -1 not judged
  std::string verdict;           // the correctness function's detail (why right/wrong/unjudged)
  std::string extracted_answer;  // math: the answer read from the completion; "" none
  int cluster = -1;              // math: ClusterAnswers() over the problem's samples
};

struct ProblemInput {
  datasets::Problem problem;
  std::string prompt_text;  // the rendered prompt the model saw
  std::vector<Completion> completions;
};

struct ProblemResult {
  datasets::Problem problem;
  std::string prompt_text;
  std::vector<ScoredSample> samples;

  int64_t num_correct() const;
};

// The per-problem numbers Summarize() needs.
std::vector<ProblemStats> StatsOf(const std::vector<ProblemResult>& results);

class Scorer {
 public:
  // Builds the reward pipeline from `reward` (plus the correctness functions `kinds` need,
  // see above). Errors are RewardPipeline::Create()'s, naming the config key.
  static absl::StatusOr<std::unique_ptr<Scorer>> Create(
      config::RewardConfig reward, const std::vector<datasets::TaskKind>& kinds,
      const reward::RewardPipelineOptions& options);

  // Scores every completion of every input (one pipeline call, so code tests run in
  // parallel in the sandbox pool). Results are in input order. Not thread-safe.
  std::vector<ProblemResult> Score(std::vector<ProblemInput> inputs);

  // The reward functions' labels, in config order (correctness functions included).
  const std::vector<std::string>& function_names() const { return pipeline_->function_names(); }
  // "math_accuracy", ... for a kind; "" when the run has none for it.
  std::string CorrectnessFunction(datasets::TaskKind kind) const;

 private:
  Scorer() = default;
  void ExtractAnswers(ProblemResult* result) const;

  std::unique_ptr<reward::RewardPipeline> pipeline_;
  int math_index_ = -1;       // index into function_names() per kind; -1 none
  int code_index_ = -1;
  int countdown_index_ = -1;
  math::MathOptions math_options_;  // from the math_accuracy options
};

}  // namespace zerorl::eval

#endif  // ZERORL_EVAL_SCORING_H_
