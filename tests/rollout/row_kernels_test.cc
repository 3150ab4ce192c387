// The sampler's full-vocabulary passes at every instruction-set level this processor has
// (scalar, avx2, avx512, avx512_bf16; the others are skipped, naming the missing features):
// against plain double-precision loops, against ExpRange (which the sampler uses to recompute
// one block), and against the other levels: AVX2 and AVX-512 to the bit, the scalar level (no
// FMA in its exp) to a few ulp.
#include "rollout/internal/row_kernels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "tests/testing/cpu_isa.h"

namespace zerorl::rollout::internal {
namespace {

using core::CpuIsa;

// A row of `n` logits in both storage types: f32 holds exactly the bf16 values, so the two
// give the same answers. n = 1000: not a multiple of 16 lanes nor of kExpBlock.
struct Rows {
  std::vector<float> f32;
  std::vector<uint16_t> bf16;
  LogitsRow F32() const { return {f32.data(), nullptr, static_cast<int64_t>(f32.size())}; }
  LogitsRow Bf16() const { return {nullptr, bf16.data(), static_cast<int64_t>(bf16.size())}; }
};

Rows RandomRows(int64_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> normal(0.0f, 4.0f);
  Rows rows;
  for (int64_t i = 0; i < n; ++i) {
    rows.bf16.push_back(core::FloatToBf16(normal(gen)));
    rows.f32.push_back(core::Bf16ToFloat(rows.bf16.back()));
  }
  return rows;
}

class RowKernelsIsaTest : public ::testing::TestWithParam<CpuIsa> {
 protected:
  void SetUp() override { ZERORL_SKIP_UNLESS_CPU_RUNS(GetParam()); }
  CpuIsa isa() const { return GetParam(); }
};

TEST_P(RowKernelsIsaTest, RowMaxIsTheLargestValueAndSkipsNaNs) {
  Rows rows = RandomRows(1000, 1);
  rows.f32[17] = 30.0f;  // the maximum, inside a lane group
  rows.bf16[17] = core::FloatToBf16(30.0f);
  rows.f32[999] = std::numeric_limits<float>::quiet_NaN();  // in the scalar tail
  rows.f32[32] = std::numeric_limits<float>::quiet_NaN();   // in a lane group
  rows.bf16[999] = rows.bf16[32] = 0x7fc0;
  EXPECT_EQ(RowMax(rows.F32(), isa()), 30.0f);
  EXPECT_EQ(RowMax(rows.Bf16(), isa()), 30.0f);
  std::vector<float> nans(40, std::numeric_limits<float>::quiet_NaN());
  EXPECT_EQ(RowMax({nans.data(), nullptr, 40}, isa()), -std::numeric_limits<float>::infinity());
}

TEST_P(RowKernelsIsaTest, ExpSumsAreTheSumOfExpsInDouble) {
  Rows rows = RandomRows(1000, 2);
  for (float inv_t : {1.0f, 1.0f / 0.7f}) {
    SCOPED_TRACE(inv_t);
    float max = RowMax(rows.F32(), isa());
    double expected = 0.0;
    for (float x : rows.f32) expected += std::exp(static_cast<double>((x - max) * inv_t));
    EXPECT_NEAR(ExpSum(rows.F32(), max, inv_t, isa()), expected, expected * 1e-6);
    EXPECT_EQ(ExpSum(rows.Bf16(), max, inv_t, isa()), ExpSum(rows.F32(), max, inv_t, isa()));
  }
}

// ExpFill's values are ExpRange's bits wherever the range starts (DrawPlain recomputes a block
// with it) and exp's to 2 ulp, its block sums are ExpBlockSums', and its total is the sum of
// its blocks.
TEST_P(RowKernelsIsaTest, ExpFillGivesExpRangesBitsAndTheBlockSums) {
  Rows rows = RandomRows(1000, 3);
  const float max = RowMax(rows.F32(), isa()), inv_t = 1.0f / 0.7f;
  const int64_t blocks = (1000 + kExpBlock - 1) / kExpBlock;
  for (const LogitsRow& row : {rows.F32(), rows.Bf16()}) {
    SCOPED_TRACE(row.f32 != nullptr ? "float32" : "bf16");
    std::vector<float> out(1000), sums(blocks), only_sums(blocks), range(300);
    double total = ExpFill(row, max, inv_t, out.data(), sums.data(), isa());
    EXPECT_EQ(ExpBlockSums(row, max, inv_t, only_sums.data(), isa()), total);
    EXPECT_EQ(sums, only_sums);
    double block_total = 0.0;
    for (float s : sums) block_total += s;
    EXPECT_EQ(total, block_total);
    ExpRange(row, 257, 557, max, inv_t, range.data(), isa());  // not aligned to lanes or blocks
    EXPECT_EQ(range, std::vector<float>(out.begin() + 257, out.begin() + 557));
    for (int64_t i = 0; i < 1000; ++i) {
      double exact = std::exp(static_cast<double>((row.At(i) - max) * inv_t));
      ASSERT_NEAR(out[i], exact, exact * 2.5e-7) << i;
    }
  }
}

// Against every other level this CPU runs: the same bits where both have FMA (AVX2, AVX-512)
// or neither does; otherwise the same maximum and exps within a few ulp.
TEST_P(RowKernelsIsaTest, AgreesWithEveryOtherLevel) {
  Rows rows = RandomRows(4099, 4);
  const float inv_t = 1.3f;
  for (CpuIsa other : ::zerorl::testing::kCpuIsas) {
    if (!::zerorl::testing::MissingCpuFeatures(other).empty()) continue;
    const bool same_bits = (isa() >= CpuIsa::kAvx2) == (other >= CpuIsa::kAvx2);
    for (const LogitsRow& row : {rows.F32(), rows.Bf16()}) {
      SCOPED_TRACE(::testing::Message()
                   << core::CpuIsaName(other) << ", " << (row.f32 != nullptr ? "float32" : "bf16"));
      float max = RowMax(row, isa());
      EXPECT_EQ(max, RowMax(row, other));
      const int64_t blocks = (row.size + kExpBlock - 1) / kExpBlock;
      std::vector<float> out(row.size), sums(blocks), other_out(row.size), other_sums(blocks);
      double total = ExpFill(row, max, inv_t, out.data(), sums.data(), isa());
      double other_total = ExpFill(row, max, inv_t, other_out.data(), other_sums.data(), other);
      if (same_bits) {
        EXPECT_EQ(total, other_total);
        EXPECT_EQ(out, other_out);
        EXPECT_EQ(sums, other_sums);
        EXPECT_EQ(ExpSum(row, max, inv_t, isa()), ExpSum(row, max, inv_t, other));
      } else {
        EXPECT_NEAR(total, other_total, total * 1e-6);
        for (int64_t i = 0; i < row.size; ++i) {
          ASSERT_NEAR(out[i], other_out[i], out[i] * 3e-7) << i;
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Levels, RowKernelsIsaTest,
                         ::testing::ValuesIn(::zerorl::testing::kCpuIsas),
                         ::zerorl::testing::CpuIsaTestName);

TEST(RowKernelsTest, FirstIndexOfFindsTheFirstEqualValue) {
  Rows rows = RandomRows(100, 5);
  rows.f32[40] = rows.f32[70] = 9.0f;
  rows.bf16[40] = rows.bf16[70] = core::FloatToBf16(9.0f);
  EXPECT_EQ(FirstIndexOf(rows.F32(), 9.0f), 40);
  EXPECT_EQ(FirstIndexOf(rows.Bf16(), 9.0f), 40);
  EXPECT_EQ(FirstIndexOf(rows.F32(), 123.0f), -1);
}

TEST(RowKernelsTest, DefaultLevelIsTheBestThisCpuRuns) {
  EXPECT_EQ(DefaultRowKernelIsa(), core::HostCpu().best_isa());
}

}  // namespace
}  // namespace zerorl::rollout::internal
