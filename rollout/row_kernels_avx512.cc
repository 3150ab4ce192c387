// The sampler's row kernels compiled for AVX-512 F/BW/VL/DQ (also run on AVX512_BF16 CPUs).
// The code is internal/row_kernels_body.inc; the flags come from cmake's zerorl_isa_sources.
#define ZERORL_ROW_KERNEL_TABLE kAvx512RowKernels
#include "rollout/internal/row_kernels_body.inc"
