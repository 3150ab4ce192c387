// Private: the full-vocabulary passes of the sampler, written so that the compiler vectorizes
// them (lane accumulators, a branch-free exp) and compiled for plain x86-64, AVX2 and AVX-512
// (row_kernel_table.h), the level picked at run time: by default the best this processor has
// (core::HostCpu(), so ZERORL_CPU_ISA lowers it; AVX512_BF16 runs the AVX-512 loops). AVX2 and
// AVX-512 give the same bits; the scalar level's exp may differ in a last bit. One call reads
// one logits row of float32 or bfloat16 values (the LM head's output dtype) and widens bfloat16
// to float32 on the fly, so no widened copy of the [N, V] logits is ever made.
#ifndef ZERORL_ROLLOUT_INTERNAL_ROW_KERNELS_H_
#define ZERORL_ROLLOUT_INTERNAL_ROW_KERNELS_H_

#include <cstdint>
#include <cstring>

#include "core/cpu_features.h"
#include "core/vector_math.h"

namespace zerorl::rollout::internal {

// Elements per block of ExpFill's block sums.
inline constexpr int64_t kExpBlock = 256;

// One row of logits: exactly one of f32 / bf16 is set (bf16 as raw bits).
struct LogitsRow {
  const float* f32 = nullptr;     // [size] float32
  const uint16_t* bf16 = nullptr;  // [size] bfloat16 bits
  int64_t size = 0;

  float At(int64_t i) const {
    return f32 != nullptr ? f32[i] : core::Bf16ToFloat(bf16[i]);
  }
};

// The level the passes run at when the caller names none: core::HostCpu().best_isa(). Asking
// for a level this processor lacks aborts with a message naming it (a programming error).
core::CpuIsa DefaultRowKernelIsa();

// max_i x_i (NaNs are skipped; -inf for an all-NaN row).
float RowMax(const LogitsRow& row, core::CpuIsa isa = DefaultRowKernelIsa());
// The first i with x_i == value, or -1.
int64_t FirstIndexOf(const LogitsRow& row, float value);
// sum_i exp((x_i - max) * inv_t), accumulated in float lanes per block and in double across
// blocks.
double ExpSum(const LogitsRow& row, float max, float inv_t,
              core::CpuIsa isa = DefaultRowKernelIsa());
// out[i] = exp((x_i - max) * inv_t) and block_sums[j] = the sum of out over block j
// (kExpBlock elements, the last block shorter); returns the sum of all blocks in double.
// out: [size] float32; block_sums: [ceil(size / kExpBlock)] float32.
double ExpFill(const LogitsRow& row, float max, float inv_t, float* out, float* block_sums,
               core::CpuIsa isa = DefaultRowKernelIsa());
// ExpFill without writing the values: only the block sums (a plain temperature draw then
// recomputes the one block it lands in with ExpRange instead of storing V floats per row).
double ExpBlockSums(const LogitsRow& row, float max, float inv_t, float* block_sums,
                    core::CpuIsa isa = DefaultRowKernelIsa());
// out[i - begin] = exp((x_i - max) * inv_t) for i in [begin, end): the bits ExpFill writes (and
// ExpBlockSums adds up) for those elements at the same level. out: [end - begin] float32.
void ExpRange(const LogitsRow& row, int64_t begin, int64_t end, float max, float inv_t,
              float* out, core::CpuIsa isa = DefaultRowKernelIsa());

using ::zerorl::core::FastExp;  // core/vector_math.h

}  // namespace zerorl::rollout::internal

#endif  // ZERORL_ROLLOUT_INTERNAL_ROW_KERNELS_H_
