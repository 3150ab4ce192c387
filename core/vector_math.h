// Scalar building blocks for CPU loops that the compiler vectorizes: a branch-free exp and the
// bfloat16 <-> float32 conversions. Used by the sampler's full-vocabulary passes
// (rollout/row_kernels*.cc) and the fused inference kernels (model/cpu_kernels*.cc).
//
// Every function here is `static inline`: internal linkage, so a copy that a translation unit
// compiled for AVX-512 (model/cpu_kernels_avx512.cc) emits out of line stays inside that unit.
// An ordinary inline function would become a weak symbol that the linker may pick for every
// caller, and a processor without AVX-512 would then die on its first call (SIGILL). The
// results are the same bits at every instruction-set level when the caller compiles with
// -ffp-contract=off (cmake: zerorl_isa_sources): no multiply-add is fused on one level and
// rounded twice on another.
#ifndef ZERORL_CORE_VECTOR_MATH_H_
#define ZERORL_CORE_VECTOR_MATH_H_

#include <cstdint>
#include <cstring>

namespace zerorl::core {

// exp(x) for x in [-87, 88] (clamped outside) to about 1 ulp: Cephes' expf, branch-free so
// that loops over it vectorize.
static inline float FastExp(float x) {
  x = x < -87.0f ? -87.0f : x;
  x = x > 88.0f ? 88.0f : x;
  // n = round(x / ln 2) by the 1.5 * 2^23 trick (round-to-nearest, no libm call).
  float n = x * 1.44269504088896341f + 12582912.0f;
  n -= 12582912.0f;
  float r = x - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  int32_t exponent = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &exponent, sizeof(scale));
  return p * scale;
}

static inline float Bf16ToFloat(uint16_t bits) {
  uint32_t wide = static_cast<uint32_t>(bits) << 16;
  float value;
  std::memcpy(&value, &wide, sizeof(value));
  return value;
}

// Round to nearest even, NaN kept a (quiet) NaN: what c10::BFloat16 does. Branch-free (the
// NaN case is a mask) so that loops storing bf16 vectorize.
static inline uint16_t FloatToBf16(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  uint32_t rounded = (bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16;
  uint32_t nan = 0u - static_cast<uint32_t>((bits & 0x7fffffffu) > 0x7f800000u);  // all ones
  return static_cast<uint16_t>((rounded & ~nan) | (0x7fc0u & nan));
}

// The float32 value a bfloat16 rounding of `value` holds.
static inline float RoundToBf16(float value) { return Bf16ToFloat(FloatToBf16(value)); }

}  // namespace zerorl::core

#endif  // ZERORL_CORE_VECTOR_MATH_H_
