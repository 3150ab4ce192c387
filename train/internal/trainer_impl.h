// Private to train/: the Trainer's state, split across trainer.cc (setup, workers, the run)
// and trainer_step.cc (one GRPO step, evaluation, checkpoints).
#ifndef ZERORL_TRAIN_INTERNAL_TRAINER_IMPL_H_
#define ZERORL_TRAIN_INTERNAL_TRAINER_IMPL_H_

#include <atomic>
#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "controller/controller.h"
#include "datasets/datasets.h"
#include "datasets/sampler.h"
#include "distributed/group.h"
#include "learner/learner.h"
#include "metrics/sink.h"
#include "train/collector.h"
#include "train/evaluation.h"
#include "train/launcher.h"
#include "train/machine.h"
#include "train/prompts.h"
#include "train/run_setup.h"
#include "train/step_data.h"
#include "train/step_metrics.h"
#include "train/trainer.h"

namespace zerorl::train {

// Set by SIGINT/SIGTERM; the loop stops at the next step boundary.
extern std::atomic<bool> g_stop_requested;

class Trainer {
 public:
  Trainer(const config::Config& config, const TrainFlags& flags) : config_(config), flags_(flags) {}
  absl::StatusOr<TrainSummary> Run();

 private:
  using Clock = std::chrono::steady_clock;

  // trainer.cc
  absl::Status Setup();
  // --resume: the last GRPO checkpoint into the learner (and the data cursor), or, when the
  // run stopped during the cold start, the cold-start checkpoint ColdStartSft continues.
  absl::Status Resume(datasets::DataCursor* cursor);
  learner::LearnerOptions SftLearnerOptions() const;   // cold start and continue_sft
  learner::LearnerOptions MainLearnerOptions() const;  // GRPO's, or continue_sft's
  absl::Status BuildLearner();
  // cluster.learner_ranks > 1: the group of learner ranks, this process rank 0; the other
  // ranks are started here (cluster.learner_master empty) or waited for.
  absl::Status StartLearnerRanks();
  // "learner rank r/N memory: parameters ..., gradients ..., optimizer state ..." per rank.
  void PrintLearnerMemory() const;
  absl::Status StartWorkers();
  // The cold start's supervised steps; stops early (after the current step) on a stop
  // request. Writes a cold-start checkpoint when it stops or finishes.
  absl::Status ColdStartSft();
  std::string ColdStartDir() const;  // checkpoints/cold-start
  // SFT steps already done: 0, or those of cold_start_checkpoint_ (restored into `sft`).
  absl::StatusOr<int> RestoreColdStart(learner::Learner* sft);
  absl::Status SaveColdStart(learner::Learner& sft);
  // Ctrl-C during the cold start: the summary (interrupted), no GRPO.
  absl::StatusOr<TrainSummary> StopDuringColdStart();
  // One supervised step of `learner` on the next batch of worked solutions.
  absl::StatusOr<learner::StepMetrics> SupervisedStep(learner::Learner* learner);
  absl::Status BuildLearnerAfterSft();
  absl::Status Publish();
  // Waits for one rollout and one reward worker (the spawned ones, or those started by hand).
  absl::Status AwaitFirstWorkers();
  void OnIdle();
  void Finish(TrainSummary* summary);

  // trainer_step.cc
  // Samples step `step`'s prompts and submits them as batches (once per step).
  absl::Status SubmitStep(int64_t step);
  // One GRPO step: submit, await, update, evaluate when due, report.
  absl::Status TrainStep(int64_t step);
  // The scored batches of step `step`, once all have arrived.
  absl::StatusOr<std::vector<controller::ScoredBatch>> AwaitStep(int64_t step);
  struct PolicyUpdate {
    bool trained = false;          // false: no sample had a usable reward
    learner::StepMetrics metrics;  // the learner's (empty when not trained)
    torch::Tensor advantages;      // [B] the train batch's; undefined when not trained
    double learner_s = 0.0;        // building the batch and the update
  };
  // The GRPO update on `samples` (when any is usable); records `batches` as trained in the
  // ledger and publishes the new weights.
  absl::StatusOr<PolicyUpdate> UpdatePolicy(int64_t step,
                                            const std::vector<controller::ScoredBatch>& batches,
                                            const StepSamples& samples);
  // `row` to metrics.jsonl and the step's logged samples to samples.jsonl.
  absl::Status WriteStepRows(int64_t step, const metrics::MetricsRow& row,
                             const StepSamples& samples, const torch::Tensor& advantages);
  // run.continue_sft: a supervised step in place of the GRPO update (the control run).
  absl::Status SupervisedControlStep(int64_t step);
  absl::Status Evaluate(int64_t step, metrics::MetricsRow* row, std::map<std::string, double>* out);
  absl::Status Checkpoint(int64_t step);
  // Evaluates and checkpoints when `step` is due (run.eval_every, run.checkpoint_every);
  // returns the seconds spent evaluating.
  absl::StatusOr<double> EvaluateAndCheckpointIfDue(int64_t step, metrics::MetricsRow* row);
  // The step's progress line on stdout (unless --quiet).
  void PrintProgress(int64_t step, const SampleSummary& samples, const RolloutWork& work,
                     const StepTimings& timings);

  config::Config config_;
  TrainFlags flags_;
  MachineSetup machine_;  // precision, threads and CPU of this process (Setup)
  RunPaths paths_;
  InitialModel initial_;
  std::optional<PromptRenderer> renderer_;
  datasets::DataSets data_;
  std::unique_ptr<datasets::PromptSampler> sampler_;
  std::unique_ptr<datasets::PromptSampler>
      sft_sampler_;  // worked solutions (cold start, continue_sft)
  std::unique_ptr<learner::Learner> learner_;
  model::CausalLM policy_{nullptr};
  std::unique_ptr<controller::Controller> controller_;
  WorkerProcesses workers_;
  std::shared_ptr<distributed::Group> learner_ranks_;  // null with one learner rank
  WorkerProcesses rank_processes_;  // ranks 1..N-1 started here (never restarted)
  std::unique_ptr<ResultCollector> collector_;
  std::unique_ptr<Evaluator> evaluator_;
  std::unique_ptr<metrics::MetricsSink> metrics_;
  std::unique_ptr<metrics::MetricsSink> samples_;

  int64_t start_step_ = 0;             // GRPO steps done before this process (resume)
  uint64_t next_batch_id_ = 1;
  std::map<int64_t, std::set<uint64_t>> submitted_;  // step -> its batches in flight
  std::map<int64_t, datasets::DataCursor> cursor_after_;       // step -> sampler position after it
  std::shared_ptr<const model::TensorMap> published_;  // the weights workers may still read
  double last_publish_s_ = 0.0;
  Clock::time_point grpo_started_;
  Clock::time_point last_waiting_note_;
  std::map<std::string, double> eval_before_;
  std::map<std::string, double> eval_after_;
  bool resumed_ = false;  // continued from a GRPO checkpoint
  std::string cold_start_checkpoint_;  // the cold-start checkpoint to continue, if any
};

}  // namespace zerorl::train

#endif  // ZERORL_TRAIN_INTERNAL_TRAINER_IMPL_H_
