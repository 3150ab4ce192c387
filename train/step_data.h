// One step's scored batches as the learner, metrics.jsonl and samples.jsonl need them.
#ifndef ZERORL_TRAIN_STEP_DATA_H_
#define ZERORL_TRAIN_STEP_DATA_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "controller/controller.h"
#include "learner/batch.h"
#include "metrics/sink.h"

namespace zerorl::train {

// Where a learner sample came from (pointers into the batches it was built from).
struct SampleOrigin {
  const wire::Prompt* prompt = nullptr;
  const wire::Completion* completion = nullptr;
  const wire::ScoredCompletion* score = nullptr;
  const std::vector<std::string>* functions = nullptr;
};

struct StepSamples {
  std::vector<learner::Sample> samples;  // in batch order; group_id = prompt id
  std::vector<SampleOrigin> origins;     // [samples.size()]
  int64_t dropped_stale = 0;    // async: drawn with a version older than allowed
  int64_t excluded = 0;         // aborted, or no applicable reward, or a reward error
  double mean_policy_lag = 0.0; // learner version minus the sample's, averaged
  int64_t max_policy_lag = 0;
};

// Turns scored batches into learner samples. A sample's reward is the weighted total when
// at least one function scored it and none failed; otherwise NaN (no loss, out of the group
// baseline), counted in `excluded`. With `max_staleness` >= 0, samples drawn with a version
// older than learner_version - max_staleness are dropped (counted in `dropped_stale`).
StepSamples CollectSamples(const std::vector<controller::ScoredBatch>& batches,
                           int64_t learner_version, int max_staleness);

// The headline numbers AddSampleMetrics() writes, for the progress line.
struct SampleSummary {
  double reward_mean = 0.0;
  std::map<std::string, double> function_means;  // ok scores only
  double mean_length = 0.0;
};

// reward/mean, reward/std, reward/<fn>/mean|not_applicable|errors, completions/mean_length,
// max_length, clipped_ratio, aborted; the learner's samples only.
SampleSummary AddSampleMetrics(const StepSamples& step, metrics::MetricsRow* row);

// samples.jsonl rows: every sample of the step's first group and, for the other groups,
// those a seeded draw with probability `fraction` keeps. `advantages` is the TrainBatch's
// [B] column (undefined to log none).
struct SampleLogOptions {
  int64_t step = 0;
  std::string split = "train";  // "train" or "eval/<dataset>"
  double fraction = 0.1;
  uint64_t seed = 1;
};
std::vector<metrics::MetricsRow> SampleRows(const StepSamples& step,
                                            const torch::Tensor& advantages,
                                            const SampleLogOptions& options);

// The schema version written in every samples.jsonl row ("schema").
inline constexpr int kSamplesSchemaVersion = 1;

}  // namespace zerorl::train

#endif  // ZERORL_TRAIN_STEP_DATA_H_
