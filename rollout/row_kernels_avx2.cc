// The sampler's row kernels compiled for AVX2 + FMA + F16C.
// The code is internal/row_kernels_body.inc; the flags come from cmake's zerorl_isa_sources.
#define ZERORL_ROW_KERNEL_TABLE kAvx2RowKernels
#include "rollout/internal/row_kernels_body.inc"
