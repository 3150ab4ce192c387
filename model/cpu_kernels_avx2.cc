// The fused CPU kernels compiled for AVX2 + FMA + F16C (Haswell, Zen 1 and later).
// The code is cpu_kernels_body.inc; the flags come from cmake's zerorl_isa_sources.
#define ZERORL_KERNEL_TABLE kAvx2Kernels
#include "model/internal/cpu_kernels_body.inc"
