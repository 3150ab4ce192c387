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
// Learner ranks (LearnerOptions::group with N > 1 ranks; learner/ranks.h): rank 0's Learner
// drives the others. Create() builds the same learner on every rank (rank 0's weights are
// broadcast); Step() / SftStep() split the batch over the ranks balanced by tokens
// (rank_balance.h), each rank runs the micro-batched forward/backward of its share with the
// denominators of the whole batch, and the gradients are summed over the ranks in buckets
// that overlap backward (learner/internal/gradient_reducer.h): all-reduced (DDP), or with
// shard_optimizer reduced to the rank that owns each 1/N of the flattened parameters, which
// alone keeps its AdamW moments and updates it, and all-gathered after (ZeRO-1). The loss,
// the gradient and its clipping norm are the one-rank ones; only summation order differs.
// Every rank holds the whole float32 masters (rank 0 exports and checkpoints them).
//
// Not thread-safe: one thread drives a Learner.
#ifndef ZERORL_LEARNER_LEARNER_H_
#define ZERORL_LEARNER_LEARNER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <torch/types.h>

#include "absl/status/statusor.h"
#include "config/config.h"
#include "distributed/group.h"
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
  // The learner ranks (learner/ranks.h), null or one rank for a single process. The same
  // group on every rank; rank 0's learner drives the others.
  std::shared_ptr<distributed::Group> group;
  bool shard_optimizer = false;  // learner.shard_optimizer: ZeRO-1 over the group
  int64_t bucket_bytes = 25 << 20;  // gradients per collective
};

// What one rank holds for the learner, in bytes: parameters (float32 masters, the compute
// copy, the reference model), gradients (float32) and optimizer state (AdamW moments).
struct LearnerMemory {
  int64_t parameters = 0;
  int64_t gradients = 0;
  int64_t optimizer = 0;
  // "parameters 3.1 MiB, gradients 3.1 MiB, optimizer state 3.1 MiB".
  std::string Describe() const;
};

// The memory of rank `rank` of `ranks` for a policy of `parameters` numbers (what
// Learner::Memory() reports, for shapes not built: README's 0.5B table).
LearnerMemory EstimateLearnerMemory(int64_t parameters, const LearnerOptions& options,
                                    bool with_reference, int ranks, int rank);

class GradientReducer;

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

  // Restores counters after a checkpoint load (checkpoint.h); on every rank.
  void RestoreCounters(int64_t step, int64_t policy_version, int64_t num_updates);

  // The learner ranks: 1 and 0 without a group.
  int ranks() const;
  int rank() const;
  LearnerMemory Memory() const;
  // CRC-32C of every parameter's bytes on each rank (index = rank): equal when the ranks hold
  // bit-identical weights. Every rank takes part (rank 0 calls it).
  absl::StatusOr<std::vector<uint32_t>> WeightChecksums();

  // Checkpoints (checkpoint.cc). Optimizer state files: 1, or the number of ranks when the
  // state is sharded.
  int optimizer_shards() const;
  // Calls `write(shard, tensors)` for every shard of the optimizer state on rank 0: the whole
  // StateTensors() when not sharded; else each rank's part, with "<param>.offset" (int64
  // scalar: where the part starts in the flattened parameter) beside its moments.
  absl::Status ForEachOptimizerShard(
      const std::function<absl::Status(int shard, const NamedTensors& tensors)>& write);
  // After rank 0's policy got a checkpoint's weights: `optimizer` holds whole tensors
  // ("<param>.exp_avg" shaped like the parameter, whatever world size wrote them); every rank
  // gets the weights, its part of the state and the counters. kInvalidArgument for state that
  // does not fit the parameters.
  absl::Status RestoreState(const std::map<std::string, torch::Tensor>& optimizer, int64_t step,
                            int64_t policy_version, int64_t num_updates);

  ~Learner();

 private:
  friend class RankFollower;  // ranks.cc: the other ranks' side of each call
  Learner(const LearnerOptions& options, model::CausalLM policy, model::CausalLM compute,
          model::CausalLM reference);
  bool distributed() const;
  // Rank 0: tells the other ranks to mirror this learner (weights broadcast).
  absl::Status Mirror();
  // Rank 0: the share of rank 0, after sending every other rank theirs (one rank: `batch`).
  absl::StatusOr<TrainBatch> Distribute(const std::string& op, const TrainBatch& batch,
                                        double a, double b, StepMetrics* m);
  // Every rank: the updates of one GRPO / SFT step on this rank's rows.
  absl::Status GrpoUpdates(const TrainBatch& local, const LossDenominators& d, StepMetrics& m);
  absl::Status SftUpdate(const TrainBatch& local, double num_tokens, StepMetrics& m);
  // Rank 0: ends a command on every rank (each says whether it succeeded).
  absl::Status EndCommand(absl::Status local);
  void ZeroGrad();
  absl::Status ReduceGradients();
  absl::Status LoadOptimizer(const std::map<std::string, torch::Tensor>& full);
  NamedTensors OptimizerShard() const;
  uint32_t LocalChecksum();

  struct MicroBatch;
  struct MetricSums;
  absl::Status CheckShapes(const TrainBatch& batch) const;
  absl::Status CheckVersions(const TrainBatch& batch) const;
  std::vector<MicroBatch> PlanStep(const TrainBatch& batch) const;
  // Reference log-probs (beta > 0) and, for mu > 1, the learner's own old log-probs.
  void PrecomputeAnchors(std::vector<MicroBatch>& micro_batches);
  // Forward and backward of every micro-batch: gradients accumulate in .grad (with ranks,
  // the last backward starts the reduction).
  void Backward(std::vector<MicroBatch>& micro_batches, const LossDenominators& denominators,
                bool first_iteration, MetricSums& sums);
  // Forward of one micro-batch to its share of the GRPO loss.
  GrpoLossTerms ForwardLoss(MicroBatch& mb, const LossDenominators& denominators,
                            bool first_iteration, MetricSums& sums);
  absl::StatusOr<double> Update(StepMetrics& metrics);  // clip + AdamW step; the grad norm
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
  std::unique_ptr<GradientReducer> reducer_;  // with ranks
  int64_t id_ = 0;                 // how the other ranks know this learner
  std::string doing_;              // "GRPO step 7": what errors name
  absl::Status mirror_failure_;    // RestoreCounters could not reach the other ranks
  int64_t step_ = 0;
  int64_t policy_version_ = 0;
  int64_t num_updates_ = 0;
};

}  // namespace zerorl::learner

#endif  // ZERORL_LEARNER_LEARNER_H_
