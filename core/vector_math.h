// Scalar building blocks for CPU loops that the compiler vectorizes: a branch-free exp, a
// multiply-add, and the bfloat16 <-> float32 conversions. Used by the sampler's full-vocabulary
// passes (rollout/row_kernels*.cc) and the fused inference kernels (model/cpu_kernels*.cc).
//
// Every function here is `static inline`: internal linkage, so a copy that a translation unit
// compiled for AVX-512 (model/cpu_kernels_avx512.cc) emits out of line stays inside that unit.
// An ordinary inline function would become a weak symbol that the linker may pick for every
// caller, and a processor without AVX-512 would then die on its first call (SIGILL).
//
// Bits: callers compile with -ffp-contract=off (cmake: zerorl_isa_sources), so the compiler
// fuses nothing by itself; MulAdd fuses where the translation unit has FMA (__FMA__: the AVX2
// and AVX-512 levels) and rounds twice elsewhere (the scalar level, and baseline code such as
// sampler.cc). So MulAdd and FastExp give the same bits at AVX2 and AVX-512, and may differ in
// the last bit at the scalar level.
#ifndef ZERORL_CORE_VECTOR_MATH_H_
#define ZERORL_CORE_VECTOR_MATH_H_

#include <cstdint>
#include <cstring>

namespace zerorl::core {

// c ? a : b as bit masks: GCC 12 will not vectorize a loop whose float clamps (x < lo ? lo : x)
// are followed by more arithmetic for AVX2 ("control flow in loop"); it does this.
static inline float Select(bool c, float a, float b) {
  uint32_t mask = 0u - static_cast<uint32_t>(c), bits_a, bits_b;
  std::memcpy(&bits_a, &a, sizeof(bits_a));
  std::memcpy(&bits_b, &b, sizeof(bits_b));
  uint32_t bits = (bits_a & mask) | (bits_b & ~mask);
  float out;
  std::memcpy(&out, &bits, sizeof(out));
  return out;
}

// a * b + c, rounded once where this translation unit has FMA (see above), else twice.
static inline float MulAdd(float a, float b, float c) {
#if defined(__FMA__)
  return __builtin_fmaf(a, b, c);
#else
  return a * b + c;
#endif
}

// exp(x) for x in [-87, 88] (clamped outside; NaN stays NaN) to about 1 ulp: Cephes' expf,
// branch-free so that loops over it vectorize.
static inline float FastExp(float x) {
#if defined(__AVX512F__)
  x = x < -87.0f ? -87.0f : x;  // the same values; AVX-512's masks vectorize these a bit faster
  x = x > 88.0f ? 88.0f : x;
#else
  x = Select(x < -87.0f, -87.0f, x);
  x = Select(x > 88.0f, 88.0f, x);
#endif
  // n = round(x / ln 2) by the 1.5 * 2^23 trick (round-to-nearest, no libm call).
  float n = MulAdd(x, 1.44269504088896341f, 12582912.0f);
  n -= 12582912.0f;
  float r = MulAdd(-n, 0.693359375f, x);  // n * 0.693359375 is exact: fused or not, the same
  r = MulAdd(-n, -2.12194440e-4f, r);
  float p = 1.9875691500e-4f;
  p = MulAdd(p, r, 1.3981999507e-3f);
  p = MulAdd(p, r, 8.3334519073e-3f);
  p = MulAdd(p, r, 4.1665795894e-2f);
  p = MulAdd(p, r, 1.6666665459e-1f);
  p = MulAdd(p, r, 5.0000001201e-1f);
  p = MulAdd(p * r, r, r) + 1.0f;
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
