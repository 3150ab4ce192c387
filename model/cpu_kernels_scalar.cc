// The fused CPU kernels compiled for plain x86-64 (SSE2): every x86-64 processor.
// The code is cpu_kernels_body.inc; the flags come from cmake's zerorl_isa_sources.
#define ZERORL_KERNEL_TABLE kScalarKernels
#include "model/internal/cpu_kernels_body.inc"
