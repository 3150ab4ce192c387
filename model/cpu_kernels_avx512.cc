// The fused CPU kernels compiled for AVX-512 F/BW/VL/DQ with AVX2 (Skylake-SP, Zen 4 and
// later). AVX512_BF16 processors run these too: no kernel here uses the bf16 instructions
// (VCVTNEPS2BF16 flushes denormals, where ATen's rounding keeps them).
// The code is cpu_kernels_body.inc; the flags come from cmake's zerorl_isa_sources.
#define ZERORL_KERNEL_TABLE kAvx512Kernels
#include "model/internal/cpu_kernels_body.inc"
