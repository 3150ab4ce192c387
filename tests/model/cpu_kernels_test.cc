// The fused kernels against the ATen path of model/ (the same functions and modules with the
// kernels off): what the learner's forward runs on this processor and LibTorch, and so what
// the rollout must reproduce. Every kernel is run at every instruction-set level this
// processor has (scalar, avx2, avx512, avx512_bf16; the others are skipped, naming the missing
// features), in bf16 and float32, and against the other levels: AVX2 and AVX-512 agree to the
// bit, the scalar level (no FMA) too for RMSNorm and RoPE and to a last bit elsewhere.
#include "model/internal/cpu_kernels.h"

#include <gtest/gtest.h>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cmath>
#include <limits>

#include "model/attention.h"
#include "model/layers.h"
#include "model/rope.h"
#include "tests/testing/cpu_isa.h"

namespace zerorl::model {
namespace {

using core::CpuIsa;

torch::Tensor Random(std::vector<int64_t> shape, torch::ScalarType dtype, uint64_t seed,
                     double scale = 1.0) {
  torch::Generator gen = at::detail::createCPUGenerator(seed);
  return (torch::randn(shape, gen, torch::kFloat) * scale).to(dtype);
}

double FractionEqual(const torch::Tensor& a, const torch::Tensor& b) {
  return (a == b).to(torch::kFloat).mean().item<double>();
}

// The kernels round where the ATen ops round, so in bf16 they may differ only where exp's last
// bit or the summation order tips a bf16 rounding: at most one bf16 ulp, and rarely.
void ExpectBf16Close(const torch::Tensor& got, const torch::Tensor& expected) {
  ASSERT_EQ(got.sizes(), expected.sizes());
  ASSERT_EQ(got.scalar_type(), torch::kBFloat16);
  torch::Tensor g = got.to(torch::kFloat), e = expected.to(torch::kFloat);
  torch::Tensor ulp = e.abs().clamp_min(1e-6) * (1.0 / 128);
  EXPECT_TRUE(((g - e).abs() <= ulp + 1e-6).all().item<bool>())
      << "max difference " << (g - e).abs().max().item<float>();
  double exact = FractionEqual(g, e);
  EXPECT_GT(exact, 0.97) << "only " << exact << " of the values are bit-identical";
}

// Float32: |got - expected| <= rtol * |expected| + atol everywhere (their own exp and
// summation order against ATen's: a few ulp).
void ExpectF32Close(const torch::Tensor& got, const torch::Tensor& expected, double rtol,
                    double atol) {
  ASSERT_EQ(got.sizes(), expected.sizes());
  ASSERT_EQ(got.scalar_type(), torch::kFloat);
  torch::Tensor diff = (got - expected).abs();
  EXPECT_TRUE((diff <= expected.abs() * rtol + atol).all().item<bool>())
      << "max difference " << diff.max().item<float>() << ", max relative difference "
      << (diff / expected.abs().clamp_min(atol / rtol)).max().item<float>();
}

void ExpectBitIdentical(const torch::Tensor& got, const torch::Tensor& expected) {
  ASSERT_EQ(got.sizes(), expected.sizes());
  EXPECT_TRUE(torch::equal(got, expected))
      << (got != expected).sum().item<int64_t>() << " of " << got.numel() << " values differ";
}

TEST(CpuKernelsTest, AppliesToBf16AndFloat32CpuTensorsWithoutAutograd) {
  torch::Tensor x = Random({2, 4}, torch::kBFloat16, 1);
  EXPECT_FALSE(kernels::Applies(x));  // autograd on
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(kernels::Applies(x));
  EXPECT_TRUE(kernels::Applies(x.to(torch::kFloat)));
  EXPECT_FALSE(kernels::Applies(x.to(torch::kHalf)));
  EXPECT_FALSE(kernels::Applies(x.to(torch::kDouble)));
}

TEST(CpuKernelsTest, DefaultLevelIsTheBestThisCpuRuns) {
  EXPECT_EQ(kernels::DefaultIsa(), core::HostCpu().best_isa());
  EXPECT_EQ(::zerorl::testing::MissingCpuFeatures(kernels::DefaultIsa()), "");
}

TEST(CpuKernelsTest, ALevelThisCpuLacksIsRefused) {
  CpuIsa best = core::HostCpu().best_isa();
  if (best == CpuIsa::kAvx512Bf16) {
    GTEST_SKIP() << "this CPU runs every level (try ZERORL_CPU_ISA=avx2)";
  }
  torch::NoGradGuard no_grad;
  CpuIsa above = static_cast<CpuIsa>(static_cast<int>(best) + 1);
  try {
    kernels::SwiGlu(Random({2, 8}, torch::kFloat, 1), above);
    ADD_FAILURE() << "SwiGlu ran at " << core::CpuIsaName(above);
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what()).find(std::string(core::CpuIsaName(above)) +
                                         " was asked for, but this CPU runs at most " +
                                         core::CpuIsaName(best)),
              std::string::npos)
        << e.what();
  }
}

TEST(CpuKernelsTest, DecodeAttentionRefusesMoreThanOneTokenPerRow) {
  torch::NoGradGuard no_grad;
  torch::Tensor keys = Random({2, 1, 8, 16}, torch::kBFloat16, 1);
  EXPECT_THROW(
      kernels::DecodeAttention(Random({1, 2, 2, 16}, torch::kBFloat16, 2), keys, keys, {0}, {3}),
      c10::Error);
}

// One instantiation per level: CpuKernelsIsaTest.Name/scalar, .../avx2, .../avx512,
// .../avx512_bf16.
class CpuKernelsIsaTest : public ::testing::TestWithParam<CpuIsa> {
 protected:
  void SetUp() override { ZERORL_SKIP_UNLESS_CPU_RUNS(GetParam()); }
  CpuIsa isa() const { return GetParam(); }
};

// gate_up [B, T, 2n] with n = 70, not a lane multiple.
torch::Tensor GateUp(torch::ScalarType dtype) { return Random({3, 5, 2 * 70}, dtype, 2, 3.0); }

// MlpImpl's ATen ops.
torch::Tensor AtenSwiGlu(const torch::Tensor& gate_up) {
  int64_t n = gate_up.size(-1) / 2;
  return torch::silu(gate_up.narrow(-1, 0, n)) * gate_up.narrow(-1, n, n);
}

TEST_P(CpuKernelsIsaTest, SwiGluBf16MatchesSiluTimesUp) {
  torch::NoGradGuard no_grad;
  torch::Tensor gate_up = GateUp(torch::kBFloat16);
  ExpectBf16Close(kernels::SwiGlu(gate_up, isa()), AtenSwiGlu(gate_up));
}

TEST_P(CpuKernelsIsaTest, SwiGluFloat32MatchesSiluTimesUp) {
  torch::NoGradGuard no_grad;
  torch::Tensor gate_up = GateUp(torch::kFloat);
  ExpectF32Close(kernels::SwiGlu(gate_up, isa()), AtenSwiGlu(gate_up), 1e-6, 1e-7);
}

// 200: one pass of the four accumulators; 4100: cascade levels and a scalar tail. Many rows: a
// sum that is off in its last bit changes a bf16 output only once in ~2^15 values.
void ExpectRmsNormBitForBit(torch::ScalarType dtype, CpuIsa isa) {
  if (!kernels::RmsNormAvailable()) {
    GTEST_SKIP() << "this LibTorch adds up rows in another order than aten_sum_order.h: "
                    "RMSNorm keeps its ATen ops";
  }
  torch::NoGradGuard no_grad;
  for (int64_t d : {200, 4100}) {
    SCOPED_TRACE(d);
    RMSNorm norm(RMSNormOptions(d).eps(1e-6).tensor_options(dtype));
    norm->weight.copy_(Random({d}, dtype, 4));
    torch::Tensor x = Random({8, 1000000 / (8 * d), d}, dtype, 3, 2.0);
    torch::Tensor expected = norm(x);  // the ATen ops, what the learner's forward runs
    ExpectBitIdentical(kernels::RmsNorm(x, norm->weight, norm->eps, isa), expected);
  }
}

TEST_P(CpuKernelsIsaTest, RmsNormBf16EqualsTheModulesAtenPathBitForBit) {
  ExpectRmsNormBitForBit(torch::kBFloat16, isa());
}

TEST_P(CpuKernelsIsaTest, RmsNormFloat32EqualsTheModulesAtenPathBitForBit) {
  ExpectRmsNormBitForBit(torch::kFloat, isa());
}

void ExpectRopeBitForBit(torch::ScalarType dtype, CpuIsa isa) {
  if (!kernels::RopeAvailable(dtype)) {
    GTEST_SKIP() << "this LibTorch's float addcmul_ neither fuses nor rounds as probed: RoPE "
                    "keeps its ATen ops";
  }
  torch::NoGradGuard no_grad;
  const int64_t batch = 2, heads = 5;
  for (int64_t hd : {16, 64}) {      // halves of 8 (a vector tail) and 32 (whole vectors)
    for (int64_t tokens : {3, 1}) {  // a prefill chunk, a decode step
      SCOPED_TRACE(::testing::Message() << "hd " << hd << ", tokens " << tokens);
      // x as a view into a wider fused projection, the way attention hands it over (with one
      // token, view() may give the size-1 dim any stride).
      torch::Tensor fused = Random({batch, tokens, heads * hd + 32}, dtype, 10, 3.0);
      torch::Tensor x = fused.narrow(-1, 0, heads * hd).view({batch, tokens, heads, hd});
      torch::Tensor angles = Random({batch, tokens, 1, hd / 2}, torch::kFloat, 11, 2.0);
      RopeTables tables{torch::cat({angles.cos(), angles.cos()}, -1).to(dtype),
                        angles.sin().to(dtype)};
      torch::Tensor expected = ApplyRope(x, tables);
      ExpectBitIdentical(kernels::Rope(x, tables.cos, tables.sin, isa), expected);
    }
  }
}

TEST_P(CpuKernelsIsaTest, RopeBf16EqualsApplyRopesAtenPathBitForBit) {
  ExpectRopeBitForBit(torch::kBFloat16, isa());
}

TEST_P(CpuKernelsIsaTest, RopeFloat32EqualsApplyRopesAtenPathBitForBit) {
  ExpectRopeBitForBit(torch::kFloat, isa());
}

// Values [B, n_kv, hd, hd] = the identity: attention then returns its probabilities exactly
// (each output adds one probability and zeros), so tests can compare them.
torch::Tensor IdentityValues(int64_t batch, int64_t kv_heads, int64_t hd, torch::ScalarType dtype) {
  return torch::eye(hd).to(dtype).expand({batch, kv_heads, hd, hd});
}

// GroupedAttention's probabilities over hd keys, from the ATen path (identity values) and from
// the softmax kernel at `isa` on the same scores, both as [B, T, n_heads * hd]. hd = 32: a
// scale 1 / sqrt(hd) that bf16 cannot hold, which LibTorch 1.x's scores.mul_(scale) rounds to
// bf16 and later versions do not: the kernels must apply it as this LibTorch does.
std::pair<torch::Tensor, torch::Tensor> SoftmaxProbabilities(torch::ScalarType dtype, CpuIsa isa) {
  const int64_t batch = 2, kv_heads = 2, group = 3, tokens = 5, hd = 32;
  torch::Tensor q = Random({batch, tokens, kv_heads * group, hd}, dtype, 8, 2.0);
  torch::Tensor k = Random({batch, kv_heads, hd, hd}, dtype, 12, 2.0);  // hd keys
  torch::Generator gen = at::detail::createCPUGenerator(9);
  torch::Tensor blocked = torch::rand({batch, 1, 1, tokens, hd}, gen) < 0.3;
  blocked.select(3, 0).fill_(true);  // one query sees nothing: NaN, as torch gives
  blocked.select(3, 0).select(0, 1).fill_(false);
  torch::Tensor expected =
      GroupedAttention(q, k, IdentityValues(batch, kv_heads, hd, dtype), blocked);
  // GroupedAttention's own layout: its scores, and its output permutation.
  torch::Tensor qg = q.reshape({batch, tokens, kv_heads, group, hd})
                         .permute({0, 2, 3, 1, 4})
                         .reshape({batch, kv_heads, group * tokens, hd});
  torch::Tensor scores = torch::matmul(qg, k.transpose(-1, -2));  // [B, n_kv, g*T, L]
  torch::Tensor probs = kernels::MaskedSoftmax(scores, blocked, 1.0 / std::sqrt(32.0), isa);
  torch::Tensor got = probs.view({batch, kv_heads, group, tokens, hd})
                          .permute({0, 3, 1, 2, 4})
                          .reshape({batch, tokens, kv_heads * group * hd});
  EXPECT_TRUE(torch::equal(got.isnan(), expected.isnan()));
  return {torch::nan_to_num(got, 0), torch::nan_to_num(expected, 0)};
}

TEST_P(CpuKernelsIsaTest, MaskedSoftmaxBf16GivesGroupedAttentionsProbabilities) {
  torch::NoGradGuard no_grad;
  auto [got, expected] = SoftmaxProbabilities(torch::kBFloat16, isa());
  ExpectBf16Close(got, expected);
  EXPECT_GT(FractionEqual(got, expected), 0.999);
}

TEST_P(CpuKernelsIsaTest, MaskedSoftmaxFloat32GivesGroupedAttentionsProbabilities) {
  torch::NoGradGuard no_grad;
  auto [got, expected] = SoftmaxProbabilities(torch::kFloat, isa());
  ExpectF32Close(got, expected, 2e-6, 1e-8);
}

// Rows in non-consecutive slots with different lengths, as after sequences finished; each
// row's output against GroupedAttention over its slot. First with the identity as slot 4's
// first hd positions (row 0 then returns its probabilities), then with random values. Two
// shapes: 8 query heads on 2 kv heads with hd = 32 (a scale bf16 cannot hold), and 10 with
// hd = 72 (groups of 5: four queries at a time and one alone; 64-wide output blocks and a tail).
void ExpectDecodeAttentionMatches(torch::ScalarType dtype, CpuIsa isa, int64_t heads, int64_t hd) {
  torch::NoGradGuard no_grad;
  const int64_t slots = 6, kv_heads = 2, capacity = hd + 8;
  torch::Tensor keys = Random({slots, kv_heads, capacity, hd}, dtype, 5, 2.0);
  torch::Tensor values = Random({slots, kv_heads, capacity, hd}, dtype, 6);
  std::vector<int64_t> row_slots = {4, 1, 5}, lengths = {32, 1, 17};
  torch::Tensor q = Random({3, 1, heads, hd}, dtype, 7, 2.0);
  for (bool identity : {true, false}) {
    SCOPED_TRACE(identity ? "probabilities (identity values)" : "outputs");
    torch::Tensor v = values.clone();
    if (identity) v.narrow(0, 4, 1).narrow(2, 0, hd).copy_(IdentityValues(1, kv_heads, hd, dtype));
    torch::Tensor got = kernels::DecodeAttention(q, keys, v, row_slots, lengths, isa);
    ASSERT_EQ(got.sizes(), (std::vector<int64_t>{3, 1, heads * hd}));
    for (size_t b = identity ? 0 : 1; b < (identity ? 1 : row_slots.size()); ++b) {
      int64_t s = row_slots[b], length = lengths[b];
      torch::Tensor k = keys.narrow(0, s, 1).narrow(2, 0, length);  // [1, n_kv, L, hd]
      torch::Tensor vs = v.narrow(0, s, 1).narrow(2, 0, length);
      torch::Tensor blocked = torch::zeros({1, 1, 1, 1, length}, torch::kBool);
      torch::Tensor expected = GroupedAttention(q.narrow(0, b, 1), k, vs, blocked);
      SCOPED_TRACE(b);
      if (dtype == torch::kBFloat16) {
        ExpectBf16Close(got.narrow(0, b, 1), expected);
      } else {
        ExpectF32Close(got.narrow(0, b, 1), expected, 1e-5, 1e-5);
      }
    }
  }
}

void ExpectDecodeAttentionMatches(torch::ScalarType dtype, CpuIsa isa) {
  if (!kernels::DecodeAttentionAvailable(dtype)) {
    GTEST_SKIP() << "this LibTorch's bf16 matmul sums neither as oneDNN nor as its own gemm "
                    "does: decode steps keep GroupedAttention";
  }
  for (auto [heads, hd] : {std::pair<int64_t, int64_t>{8, 32}, {10, 72}}) {
    SCOPED_TRACE(::testing::Message() << heads << " heads, hd " << hd);
    ExpectDecodeAttentionMatches(dtype, isa, heads, hd);
  }
}

TEST_P(CpuKernelsIsaTest, DecodeAttentionBf16MatchesGroupedAttentionOverEachRowsSlot) {
  ExpectDecodeAttentionMatches(torch::kBFloat16, isa());
}

TEST_P(CpuKernelsIsaTest, DecodeAttentionFloat32MatchesGroupedAttentionOverEachRowsSlot) {
  ExpectDecodeAttentionMatches(torch::kFloat, isa());
}

// `got` from another level than `expected`: the same bits, or (same_bits false: one of the two
// levels has no FMA) as close as the kernels are to ATen in the tests above.
void ExpectSameLevelResult(const torch::Tensor& got, const torch::Tensor& expected, bool same_bits,
                           double rtol, double atol) {
  if (same_bits) {
    ExpectBitIdentical(got, expected);
  } else if (got.scalar_type() == torch::kBFloat16) {
    ExpectBf16Close(got, expected);
  } else {
    ExpectF32Close(got, expected, rtol, atol);
  }
}

// Every kernel at this level against every other level this CPU runs, on inputs with vector
// tails, masks and rows of different lengths.
TEST_P(CpuKernelsIsaTest, AgreesWithEveryOtherLevel) {
  torch::NoGradGuard no_grad;
  for (CpuIsa other : ::zerorl::testing::kCpuIsas) {
    if (!::zerorl::testing::MissingCpuFeatures(other).empty()) continue;
    // Kernels with their own exp or dot products: the same bits only where both levels have
    // FMA or neither has.
    const bool same_bits = (isa() >= CpuIsa::kAvx2) == (other >= CpuIsa::kAvx2);
    for (torch::ScalarType dtype : {torch::kBFloat16, torch::kFloat}) {
      SCOPED_TRACE(::testing::Message() << core::CpuIsaName(other) << ", " << dtype);
      torch::Tensor gate_up = Random({7, 2 * 101}, dtype, 20, 4.0);
      ExpectSameLevelResult(kernels::SwiGlu(gate_up, isa()), kernels::SwiGlu(gate_up, other),
                            same_bits, 1e-6, 1e-7);
      if (kernels::RmsNormAvailable()) {
        torch::Tensor x = Random({5, 333}, dtype, 21, 2.0), w = Random({333}, dtype, 22);
        ExpectBitIdentical(kernels::RmsNorm(x, w, 1e-6, isa()),
                           kernels::RmsNorm(x, w, 1e-6, other));
      }
      if (kernels::RopeAvailable(dtype)) {
        torch::Tensor x = Random({2, 3, 4, 24}, dtype, 23, 3.0);
        torch::Tensor cos = Random({2, 3, 1, 24}, dtype, 24),
                      sin = Random({2, 3, 1, 12}, dtype, 25);
        ExpectBitIdentical(kernels::Rope(x, cos, sin, isa()), kernels::Rope(x, cos, sin, other));
      }
      torch::Tensor scores = Random({2, 2, 3 * 4, 45}, dtype, 26, 3.0);
      torch::Tensor blocked =
          torch::rand({2, 1, 1, 4, 45}, at::detail::createCPUGenerator(27)) < 0.3;
      ExpectSameLevelResult(kernels::MaskedSoftmax(scores, blocked, 0.17, isa()).nan_to_num(0),
                            kernels::MaskedSoftmax(scores, blocked, 0.17, other).nan_to_num(0),
                            same_bits, 2e-6, 1e-8);
      if (kernels::DecodeAttentionAvailable(dtype)) {
        // Groups of 3 (one query at a time) with hd 40, of 5 (four and one) with hd 136 (two
        // 64-wide output blocks and a tail).
        for (auto [heads, hd] : {std::pair<int64_t, int64_t>{6, 40}, {10, 136}}) {
          torch::Tensor keys = Random({4, 2, 50, hd}, dtype, 28);
          torch::Tensor values = Random({4, 2, 50, hd}, dtype, 29);
          torch::Tensor q = Random({3, 1, heads, hd}, dtype, 30, 2.0);
          std::vector<int64_t> slots = {3, 0, 2}, lengths = {50, 1, 19};
          ExpectSameLevelResult(kernels::DecodeAttention(q, keys, values, slots, lengths, isa()),
                                kernels::DecodeAttention(q, keys, values, slots, lengths, other),
                                same_bits, 1e-5, 1e-5);
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Levels, CpuKernelsIsaTest,
                         ::testing::ValuesIn(::zerorl::testing::kCpuIsas),
                         ::zerorl::testing::CpuIsaTestName);

}  // namespace
}  // namespace zerorl::model
