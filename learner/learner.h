// The learner: fp32 master weights of the policy, AdamW, the frozen reference model (only
// when beta > 0), and the GRPO / SFT step.
//
//   ASSIGN_OR_RETURN(auto learner, Learner::Create(LearnerOptionsFromConfig(config), model_dir));
//   ASSIGN_OR_RETURN(TrainBatch batch, BuildTrainBatch(samples, BatchOptionsFromConfig(config)));
//   ASSIGN_OR_RETURN(StepMetrics metrics, learner->Step(batch));   // policy_version() += 1
//   model::TensorMap weights = learner->ExportWeights(torch::kBFloat16);  // for the workers
//
// One Step() is one GRPO step: num_iterations (mu) optimizer updates over the batch, each
// accumulating gradients over micro-batches chosen by a token budget (micro_batch.h) with
// the loss's global denominators (losses.h), so the micro-batch split changes nothing.
//
// The ratio's anchor (old log-probs), per sample:
//   * drawn with the current policy version (sync mode, or fresh async samples): the
//     learner's own log-probs before the first update (mu = 1: the same forward, detached;
//     mu > 1: one extra no-grad forward). The rollout's recorded log-probs then only enter
//     through TIS, min(exp(learner - rollout), tis_imp_ratio_cap), and the mismatch is
//     logged as sampling/logp_diff/mean|max.
//   * drawn with an older version (async): the learner no longer holds those weights, so
//     the rollout's recorded log-probs are the anchor (and no TIS weight applies). Such a
//     sample without recorded log-probs is refused.
//
// Not thread-safe: one thread drives a Learner.
#ifndef ZERORL_LEARNER_LEARNER_H_
#define ZERORL_LEARNER_LEARNER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include <torch/types.h>

#include "absl/status/statusor.h"
#include "config/config.h"
#include "learner/adamw.h"
#include "learner/batch.h"
#include "learner/logprobs.h"
#include "learner/losses.h"
#include "model/transformer.h"
#include "model/weights.h"

namespace zerorl::learner {

// Metric name -> value for one step, named as TRL and veRL name them (README: The run directory).
using StepMetrics = std::map<std::string, double>;

struct LearnerOptions {
  config::AlgorithmConfig algorithm;
  config::OptimizerConfig optimizer;
  int64_t micro_batch_tokens = 8192;    // padded tokens per forward/backward
  torch::ScalarType compute_dtype = torch::kBFloat16;  // kFloat: all fp32
  int64_t logprob_chunk_tokens = 1024;
  bool gradient_checkpointing = false;
  double temperature = 1.0;             // the rollout's sampling temperature
  int64_t max_completion_length = 512;  // Dr. GRPO's constant (max_new_tokens)
  int64_t total_steps = 200;            // Step() calls in the run: the LR schedule's length
  torch::Device device = torch::kCPU;
  double peak_flops = 0.0;  // FLOP/s the MFU metric divides by; 0 = measured (once a process)
};

LearnerOptions LearnerOptionsFromConfig(const config::Config& config);
BatchOptions BatchOptionsFromConfig(const config::Config& config);

class Learner {
 public:
  // Loads the policy from the Hugging Face folder `model_dir` as float32 masters on
  // options.device, and, when beta > 0, a frozen reference copy in the compute dtype.
  // Errors are LoadModel()'s (kNotFound / kInvalidArgument naming the file).
  static absl::StatusOr<std::unique_ptr<Learner>> Create(const LearnerOptions& options,
                                                         const std::string& model_dir);
  // Trains `policy` (float32 parameters; the learner shares and updates it). `reference`
  // may be null when beta == 0; else it must be given.
  static absl::StatusOr<std::unique_ptr<Learner>> Create(const LearnerOptions& options,
                                                         model::CausalLM policy,
                                                         model::CausalLM reference);

  // One GRPO step over `batch` (see the header comment). kInvalidArgument when the batch's
  // tensors disagree in shape or a stale sample has no behaviour log-probs; the weights
  // are then untouched. A non-finite gradient norm skips the update (metric
  // "optimizer/skipped_updates") but still counts the step.
  absl::StatusOr<StepMetrics> Step(const TrainBatch& batch);

  // The loss of Step()'s first update, with its gradient left in the policy's .grad and
  // nothing updated: for gradient checks and debugging. Errors as Step().
  absl::StatusOr<double> LossAndGradient(const TrainBatch& batch);

  // One supervised step: mean negative log-likelihood over the batch's loss tokens
  // (BuildSftBatch), one optimizer update at the schedule's rate.
  absl::StatusOr<StepMetrics> SftStep(const TrainBatch& batch);

  // Steps taken (Step or SftStep calls) and the version of the weights they produced;
  // both start at 0 and come back from checkpoints.
  int64_t step() const { return step_; }
  int64_t policy_version() const { return policy_version_; }
  int64_t num_updates() const { return num_updates_; }

  // The policy's weights by Hugging Face name, converted to `dtype`, contiguous on the CPU:
  // what a WeightUpdate carries to the rollout workers.
  model::TensorMap ExportWeights(torch::ScalarType dtype) const;

  model::CausalLMImpl& policy() { return *policy_; }
  bool has_reference() const { return !reference_.is_empty(); }
  const LearnerOptions& options() const { return options_; }
  AdamW& optimizer() { return *optimizer_; }

  // Restores counters after a checkpoint load (checkpoint.h).
  void RestoreCounters(int64_t step, int64_t policy_version, int64_t num_updates);

 private:
  Learner(const LearnerOptions& options, model::CausalLM policy, model::CausalLM compute,
          model::CausalLM reference);

  struct MicroBatch;
  struct MetricSums;
  absl::Status CheckShapes(const TrainBatch& batch) const;
  absl::Status CheckVersions(const TrainBatch& batch) const;
  std::vector<MicroBatch> PlanStep(const TrainBatch& batch) const;
  // Reference log-probs (beta > 0) and, for mu > 1, the learner's own old log-probs.
  void PrecomputeAnchors(std::vector<MicroBatch>& micro_batches);
  // Forward and backward of every micro-batch: gradients accumulate in .grad.
  void Backward(std::vector<MicroBatch>& micro_batches, const LossDenominators& denominators,
                bool first_iteration, MetricSums& sums);
  // Forward of one micro-batch to its share of the GRPO loss.
  GrpoLossTerms ForwardLoss(MicroBatch& mb, const LossDenominators& denominators,
                            bool first_iteration, MetricSums& sums);
  double Update(StepMetrics& metrics);  // clip + AdamW step; returns the grad norm
  // compute_ = masters (rounded to the compute dtype); a no-op when they are one model.
  void SyncComputeWeights();
  // Adds compute_'s gradients into the masters' float32 .grad and clears them.
  void MoveGradientsToMasters();
  LmHeadLogProbsOptions LogProbOptions(bool with_entropy) const;
  // Time, tokens/s and MFU of a step that ran `updates` forward+backward passes.
  void AddThroughput(const TrainBatch& batch, int updates, double seconds, StepMetrics& m) const;

  LearnerOptions options_;
  GrpoLossOptions loss_options_;
  model::CausalLM policy_;     // float32 masters: what AdamW updates and checkpoints hold
  model::CausalLM compute_;    // what forward/backward run on: policy_ itself in fp32, else a
                               // copy in the compute dtype, refreshed from the masters
  std::vector<std::pair<torch::Tensor, torch::Tensor>> compute_pairs_;  // (master, compute);
                                                                        // empty when shared
  model::CausalLM reference_;  // null when beta == 0
  std::unique_ptr<AdamW> optimizer_;
  int64_t step_ = 0;
  int64_t policy_version_ = 0;
  int64_t num_updates_ = 0;
};

}  // namespace zerorl::learner

#endif  // ZERORL_LEARNER_LEARNER_H_
