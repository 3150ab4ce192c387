#include "learner/losses.h"

#include <cmath>

#include <torch/torch.h>

#include "gtest/gtest.h"
#include "learner/advantages.h"

namespace zerorl::learner {
namespace {

torch::Tensor T(std::vector<std::vector<float>> rows) {
  std::vector<torch::Tensor> ts;
  for (auto& r : rows) ts.push_back(torch::tensor(r));
  return torch::stack(ts);
}

void ExpectTensorNear(const torch::Tensor& actual, const torch::Tensor& expected,
                      double tol = 1e-6) {
  ASSERT_EQ(actual.sizes(), expected.sizes());
  EXPECT_TRUE(torch::allclose(actual.to(torch::kDouble), expected.to(torch::kDouble), 0, tol))
      << "actual\n" << actual << "\nexpected\n" << expected;
}

TEST(LossesTest, TokenLevelRatioIsTheLogDifference) {
  auto lp = T({{-1, -2}});
  auto old = T({{-1.5, -1}});
  ExpectTensorNear(LogImportanceRatio(lp, old, T({{1, 1}}), config::ImportanceLevel::kToken),
                   T({{0.5, -1}}));
}

TEST(LossesTest, SequenceLevelRatioEqualsTheGspoFormula) {
  // Row 0 has two completion tokens: pi(y) = e^-3, pi_old(y) = e^-2.5, so GSPO's
  // s = (pi(y) / pi_old(y))^(1/|y|) = (e^-0.5)^(1/2).
  auto lp = T({{-1, -2, -5}, {-0.1, -0.2, -0.3}});
  auto old = T({{-1.5, -1, -9}, {-0.1, -0.2, -0.3}});
  auto mask = T({{1, 1, 0}, {1, 1, 1}});
  auto r = LogImportanceRatio(lp, old, mask, config::ImportanceLevel::kSequence).exp();
  const double s = std::pow(std::exp(-3.0) / std::exp(-2.5), 1.0 / 2);
  EXPECT_NEAR(r[0][0].item<double>(), s, 1e-6);
  EXPECT_NEAR(r[0][1].item<double>(), s, 1e-6);
  EXPECT_NEAR(r[1][2].item<double>(), 1.0, 1e-7);
}

TEST(LossesTest, SequenceLevelGradientIsTheMeanOverTheSequence) {
  auto lp = T({{-1, -2, -5}}).requires_grad_();
  auto old = T({{-1, -2, -5}});
  auto mask = T({{1, 1, 0}});
  auto r = LogImportanceRatio(lp, old, mask, config::ImportanceLevel::kSequence);
  r[0][0].backward();
  ExpectTensorNear(lp.grad(), T({{0.5, 0.5, 0}}));
}

TEST(LossesTest, ClippedPolicyLossHandValues) {
  // Ratios 1.5, 0.5, 1.1 for A = +1 (row 0) and A = -1 (row 1), eps 0.2 / 0.28.
  auto log_ratio = T({{std::log(1.5f), std::log(0.5f), std::log(1.1f)},
                      {std::log(1.5f), std::log(0.5f), std::log(1.1f)}})
                       .requires_grad_();
  auto a = torch::tensor({1.0f, -1.0f});
  PolicyLoss p = ClippedPolicyLoss(log_ratio, a, ClipOptions{0.2, 0.28, 0.0});
  // A > 0: max(-r, -clip(r)) = [-1.28, -0.5, -1.1];  A < 0: max(r, clip(r)) = [1.5, 0.8, 1.1].
  ExpectTensorNear(p.loss, T({{-1.28, -0.5, -1.1}, {1.5, 0.8, 1.1}}), 1e-6);
  EXPECT_TRUE(torch::equal(p.clipped_high, torch::tensor({{true, false, false}, {false, false, false}})));
  EXPECT_TRUE(torch::equal(p.clipped_low, torch::tensor({{false, false, false}, {false, true, false}})));
  // d loss / d log r = -A r where unclipped, 0 where clipped.
  p.loss.sum().backward();
  ExpectTensorNear(log_ratio.grad(), T({{0, -0.5, -1.1}, {1.5, 0, 1.1}}), 1e-6);
}

TEST(LossesTest, DualClipCapsNegativeAdvantageLoss) {
  auto log_ratio = T({{std::log(5.0f), std::log(2.0f)}}).requires_grad_();
  auto a = torch::tensor({-1.0f});
  PolicyLoss p = ClippedPolicyLoss(log_ratio, a, ClipOptions{0.2, 0.28, 3.0});
  // Ratio 5: max(5, 1.28) = 5, capped at c = 3 (no gradient). Ratio 2: 2 < 3, kept.
  ExpectTensorNear(p.loss, T({{3, 2}}), 1e-6);
  EXPECT_TRUE(torch::equal(p.clipped_dual, torch::tensor({{true, false}})));
  p.loss.sum().backward();
  ExpectTensorNear(log_ratio.grad(), T({{0, 2}}), 1e-6);
  // Positive advantages are never dual-clipped.
  PolicyLoss q = ClippedPolicyLoss(log_ratio.detach(), torch::tensor({1.0f}),
                                   ClipOptions{0.2, 0.28, 3.0});
  ExpectTensorNear(q.loss, T({{-1.28, -1.28}}), 1e-6);
}

TEST(LossesTest, KlEstimatorsHandValues) {
  // logp = -1, ref = -2: d = ref - logp = -1.
  auto lp = T({{-1}});
  auto ref = T({{-2}});
  EXPECT_NEAR(KlPenalty(lp, ref, config::KlEstimator::kK1).item<double>(), 1.0, 1e-7);
  EXPECT_NEAR(KlPenalty(lp, ref, config::KlEstimator::kK2).item<double>(), 0.5, 1e-7);
  EXPECT_NEAR(KlPenalty(lp, ref, config::KlEstimator::kK3).item<double>(), std::exp(-1.0), 1e-7);
}

TEST(LossesTest, K3IsNonNegativeAndZeroAtIdentity) {
  torch::manual_seed(3);
  auto lp = -torch::rand({8, 16}) * 5;
  auto ref = -torch::rand({8, 16}) * 5;
  EXPECT_GE(KlPenalty(lp, ref, config::KlEstimator::kK3).min().item<double>(), 0.0);
  EXPECT_EQ(KlPenalty(lp, lp, config::KlEstimator::kK3).abs().max().item<double>(), 0.0);
  // Its gradient at identity is 0 too: the penalty only pulls once the policies differ.
  auto x = lp.clone().requires_grad_();
  KlPenalty(x, lp, config::KlEstimator::kK3).sum().backward();
  EXPECT_EQ(x.grad().abs().max().item<double>(), 0.0);
}

TEST(LossesTest, TisWeightsAreCappedAndDetached) {
  auto learner = T({{-1, -2, -1}}).requires_grad_();
  auto behaviour = T({{-1.5, -1, -1}});
  auto w = TisWeights(learner, behaviour, 1.5);
  ExpectTensorNear(w, T({{1.5, std::exp(-1.0f), 1}}), 1e-6);
  EXPECT_FALSE(w.requires_grad());
}

TEST(LossesTest, AggregationModesHandValues) {
  auto v = T({{1, 2, 3}, {4, 9, 9}});
  auto mask = T({{1, 1, 1}, {1, 0, 0}});
  LossDenominators d = DenominatorsOf(mask, /*max_completion_length=*/4);
  EXPECT_EQ(d.num_tokens, 4);
  EXPECT_EQ(d.num_sequences, 2);
  EXPECT_NEAR(AggregateLoss(v, mask, config::LossAggregation::kTokenMean, d).item<double>(), 2.5,
              1e-6);
  EXPECT_NEAR(AggregateLoss(v, mask, config::LossAggregation::kSeqMeanTokenMean, d).item<double>(),
              3.0, 1e-6);
  EXPECT_NEAR(
      AggregateLoss(v, mask, config::LossAggregation::kSeqMeanTokenSumNorm, d).item<double>(),
      10.0 / 4 / 2, 1e-6);
}

TEST(LossesTest, EmptyMaskGivesZeroNotNan) {
  auto mask = T({{0, 0}});
  LossDenominators d = DenominatorsOf(mask, 2);
  for (auto agg : {config::LossAggregation::kTokenMean, config::LossAggregation::kSeqMeanTokenMean,
                   config::LossAggregation::kSeqMeanTokenSumNorm}) {
    EXPECT_EQ(AggregateLoss(T({{1, 2}}), mask, agg, d).item<double>(), 0.0);
  }
}

TEST(LossesTest, MuOneGivesZeroLossButNonZeroGradient) {
  // On-policy (old = current): ratio 1, loss = -sum(A * mask) / N = 0 for zero-mean
  // advantages over equal lengths, but the gradient is -A / N per token.
  auto lp = T({{-1, -2}, {-0.5, -3}}).requires_grad_();
  GrpoLossInputs in;
  in.logprobs = lp;
  in.old_logprobs = lp.detach();
  in.advantages = torch::tensor({1.0f, -1.0f});
  in.mask = T({{1, 1}, {1, 1}});
  GrpoLossOptions o;
  GrpoLossTerms t = GrpoLoss(in, o, DenominatorsOf(in.mask, 2));
  EXPECT_NEAR(t.loss.item<double>(), 0.0, 1e-7);
  t.loss.backward();
  ExpectTensorNear(lp.grad(), T({{-0.25, -0.25}, {0.25, 0.25}}));
}

// Sum of GrpoLoss over micro-batches == GrpoLoss of the whole batch, loss and gradient.
void CheckSplitInvariance(config::LossAggregation aggregation, double beta) {
  torch::manual_seed(11);
  const int64_t b = 6, t = 5;
  auto lp = (-torch::rand({b, t}) * 3).requires_grad_();
  auto old = (lp.detach() + torch::randn({b, t}) * 0.2);
  auto ref = (lp.detach() + torch::randn({b, t}) * 0.3);
  auto adv = torch::randn({b});
  // Ragged completions: row i has i % 4 + 2 tokens.
  auto mask = torch::zeros({b, t});
  for (int64_t i = 0; i < b; ++i) mask[i].narrow(0, 0, i % 4 + 2).fill_(1);
  GrpoLossOptions o;
  o.aggregation = aggregation;
  o.beta = beta;
  LossDenominators d = DenominatorsOf(mask, t);
  auto run = [&](std::vector<std::vector<int64_t>> splits) {
    if (lp.grad().defined()) lp.mutable_grad().zero_();
    double total = 0;
    for (auto& rows : splits) {
      auto idx = torch::tensor(rows);
      GrpoLossInputs in;
      in.logprobs = lp.index_select(0, idx);
      in.old_logprobs = old.index_select(0, idx);
      in.ref_logprobs = ref.index_select(0, idx);
      in.advantages = adv.index_select(0, idx);
      in.mask = mask.index_select(0, idx);
      GrpoLossTerms terms = GrpoLoss(in, o, d);
      terms.loss.backward();
      total += terms.loss.item<double>();
    }
    return std::make_pair(total, lp.grad().clone());
  };
  auto whole = run({{0, 1, 2, 3, 4, 5}});
  auto halves = run({{0, 1, 2}, {3, 4, 5}});
  auto uneven = run({{4}, {0, 5, 1, 3}, {2}});
  EXPECT_NEAR(whole.first, halves.first, 1e-6);
  EXPECT_NEAR(whole.first, uneven.first, 1e-6);
  ExpectTensorNear(whole.second, halves.second, 1e-7);
  ExpectTensorNear(whole.second, uneven.second, 1e-7);
}

TEST(LossesTest, TokenMeanIsInvariantToMicroBatchSplit) {
  CheckSplitInvariance(config::LossAggregation::kTokenMean, 0.0);
  CheckSplitInvariance(config::LossAggregation::kTokenMean, 0.04);
}

TEST(LossesTest, SeqMeanModesAreInvariantToMicroBatchSplit) {
  CheckSplitInvariance(config::LossAggregation::kSeqMeanTokenMean, 0.04);
  CheckSplitInvariance(config::LossAggregation::kSeqMeanTokenSumNorm, 0.04);
}

TEST(LossesTest, ZeroStdGroupsContributeNoPolicyGradient) {
  // Group 0 all correct, group 1 mixed.
  auto adv = ComputeAdvantages({1, 1, 1, 0}, {0, 0, 1, 1}, AdvantageOptions());
  ASSERT_TRUE(adv.ok());
  auto lp = (-torch::rand({4, 3})).requires_grad_();
  GrpoLossInputs in;
  in.logprobs = lp;
  in.old_logprobs = lp.detach() + 0.05;  // off-policy too: clipping must not matter
  in.advantages = torch::tensor(adv->values);
  in.mask = torch::ones({4, 3});
  GrpoLoss(in, GrpoLossOptions(), DenominatorsOf(in.mask, 3)).loss.backward();
  EXPECT_EQ(lp.grad().narrow(0, 0, 2).abs().max().item<double>(), 0.0);
  EXPECT_GT(lp.grad().narrow(0, 2, 2).abs().min().item<double>(), 0.0);
}

TEST(LossesTest, FullObjectiveHandValue) {
  // One row, two tokens, A = 2, ratios 1.1 and 0.5, k1 with beta 0.5, entropy bonus 0.1,
  // TIS weights [1, 0.5], token_mean over 2 tokens.
  auto lp = T({{std::log(1.1f) - 1, std::log(0.5f) - 1}}).requires_grad_();
  auto entropy = T({{2, 4}}).requires_grad_();
  GrpoLossInputs in;
  in.logprobs = lp;
  in.old_logprobs = T({{-1, -1}});
  in.ref_logprobs = T({{-1, -1}});
  in.advantages = torch::tensor({2.0f});
  in.mask = T({{1, 1}});
  in.tis_weights = T({{1, 0.5}});
  in.entropy = entropy;
  GrpoLossOptions o;
  o.beta = 0.5;
  o.kl_estimator = config::KlEstimator::kK1;
  o.entropy_coeff = 0.1;
  GrpoLossTerms t = GrpoLoss(in, o, DenominatorsOf(in.mask, 2));
  // policy: [-2 * 1.1 (unclipped, < 1.28), -2 * 0.5 * tis 0.5] -> (-2.2 - 0.5) / 2 = -1.35
  // kl k1 = logp - ref = [log 1.1, log 0.5] -> mean (0.0953102 - 0.6931472) / 2 = -0.2989185
  // entropy mean 3.
  const double expected = -1.35 + 0.5 * -0.2989185 - 0.1 * 3;
  EXPECT_NEAR(t.loss.item<double>(), expected, 1e-6);
  EXPECT_NEAR(t.policy_loss_sum.item<double>(), -2.7, 1e-6);
  EXPECT_NEAR(t.entropy_sum.item<double>(), 6.0, 1e-6);
  t.loss.backward();
  // d/dlogp: policy -A r w / 2 = [-1.1, -0.25]; kl beta / 2 = 0.25 each.
  ExpectTensorNear(lp.grad(), T({{-1.1 + 0.25, -0.25 + 0.25}}), 1e-6);
  ExpectTensorNear(entropy.grad(), T({{-0.05, -0.05}}), 1e-7);
}

TEST(LossesTest, ClipCountsAreMaskedSums) {
  auto log_ratio_lp = T({{std::log(2.0f), std::log(0.1f), std::log(2.0f)}});
  GrpoLossInputs in;
  in.logprobs = log_ratio_lp;
  in.old_logprobs = torch::zeros({1, 3});
  in.advantages = torch::tensor({1.0f});
  in.mask = T({{1, 1, 0}});
  GrpoLossTerms t = GrpoLoss(in, GrpoLossOptions(), DenominatorsOf(in.mask, 3));
  EXPECT_EQ(t.clipped_high_sum.item<double>(), 1.0);  // the third token is masked out
  EXPECT_EQ(t.clipped_low_sum.item<double>(), 0.0);   // ratio 0.1 with A > 0 is not cut
  EXPECT_EQ(t.clipped_region_sum.item<double>(), 1.0);
}

TEST(LossesTest, OptionsFromConfig) {
  config::AlgorithmConfig c;
  c.epsilon_low = 0.1;
  c.clip_ratio_c = 3;
  c.loss_agg = config::LossAggregation::kSeqMeanTokenSumNorm;
  c.importance_level = config::ImportanceLevel::kSequence;
  GrpoLossOptions o = GrpoLossOptionsFromConfig(c);
  EXPECT_EQ(o.clip.epsilon_low, 0.1);
  EXPECT_EQ(o.clip.epsilon_high, 0.28);
  EXPECT_EQ(o.clip.clip_ratio_c, 3);
  EXPECT_EQ(o.aggregation, config::LossAggregation::kSeqMeanTokenSumNorm);
  EXPECT_EQ(o.importance_level, config::ImportanceLevel::kSequence);
}

}  // namespace
}  // namespace zerorl::learner
