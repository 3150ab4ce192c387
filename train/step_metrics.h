// metrics.jsonl's row for one GRPO step, assembled from plain values so that what a step
// reports is written (and tested) in one place. Names follow TRL and veRL where they have
// one: reward/mean, completions/mean_length, timing/*, throughput/tokens_per_s.
//
//   metrics::MetricsRow row;
//   SampleSummary summary = AddGrpoStepMetrics(step, samples, learner_metrics, version,
//                                              async, cluster, &row);
//   ... evaluation adds eval/* ...
//   AddStepTimingMetrics(timings, SummarizeRolloutWork(batches), rollout_workers, &row);
//
// The row's keys, in order: step, phase, the sample metrics (step_data.h), the learner's,
// policy_version, async/*, workers/*, ledger/*, worker/<id>/<name>, [eval/*], timing/*,
// throughput/tokens_per_s, time, elapsed_s.
#ifndef ZERORL_TRAIN_STEP_METRICS_H_
#define ZERORL_TRAIN_STEP_METRICS_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "controller/controller.h"
#include "learner/learner.h"
#include "metrics/sink.h"
#include "train/step_data.h"

namespace zerorl::train {

// The rollout work behind one step's scored batches.
struct RolloutWork {
  double generate_s = 0.0;      // the slowest batch's rollout_s (dispatch to rollouts)
  double reward_s = 0.0;        // the slowest batch's reward_s
  double rollout_busy_s = 0.0;  // rollout_s summed over the batches
  int64_t tokens = 0;           // completion tokens generated (excluded samples included)
};
RolloutWork SummarizeRolloutWork(const std::vector<controller::ScoredBatch>& batches);

// The cluster as the controller saw it after the step's update.
struct ClusterSnapshot {
  controller::ControllerStats stats;
  std::map<std::string, std::map<std::string, double>> worker_metrics;  // worker -> name -> value
};

// Where one step's wall time went, in seconds. In sync mode the learner idles while workers
// generate and score (wait_s); in async mode that wait shrinks to what generation does not
// overlap.
struct StepTimings {
  double step_s = 0.0;         // the whole step, evaluation and checkpoint included
  double wait_s = 0.0;         // from the step's start until its last batch was scored
  double learner_s = 0.0;      // building the train batch and the update
  double weight_sync_s = 0.0;  // the last weight publish
  double eval_s = 0.0;         // held-out evaluation this step (0 when not due)
  double elapsed_s = 0.0;      // since the GRPO loop started
  double unix_time_s = 0.0;    // when the row was made (the dashboard's wall-time axis)
};

// step, phase "grpo", AddSampleMetrics(samples), every learner metric under its own name,
// policy_version, async/dropped_stale|policy_lag_mean|policy_lag_max (only when `async`),
// workers/rollout|reward|lost, ledger/redispatched|duplicates_dropped and
// worker/<id>/<name> for every worker metric. Returns AddSampleMetrics()'s summary.
SampleSummary AddGrpoStepMetrics(int64_t step, const StepSamples& samples,
                                 const learner::StepMetrics& learner_metrics,
                                 int64_t policy_version, bool async,
                                 const ClusterSnapshot& cluster, metrics::MetricsRow* row);

// timing/step_s, wait_s, generate_s, reward_s, learner_s, weight_sync_s, eval_s, idle_s
// (the learner's idle time: wait_s), rollout_busy_fraction (rollout_busy_s over
// max(1, rollout_workers) * step_s), throughput/tokens_per_s (tokens / step_s), time and
// elapsed_s. Rates are 0 when step_s is 0.
void AddStepTimingMetrics(const StepTimings& timings, const RolloutWork& work,
                          int rollout_workers, metrics::MetricsRow* row);

}  // namespace zerorl::train

#endif  // ZERORL_TRAIN_STEP_METRICS_H_
