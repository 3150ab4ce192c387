#include "learner/losses.h"

#include <ATen/ATen.h>

namespace zerorl::learner {
namespace {

constexpr double kMaxLogRatio = 20.0;  // exp(20) ~ 5e8: large, finite in float32

torch::Tensor MaskedRowSums(const torch::Tensor& values, const torch::Tensor& mask) {
  return (values * mask).sum(-1);  // [B]
}

torch::Tensor Zero(const torch::Tensor& like) { return at::zeros({}, like.options()); }

}  // namespace

torch::Tensor LogImportanceRatio(const torch::Tensor& logprobs, const torch::Tensor& old_logprobs,
                                 const torch::Tensor& mask, config::ImportanceLevel level) {
  torch::Tensor log_ratio = logprobs - old_logprobs;
  if (level == config::ImportanceLevel::kToken) return log_ratio;
  torch::Tensor lengths = mask.sum(-1).clamp_min(1.0);                      // [B]
  torch::Tensor row_mean = MaskedRowSums(log_ratio, mask) / lengths;        // [B]
  return row_mean.unsqueeze(-1).expand_as(log_ratio);
}

PolicyLoss ClippedPolicyLoss(const torch::Tensor& log_ratio, const torch::Tensor& advantages,
                             const ClipOptions& options) {
  torch::Tensor ratio = log_ratio.clamp(-kMaxLogRatio, kMaxLogRatio).exp();
  torch::Tensor a = advantages.unsqueeze(-1);  // [B, 1]
  torch::Tensor unclipped = -a * ratio;
  torch::Tensor clipped =
      -a * ratio.clamp(1.0 - options.epsilon_low, 1.0 + options.epsilon_high);
  PolicyLoss out;
  out.loss = at::maximum(unclipped, clipped);
  out.clipped_low = (ratio < 1.0 - options.epsilon_low) & (a < 0);
  out.clipped_high = (ratio > 1.0 + options.epsilon_high) & (a > 0);
  if (options.clip_ratio_c > 0.0) {
    torch::Tensor cap = -a * options.clip_ratio_c;  // > 0 where a < 0
    out.clipped_dual = (a < 0) & (out.loss > cap);
    out.loss = at::where(a < 0, at::minimum(out.loss, cap), out.loss);
  } else {
    out.clipped_dual = at::zeros_like(out.clipped_low);
  }
  return out;
}

torch::Tensor KlPenalty(const torch::Tensor& logprobs, const torch::Tensor& ref_logprobs,
                        config::KlEstimator estimator) {
  torch::Tensor d = (ref_logprobs - logprobs).clamp(-kMaxLogRatio, kMaxLogRatio);
  switch (estimator) {
    case config::KlEstimator::kK1: return -d;
    case config::KlEstimator::kK2: return 0.5 * d * d;
    case config::KlEstimator::kK3: return d.exp() - d - 1.0;
  }
  return -d;
}

torch::Tensor TisWeights(const torch::Tensor& learner_logprobs,
                         const torch::Tensor& behaviour_logprobs, double cap) {
  torch::Tensor d = (learner_logprobs - behaviour_logprobs).detach();
  return d.clamp_max(kMaxLogRatio).exp().clamp_max(cap);
}

LossDenominators DenominatorsOf(const torch::Tensor& mask, int64_t max_completion_length) {
  LossDenominators d;
  d.num_tokens = std::max(1.0, mask.sum().item<double>());
  d.num_sequences = std::max(1.0, (mask.sum(-1) > 0).sum().item<double>());
  d.max_completion_length = std::max<double>(1.0, static_cast<double>(max_completion_length));
  return d;
}

torch::Tensor AggregateLoss(const torch::Tensor& per_token, const torch::Tensor& mask,
                            config::LossAggregation aggregation,
                            const LossDenominators& denominators) {
  switch (aggregation) {
    case config::LossAggregation::kTokenMean:
      return (per_token * mask).sum() / denominators.num_tokens;
    case config::LossAggregation::kSeqMeanTokenMean: {
      torch::Tensor lengths = mask.sum(-1).clamp_min(1.0);
      return (MaskedRowSums(per_token, mask) / lengths).sum() / denominators.num_sequences;
    }
    case config::LossAggregation::kSeqMeanTokenSumNorm:
      return (per_token * mask).sum() / denominators.max_completion_length /
             denominators.num_sequences;
  }
  return (per_token * mask).sum() / denominators.num_tokens;
}

GrpoLossOptions GrpoLossOptionsFromConfig(const config::AlgorithmConfig& config) {
  GrpoLossOptions o;
  o.clip = {config.epsilon_low, config.epsilon_high, config.clip_ratio_c};
  o.importance_level = config.importance_level;
  o.aggregation = config.loss_agg;
  o.beta = config.beta;
  o.kl_estimator = config.kl_estimator;
  o.entropy_coeff = config.entropy_coeff;
  return o;
}

GrpoLossTerms GrpoLoss(const GrpoLossInputs& in, const GrpoLossOptions& options,
                       const LossDenominators& denominators) {
  const torch::Tensor& mask = in.mask;
  torch::Tensor log_ratio =
      LogImportanceRatio(in.logprobs, in.old_logprobs, mask, options.importance_level);
  PolicyLoss policy = ClippedPolicyLoss(log_ratio, in.advantages, options.clip);
  torch::Tensor policy_loss = policy.loss;
  if (in.tis_weights.defined()) policy_loss = policy_loss * in.tis_weights;

  GrpoLossTerms t;
  t.loss = AggregateLoss(policy_loss, mask, options.aggregation, denominators);
  t.policy_loss_sum = (policy_loss * mask).sum().detach();
  t.kl_sum = Zero(mask);
  if (options.beta > 0.0) {
    TORCH_CHECK(in.ref_logprobs.defined(), "GrpoLoss: beta > 0 needs ref_logprobs");
    torch::Tensor kl = KlPenalty(in.logprobs, in.ref_logprobs, options.kl_estimator);
    t.loss = t.loss + options.beta * AggregateLoss(kl, mask, options.aggregation, denominators);
    t.kl_sum = (kl * mask).sum().detach();
  }
  t.entropy_sum = Zero(mask);
  if (in.entropy.defined()) {
    if (options.entropy_coeff != 0.0) {
      t.loss = t.loss - options.entropy_coeff *
                            AggregateLoss(in.entropy, mask, options.aggregation, denominators);
    }
    t.entropy_sum = (in.entropy * mask).sum().detach();
  } else {
    TORCH_CHECK(options.entropy_coeff == 0.0, "GrpoLoss: entropy_coeff != 0 needs entropy");
  }
  auto masked_count = [&](const torch::Tensor& flags) {
    return (flags.to(mask.scalar_type()) * mask).sum().detach();
  };
  t.clipped_low_sum = masked_count(policy.clipped_low);
  t.clipped_high_sum = masked_count(policy.clipped_high);
  t.clipped_region_sum = masked_count(policy.clipped_low | policy.clipped_high);
  t.clipped_dual_sum = masked_count(policy.clipped_dual);
  return t;
}

}  // namespace zerorl::learner
