// Held-out evaluation during training: every eval set's problems, greedy (temperature 0,
// one sample), through the same rollout and reward workers as training. A problem counts as
// solved when the run's correctness function (the first of math_accuracy, code_tests,
// countdown among reward.functions) scores it 1; without one, when the total reward is > 0.
#ifndef ZERORL_TRAIN_EVALUATION_H_
#define ZERORL_TRAIN_EVALUATION_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "controller/controller.h"
#include "core/config.h"
#include "core/metrics_sink.h"
#include "datasets/datasets.h"
#include "train/collector.h"
#include "train/prompts.h"

namespace zerorl::train {

struct EvalResult {
  std::string dataset;
  int64_t problems = 0;
  double accuracy = 0.0;       // pass@1 of the greedy sample
  double mean_length = 0.0;    // completion tokens
  double truncated_ratio = 0.0;
  double seconds = 0.0;
};

class Evaluator {
 public:
  Evaluator(const Config& config, const std::vector<Dataset>* eval_sets,
            const PromptRenderer* renderer);

  // Runs every eval set against policy `version` (the workers must hold it or be pushed
  // it). Batch ids come from `*next_batch_id` (incremented). Sample rows for samples.jsonl
  // (the first problem of each set and a fraction of the rest) are appended to `*rows`.
  absl::StatusOr<std::vector<EvalResult>> Run(Controller* controller, ResultCollector* collector,
                                              int64_t version, int64_t step,
                                              uint64_t* next_batch_id,
                                              std::vector<MetricsRow>* rows);

  // "math_accuracy", ... or "" when the run has none.
  const std::string& correctness_function() const { return correctness_; }

 private:
  const Config& config_;
  const std::vector<Dataset>* eval_sets_;
  const PromptRenderer* renderer_;
  std::string correctness_;
};

// eval/<dataset>/pass@1, mean_length, truncated_ratio into `row`.
void AddEvalMetrics(const std::vector<EvalResult>& results, MetricsRow* row);

}  // namespace zerorl::train

#endif  // ZERORL_TRAIN_EVALUATION_H_
