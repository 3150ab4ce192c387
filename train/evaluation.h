// Held-out evaluation during training: every eval set's problems, run.eval_samples samples
// each at run.eval_temperature (default: one greedy sample), through the same rollout and
// reward workers as training. A sample is correct when the run's correctness function (the
// first of math_accuracy, code_tests, countdown among reward.functions) scores it 1; without
// one, when its total reward is > 0.
#ifndef ZERORL_TRAIN_EVALUATION_H_
#define ZERORL_TRAIN_EVALUATION_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "config/config.h"
#include "controller/controller.h"
#include "datasets/datasets.h"
#include "metrics/sink.h"
#include "train/collector.h"
#include "train/prompts.h"

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
  const config::Config& config_;
  const std::vector<datasets::Dataset>* eval_sets_;
  const PromptRenderer* renderer_;
  std::string correctness_;
};

// How run.eval_samples / run.eval_temperature draw the eval samples, for progress lines:
// "greedy" or "8 samples at T=0.6".
std::string EvalSamplingLabel(const config::RunConfig& run);

// eval/<dataset>/pass@1, pass@k (k > 1), mean_length, truncated_ratio, problems into `row`.
void AddEvalMetrics(const std::vector<EvalResult>& results, metrics::MetricsRow* row);

}  // namespace zerorl::train

#endif  // ZERORL_TRAIN_EVALUATION_H_
