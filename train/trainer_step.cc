// One GRPO step of the Trainer, evaluation and checkpoints.
#include <cmath>
#include <cstdio>

#include "absl/strings/str_format.h"
#include "core/log.h"
#include "core/status.h"
#include "learner/checkpoint.h"
#include "train/ids.h"
#include "train/internal/trainer_impl.h"
#include "train/prompt_batches.h"
#include "train/step_data.h"

namespace zerorl::train {
namespace {

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::string Compact(double value) {
  char buffer[32];
  if (std::fabs(value) >= 1000) {
    std::snprintf(buffer, sizeof(buffer), "%.1fk", value / 1000);
  } else {
    std::snprintf(buffer, sizeof(buffer), "%.3g", value);
  }
  return buffer;
}

}  // namespace

absl::Status Trainer::SubmitStep(int64_t step) {
  if (submitted_.count(step)) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::vector<datasets::Problem> problems,
                   sampler_->NextBatch(config_.data.prompts_per_step));
  cursor_after_[step] = sampler_->cursor();
  std::vector<wire::Prompt> prompts;
  for (size_t i = 0; i < problems.size(); ++i) {
    ASSIGN_OR_RETURN(uint64_t seed, TrainPromptSeed(config_.run.seed, step, i));
    prompts.push_back(renderer_->ToWire(problems[i], seed));
  }
  // Enough batches for every rollout worker, each within its max_batch sequences.
  const config::SamplingConfig& sampling = config_.rollout.sampling;
  const size_t per_batch = PromptsPerBatch(config_.rollout.max_batch, sampling.n, prompts.size(),
                                           config_.rollout.workers);
  ASSIGN_OR_RETURN(std::vector<wire::PromptBatch> batches,
                   MakePromptBatches(std::move(prompts), per_batch, learner_->policy_version(),
                                     sampling, &next_batch_id_));
  std::set<uint64_t>& ids = submitted_[step];
  for (wire::PromptBatch& batch : batches) {
    ids.insert(batch.batch_id);
    RETURN_IF_ERROR(controller_->Submit(std::move(batch)));
  }
  return absl::OkStatus();
}

absl::StatusOr<double> Trainer::EvaluateAndCheckpointIfDue(int64_t step, metrics::MetricsRow* row) {
  double eval_s = 0;
  if (config_.run.eval_every > 0 && step % config_.run.eval_every == 0 && !data_.eval.empty()) {
    Clock::time_point eval_start = Clock::now();
    RETURN_IF_ERROR(Evaluate(step, row, &eval_after_));
    eval_s = SecondsSince(eval_start);
  }
  if (config_.run.checkpoint_every > 0 && step % config_.run.checkpoint_every == 0) {
    RETURN_IF_ERROR(Checkpoint(step));
  }
  return eval_s;
}

absl::Status Trainer::SupervisedControlStep(int64_t step) {
  const Clock::time_point step_start = Clock::now();
  ASSIGN_OR_RETURN(learner::StepMetrics m, SupervisedStep(learner_.get()));
  const double learner_s = SecondsSince(step_start);
  RETURN_IF_ERROR(Publish());
  metrics::MetricsRow row;
  row.Add("step", step).Add("phase", "continue_sft");
  for (const auto& [name, value] : m) row.Add("sft/" + name, value);
  row.Add("policy_version", learner_->policy_version());
  ASSIGN_OR_RETURN(double eval_s, EvaluateAndCheckpointIfDue(step, &row));
  const double step_s = SecondsSince(step_start);
  row.Add("timing/step_s", step_s).Add("timing/learner_s", learner_s)
      .Add("timing/weight_sync_s", last_publish_s_).Add("timing/eval_s", eval_s)
      .Add("time", metrics::UnixTimeSeconds())
      .Add("elapsed_s", SecondsSince(grpo_started_));
  RETURN_IF_ERROR(metrics_->Write(row));
  if (!flags_.quiet && (step % 10 == 0 || step == config_.run.steps)) {
    std::printf("continued SFT step %lld/%d | loss %.4f | learn %.1fs\n",
                static_cast<long long>(step), config_.run.steps,
                m.count("loss") ? m.at("loss") : std::nan(""), learner_s);
    std::fflush(stdout);
  }
  return absl::OkStatus();
}

absl::Status Trainer::TrainStep(int64_t step) {
  if (config_.run.continue_sft) return SupervisedControlStep(step);
  const Clock::time_point step_start = Clock::now();
  const bool async = config_.run.mode == config::RunMode::kAsync;
  RETURN_IF_ERROR(SubmitStep(step));
  // Async: the next step generates with the current weights while this one trains.
  if (async && step + 1 <= config_.run.steps) RETURN_IF_ERROR(SubmitStep(step + 1));
  ASSIGN_OR_RETURN(std::vector<controller::ScoredBatch> batches, AwaitStep(step));
  StepTimings timings;
  timings.wait_s = SecondsSince(step_start);
  const StepSamples samples =
      CollectSamples(batches, learner_->policy_version(), async ? config_.run.max_staleness : -1);
  ASSIGN_OR_RETURN(PolicyUpdate update, UpdatePolicy(step, batches, samples));
  timings.learner_s = update.learner_s;
  timings.weight_sync_s = last_publish_s_;
  metrics::MetricsRow row;
  const ClusterSnapshot cluster{controller_->stats(), controller_->WorkerMetrics()};
  const SampleSummary summary = AddGrpoStepMetrics(step, samples, update.metrics,
                                                   learner_->policy_version(), async, cluster, &row);
  ASSIGN_OR_RETURN(timings.eval_s, EvaluateAndCheckpointIfDue(step, &row));
  timings.step_s = SecondsSince(step_start);
  timings.unix_time_s = metrics::UnixTimeSeconds();
  timings.elapsed_s = SecondsSince(grpo_started_);
  const RolloutWork work = SummarizeRolloutWork(batches);
  AddStepTimingMetrics(timings, work, cluster.stats.rollout_workers, &row);
  RETURN_IF_ERROR(WriteStepRows(step, row, samples, update.advantages));
  PrintProgress(step, summary, work, timings);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<controller::ScoredBatch>> Trainer::AwaitStep(int64_t step) {
  ASSIGN_OR_RETURN(std::vector<controller::ScoredBatch> batches,
                   collector_->Await(submitted_.at(step)));
  submitted_.erase(step);
  return batches;
}

absl::StatusOr<Trainer::PolicyUpdate> Trainer::UpdatePolicy(
    int64_t step, const std::vector<controller::ScoredBatch>& batches,
    const StepSamples& samples) {
  PolicyUpdate update;
  const Clock::time_point start = Clock::now();
  if (static_cast<int64_t>(samples.samples.size()) > samples.excluded) {
    ASSIGN_OR_RETURN(learner::TrainBatch batch,
                     learner::BuildTrainBatch(samples.samples,
                                              learner::BatchOptionsFromConfig(config_)));
    update.advantages = batch.advantages;
    ASSIGN_OR_RETURN(update.metrics, learner_->Step(batch));
    update.trained = true;
  } else {
    ZLOG(WARNING) << "step " << step << ": no sample with a usable reward; no update";
  }
  update.learner_s = SecondsSince(start);
  for (const controller::ScoredBatch& b : batches) {
    controller_->RecordTrained(b.batch.batch_id, step);
  }
  if (update.trained) RETURN_IF_ERROR(Publish());
  return update;
}

absl::Status Trainer::WriteStepRows(int64_t step, const metrics::MetricsRow& row,
                                    const StepSamples& samples, const torch::Tensor& advantages) {
  SampleLogOptions log;
  log.step = step;
  log.fraction = config_.run.log_samples_fraction;
  log.seed = static_cast<uint64_t>(config_.run.seed);
  RETURN_IF_ERROR(metrics_->Write(row));
  for (const metrics::MetricsRow& r : SampleRows(samples, advantages, log)) {
    RETURN_IF_ERROR(samples_->Write(r));
  }
  return absl::OkStatus();
}

absl::Status Trainer::Evaluate(int64_t step, metrics::MetricsRow* row,
                               std::map<std::string, double>* out) {
  std::vector<metrics::MetricsRow> rows;
  ASSIGN_OR_RETURN(std::vector<EvalResult> results,
                   evaluator_->Run(controller_.get(), collector_.get(), learner_->policy_version(),
                                   step, &next_batch_id_, &rows));
  AddEvalMetrics(results, row);
  for (const EvalResult& r : results) {
    (*out)[r.dataset] = r.accuracy;
    if (!flags_.quiet) {
      std::string rates;  // ", pass@8 91.0%" when several samples were drawn
      for (const auto& [k, rate] : r.pass_at_k) {
        rates += absl::StrFormat(", pass@%d %.1f%%", k, 100 * rate);
      }
      std::printf("eval step %lld | %s: %.1f%% of %lld solved%s (%s) | mean length %.0f | %.1f s\n",
                  static_cast<long long>(step), r.dataset.c_str(), 100 * r.accuracy,
                  static_cast<long long>(r.problems), rates.c_str(),
                  EvalSamplingLabel(config_.run).c_str(), r.mean_length, r.seconds);
      std::fflush(stdout);
    }
  }
  for (const metrics::MetricsRow& r : rows) RETURN_IF_ERROR(samples_->Write(r));
  return absl::OkStatus();
}

absl::Status Trainer::Checkpoint(int64_t step) {
  learner::CheckpointExtras extras;
  extras.copy_files_from = {initial_.tokenizer_path, initial_.model_dir};
  auto it = cursor_after_.find(step);
  datasets::DataCursor cursor = it != cursor_after_.end() ? it->second : sampler_->cursor();
  extras.dataset_cursor_json = datasets::CursorToJson(cursor);
  ASSIGN_OR_RETURN(std::string dir, learner::SaveCheckpoint(*learner_, paths_.checkpoints, extras));
  RETURN_IF_ERROR(learner::RotateCheckpoints(paths_.checkpoints, config_.run.keep_last));
  for (auto old = cursor_after_.begin(); old != cursor_after_.end() && old->first <= step;) {
    old = cursor_after_.erase(old);
  }
  ZLOG(INFO) << "checkpoint " << dir;
  return absl::OkStatus();
}

void Trainer::PrintProgress(int64_t step, const SampleSummary& samples, const RolloutWork& work,
                            const StepTimings& timings) {
  if (flags_.quiet) return;
  const int64_t done = step - start_step_;
  const double eta =
      done > 0 ? timings.elapsed_s / done * static_cast<double>(config_.run.steps - step) : 0;
  auto accuracy = samples.function_means.find(evaluator_->correctness_function());
  const std::string accuracy_text = accuracy == samples.function_means.end() ||
                                            std::isnan(accuracy->second)
                                        ? "-"
                                        : Compact(100 * accuracy->second) + "%";
  const double tokens_per_s = timings.step_s > 0 ? work.tokens / timings.step_s : 0.0;
  std::printf("step %lld/%d | reward %.3f | acc %s | len %.0f | %s tok/s | gen %.1fs rew %.1fs "
              "learn %.1fs sync %.2fs | ETA %.0fs\n",
              static_cast<long long>(step), config_.run.steps, samples.reward_mean,
              accuracy_text.c_str(), samples.mean_length, Compact(tokens_per_s).c_str(),
              work.generate_s, work.reward_s, timings.learner_s, timings.weight_sync_s, eta);
  std::fflush(stdout);
}

}  // namespace zerorl::train
