#include "learner/learner.h"

#include <cmath>
#include <random>

#include <torch/torch.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/learner/learner_test_util.h"

namespace zerorl::learner {
namespace {

using ::testing::HasSubstr;
using testing::ExactOptions;
using testing::RandomSamples;
using testing::RecordRolloutLogProbs;
using testing::TinyModel;

std::unique_ptr<Learner> MakeLearner(const LearnerOptions& options, uint64_t seed = 1,
                                     bool with_reference = false) {
  model::CausalLM reference = with_reference ? TinyModel(seed + 100) : model::CausalLM(nullptr);
  auto learner = Learner::Create(options, TinyModel(seed), reference);
  EXPECT_TRUE(learner.ok()) << learner.status();
  return std::move(learner).value();
}

TrainBatch Build(const std::vector<Sample>& samples, bool mask_truncated = false) {
  BatchOptions o;
  o.mask_truncated_completions = mask_truncated;
  auto batch = BuildTrainBatch(samples, o);
  EXPECT_TRUE(batch.ok()) << batch.status();
  return std::move(batch).value();
}

std::vector<torch::Tensor> Grads(model::CausalLMImpl& m) {
  std::vector<torch::Tensor> out;
  for (auto& p : m.parameters()) out.push_back(p.grad().defined() ? p.grad().clone() : torch::zeros_like(p));
  return out;
}

// Moves every parameter by `scale` * direction.
void Nudge(model::CausalLMImpl& m, const std::vector<torch::Tensor>& direction, double scale) {
  torch::NoGradGuard no_grad;
  auto params = m.parameters();
  for (size_t i = 0; i < params.size(); ++i) params[i].add_(direction[i], scale);
}

// The whole loss (chunked LM head, micro-batches, ratio, clip, KL to a reference, entropy
// bonus, aggregation) against central differences along random directions. The samples
// are one version stale, so the ratio's anchor is the fixed rollout log-probs.
void CheckFiniteDifferences(config::ImportanceLevel level, config::LossAggregation aggregation) {
  LearnerOptions o = ExactOptions();
  o.algorithm.beta = 0.1;
  o.algorithm.entropy_coeff = 0.05;
  o.algorithm.importance_level = level;
  o.algorithm.loss_agg = aggregation;
  o.micro_batch_tokens = 40;  // several micro-batches
  auto learner = MakeLearner(o, 1, /*with_reference=*/true);
  learner->RestoreCounters(1, 1, 0);
  std::mt19937 rng(7);
  std::vector<Sample> samples = RandomSamples(rng, 3, 3, 48, /*policy_version=*/0);
  RecordRolloutLogProbs(learner->policy(), samples, 0.0f);
  std::uniform_real_distribution<float> jitter(-0.1f, 0.1f);
  for (Sample& s : samples) {
    for (float& lp : s.completion_logprobs) lp = std::min(0.0f, lp + jitter(rng));
  }
  TrainBatch batch = Build(samples);
  auto loss = learner->LossAndGradient(batch);
  ASSERT_TRUE(loss.ok()) << loss.status();
  std::vector<torch::Tensor> grads = Grads(learner->policy());
  torch::manual_seed(17);
  for (int d = 0; d < 3; ++d) {
    std::vector<torch::Tensor> direction;
    double norm2 = 0;
    for (auto& g : grads) {
      direction.push_back(torch::randn_like(g));
      norm2 += direction.back().pow(2).sum().item<double>();
    }
    for (auto& v : direction) v.div_(std::sqrt(norm2));
    double analytic = 0;
    for (size_t i = 0; i < grads.size(); ++i) analytic += (grads[i] * direction[i]).sum().item<double>();
    const double eps = 1e-3;
    Nudge(learner->policy(), direction, eps);
    double plus = *learner->LossAndGradient(batch);
    Nudge(learner->policy(), direction, -2 * eps);
    double minus = *learner->LossAndGradient(batch);
    Nudge(learner->policy(), direction, eps);
    double numeric = (plus - minus) / (2 * eps);
    EXPECT_NEAR(numeric, analytic, 2e-2 * std::abs(analytic) + 2e-4)
        << "direction " << d << " loss " << *loss;
  }
}

TEST(LearnerStepTest, FiniteDifferenceGradientOfTheWholeLoss) {
  CheckFiniteDifferences(config::ImportanceLevel::kToken, config::LossAggregation::kTokenMean);
}

TEST(LearnerStepTest, FiniteDifferenceGradientSequenceLevel) {
  CheckFiniteDifferences(config::ImportanceLevel::kSequence,
                         config::LossAggregation::kSeqMeanTokenMean);
  CheckFiniteDifferences(config::ImportanceLevel::kToken,
                         config::LossAggregation::kSeqMeanTokenSumNorm);
}

TEST(LearnerStepTest, OnPolicyGradientIsTheReinforceGradient) {
  // mu = 1: ratio 1, so the gradient must be that of -(1/N) sum_b A_b sum_t log p_bt,
  // computed here through the model's plain Forward().
  LearnerOptions o = ExactOptions();
  auto learner = MakeLearner(o);
  std::mt19937 rng(3);
  TrainBatch batch = Build(RandomSamples(rng, 2, 4, 48));
  auto loss = learner->LossAndGradient(batch);
  ASSERT_TRUE(loss.ok());
  std::vector<torch::Tensor> grads = Grads(learner->policy());

  learner->optimizer().ZeroGrad();
  auto logits = learner->policy().Forward(batch.input_ids);  // right padding: causal, fine
  auto logp = torch::log_softmax(logits, -1);
  auto next = batch.input_ids.narrow(1, 1, batch.input_ids.size(1) - 1).unsqueeze(-1);
  auto token_logp = logp.narrow(1, 0, logp.size(1) - 1).gather(-1, next).squeeze(-1);
  auto mask = batch.loss_mask.narrow(1, 1, batch.loss_mask.size(1) - 1);
  const double n = batch.loss_mask.sum().item<double>();
  auto reinforce = -(token_logp * mask * batch.advantages.unsqueeze(1)).sum() / n;
  reinforce.backward();
  std::vector<torch::Tensor> expected = Grads(learner->policy());
  for (size_t i = 0; i < grads.size(); ++i) {
    EXPECT_TRUE(torch::allclose(grads[i], expected[i], 1e-4, 1e-6)) << "parameter " << i;
  }
  // The loss value is -sum_b A_b n_b / N (every ratio is exactly 1).
  auto lengths = batch.loss_mask.sum(1);
  EXPECT_NEAR(*loss, -(batch.advantages * lengths).sum().item<double>() / n, 1e-6);
}

TEST(LearnerStepTest, MuOneLossIsZeroButTheGradientIsNot) {
  LearnerOptions o = ExactOptions();
  o.algorithm.loss_agg = config::LossAggregation::kSeqMeanTokenMean;
  auto learner = MakeLearner(o);
  std::mt19937 rng(5);
  std::vector<Sample> samples = RandomSamples(rng, 2, 4, 48);
  samples[0].reward = 1;
  samples[1].reward = 0;  // both groups have a spread
  samples[4].reward = 1;
  samples[5].reward = 0;
  auto loss = learner->LossAndGradient(Build(samples));
  ASSERT_TRUE(loss.ok());
  EXPECT_NEAR(*loss, 0.0, 1e-6);
  double norm = learner->optimizer().ClipGradNorm(0.0);
  EXPECT_GT(norm, 1e-3);
}

TEST(LearnerStepTest, MicroBatchSplitDoesNotChangeTheGradient) {
  LearnerOptions small = ExactOptions();
  small.micro_batch_tokens = 12;
  LearnerOptions large = ExactOptions();
  large.micro_batch_tokens = 1 << 20;
  auto a = MakeLearner(small), b = MakeLearner(large);
  std::mt19937 rng(9);
  TrainBatch batch = Build(RandomSamples(rng, 3, 4, 48));
  auto la = a->LossAndGradient(batch), lb = b->LossAndGradient(batch);
  ASSERT_TRUE(la.ok() && lb.ok());
  EXPECT_NEAR(*la, *lb, 1e-6);
  auto ga = Grads(a->policy()), gb = Grads(b->policy());
  for (size_t i = 0; i < ga.size(); ++i) EXPECT_TRUE(torch::allclose(ga[i], gb[i], 1e-4, 1e-7));
}

TEST(LearnerStepTest, GradientCheckpointingGivesTheSameGradient) {
  LearnerOptions o = ExactOptions();
  o.algorithm.beta = 0.05;
  o.algorithm.entropy_coeff = 0.01;
  auto plain = MakeLearner(o, 1, /*with_reference=*/true);
  o.gradient_checkpointing = true;
  auto checkpointed = MakeLearner(o, 1, /*with_reference=*/true);
  std::mt19937 rng(31);
  TrainBatch batch = Build(RandomSamples(rng, 2, 4, 48));
  auto a = plain->LossAndGradient(batch), b = checkpointed->LossAndGradient(batch);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
  auto ga = Grads(plain->policy()), gb = Grads(checkpointed->policy());
  for (size_t i = 0; i < ga.size(); ++i) {
    EXPECT_TRUE(torch::allclose(ga[i], gb[i], 1e-5, 1e-7)) << "parameter " << i;
  }
  EXPECT_GT(ga[0].abs().sum().item<double>(), 0);
}

TEST(LearnerStepTest, StepUpdatesWeightsAndReportsMetrics) {
  LearnerOptions o = ExactOptions();
  auto learner = MakeLearner(o);
  EXPECT_FALSE(learner->has_reference());
  auto before = learner->ExportWeights(torch::kFloat);
  std::mt19937 rng(11);
  auto metrics = learner->Step(Build(RandomSamples(rng, 2, 4, 48)));
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  for (const char* name : {"loss", "entropy", "clip_ratio/low_mean", "clip_ratio/high_mean",
                           "clip_ratio/region_mean", "grad_norm", "lr", "frac_reward_zero_std",
                           "timing/learner_s", "throughput/learner_tokens_per_s", "perf/mfu",
                           "policy_version", "learner/loss_tokens"}) {
    EXPECT_EQ(metrics->count(name), 1u) << name;
  }
  EXPECT_EQ(metrics->count("kl"), 0u);  // beta = 0
  EXPECT_EQ(metrics->at("policy_version"), 1);
  EXPECT_EQ(metrics->at("clip_ratio/region_mean"), 0);  // on-policy: nothing to clip
  EXPECT_GT(metrics->at("entropy"), 0);
  EXPECT_GT(metrics->at("perf/mfu"), 0);
  EXPECT_EQ(learner->policy_version(), 1);
  EXPECT_EQ(learner->num_updates(), 1);
  auto after = learner->ExportWeights(torch::kFloat);
  EXPECT_FALSE(torch::equal(before.at("model.norm.weight"), after.at("model.norm.weight")));
}

TEST(LearnerStepTest, TwoIterationsMakeTwoUpdatesAndClip) {
  LearnerOptions o = ExactOptions();
  o.algorithm.num_iterations = 2;
  o.optimizer.lr = 0.05;
  auto learner = MakeLearner(o);
  std::mt19937 rng(12);
  auto metrics = learner->Step(Build(RandomSamples(rng, 2, 4, 48)));
  ASSERT_TRUE(metrics.ok());
  EXPECT_EQ(learner->num_updates(), 2);
  EXPECT_EQ(learner->policy_version(), 1);
  // The second pass sees ratios != 1 after a large update: some tokens are clipped.
  EXPECT_GT(metrics->at("clip_ratio/region_mean"), 0);
}

TEST(LearnerStepTest, TisWeightsAndLogProbGapFromRolloutLogProbs) {
  // The rollout's log-probs sit 0.3 below the learner's: logp_diff = 0.3 and, on policy,
  // the loss is exactly the unweighted one times min(e^0.3, cap).
  LearnerOptions o = ExactOptions();
  std::mt19937 rng(13);
  std::vector<Sample> samples = RandomSamples(rng, 2, 3, 48);
  auto probe = MakeLearner(o);
  RecordRolloutLogProbs(probe->policy(), samples, -0.3f);
  TrainBatch batch = Build(samples);
  o.algorithm.tis_imp_ratio_cap = 0;
  double plain = *MakeLearner(o)->LossAndGradient(batch);
  o.algorithm.tis_imp_ratio_cap = 10;
  double weighted = *MakeLearner(o)->LossAndGradient(batch);
  o.algorithm.tis_imp_ratio_cap = 1.2;
  double capped = *MakeLearner(o)->LossAndGradient(batch);
  EXPECT_NEAR(weighted, plain * std::exp(0.3), 1e-4 * std::abs(plain));
  EXPECT_NEAR(capped, plain * 1.2, 1e-5 * std::abs(plain));
  auto metrics = MakeLearner(o)->Step(batch);
  ASSERT_TRUE(metrics.ok());
  EXPECT_NEAR(metrics->at("sampling/logp_diff/mean"), 0.3, 1e-4);
  EXPECT_NEAR(metrics->at("sampling/logp_diff/max"), 0.3, 1e-4);
}

TEST(LearnerStepTest, StaleSampleWithoutRolloutLogProbsIsRefused) {
  auto learner = MakeLearner(ExactOptions());
  learner->RestoreCounters(2, 2, 2);
  std::mt19937 rng(1);
  auto samples = RandomSamples(rng, 1, 2, 48, /*policy_version=*/1);
  auto result = learner->Step(Build(samples));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(result.status().message(),
            "learner: sample 0 was drawn with policy version 1 (learner at 2) and has no rollout "
            "log-probs to anchor its importance ratio; record them in the rollout or drop stale "
            "samples");
  EXPECT_EQ(learner->num_updates(), 2);  // nothing happened
}

TEST(LearnerStepTest, SampleFromTheFutureIsRefused) {
  auto learner = MakeLearner(ExactOptions());
  std::mt19937 rng(1);
  auto result = learner->Step(Build(RandomSamples(rng, 1, 2, 48, /*policy_version=*/3)));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().message(),
            "learner: sample 0 claims policy version 3 but the learner is at version 0");
}

TEST(LearnerStepTest, MismatchedBatchShapesAreRefused) {
  auto learner = MakeLearner(ExactOptions());
  std::mt19937 rng(1);
  TrainBatch batch = Build(RandomSamples(rng, 1, 2, 48));
  batch.advantages = torch::zeros({3});
  auto result = learner->Step(batch);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(result.status().message(),
            "learner: batch.advantages must be [2] Float, got [3] Float");
}

TEST(LearnerStepTest, BetaZeroHoldsNoReferenceAndBetaNeedsOne) {
  LearnerOptions o = ExactOptions();
  auto dropped = Learner::Create(o, TinyModel(1), TinyModel(2));
  ASSERT_TRUE(dropped.ok());
  EXPECT_FALSE((*dropped)->has_reference());
  o.algorithm.beta = 0.04;
  auto missing = Learner::Create(o, TinyModel(1), model::CausalLM(nullptr));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(),
            "learner: learner.algorithm.beta > 0 needs a reference model; give one or set beta 0");
  auto with = Learner::Create(o, TinyModel(1), TinyModel(1, torch::kBFloat16));
  ASSERT_TRUE(with.ok());
  EXPECT_TRUE((*with)->has_reference());
  std::mt19937 rng(2);
  auto metrics = (*with)->Step(Build(RandomSamples(rng, 1, 3, 48)));
  ASSERT_TRUE(metrics.ok());
  // Reference = initial policy (in bf16): the KL starts near 0.
  EXPECT_GE(metrics->at("kl"), 0);
  EXPECT_LT(metrics->at("kl"), 1e-2);
}

TEST(LearnerStepTest, PolicyMustBeFloat32Masters) {
  auto r = Learner::Create(ExactOptions(), TinyModel(1, torch::kBFloat16), model::CausalLM(nullptr));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "learner: the policy must be a float32 model (master weights)");
}

TEST(LearnerStepTest, ExportWeightsCopiesInTheWorkersDtype) {
  auto learner = MakeLearner(ExactOptions());
  model::TensorMap w = learner->ExportWeights(torch::kBFloat16);
  size_t count = 0;
  for (auto& item : learner->policy().named_parameters()) {
    ASSERT_EQ(w.count(item.key()), 1u) << item.key();
    EXPECT_EQ(w.at(item.key()).scalar_type(), torch::kBFloat16);
    EXPECT_TRUE(torch::equal(w.at(item.key()), item.value().detach().to(torch::kBFloat16)));
    ++count;
  }
  EXPECT_EQ(w.size(), count);
  w.at("model.norm.weight").fill_(7);  // a copy: the policy is untouched
  EXPECT_NE(learner->policy().named_parameters()["model.norm.weight"][0].item<float>(), 7.0f);
}

TEST(LearnerStepTest, Bf16ComputeTrainsCloseToFp32) {
  LearnerOptions o = ExactOptions();
  auto exact = MakeLearner(o);
  o.compute_dtype = torch::kBFloat16;
  auto mixed = MakeLearner(o);
  std::mt19937 rng(21);
  TrainBatch batch = Build(RandomSamples(rng, 2, 4, 48));
  ASSERT_TRUE(exact->LossAndGradient(batch).ok());
  ASSERT_TRUE(mixed->LossAndGradient(batch).ok());
  auto ge = Grads(exact->policy()), gm = Grads(mixed->policy());
  double num = 0, den = 0;
  for (size_t i = 0; i < ge.size(); ++i) {
    EXPECT_EQ(gm[i].scalar_type(), torch::kFloat);  // fp32 grads on fp32 masters
    num += (ge[i] - gm[i]).pow(2).sum().item<double>();
    den += ge[i].pow(2).sum().item<double>();
  }
  EXPECT_LT(std::sqrt(num / den), 0.05);  // bf16 matmuls: a few percent at most
}

TEST(LearnerStepTest, SftStepMinimisesCompletionNll) {
  LearnerOptions o = ExactOptions();
  o.optimizer.lr = 3e-2;
  auto learner = MakeLearner(o);
  std::vector<SftExample> examples = {{{1, 2, 3}, {4, 5, 6, 7}}, {{8, 9}, {10, 11}}};
  auto batch = BuildSftBatch(examples, 64);
  ASSERT_TRUE(batch.ok());
  // Expected first loss: mean NLL of the 6 completion tokens, from the plain forward.
  double expected = 0;
  {
    torch::NoGradGuard no_grad;
    for (const auto& e : examples) {
      std::vector<int64_t> ids(e.prompt_ids.begin(), e.prompt_ids.end());
      ids.insert(ids.end(), e.completion_ids.begin(), e.completion_ids.end());
      auto logp = torch::log_softmax(learner->policy().Forward(torch::tensor(ids).unsqueeze(0))[0], -1);
      for (size_t t = e.prompt_ids.size(); t < ids.size(); ++t) {
        expected -= logp[t - 1][ids[t]].item<double>();
      }
    }
    expected /= 6;
  }
  auto first = learner->SftStep(*batch);
  ASSERT_TRUE(first.ok());
  EXPECT_NEAR(first->at("loss"), expected, 1e-5);
  double last = first->at("loss");
  for (int i = 0; i < 10; ++i) last = learner->SftStep(*batch)->at("loss");
  EXPECT_LT(last, 0.5 * first->at("loss"));
}

}  // namespace
}  // namespace zerorl::learner
