// The fused kernels against the ATen path of model/ (the same functions and modules with the
// kernels off): what the learner's forward runs, and so what the rollout must reproduce.
#include "model/internal/cpu_kernels.h"

#include <gtest/gtest.h>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <limits>

#include "model/attention.h"
#include "model/layers.h"
#include "model/rope.h"

namespace zerorl::model {
namespace {

torch::Tensor RandomBf16(std::vector<int64_t> shape, uint64_t seed, double scale = 1.0) {
  torch::Generator gen = at::detail::createCPUGenerator(seed);
  return (torch::randn(shape, gen, torch::kFloat) * scale).to(torch::kBFloat16);
}

// The kernels round where the ATen ops round, so they may differ only where exp's last bit or
// the summation order tips a bf16 rounding: at most one bf16 ulp, and rarely.
void ExpectBf16Close(const torch::Tensor& got, const torch::Tensor& expected) {
  ASSERT_EQ(got.sizes(), expected.sizes());
  ASSERT_EQ(got.scalar_type(), torch::kBFloat16);
  torch::Tensor g = got.to(torch::kFloat), e = expected.to(torch::kFloat);
  torch::Tensor ulp = e.abs().clamp_min(1e-6) * (1.0 / 128);
  EXPECT_TRUE(((g - e).abs() <= ulp + 1e-6).all().item<bool>())
      << "max difference " << (g - e).abs().max().item<float>();
  double exact = (g == e).to(torch::kFloat).mean().item<double>();
  EXPECT_GT(exact, 0.97) << "only " << exact << " of the values are bit-identical";
}

double FractionEqual(const torch::Tensor& a, const torch::Tensor& b) {
  return (a == b).to(torch::kFloat).mean().item<double>();
}

TEST(CpuKernelsTest, AppliesToBf16CpuTensorsWithoutAutograd) {
  torch::Tensor x = RandomBf16({2, 4}, 1);
  EXPECT_FALSE(kernels::Applies(x));  // autograd on
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(kernels::Applies(x));
  EXPECT_FALSE(kernels::Applies(x.to(torch::kFloat)));
}

TEST(CpuKernelsTest, SwiGluMatchesSiluTimesUp) {
  torch::NoGradGuard no_grad;
  torch::Tensor gate_up = RandomBf16({3, 5, 2 * 70}, 2, 3.0);  // [B, T, 2n], n not a lane multiple
  torch::Tensor gate = gate_up.narrow(-1, 0, 70), up = gate_up.narrow(-1, 70, 70);
  ExpectBf16Close(kernels::SwiGlu(gate_up), torch::silu(gate) * up);  // MlpImpl's ATen ops
}

TEST(CpuKernelsTest, RmsNormEqualsTheModulesAtenPathBitForBit) {
  if (!kernels::RmsNormAvailable()) {
    GTEST_SKIP() << "this LibTorch adds up rows in another order than aten_sum_order.h: "
                    "RMSNorm keeps its ATen ops";
  }
  torch::NoGradGuard no_grad;
  // 200: one pass of the four accumulators; 4100: cascade levels and a scalar tail. Many
  // rows: a sum that is off in its last bit changes a bf16 output only once in ~2^15 values.
  for (int64_t d : {200, 4100}) {
    SCOPED_TRACE(d);
    RMSNorm norm(RMSNormOptions(d).eps(1e-6).tensor_options(torch::kBFloat16));
    norm->weight.copy_(RandomBf16({d}, 4));
    torch::Tensor x = RandomBf16({8, 1000000 / (8 * d), d}, 3, 2.0);
    torch::Tensor expected = norm(x);  // the ATen ops, what the learner's forward runs
    norm->UseFusedKernel(true);
    torch::Tensor got = norm(x);
    EXPECT_TRUE(torch::equal(got, expected))
        << (got != expected).sum().item<int64_t>() << " of " << got.numel() << " values differ";
  }
}

TEST(CpuKernelsTest, RopeEqualsApplyRopesAtenPathBitForBit) {
  torch::NoGradGuard no_grad;
  const int64_t batch = 2, heads = 5, hd = 16;
  for (int64_t tokens : {3, 1}) {  // a prefill chunk, a decode step
    SCOPED_TRACE(tokens);
    // x as a view into a wider fused projection, the way attention hands it over (with one
    // token, view() may give the size-1 dim any stride).
    torch::Tensor fused = RandomBf16({batch, tokens, heads * hd + 32}, 10, 3.0);
    torch::Tensor x = fused.narrow(-1, 0, heads * hd).view({batch, tokens, heads, hd});
    torch::Tensor angles = RandomBf16({batch, tokens, 1, hd / 2}, 11, 2.0).to(torch::kFloat);
    RopeTables tables{torch::cat({angles.cos(), angles.cos()}, -1).to(torch::kBFloat16),
                      angles.sin().to(torch::kBFloat16)};
    torch::Tensor expected = ApplyRope(x, tables);
    torch::Tensor got = ApplyRope(x, tables, /*fused_kernels=*/true);
    EXPECT_TRUE(torch::equal(got, expected))
        << (got != expected).sum().item<int64_t>() << " of " << got.numel() << " values differ";
  }
}

// Values [B, n_kv, hd, hd] = the identity: attention then returns its bf16 probabilities
// exactly (each output adds one probability and zeros), so tests can compare them.
torch::Tensor IdentityValues(int64_t batch, int64_t kv_heads, int64_t hd) {
  return torch::eye(hd).to(torch::kBFloat16).expand({batch, kv_heads, hd, hd});
}

// The softmax kernel's probabilities are GroupedAttention's ATen ones up to where exp's last
// bit (its own exp against ATen's) tips a bf16 rounding. hd = 32: a scale 1 / sqrt(hd) that
// bf16 cannot hold, which LibTorch 1.x's scores.mul_(scale) rounds to bf16 and later versions
// do not: the kernels must apply it as this LibTorch does.
TEST(CpuKernelsTest, MaskedSoftmaxGivesGroupedAttentionsProbabilities) {
  torch::NoGradGuard no_grad;
  const int64_t batch = 2, kv_heads = 2, group = 3, tokens = 5, hd = 32;
  torch::Tensor q = RandomBf16({batch, tokens, kv_heads * group, hd}, 8, 2.0);
  torch::Tensor k = RandomBf16({batch, kv_heads, hd, hd}, 12, 2.0);  // hd keys
  torch::Generator gen = at::detail::createCPUGenerator(9);
  torch::Tensor blocked = torch::rand({batch, 1, 1, tokens, hd}, gen) < 0.3;
  blocked.select(3, 0).fill_(true);  // one query sees nothing: NaN, as torch gives
  blocked.select(3, 0).select(0, 1).fill_(false);
  torch::Tensor v = IdentityValues(batch, kv_heads, hd);
  torch::Tensor expected = GroupedAttention(q, k, v, blocked);
  torch::Tensor got = GroupedAttention(q, k, v, blocked, /*fused_kernels=*/true);
  EXPECT_TRUE(torch::equal(got.isnan(), expected.isnan()));
  got = torch::nan_to_num(got, 0);
  expected = torch::nan_to_num(expected, 0);
  ExpectBf16Close(got, expected);
  EXPECT_GT(FractionEqual(got, expected), 0.999);
}

TEST(CpuKernelsTest, DecodeAttentionMatchesGroupedAttentionOverEachRowsSlot) {
  torch::NoGradGuard no_grad;
  const int64_t slots = 6, kv_heads = 2, capacity = 40, hd = 32, heads = 8;
  torch::Tensor keys = RandomBf16({slots, kv_heads, capacity, hd}, 5, 2.0);
  torch::Tensor values = RandomBf16({slots, kv_heads, capacity, hd}, 6);
  // Rows in non-consecutive slots with different lengths, as after sequences finished.
  std::vector<int64_t> row_slots = {4, 1, 5}, lengths = {32, 1, 17};
  torch::Tensor q = RandomBf16({3, 1, heads, hd}, 7, 2.0);
  for (bool identity : {true, false}) {
    SCOPED_TRACE(identity ? "probabilities (identity values)" : "outputs");
    // The identity as slot 4's first 32 positions: row 0 then returns its probabilities.
    torch::Tensor v = values.clone();
    if (identity) v.narrow(0, 4, 1).narrow(2, 0, hd).copy_(IdentityValues(1, kv_heads, hd));
    torch::Tensor got = kernels::DecodeAttention(q, keys, v, row_slots, lengths);
    ASSERT_EQ(got.sizes(), (std::vector<int64_t>{3, 1, heads * hd}));
    for (size_t b = identity ? 0 : 1; b < (identity ? 1 : row_slots.size()); ++b) {
      int64_t s = row_slots[b], length = lengths[b];
      torch::Tensor k = keys.narrow(0, s, 1).narrow(2, 0, length);  // [1, n_kv, L, hd]
      torch::Tensor vs = v.narrow(0, s, 1).narrow(2, 0, length);
      torch::Tensor blocked = torch::zeros({1, 1, 1, 1, length}, torch::kBool);
      torch::Tensor expected = GroupedAttention(q.narrow(0, b, 1), k, vs, blocked);
      SCOPED_TRACE(b);
      ExpectBf16Close(got.narrow(0, b, 1), expected);
    }
  }
}

TEST(CpuKernelsTest, DecodeAttentionRefusesMoreThanOneTokenPerRow) {
  torch::NoGradGuard no_grad;
  torch::Tensor keys = RandomBf16({2, 1, 8, 16}, 1);
  EXPECT_THROW(kernels::DecodeAttention(RandomBf16({1, 2, 2, 16}, 2), keys, keys, {0}, {3}),
               c10::Error);
}

}  // namespace
}  // namespace zerorl::model
