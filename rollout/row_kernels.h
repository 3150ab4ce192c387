// Private: the full-vocabulary passes of the sampler, written so that the compiler vectorizes
// them (lane accumulators, a branch-free exp) and built for several x86 ISAs with the best one
// picked at load time. One call reads one logits row of float32 or bfloat16 values (the LM
// head's output dtype) and widens bfloat16 to float32 on the fly, so no widened copy of the
// [N, V] logits is ever made.
#ifndef ZERORL_ROLLOUT_ROW_KERNELS_H_
#define ZERORL_ROLLOUT_ROW_KERNELS_H_

#include <cstdint>
#include <cstring>

namespace zerorl::rollout::internal {

// Elements per block of ExpFill's block sums.
inline constexpr int64_t kExpBlock = 256;

// One row of logits: exactly one of f32 / bf16 is set (bf16 as raw bits).
struct LogitsRow {
  const float* f32 = nullptr;     // [size] float32
  const uint16_t* bf16 = nullptr;  // [size] bfloat16 bits
  int64_t size = 0;

  float At(int64_t i) const {
    if (f32 != nullptr) return f32[i];
    uint32_t bits = static_cast<uint32_t>(bf16[i]) << 16;
    float value;
    std::memcpy(&value, &bits, sizeof(value));
    return value;
  }
};

// max_i x_i (NaNs are skipped; -inf for an all-NaN row).
float RowMax(const LogitsRow& row);
// The first i with x_i == value, or -1.
int64_t FirstIndexOf(const LogitsRow& row, float value);
// sum_i exp((x_i - max) * inv_t), accumulated in float lanes per block and in double across
// blocks.
double ExpSum(const LogitsRow& row, float max, float inv_t);
// out[i] = exp((x_i - max) * inv_t) and block_sums[j] = the sum of out over block j
// (kExpBlock elements, the last block shorter); returns the sum of all blocks in double.
// out: [size] float32; block_sums: [ceil(size / kExpBlock)] float32.
double ExpFill(const LogitsRow& row, float max, float inv_t, float* out, float* block_sums);

// exp(x) for x in [-87, 88] (clamped outside) to about 1 ulp: Cephes' expf, branch-free so
// that loops over it vectorize.
inline float FastExp(float x) {
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

}  // namespace zerorl::rollout::internal

#endif  // ZERORL_ROLLOUT_ROW_KERNELS_H_
