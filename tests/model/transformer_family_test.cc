// The families beyond the golden fixtures (Llama 3 with rope_scaling, untied lm_head, Mistral
// sliding window, Qwen3 with explicit head_dim and biases) against an independent float64
// forward, and the training forward's packing, padding and gradients.
#include <torch/torch.h>

#include "gtest/gtest.h"
#include "model/rope.h"
#include "model/transformer.h"
#include "model/weights.h"
#include "tests/model/model_test_util.h"

namespace zerorl::model {
namespace {

using testing::MaxAbsDiff;
using testing::ReferenceForward;
using testing::Row;
using testing::TinyConfig;

std::vector<int64_t> SomeIds(int64_t n, int64_t seed) {
  std::vector<int64_t> ids;
  for (int64_t i = 0; i < n; ++i) ids.push_back((seed * 131 + i * 37 + i * i * 7) % 500 + 3);
  return ids;
}

class FamilyTest : public ::testing::TestWithParam<const char*> {
 protected:
  CausalLM Model(torch::ScalarType dtype) {
    CausalLM model = RandomModel(TinyConfig(GetParam()), 7, dtype);
    testing::PerturbBiasesAndNorms(*model, 8);
    return model;
  }
};

TEST_P(FamilyTest, Fp32ForwardMatchesFloat64Reference) {
  CausalLM model = Model(torch::kFloat);
  std::vector<int64_t> ids = SomeIds(40, 1);
  torch::NoGradGuard no_grad;
  torch::Tensor ours = model->Forward(Row(ids))[0];
  torch::Tensor ref = ReferenceForward(model->config(), StateDict(*model), ids);
  double diff = MaxAbsDiff(ours, ref);
  EXPECT_LT(diff, 1e-4);
  std::printf("[%s] fp32 forward vs float64 reference (40 tokens): max |dlogit| = %.3g (logit "
              "std %.3g)\n",
              GetParam(), diff, ref.std().item<double>());
}

TEST_P(FamilyTest, Bf16ForwardStaysCloseToReference) {
  CausalLM fp32 = Model(torch::kFloat);
  CausalLM bf16 = Model(torch::kBFloat16);
  std::vector<int64_t> ids = SomeIds(24, 2);
  torch::NoGradGuard no_grad;
  torch::Tensor ref = ReferenceForward(fp32->config(), StateDict(*fp32), ids);
  double diff = MaxAbsDiff(bf16->Forward(Row(ids))[0], ref);
  double scale = ref.abs().max().item<double>();
  EXPECT_LT(diff, 0.05 * scale);
  std::printf("[%s] bf16 forward vs float64 reference: max |dlogit| = %.3g (max |logit| %.3g)\n",
              GetParam(), diff, scale);
}

TEST_P(FamilyTest, PackedAndPaddedSequencesEqualSeparateForwards) {
  CausalLM model = Model(torch::kFloat);
  std::vector<int64_t> a = SomeIds(9, 3), b = SomeIds(6, 4);
  torch::NoGradGuard no_grad;
  torch::Tensor alone_a = model->Forward(Row(a))[0], alone_b = model->Forward(Row(b))[0];
  // Row 0 packs a and b with positions restarting; row 1 is b right-padded, row 2 left-padded.
  std::vector<int64_t> packed = a, packed_pos, packed_seq;
  packed.insert(packed.end(), b.begin(), b.end());
  for (int64_t i = 0; i < 9; ++i) packed_pos.push_back(i), packed_seq.push_back(1);
  for (int64_t i = 0; i < 6; ++i) packed_pos.push_back(i), packed_seq.push_back(2);
  std::vector<int64_t> right = b, left(9, 0), pos_right, pos_left(9, 0), seq_right, seq_left(9, 0);
  right.resize(15, 0);
  left.insert(left.end(), b.begin(), b.end());
  for (int64_t i = 0; i < 15; ++i) {
    pos_right.push_back(std::min<int64_t>(i, 5));
    seq_right.push_back(i < 6 ? 1 : 0);
  }
  for (int64_t i = 0; i < 6; ++i) pos_left.push_back(i), seq_left.push_back(1);
  torch::Tensor ids = torch::stack({torch::tensor(packed), torch::tensor(right),
                                    torch::tensor(left)});
  torch::Tensor pos = torch::stack({torch::tensor(packed_pos), torch::tensor(pos_right),
                                    torch::tensor(pos_left)});
  torch::Tensor seq = torch::stack({torch::tensor(packed_seq), torch::tensor(seq_right),
                                    torch::tensor(seq_left)});
  torch::Tensor logits = model->Forward(ids, pos, seq);
  EXPECT_TRUE(torch::isfinite(logits).all().item<bool>());
  double diff = std::max({MaxAbsDiff(logits[0].narrow(0, 0, 9), alone_a),
                          MaxAbsDiff(logits[0].narrow(0, 9, 6), alone_b),
                          MaxAbsDiff(logits[1].narrow(0, 0, 6), alone_b),
                          MaxAbsDiff(logits[2].narrow(0, 9, 6), alone_b)});
  EXPECT_LT(diff, 1e-5);
}

TEST_P(FamilyTest, GradientsReachEveryParameter) {
  CausalLM model = Model(torch::kFloat);
  torch::Tensor ids = Row(SomeIds(8, 5));
  torch::Tensor hidden = model->ForwardHidden(ids, {}, {});
  torch::Tensor logp = torch::log_softmax(model->Logits(hidden.narrow(1, 0, 7)), -1);
  torch::Tensor loss = -logp.gather(-1, ids.narrow(1, 1, 7).unsqueeze(-1)).mean();
  loss.backward();
  for (const auto& item : model->named_parameters()) {
    ASSERT_TRUE(item.value().grad().defined()) << item.key();
    EXPECT_GT(item.value().grad().abs().sum().item<double>(), 0) << item.key();
  }
}

INSTANTIATE_TEST_SUITE_P(Families, FamilyTest,
                         ::testing::Values("llama3", "qwen2", "qwen3", "mistral"));

TEST(RopeTest, Llama3InverseFrequenciesFollowTheFormula) {
  ModelArchConfig c = testing::TinyLlama3Config();
  std::vector<double> expected = testing::ReferenceInverseFrequencies(c);
  torch::Tensor inv = RopeInverseFrequencies(c);
  ASSERT_EQ(inv.numel(), 8);
  int low = 0, medium = 0, high = 0;  // all three regimes of the scaling are exercised
  for (int64_t i = 0; i < 8; ++i) {
    EXPECT_NEAR(inv[i].item<double>(), expected[i], 1e-6 * expected[i]) << i;
    double wavelen = 2 * M_PI / std::pow(c.rope_theta, -2.0 * i / 16);
    (wavelen < 16 ? high : wavelen > 64 ? low : medium)++;
  }
  EXPECT_GT(low, 0);
  EXPECT_GT(medium, 0);
  EXPECT_GT(high, 0);
}

TEST(RopeTest, Llama3ScalingChangesTheLogits) {
  CausalLM scaled = RandomModel(testing::TinyLlama3Config(), 3);
  ModelArchConfig plain_config = testing::TinyLlama3Config();
  plain_config.rope_scaling = {};
  CausalLM plain = RandomModel(plain_config, 3);
  std::vector<int64_t> ids = SomeIds(40, 6);
  torch::NoGradGuard no_grad;
  EXPECT_GT(MaxAbsDiff(scaled->Forward(Row(ids)), plain->Forward(Row(ids))), 1e-3);
}

TEST(RopeTest, LinearScalingDividesFrequencies) {
  ModelArchConfig c = TinyConfig("qwen2");
  torch::Tensor plain = RopeInverseFrequencies(c);
  c.rope_scaling = {RopeScalingType::kLinear, 4.0};
  EXPECT_TRUE(torch::allclose(RopeInverseFrequencies(c) * 4, plain));
}

}  // namespace
}  // namespace zerorl::model
