#include "model/packed_linear.h"

#include <gtest/gtest.h>

#include <torch/torch.h>

#include "core/cpu_features.h"
#include "model/weights.h"
#include "tests/model/model_test_util.h"
#include "tests/testing/cpu_isa.h"

namespace zerorl::model {
namespace {

#define SKIP_WITHOUT_DNNL()                                                          \
  if (!PackedLinearAvailable()) {                                                    \
    GTEST_SKIP() << "this build has no oneDNN (libdnnl-dev): nothing is packed, the " \
                    "model uses at::linear";                                         \
  }

torch::Tensor Random(std::vector<int64_t> shape, torch::ScalarType dtype, uint64_t seed) {
  torch::Generator gen = at::detail::createCPUGenerator(seed);
  return torch::randn(shape, gen, torch::kFloat).to(dtype);
}

TEST(PackedLinearTest, EqualsLinearInFloat32ForEveryRowCount) {
  SKIP_WITHOUT_DNNL();
  torch::Tensor w = Random({96, 40}, torch::kFloat, 1), b = Random({96}, torch::kFloat, 2);
  std::unique_ptr<PackedLinear> packed = PackedLinear::Create({w}, {b});
  ASSERT_NE(packed, nullptr);
  EXPECT_EQ(packed->out_features(), 96);
  for (int64_t rows : {1, 3, 64, 130}) {
    torch::Tensor x = Random({rows, 40}, torch::kFloat, 10 + rows);
    torch::Tensor expected = torch::linear(x, w, b);
    torch::Tensor got = packed->Apply(x);
    ASSERT_EQ(got.sizes(), expected.sizes()) << rows;
    EXPECT_TRUE(torch::allclose(got, expected, 1e-5, 1e-5)) << rows << " rows";
  }
}

TEST(PackedLinearTest, FusesWeightsAlongTheOutputsWithAndWithoutBiases) {
  SKIP_WITHOUT_DNNL();
  torch::Tensor q = Random({32, 24}, torch::kFloat, 1), k = Random({8, 24}, torch::kFloat, 2);
  torch::Tensor v = Random({8, 24}, torch::kFloat, 3), bq = Random({32}, torch::kFloat, 4);
  std::unique_ptr<PackedLinear> packed = PackedLinear::Create({q, k, v}, {bq, {}, {}});
  ASSERT_NE(packed, nullptr);
  torch::Tensor x = Random({2, 5, 24}, torch::kFloat, 5);  // [B, T, in]
  torch::Tensor expected = torch::cat(
      {torch::linear(x, q, bq), torch::linear(x, k), torch::linear(x, v)}, -1);
  torch::Tensor got = packed->Apply(x);
  ASSERT_EQ(got.sizes(), (std::vector<int64_t>{2, 5, 48}));
  EXPECT_TRUE(torch::allclose(got, expected, 1e-5, 1e-5));
  // A non-contiguous input (every other token) gives the same rows.
  torch::Tensor strided = x.slice(1, 0, 5, 2);
  EXPECT_TRUE(torch::allclose(packed->Apply(strided), expected.slice(1, 0, 5, 2), 1e-5, 1e-5));
}

TEST(PackedLinearTest, Float32PacksOnEveryProcessor) {
  SKIP_WITHOUT_DNNL();
  EXPECT_TRUE(PackedLinearSupports(torch::kFloat)) << core::HostCpu().Describe();
  EXPECT_FALSE(PackedLinearSupports(torch::kHalf));
}

TEST(PackedLinearTest, Bfloat16MatchesLinearToItsRounding) {
  SKIP_WITHOUT_DNNL();
  torch::Tensor w = Random({1000, 64}, torch::kBFloat16, 1);
  std::unique_ptr<PackedLinear> packed = PackedLinear::Create({w}, {});
  if (!PackedLinearSupports(torch::kBFloat16)) {
    // The documented fallback: nothing is packed, the model keeps at::linear.
    EXPECT_EQ(packed, nullptr);
    std::string missing = ::zerorl::testing::MissingCpuFeatures(core::CpuIsa::kAvx512);
    GTEST_SKIP() << "oneDNN has no bf16 matmul on this CPU ("
                 << (missing.empty() ? "refused, e.g. capped by ONEDNN_MAX_CPU_ISA"
                                     : "it needs AVX-512; this CPU lacks " + missing)
                 << "): bf16 weights are not packed, at::linear runs";
  }
  ASSERT_NE(packed, nullptr);
  for (int64_t rows : {1, 7, 64}) {
    torch::Tensor x = Random({rows, 64}, torch::kBFloat16, rows);
    torch::Tensor got = packed->Apply(x);
    EXPECT_EQ(got.scalar_type(), torch::kBFloat16);
    torch::Tensor exact = torch::linear(x.to(torch::kFloat), w.to(torch::kFloat));
    // Float32 sums rounded once to bfloat16: within half a bf16 ulp (2^-8 relative) plus the
    // summation-order noise.
    EXPECT_TRUE(torch::allclose(got.to(torch::kFloat), exact, 8e-3, 1e-3)) << rows << " rows";
  }
}

TEST(PackedLinearTest, RepacksAfterAnInPlaceWeightUpdate) {
  SKIP_WITHOUT_DNNL();
  torch::Tensor w = Random({16, 8}, torch::kFloat, 1), b = Random({16}, torch::kFloat, 2);
  std::unique_ptr<PackedLinear> packed = PackedLinear::Create({w}, {b});
  ASSERT_NE(packed, nullptr);
  torch::Tensor x = Random({4, 8}, torch::kFloat, 3);
  packed->Apply(x);
  {
    torch::NoGradGuard no_grad;
    w.copy_(Random({16, 8}, torch::kFloat, 4));  // what a weight update does
  }
  EXPECT_TRUE(torch::allclose(packed->Apply(x), torch::linear(x, w, b), 1e-5, 1e-5));
  b.add_(1.0);
  EXPECT_TRUE(torch::allclose(packed->Apply(x), torch::linear(x, w, b), 1e-5, 1e-5));
}

TEST(PackedLinearTest, RefusesWhatItCannotPack) {
  SKIP_WITHOUT_DNNL();
  torch::Tensor w = Random({16, 8}, torch::kFloat, 1);
  EXPECT_EQ(PackedLinear::Create({}, {}), nullptr);
  EXPECT_EQ(PackedLinear::Create({w.to(torch::kHalf)}, {}), nullptr);
  EXPECT_EQ(PackedLinear::Create({w, Random({4, 9}, torch::kFloat, 2)}, {}), nullptr);
  EXPECT_EQ(PackedLinear::Create({w}, {Random({15}, torch::kFloat, 3)}), nullptr);
  EXPECT_EQ(PackedLinear::Create({w}, {Random({16}, torch::kFloat, 3), {}}), nullptr);
  std::unique_ptr<PackedLinear> packed = PackedLinear::Create({w}, {});
  ASSERT_NE(packed, nullptr);
  EXPECT_THROW(packed->Apply(Random({2, 9}, torch::kFloat, 4)), c10::Error);
  EXPECT_THROW(packed->Apply(Random({2, 8}, torch::kBFloat16, 4)), c10::Error);
}

TEST(PackedLinearTest, PackedModelGivesTheSameLogitsAndKeepsAutograd) {
  SKIP_WITHOUT_DNNL();
  ModelArchConfig config = testing::TinyConfig("qwen2");
  CausalLM model = RandomModel(config, /*seed=*/3, torch::kFloat, torch::kCPU);
  torch::Tensor ids = torch::randint(0, config.vocab_size, {2, 9},
                                     at::detail::createCPUGenerator(4), torch::kLong);
  torch::Tensor before;
  {
    torch::NoGradGuard no_grad;
    before = model->Forward(ids);
  }
  ASSERT_TRUE(model->PackForInference());
  {
    torch::NoGradGuard no_grad;
    EXPECT_TRUE(torch::allclose(model->Forward(ids), before, 1e-5, 1e-5));
  }
  // With autograd on, the forward is the unpacked one and gradients reach the weights.
  torch::Tensor logits = model->Forward(ids);
  EXPECT_TRUE(torch::allclose(logits.detach(), before, 1e-5, 1e-5));
  logits.sum().backward();
  for (const auto& item : model->named_parameters()) {
    EXPECT_TRUE(item.value().grad().defined()) << item.key();
  }
}

}  // namespace
}  // namespace zerorl::model
