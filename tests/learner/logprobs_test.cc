#include "learner/logprobs.h"

#include <cmath>

#include <torch/torch.h>

#include "gtest/gtest.h"
#include "model/logprobs.h"
#include "tests/learner/learner_test_util.h"

namespace zerorl::learner {
namespace {

using testing::TinyModel;

double MaxDiff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kDouble) - b.to(torch::kDouble)).abs().max().item<double>();
}

TEST(TokenLogProbsTest, TemperatureHandValues) {
  // logits [0, ln 3]: p(1) = 3/4. At T = 2 the logits halve: p(1) = sqrt(3) / (1 + sqrt(3)).
  auto logits = torch::tensor({{0.0f, static_cast<float>(std::log(3.0))}});
  auto target = torch::tensor({int64_t{1}});
  EXPECT_NEAR(model::TokenLogProbs(logits, target, 1.0).item<double>(), std::log(0.75), 1e-6);
  EXPECT_NEAR(model::TokenLogProbs(logits, target, 2.0).item<double>(),
              std::log(std::sqrt(3.0) / (1 + std::sqrt(3.0))), 1e-6);
  // Greedy (T = 0) reads the untempered distribution.
  EXPECT_NEAR(model::TokenLogProbs(logits, target, 0.0).item<double>(), std::log(0.75), 1e-6);
  auto with_entropy = model::TokenLogProbsWithEntropy(logits, target, 1.0);
  EXPECT_NEAR(with_entropy.entropy.item<double>(),
              -(0.25 * std::log(0.25) + 0.75 * std::log(0.75)), 1e-6);
  // bf16 logits are widened before the division: float32 result.
  EXPECT_EQ(model::TokenLogProbs(logits.to(torch::kBFloat16), target, 0.7).scalar_type(),
            torch::kFloat);
}

// Chunked LM head == direct TokenLogProbs of the full logits, values and gradients.
void CheckChunked(int64_t chunk, double temperature) {
  torch::manual_seed(2);
  const int64_t n = 10, h = 6, v = 17;
  auto hidden = torch::randn({n, h}, torch::requires_grad());
  auto weight = torch::randn({v, h}, torch::requires_grad());
  auto targets = torch::randint(v, {n}, torch::kLong);
  auto a = torch::randn({n}), b = torch::randn({n});

  auto direct = model::TokenLogProbsWithEntropy(torch::linear(hidden, weight), targets, temperature);
  ((direct.logprobs * a).sum() + (direct.entropy * b).sum()).backward();
  auto grad_hidden = hidden.grad().clone(), grad_weight = weight.grad().clone();
  hidden.mutable_grad().zero_();
  weight.mutable_grad().zero_();

  LmHeadLogProbsOptions o;
  o.temperature = temperature;
  o.chunk_tokens = chunk;
  LmHeadLogProbs chunked = ChunkedLmHeadLogProbs(hidden, weight, targets, o);
  EXPECT_LT(MaxDiff(chunked.logprobs, direct.logprobs), 1e-6);
  EXPECT_LT(MaxDiff(chunked.entropy, direct.entropy), 1e-6);
  ((chunked.logprobs * a).sum() + (chunked.entropy * b).sum()).backward();
  EXPECT_LT(MaxDiff(hidden.grad(), grad_hidden), 1e-5) << "chunk " << chunk;
  EXPECT_LT(MaxDiff(weight.grad(), grad_weight), 1e-5) << "chunk " << chunk;
}

TEST(ChunkedLmHeadTest, MatchesDirectComputationForAnyChunking) {
  for (int64_t chunk : {1, 3, 10, 64}) CheckChunked(chunk, 1.0);
  CheckChunked(4, 0.6);
}

TEST(ChunkedLmHeadTest, ForwardIsTheSharedDefinitionBitForBit) {
  // What the rollout engine records (model->Logits + model::TokenLogProbs) and what the
  // learner computes in chunks are the same numbers, in fp32 and in a bf16 model.
  for (auto dtype : {torch::kFloat, torch::kBFloat16}) {
    model::CausalLM m = TinyModel(6, dtype);
    torch::NoGradGuard no_grad;
    auto ids = torch::tensor({{5, 9, 1, 7, 3, 2, 8}}, torch::kLong);
    auto hidden = m->ForwardHidden(ids, {}, {})[0].narrow(0, 0, 6);  // [6, H]
    auto targets = ids[0].narrow(0, 1, 6);
    auto reference = model::TokenLogProbs(m->Logits(hidden), targets, 0.7);
    LmHeadLogProbsOptions o;
    o.temperature = 0.7;
    o.chunk_tokens = 4;
    o.compute_dtype = dtype;
    auto chunked = ChunkedLmHeadLogProbs(hidden, m->lm_head_weight(), targets, o);
    EXPECT_TRUE(torch::equal(chunked.logprobs, reference)) << chunked.logprobs - reference;
  }
}

TEST(ChunkedLmHeadTest, LogProbsOnlyGradientIgnoresEntropy) {
  torch::manual_seed(4);
  auto hidden = torch::randn({5, 4}, torch::requires_grad());
  auto weight = torch::randn({9, 4});
  auto targets = torch::randint(9, {5}, torch::kLong);
  LmHeadLogProbsOptions o;
  o.chunk_tokens = 2;
  o.with_entropy = false;
  LmHeadLogProbs r = ChunkedLmHeadLogProbs(hidden, weight, targets, o);
  EXPECT_FALSE(r.entropy.defined());
  r.logprobs.sum().backward();
  auto expected = torch::autograd::grad(
      {model::TokenLogProbs(torch::linear(hidden, weight), targets, 1.0).sum()}, {hidden})[0];
  EXPECT_LT(MaxDiff(hidden.grad(), expected), 1e-5);
}

TEST(ChunkedLmHeadTest, Bf16WeightsGetGradientsInTheirDtype) {
  torch::manual_seed(8);
  auto hidden = torch::randn({6, 8}).to(torch::kBFloat16).requires_grad_();
  auto weight = (torch::randn({11, 8}) * 0.5).to(torch::kBFloat16).requires_grad_();
  auto targets = torch::randint(11, {6}, torch::kLong);
  LmHeadLogProbsOptions o;
  o.chunk_tokens = 4;
  o.compute_dtype = torch::kBFloat16;
  auto r = ChunkedLmHeadLogProbs(hidden, weight, targets, o);
  r.logprobs.sum().backward();
  EXPECT_EQ(hidden.grad().scalar_type(), torch::kBFloat16);
  EXPECT_EQ(weight.grad().scalar_type(), torch::kBFloat16);
  // Against the fp32 gradient of the same (bf16-valued) inputs: bf16 precision.
  auto h32 = hidden.detach().to(torch::kFloat).requires_grad_();
  auto w32 = weight.detach().to(torch::kFloat).requires_grad_();
  model::TokenLogProbs(torch::linear(h32, w32), targets, 1.0).sum().backward();
  EXPECT_LT(MaxDiff(weight.grad(), w32.grad()), 3e-2);
  EXPECT_LT(MaxDiff(hidden.grad(), h32.grad()), 3e-2);
}

TEST(ChunkedLmHeadTest, Bf16ComputeStaysCloseToFp32) {
  torch::manual_seed(5);
  auto hidden = torch::randn({8, 16});
  auto weight = torch::randn({33, 16}) * 0.3;
  auto targets = torch::randint(33, {8}, torch::kLong);
  LmHeadLogProbsOptions o;
  auto fp32 = ChunkedLmHeadLogProbs(hidden, weight, targets, o);
  o.compute_dtype = torch::kBFloat16;
  auto bf16 = ChunkedLmHeadLogProbs(hidden, weight, targets, o);
  EXPECT_EQ(bf16.logprobs.scalar_type(), torch::kFloat);
  EXPECT_LT(MaxDiff(fp32.logprobs, bf16.logprobs), 0.1);
}

TEST(SequenceLogProbsTest, MatchTheModelsFullForwardAtMaskedPositions) {
  model::CausalLM m = TinyModel(3);
  auto ids = torch::tensor({{5, 9, 1, 7, 3}, {2, 4, 8, 0, 0}}, torch::kLong);
  auto sequence_ids = torch::tensor({{1, 1, 1, 1, 1}, {1, 1, 1, 0, 0}}, torch::kLong);
  auto mask = torch::tensor({{0, 0, 1, 1, 1}, {0, 1, 1, 0, 0}}, torch::kFloat);
  LmHeadLogProbsOptions o;
  o.chunk_tokens = 2;
  o.temperature = 0.8;
  SequenceLogProbs lp = ComputeSequenceLogProbs(*m, ids, sequence_ids, mask, o);
  // Independent path: the model's own logits, one row at a time, no padding.
  torch::NoGradGuard no_grad;
  auto row0 = torch::log_softmax(m->Forward(ids[0].unsqueeze(0))[0] / 0.8, -1);
  auto row1 = torch::log_softmax(m->Forward(ids[1].narrow(0, 0, 3).unsqueeze(0))[0] / 0.8, -1);
  for (int t : {2, 3, 4}) {
    EXPECT_NEAR(lp.logprobs[0][t].item<double>(), row0[t - 1][ids[0][t]].item<double>(), 1e-5);
  }
  for (int t : {1, 2}) {
    EXPECT_NEAR(lp.logprobs[1][t].item<double>(), row1[t - 1][ids[1][t]].item<double>(), 1e-5);
  }
  EXPECT_EQ(lp.logprobs[0][0].item<double>(), 0.0);
  EXPECT_EQ(lp.logprobs[1][3].item<double>(), 0.0);
  EXPECT_EQ(lp.entropy[1][4].item<double>(), 0.0);
  EXPECT_GT(lp.entropy[0][2].item<double>(), 0.0);
}

TEST(SequenceLogProbsTest, FirstColumnInTheMaskIsRefused) {
  model::CausalLM m = TinyModel(3);
  auto ids = torch::tensor({{5, 9}}, torch::kLong);
  auto mask = torch::tensor({{1, 1}}, torch::kFloat);
  EXPECT_THROW(ComputeSequenceLogProbs(*m, ids, torch::ones_like(ids), mask, {}), c10::Error);
}

}  // namespace
}  // namespace zerorl::learner
