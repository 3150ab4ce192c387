// The GRPO family of objectives as free functions on per-token tensors and their masks.
//
// Every per-token tensor is [B, T] float32 over the same positions: position t of row b is
// the log-prob of token t of that row, and `mask` [B, T] (float32, 1 or 0) says which
// positions get loss (completion tokens of trainable samples). The objective of one
// optimizer step is
//
//   loss = Aggregate(PolicyLoss * tis_weight) + beta * Aggregate(KL) - entropy_coeff * Aggregate(H)
//
// where Aggregate() divides by denominators of the *global* batch (LossDenominators), so
// summing the losses of any split into micro-batches gives the same number and the same
// gradient (the gradient-accumulation pitfall of per-micro-batch means).
//
//   LossDenominators d = DenominatorsOf(global_mask, max_new_tokens);
//   for (const MicroBatch& mb : micro_batches) {
//     GrpoLossTerms terms = GrpoLoss(inputs_of(mb), options, d);
//     terms.loss.backward();  // gradients accumulate to those of the whole batch
//   }
#ifndef ZERORL_LEARNER_LOSSES_H_
#define ZERORL_LEARNER_LOSSES_H_

#include <torch/types.h>

#include "config/config.h"

namespace zerorl::learner {

// log(pi / pi_old) per token. kToken: logprobs - old_logprobs. kSequence (GSPO): every
// token of a row carries the row's mean log-ratio over its masked tokens,
// sum_t mask (logprobs - old_logprobs) / sum_t mask, so exp() of it is GSPO's
// (pi(y|x) / pi_old(y|x))^(1/|y|). Rows with no masked token get 0.
torch::Tensor LogImportanceRatio(const torch::Tensor& logprobs,      // [B, T] float32
                                 const torch::Tensor& old_logprobs,  // [B, T] float32
                                 const torch::Tensor& mask,          // [B, T] float32
                                 config::ImportanceLevel level);             // -> [B, T] float32

struct ClipOptions {
  double epsilon_low = 0.2;   // ratio floor 1 - epsilon_low
  double epsilon_high = 0.28;  // ratio ceiling 1 + epsilon_high (DAPO clip-higher)
  double clip_ratio_c = 0.0;  // dual clip for A < 0: loss <= -A * c; 0 = off, else > 1
};

struct PolicyLoss {
  torch::Tensor loss;          // [B, T] float32, to minimise: max(-A r, -A clip(r)) (dual-capped)
  torch::Tensor clipped_low;   // [B, T] bool: r < 1 - epsilon_low and A < 0 (update cut)
  torch::Tensor clipped_high;  // [B, T] bool: r > 1 + epsilon_high and A > 0 (update cut)
  torch::Tensor clipped_dual;  // [B, T] bool: the dual-clip cap was hit
};

// The PPO-clip surrogate per token. `log_ratio` is clamped to [-20, 20] before exp().
PolicyLoss ClippedPolicyLoss(const torch::Tensor& log_ratio,   // [B, T] float32
                             const torch::Tensor& advantages,  // [B] float32
                             const ClipOptions& options);

// Per-token KL(pi || pi_ref) estimate, with d = ref_logprobs - logprobs:
//   k1 = -d,  k2 = d^2 / 2,  k3 = exp(d) - d - 1 (DeepSeekMath; >= 0, 0 when equal).
// d is clamped to [-20, 20] before exp().
torch::Tensor KlPenalty(const torch::Tensor& logprobs,      // [B, T] float32
                        const torch::Tensor& ref_logprobs,  // [B, T] float32
                        config::KlEstimator estimator);             // -> [B, T] float32

// Truncated importance-sampling weights min(exp(learner - behaviour), cap), detached: they
// reweight the policy loss for the gap between the policy the samples were drawn from
// (the rollout's recorded log-probs) and the learner's log-probs of it.
torch::Tensor TisWeights(const torch::Tensor& learner_logprobs,    // [B, T] float32
                         const torch::Tensor& behaviour_logprobs,  // [B, T] float32
                         double cap);                              // -> [B, T] float32

// Denominators of the global batch (every micro-batch of one optimizer step; every rank).
struct LossDenominators {
  double num_tokens = 1.0;             // masked tokens
  double num_sequences = 1.0;          // rows with at least one masked token
  double max_completion_length = 1.0;  // Dr. GRPO's constant
};

// From the mask of the whole batch; counts of 0 become 1 so an empty batch gives loss 0.
LossDenominators DenominatorsOf(const torch::Tensor& mask,  // [B, T] float32
                                int64_t max_completion_length);

// A scalar from per-token values, using the global denominators:
//   kTokenMean           sum(v * mask) / num_tokens
//   kSeqMeanTokenMean    sum_rows(sum_t(v * mask) / sum_t(mask)) / num_sequences
//   kSeqMeanTokenSumNorm sum(v * mask) / max_completion_length / num_sequences
torch::Tensor AggregateLoss(const torch::Tensor& per_token,  // [B, T] float32
                            const torch::Tensor& mask,       // [B, T] float32
                            config::LossAggregation aggregation,
                            const LossDenominators& denominators);

struct GrpoLossOptions {
  ClipOptions clip;
  config::ImportanceLevel importance_level = config::ImportanceLevel::kToken;
  config::LossAggregation aggregation = config::LossAggregation::kTokenMean;
  double beta = 0.0;  // KL coefficient; ref_logprobs must be given when > 0
  config::KlEstimator kl_estimator = config::KlEstimator::kK3;
  double entropy_coeff = 0.0;  // entropy must be given (with grad) when != 0
};

GrpoLossOptions GrpoLossOptionsFromConfig(const config::AlgorithmConfig& config);

// One micro-batch. Tensors are on one device; the optional ones may be left undefined.
struct GrpoLossInputs {
  torch::Tensor logprobs;      // [b, t] float32, the policy being trained (with grad)
  torch::Tensor old_logprobs;  // [b, t] float32, the ratio's anchor (no grad)
  torch::Tensor advantages;    // [b] float32
  torch::Tensor mask;          // [b, t] float32
  torch::Tensor ref_logprobs;  // [b, t] float32, reference policy; needed when beta > 0
  torch::Tensor tis_weights;   // [b, t] float32 (TisWeights) or undefined for none
  torch::Tensor entropy;       // [b, t] float32 or undefined; with grad if entropy_coeff != 0
};

// Detached sums over the micro-batch's masked tokens (0-dim float32 tensors, so nothing
// waits on the device until they are read): divide by LossDenominators::num_tokens.
struct GrpoLossTerms {
  torch::Tensor loss;  // scalar with grad: this micro-batch's share of the batch loss
  torch::Tensor policy_loss_sum;
  torch::Tensor kl_sum;       // 0 when no reference
  torch::Tensor entropy_sum;  // 0 when no entropy
  torch::Tensor clipped_low_sum;
  torch::Tensor clipped_high_sum;
  torch::Tensor clipped_region_sum;  // low or high
  torch::Tensor clipped_dual_sum;
};

GrpoLossTerms GrpoLoss(const GrpoLossInputs& inputs, const GrpoLossOptions& options,
                       const LossDenominators& denominators);

}  // namespace zerorl::learner

#endif  // ZERORL_LEARNER_LOSSES_H_
