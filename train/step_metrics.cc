#include "train/step_metrics.h"

#include <algorithm>

namespace zerorl::train {

RolloutWork SummarizeRolloutWork(const std::vector<controller::ScoredBatch>& batches) {
  RolloutWork work;
  for (const controller::ScoredBatch& b : batches) {
    work.generate_s = std::max(work.generate_s, b.rollout_s);
    work.reward_s = std::max(work.reward_s, b.reward_s);
    work.rollout_busy_s += b.rollout_s;
    for (const wire::Completion& c : b.rollouts.completions) {
      work.tokens += static_cast<int64_t>(c.tokens.size());
    }
  }
  return work;
}

SampleSummary AddGrpoStepMetrics(int64_t step, const StepSamples& samples,
                                 const learner::StepMetrics& learner_metrics,
                                 int64_t policy_version, bool async,
                                 const ClusterSnapshot& cluster, metrics::MetricsRow* row) {
  row->Add("step", step).Add("phase", "grpo");
  SampleSummary summary = AddSampleMetrics(samples, row);
  for (const auto& [name, value] : learner_metrics) row->Add(name, value);
  row->Add("policy_version", policy_version);
  if (async) {
    row->Add("async/dropped_stale", samples.dropped_stale)
        .Add("async/policy_lag_mean", samples.mean_policy_lag)
        .Add("async/policy_lag_max", samples.max_policy_lag);
  }
  const controller::ControllerStats& s = cluster.stats;
  row->Add("workers/rollout", s.rollout_workers)
      .Add("workers/reward", s.reward_workers)
      .Add("workers/lost", s.workers_lost)
      .Add("ledger/redispatched", s.redispatched)
      .Add("ledger/duplicates_dropped", s.duplicates);
  for (const auto& [worker, values] : cluster.worker_metrics) {
    for (const auto& [name, value] : values) row->Add("worker/" + worker + "/" + name, value);
  }
  return summary;
}

void AddStepTimingMetrics(const StepTimings& timings, const RolloutWork& work,
                          int rollout_workers, metrics::MetricsRow* row) {
  const double step_s = timings.step_s;
  const double busy_fraction =
      step_s > 0 ? work.rollout_busy_s / (std::max(1, rollout_workers) * step_s) : 0.0;
  row->Add("timing/step_s", step_s)
      .Add("timing/wait_s", timings.wait_s)
      .Add("timing/generate_s", work.generate_s)
      .Add("timing/reward_s", work.reward_s)
      .Add("timing/learner_s", timings.learner_s)
      .Add("timing/weight_sync_s", timings.weight_sync_s)
      .Add("timing/eval_s", timings.eval_s)
      .Add("timing/idle_s", timings.wait_s)
      .Add("timing/rollout_busy_fraction", busy_fraction)
      .Add("throughput/tokens_per_s", step_s > 0 ? work.tokens / step_s : 0.0)
      .Add("time", timings.unix_time_s)
      .Add("elapsed_s", timings.elapsed_s);
}

}  // namespace zerorl::train
