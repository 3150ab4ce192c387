// Private: the sampler's full-vocabulary passes as raw-pointer loops, one table per
// instruction-set level, each defined by one translation unit compiled for its level (cmake:
// zerorl_isa_sources): row_kernels_scalar.cc (plain x86-64), row_kernels_avx2.cc (AVX2 + FMA),
// row_kernels_avx512.cc (AVX-512 F/BW/VL/DQ). They compile the same code
// (row_kernels_body.inc) with -ffp-contract=off and fixed lane accumulators: AVX2 and AVX-512
// give the same bits; the scalar level's exp (no FMA, core::MulAdd) may differ in a last bit.
// row_kernels.cc picks the table; the rules for the per-ISA files are model's
// (model/internal/kernel_table.h): nothing with external linkage but the table.
#ifndef ZERORL_ROLLOUT_INTERNAL_ROW_KERNEL_TABLE_H_
#define ZERORL_ROLLOUT_INTERNAL_ROW_KERNEL_TABLE_H_

#include <cstdint>

namespace zerorl::rollout::internal {

// What row_kernels.h's functions compute, for float32 rows and bf16 rows (raw bits).
struct RowKernelTable {
  float (*max_f32)(const float* x, int64_t n);
  float (*max_bf16)(const uint16_t* x, int64_t n);
  double (*exp_sum_f32)(const float* x, int64_t n, float max, float inv_t);
  double (*exp_sum_bf16)(const uint16_t* x, int64_t n, float max, float inv_t);
  double (*exp_fill_f32)(const float* x, int64_t n, float max, float inv_t, float* out,
                         float* block_sums);
  double (*exp_fill_bf16)(const uint16_t* x, int64_t n, float max, float inv_t, float* out,
                          float* block_sums);
  double (*exp_block_sums_f32)(const float* x, int64_t n, float max, float inv_t,
                               float* block_sums);
  double (*exp_block_sums_bf16)(const uint16_t* x, int64_t n, float max, float inv_t,
                                float* block_sums);
};

extern const RowKernelTable kScalarRowKernels;
#if defined(ZERORL_X86_KERNELS)
extern const RowKernelTable kAvx2RowKernels;
extern const RowKernelTable kAvx512RowKernels;
#endif

}  // namespace zerorl::rollout::internal

#endif  // ZERORL_ROLLOUT_INTERNAL_ROW_KERNEL_TABLE_H_
