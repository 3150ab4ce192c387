#include "model/cpu_kernels.h"

#include <gtest/gtest.h>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <limits>

#include "model/attention.h"

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
  ExpectBf16Close(kernels::SwiGlu(gate_up), torch::silu(gate) * up);
}

TEST(CpuKernelsTest, RmsNormMatchesTheEagerFormula) {
  torch::NoGradGuard no_grad;
  torch::Tensor x = RandomBf16({4, 3, 200}, 3, 2.0), weight = RandomBf16({200}, 4);
  torch::Tensor x32 = x.to(torch::kFloat);
  torch::Tensor expected =
      weight * (x32 * torch::rsqrt(x32.pow(2).mean(-1, true) + 1e-6)).to(torch::kBFloat16);
  ExpectBf16Close(kernels::RmsNorm(x, weight, 1e-6), expected);
}

TEST(CpuKernelsTest, DecodeAttentionMatchesGroupedAttentionOverEachRowsSlot) {
  torch::NoGradGuard no_grad;
  const int64_t slots = 6, kv_heads = 2, capacity = 40, hd = 64, heads = 8;
  torch::Tensor keys = RandomBf16({slots, kv_heads, capacity, hd}, 5);
  torch::Tensor values = RandomBf16({slots, kv_heads, capacity, hd}, 6);
  // Rows in non-consecutive slots with different lengths, as after sequences finished.
  std::vector<int64_t> row_slots = {4, 1, 5}, lengths = {33, 1, 17};
  torch::Tensor q = RandomBf16({3, 1, heads, hd}, 7, 4.0);
  torch::Tensor got = kernels::DecodeAttention(q, keys, values, row_slots, lengths);
  ASSERT_EQ(got.sizes(), (std::vector<int64_t>{3, 1, heads * hd}));
  for (size_t b = 0; b < row_slots.size(); ++b) {
    int64_t s = row_slots[b], length = lengths[b];
    torch::Tensor k = keys.narrow(0, s, 1).narrow(2, 0, length);  // [1, n_kv, L, hd]
    torch::Tensor v = values.narrow(0, s, 1).narrow(2, 0, length);
    torch::Tensor blocked = torch::zeros({1, 1, 1, 1, length}, torch::kBool);
    torch::Tensor expected = GroupedAttention(q.narrow(0, b, 1), k, v, blocked);
    SCOPED_TRACE(b);
    ExpectBf16Close(got.narrow(0, b, 1), expected);
  }
}

TEST(CpuKernelsTest, RopeIsTransformersEagerFormulaBitForBit) {
  torch::NoGradGuard no_grad;
  const int64_t batch = 2, heads = 5, hd = 16;
  for (int64_t tokens : {3, 1}) {  // a prefill chunk, a decode step
    SCOPED_TRACE(tokens);
    // x as a view into a wider fused projection, the way attention hands it over (with one
    // token, view() may give the size-1 dim any stride).
    torch::Tensor fused = RandomBf16({batch, tokens, heads * hd + 32}, 10, 3.0);
    torch::Tensor x = fused.narrow(-1, 0, heads * hd).view({batch, tokens, heads, hd});
    torch::Tensor angles = RandomBf16({batch, tokens, 1, hd / 2}, 11, 2.0).to(torch::kFloat);
    torch::Tensor cos = torch::cat({angles.cos(), angles.cos()}, -1).to(torch::kBFloat16);
    torch::Tensor sin = angles.sin().to(torch::kBFloat16);
    torch::Tensor x1 = x.narrow(-1, 0, hd / 2), x2 = x.narrow(-1, hd / 2, hd / 2);
    torch::Tensor rotated = torch::cat({-x2, x1}, -1);  // rotate_half
    torch::Tensor expected = x * cos + rotated * torch::cat({sin, sin}, -1);
    EXPECT_TRUE(torch::equal(kernels::Rope(x, cos, sin), expected));
  }
}

TEST(CpuKernelsTest, MaskedSoftmaxMatchesScaleMaskSoftmaxCast) {
  torch::NoGradGuard no_grad;
  const int64_t batch = 2, kv_heads = 2, group = 3, tokens = 5, keys = 37;
  torch::Tensor scores = RandomBf16({batch, kv_heads, group * tokens, keys}, 8, 6.0);
  torch::Generator gen = at::detail::createCPUGenerator(9);
  torch::Tensor blocked = torch::rand({batch, 1, 1, tokens, keys}, gen) < 0.3;
  blocked.select(3, 0).fill_(true);  // one query sees nothing: NaN, as torch gives
  blocked.select(3, 0).select(0, 1).fill_(false);
  double scale = 0.125;
  torch::Tensor expected = scores.clone();
  expected.mul_(scale);
  expected.view({batch, kv_heads, group, tokens, keys})
      .masked_fill_(blocked, -std::numeric_limits<float>::infinity());
  expected = torch::softmax(expected, -1, torch::kFloat).to(torch::kBFloat16);
  torch::Tensor got = kernels::MaskedSoftmax(scores, blocked, scale);
  EXPECT_TRUE(torch::equal(got.isnan(), expected.isnan()));
  ExpectBf16Close(torch::nan_to_num(got, 0), torch::nan_to_num(expected, 0));
}

TEST(CpuKernelsTest, DecodeAttentionRefusesMoreThanOneTokenPerRow) {
  torch::NoGradGuard no_grad;
  torch::Tensor keys = RandomBf16({2, 1, 8, 16}, 1);
  EXPECT_THROW(kernels::DecodeAttention(RandomBf16({1, 2, 2, 16}, 2), keys, keys, {0}, {3}),
               c10::Error);
}

}  // namespace
}  // namespace zerorl::model
