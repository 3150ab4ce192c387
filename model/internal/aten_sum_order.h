// Private: the order in which ATen's CPU sum adds up a contiguous float row, so that a fused
// kernel's row sum is bit-identical to at::sum's (float addition is not associative: another
// order changes the last bits, and those tip bf16 roundings downstream).
//
// ATen (ReduceOps/SumKernel.cpp, cascade_sum -> vectorized_inner_sum -> row_sum): the row is
// read as vectors of W floats (W = 8 for its DEFAULT and AVX2 builds, 16 for AVX512); four
// vector accumulators take vectors 4i .. 4i+3 side by side ("ilp"), and every 2^level_power
// of those steps the accumulators are folded into the next of four cascade levels. Then the
// levels fold down, the vectors left over after the last group of four go into accumulator 0,
// accumulators 1..3 go into accumulator 0, and the scalar sum starts from the elements after
// the last whole vector and adds the W lanes in order.
//
// W depends on which of its kernels LibTorch runs (ATEN_CPU_CAPABILITY, i.e. the CPU): the fused
// kernels find it once by comparing with at::sum (cpu_kernels.cc), whatever their own ISA.
// Self-contained and of internal linkage (no std:: calls), so that the per-ISA kernel files may
// include it (see core/vector_math.h on weak symbols).
#ifndef ZERORL_MODEL_INTERNAL_ATEN_SUM_ORDER_H_
#define ZERORL_MODEL_INTERNAL_ATEN_SUM_ORDER_H_

#include <cstdint>

namespace zerorl::model {

// Sum of load(0) .. load(n - 1) (floats) in ATen's order for W-lane vectors.
template <int W, typename Load>
static inline float AtenOrderSum(int64_t n, const Load& load) {
  constexpr int kIlp = 4, kLevels = 4;
  const int64_t vectors = n / W;
  const int64_t steps = vectors / kIlp;  // groups of kIlp vectors
  int64_t ceil_log2 = 0;
  while ((int64_t{1} << ceil_log2) < steps) ++ceil_log2;
  const int64_t level_power = ceil_log2 / kLevels > 4 ? ceil_log2 / kLevels : 4;
  const int64_t level_step = int64_t{1} << level_power;
  const int64_t level_mask = level_step - 1;
  float acc[kLevels][kIlp][W] = {};
  auto add_step = [&](int64_t step) {
    for (int k = 0; k < kIlp; ++k) {
      const int64_t base = (step * kIlp + k) * W;
      for (int l = 0; l < W; ++l) acc[0][k][l] += load(base + l);
    }
  };
  int64_t i = 0;
  while (i + level_step <= steps) {
    for (int64_t j = 0; j < level_step; ++j, ++i) add_step(i);
    for (int level = 1; level < kLevels; ++level) {
      for (int k = 0; k < kIlp; ++k) {
        for (int l = 0; l < W; ++l) {
          acc[level][k][l] += acc[level - 1][k][l];
          acc[level - 1][k][l] = 0.0f;
        }
      }
      if ((i & (level_mask << (level * level_power))) != 0) break;
    }
  }
  for (; i < steps; ++i) add_step(i);
  for (int level = 1; level < kLevels; ++level) {
    for (int k = 0; k < kIlp; ++k) {
      for (int l = 0; l < W; ++l) acc[0][k][l] += acc[level][k][l];
    }
  }
  for (int64_t v = steps * kIlp; v < vectors; ++v) {
    for (int l = 0; l < W; ++l) acc[0][0][l] += load(v * W + l);
  }
  for (int k = 1; k < kIlp; ++k) {
    for (int l = 0; l < W; ++l) acc[0][0][l] += acc[0][k][l];
  }
  float sum = 0.0f;
  for (int64_t e = vectors * W; e < n; ++e) sum += load(e);
  for (int l = 0; l < W; ++l) sum += acc[0][0][l];
  return sum;
}

}  // namespace zerorl::model

#endif  // ZERORL_MODEL_INTERNAL_ATEN_SUM_ORDER_H_
