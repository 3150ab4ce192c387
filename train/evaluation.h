// Held-out evaluation during training: every eval set's problems, run.eval_samples samples
// each at run.eval_temperature (default: one greedy sample), through the same rollout and
// reward workers as training. A sample is correct when the run's correctness function (the
// first of math_accuracy, code_tests, countdown among reward.functions) scores it 1; without
// one, when its total reward is > 0.
#ifndef ZERORL_TRAIN_EVALUATION_H_
#define ZERORL_TRAIN_EVALUATION_H_

#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "config/config.h"
#include "controller/controller.h"
#include "datasets/datasets.h"
#include "eval/metrics.h"
#include "metrics/sink.h"
#include "train/collector.h"
#include "train/prompts.h"
#include "train/step_data.h"

namespace zerorl::train {

struct EvalResult {
  std::string dataset;
  int64_t problems = 0;
  double accuracy = 0.0;  // pass@1: mean over problems of the share of correct samples
  std::vector<std::pair<int, double>> pass_at_k;  // (k, pass@k) for k = 2, 4, ..., n
  double mean_length = 0.0;  // completion tokens
  double truncated_ratio = 0.0;
  double seconds = 0.0;
};

class Evaluator {
 public:
  Evaluator(const config::Config& config, const std::vector<datasets::Dataset>* eval_sets,
            const PromptRenderer* renderer);

  // Runs every eval set against policy `version` (the workers must hold it or be pushed
  // it). Batch ids come from `*next_batch_id` (incremented). Sample rows for samples.jsonl
  // (the first problem of each set and a fraction of the rest) are appended to `*rows`.
  absl::StatusOr<std::vector<EvalResult>> Run(controller::Controller* controller,
                                              ResultCollector* collector, int64_t version,
                                              int64_t step, uint64_t* next_batch_id,
                                              std::vector<metrics::MetricsRow>* rows);

  // "math_accuracy", ... or "" when the run has none.
  const std::string& correctness_function() const { return correctness_; }

 private:
  // Submits every problem of `set` in batches; returns their batch ids.
  absl::StatusOr<std::set<uint64_t>> Submit(const datasets::Dataset& set, int64_t version,
                                            controller::Controller* controller,
                                            uint64_t* next_batch_id) const;

  const config::Config& config_;
  const std::vector<datasets::Dataset>* eval_sets_;
  const PromptRenderer* renderer_;
  std::string correctness_;
  config::SamplingConfig sampling_;  // rollout.sampling with run.eval_samples, eval_temperature
};

// The reward function that says whether an answer is correct: the label (the name scores
// go by) of the first math_accuracy, code_tests or countdown among reward.functions, or ""
// when there is none.
std::string CorrectnessFunction(const config::RewardConfig& reward);

// One eval::ProblemStats per prompt of `samples`, in the order the prompts first appear. A
// sample is correct when `correctness_function` scored it ok with a value >= 1 (less 1e-9),
// or, when `correctness_function` is "", when its total reward is > 0.
std::vector<eval::ProblemStats> ProblemStatsOf(const StepSamples& samples,
                                               const std::string& correctness_function);

// pass@1, pass@k (k > 1), mean length and truncated ratio of one eval set's problems
// (eval::Summarize); `seconds` is left 0.
EvalResult SummarizeEvalSet(const std::string& dataset,
                            const std::vector<eval::ProblemStats>& problems);

// How run.eval_samples / run.eval_temperature draw the eval samples, for progress lines:
// "greedy" or "8 samples at T=0.6".
std::string EvalSamplingLabel(const config::RunConfig& run);

// eval/<dataset>/pass@1, pass@k (k > 1), mean_length, truncated_ratio, problems into `row`.
void AddEvalMetrics(const std::vector<EvalResult>& results, metrics::MetricsRow* row);

}  // namespace zerorl::train

#endif  // ZERORL_TRAIN_EVALUATION_H_
