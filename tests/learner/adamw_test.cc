#include "learner/adamw.h"

#include <cmath>
#include <limits>

#include <torch/torch.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace zerorl::learner {
namespace {

using ::testing::HasSubstr;

TEST(AdamWTest, FirstStepHandValues) {
  // p = 1, g = 0.5, lr 0.1: m_hat = 0.5, v_hat = 0.25, p -= 0.1 * 0.5 / (0.5 + eps).
  auto matrix = torch::ones({1, 1}).requires_grad_();
  auto vector = torch::ones({1}).requires_grad_();
  AdamWOptions o;
  o.weight_decay = 0.1;
  AdamW opt({{"w", matrix}, {"b", vector}}, o);
  matrix.mutable_grad() = torch::full({1, 1}, 0.5f);
  vector.mutable_grad() = torch::full({1}, 0.5f);
  opt.Step(0.1);
  // The matrix is decayed first: 1 * (1 - 0.1 * 0.1) = 0.99; the vector is not.
  EXPECT_NEAR(matrix.item<double>(), 0.99 - 0.1, 1e-6);
  EXPECT_NEAR(vector.item<double>(), 0.9, 1e-6);
}

TEST(AdamWTest, MatchesTorchAdamWOverSeveralSteps) {
  torch::manual_seed(5);
  auto w1 = torch::randn({4, 3}).requires_grad_();
  auto b1 = torch::randn({3}).requires_grad_();
  auto w2 = w1.detach().clone().requires_grad_();
  auto b2 = b1.detach().clone().requires_grad_();
  AdamWOptions o{0.9, 0.95, 1e-8, 0.01};
  AdamW ours({{"w", w1}, {"b", b1}}, o);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(std::vector<torch::Tensor>{w2},
                      std::make_unique<torch::optim::AdamWOptions>(
                          torch::optim::AdamWOptions(1e-2).betas({0.9, 0.95}).eps(1e-8).weight_decay(0.01)));
  groups.emplace_back(std::vector<torch::Tensor>{b2},
                      std::make_unique<torch::optim::AdamWOptions>(
                          torch::optim::AdamWOptions(1e-2).betas({0.9, 0.95}).eps(1e-8).weight_decay(0.0)));
  torch::optim::AdamW theirs(groups, torch::optim::AdamWOptions(1e-2));
  for (int step = 0; step < 5; ++step) {
    auto gw = torch::randn({4, 3});
    auto gb = torch::randn({3});
    w1.mutable_grad() = gw.clone();
    b1.mutable_grad() = gb.clone();
    w2.mutable_grad() = gw.clone();
    b2.mutable_grad() = gb.clone();
    ours.Step(1e-2);
    theirs.step();
  }
  EXPECT_TRUE(torch::allclose(w1, w2, 1e-6, 1e-7)) << w1 - w2;
  EXPECT_TRUE(torch::allclose(b1, b2, 1e-6, 1e-7)) << b1 - b2;
}

// ZeRO-1: two optimizers, each updating half of the flattened parameters through slices,
// give the whole-parameter update bit for bit, and their squared norms add up to the whole's.
TEST(AdamWTest, SlicesUpdateLikeTheWholeParameter) {
  torch::manual_seed(9);
  auto whole = torch::randn({4, 3}).requires_grad_();
  auto parts = whole.detach().clone();
  AdamWOptions o{0.9, 0.95, 1e-8, 0.01};
  AdamW reference({{"w", whole}}, o);
  auto flat_grad = torch::zeros({12});
  AdamW first = AdamW::OfSlices(
      {{"w", parts.view({-1}).narrow(0, 0, 7), flat_grad.narrow(0, 0, 7), true}}, o);
  AdamW second = AdamW::OfSlices(
      {{"w", parts.view({-1}).narrow(0, 7, 5), flat_grad.narrow(0, 7, 5), true}}, o);
  for (int step = 0; step < 3; ++step) {
    auto g = torch::randn({4, 3});
    whole.mutable_grad() = g.clone();
    flat_grad.copy_(g.view({-1}));
    EXPECT_NEAR(first.GradSquaredNorm() + second.GradSquaredNorm(),
                std::pow(reference.ClipGradNorm(0.0), 2), 1e-5);
    reference.Step(1e-2);
    first.Step(1e-2);
    second.Step(1e-2);
  }
  EXPECT_TRUE(torch::equal(whole.detach(), parts));
  NamedTensors state = first.StateTensors();
  ASSERT_EQ(state.size(), 3u);
  EXPECT_EQ(state[0].second.sizes(), (std::vector<int64_t>{7}));
}

TEST(AdamWTest, ClipGradNormScalesToTheMaximum) {
  auto a = torch::zeros({2}).requires_grad_();
  auto b = torch::zeros({1, 1}).requires_grad_();
  AdamW opt({{"a", a}, {"b", b}}, AdamWOptions());
  a.mutable_grad() = torch::tensor({3.0f, 0.0f});
  b.mutable_grad() = torch::full({1, 1}, 4.0f);
  EXPECT_NEAR(opt.ClipGradNorm(1.0), 5.0, 1e-6);
  EXPECT_NEAR(a.grad()[0].item<double>(), 0.6, 1e-6);
  EXPECT_NEAR(b.grad().item<double>(), 0.8, 1e-6);
  // Under the maximum, or with clipping off: untouched.
  EXPECT_NEAR(opt.ClipGradNorm(2.0), 1.0, 1e-6);
  EXPECT_NEAR(opt.ClipGradNorm(0.0), 1.0, 1e-6);
  EXPECT_NEAR(a.grad()[0].item<double>(), 0.6, 1e-6);
}

TEST(AdamWTest, NonFiniteNormLeavesGradientsAlone) {
  auto a = torch::zeros({2}).requires_grad_();
  AdamW opt({{"a", a}}, AdamWOptions());
  a.mutable_grad() = torch::tensor({std::numeric_limits<float>::quiet_NaN(), 1.0f});
  EXPECT_TRUE(std::isnan(opt.ClipGradNorm(1.0)));
  EXPECT_EQ(a.grad()[1].item<float>(), 1.0f);
}

TEST(AdamWTest, ParametersWithoutGradientAreSkipped) {
  auto a = torch::ones({2}).requires_grad_();
  auto b = torch::ones({2}).requires_grad_();
  AdamW opt({{"a", a}, {"b", b}}, AdamWOptions());
  a.mutable_grad() = torch::ones({2});
  opt.Step(0.1);
  EXPECT_TRUE(torch::equal(b, torch::ones({2})));
  auto state = opt.StateTensors();
  ASSERT_EQ(state.size(), 3u);
  EXPECT_EQ(state[2].first, "a.step");
  EXPECT_EQ(state[2].second.item<int64_t>(), 1);
  opt.ZeroGrad();
  EXPECT_FALSE(a.grad().defined());
}

TEST(AdamWTest, StateRoundTripContinuesBitForBit) {
  torch::manual_seed(9);
  auto p1 = torch::randn({3, 2}).requires_grad_();
  auto p2 = p1.detach().clone().requires_grad_();
  std::vector<torch::Tensor> grads = {torch::randn({3, 2}), torch::randn({3, 2}),
                                      torch::randn({3, 2})};
  AdamWOptions o;
  o.weight_decay = 0.1;
  AdamW straight({{"p", p1}}, o);
  for (auto& g : grads) {
    p1.mutable_grad() = g.clone();
    straight.Step(0.01);
  }
  AdamW first({{"p", p2}}, o);
  for (int i = 0; i < 2; ++i) {
    p2.mutable_grad() = grads[i].clone();
    first.Step(0.01);
  }
  std::map<std::string, torch::Tensor> saved;
  for (auto& [name, t] : first.StateTensors()) saved[name] = t.clone();
  auto p3 = p2.detach().clone().requires_grad_();
  AdamW resumed({{"p", p3}}, o);
  ASSERT_TRUE(resumed.LoadState(saved).ok());
  p3.mutable_grad() = grads[2].clone();
  resumed.Step(0.01);
  EXPECT_TRUE(torch::equal(p1, p3));
}

TEST(AdamWTest, LoadStateRefusesUnknownTensor) {
  auto p = torch::zeros({2}).requires_grad_();
  AdamW opt({{"p", p}}, AdamWOptions());
  auto s = opt.LoadState({{"q.exp_avg", torch::zeros({2})}});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "optimizer state: tensor \"q.exp_avg\" belongs to no parameter");
}

TEST(AdamWTest, LoadStateRefusesWrongShape) {
  auto p = torch::zeros({2}).requires_grad_();
  AdamW opt({{"p", p}}, AdamWOptions());
  auto s = opt.LoadState({{"p.exp_avg", torch::zeros({3})},
                          {"p.exp_avg_sq", torch::zeros({2})},
                          {"p.step", torch::tensor(int64_t{1})}});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("tensor \"p.exp_avg\" has dtype Float shape [3]; parameter p "
                                     "is Float [2]"));
}

TEST(AdamWTest, LoadStateRefusesIncompleteSet) {
  auto p = torch::zeros({2}).requires_grad_();
  AdamW opt({{"p", p}}, AdamWOptions());
  auto s = opt.LoadState({{"p.exp_avg", torch::zeros({2})}});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "optimizer state: parameter \"p\" needs exp_avg, exp_avg_sq and step together; "
            "found 1 of 3");
}

TEST(AdamWTest, OptionsFromConfig) {
  config::OptimizerConfig c;
  c.betas = {0.8, 0.95};
  c.eps = 1e-6;
  c.weight_decay = 0.1;
  AdamWOptions o = AdamWOptionsFromConfig(c);
  EXPECT_EQ(o.beta1, 0.8);
  EXPECT_EQ(o.beta2, 0.95);
  EXPECT_EQ(o.eps, 1e-6);
  EXPECT_EQ(o.weight_decay, 0.1);
}

}  // namespace
}  // namespace zerorl::learner
