// The sampler's row kernels: the table of the requested instruction-set level
// (row_kernel_table.h), and FirstIndexOf, which stops at its first hit and is not worth
// vectorizing.
#include "rollout/internal/row_kernels.h"

#include <cstdio>
#include <cstdlib>

#include "rollout/internal/row_kernel_table.h"

namespace zerorl::rollout::internal {
namespace {

static_assert(kExpBlock == 256, "row_kernels_body.inc's kBlock");

const RowKernelTable& Table(core::CpuIsa isa) {
  const core::CpuFeatures& cpu = core::HostCpu();
  if (isa > cpu.best_isa()) {
    std::fprintf(stderr,
                 "sampler row kernels: %s was asked for, but this CPU runs at most %s (%s)\n",
                 core::CpuIsaName(isa), core::CpuIsaName(cpu.best_isa()), cpu.Describe().c_str());
    std::abort();
  }
#if defined(ZERORL_X86_KERNELS)
  if (isa >= core::CpuIsa::kAvx512) return kAvx512RowKernels;  // AVX512_BF16 too
  if (isa == core::CpuIsa::kAvx2) return kAvx2RowKernels;
#endif
  return kScalarRowKernels;
}

template <typename T>
int64_t FirstIndex(const T* x, int64_t n, float value) {
  for (int64_t i = 0; i < n; ++i) {
    float v;
    if constexpr (sizeof(T) == 2) {
      v = core::Bf16ToFloat(x[i]);
    } else {
      v = x[i];
    }
    if (v == value) return i;
  }
  return -1;
}

}  // namespace

core::CpuIsa DefaultRowKernelIsa() { return core::HostCpu().best_isa(); }

float RowMax(const LogitsRow& row, core::CpuIsa isa) {
  const RowKernelTable& k = Table(isa);
  return row.f32 != nullptr ? k.max_f32(row.f32, row.size) : k.max_bf16(row.bf16, row.size);
}

int64_t FirstIndexOf(const LogitsRow& row, float value) {
  return row.f32 != nullptr ? FirstIndex(row.f32, row.size, value)
                            : FirstIndex(row.bf16, row.size, value);
}

double ExpSum(const LogitsRow& row, float max, float inv_t, core::CpuIsa isa) {
  const RowKernelTable& k = Table(isa);
  return row.f32 != nullptr ? k.exp_sum_f32(row.f32, row.size, max, inv_t)
                            : k.exp_sum_bf16(row.bf16, row.size, max, inv_t);
}

double ExpFill(const LogitsRow& row, float max, float inv_t, float* out, float* block_sums,
               core::CpuIsa isa) {
  const RowKernelTable& k = Table(isa);
  return row.f32 != nullptr ? k.exp_fill_f32(row.f32, row.size, max, inv_t, out, block_sums)
                            : k.exp_fill_bf16(row.bf16, row.size, max, inv_t, out, block_sums);
}

void ExpRange(const LogitsRow& row, int64_t begin, int64_t end, float max, float inv_t,
              float* out, core::CpuIsa isa) {
  const RowKernelTable& k = Table(isa);
  for (int64_t b = begin; b < end; b += kExpBlock) {  // block sums of this range, unused
    float sum;
    int64_t n = end - b < kExpBlock ? end - b : kExpBlock;
    if (row.f32 != nullptr) {
      k.exp_fill_f32(row.f32 + b, n, max, inv_t, out + (b - begin), &sum);
    } else {
      k.exp_fill_bf16(row.bf16 + b, n, max, inv_t, out + (b - begin), &sum);
    }
  }
}

double ExpBlockSums(const LogitsRow& row, float max, float inv_t, float* block_sums,
                    core::CpuIsa isa) {
  const RowKernelTable& k = Table(isa);
  return row.f32 != nullptr ? k.exp_block_sums_f32(row.f32, row.size, max, inv_t, block_sums)
                            : k.exp_block_sums_bf16(row.bf16, row.size, max, inv_t, block_sums);
}

}  // namespace zerorl::rollout::internal
