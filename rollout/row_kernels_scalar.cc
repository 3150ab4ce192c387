// The sampler's row kernels compiled for plain x86-64 (SSE2): every x86-64 processor.
// The code is internal/row_kernels_body.inc; the flags come from cmake's zerorl_isa_sources.
#define ZERORL_ROW_KERNEL_TABLE kScalarRowKernels
#include "rollout/internal/row_kernels_body.inc"
