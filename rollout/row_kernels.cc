#include "rollout/internal/row_kernels.h"

#include <algorithm>
#include <limits>

#define ZERORL_ROW_KERNEL ZERORL_VECTOR_KERNEL  // core/vector_math.h

namespace zerorl::rollout::internal {
namespace {

constexpr int kLanes = 16;

template <typename T>
inline float Load(const T* x, int64_t i) {
  if constexpr (sizeof(T) == 2) {
    return core::Bf16ToFloat(x[i]);
  } else {
    return x[i];
  }
}

template <typename T>
inline float MaxImpl(const T* x, int64_t n) {
  float lanes[kLanes];
  for (float& lane : lanes) lane = -std::numeric_limits<float>::infinity();
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int l = 0; l < kLanes; ++l) {
      float v = Load(x, i + l);
      lanes[l] = v > lanes[l] ? v : lanes[l];
    }
  }
  float best = -std::numeric_limits<float>::infinity();
  for (; i < n; ++i) best = std::max(best, Load(x, i));
  for (float lane : lanes) best = std::max(best, lane);
  return best;
}

template <typename T>
inline int64_t FirstIndexImpl(const T* x, int64_t n, float value) {
  for (int64_t i = 0; i < n; ++i) {
    if (Load(x, i) == value) return i;
  }
  return -1;
}

// Sum of exp over [begin, end), in lanes; writes the values to out when out != nullptr.
template <typename T, bool kStore>
inline float ExpBlock(const T* x, int64_t begin, int64_t end, float max, float inv_t,
                      float* out) {
  float lanes[kLanes] = {};
  int64_t i = begin;
  for (; i + kLanes <= end; i += kLanes) {
    for (int l = 0; l < kLanes; ++l) {
      float e = core::FastExp((Load(x, i + l) - max) * inv_t);
      if constexpr (kStore) out[i + l] = e;
      lanes[l] += e;
    }
  }
  float sum = 0.0f;
  for (; i < end; ++i) {
    float e = core::FastExp((Load(x, i) - max) * inv_t);
    if constexpr (kStore) out[i] = e;
    sum += e;
  }
  for (float lane : lanes) sum += lane;
  return sum;
}

template <typename T>
inline double ExpSumImpl(const T* x, int64_t n, float max, float inv_t) {
  double total = 0.0;
  for (int64_t b = 0; b < n; b += kExpBlock) {
    total += ExpBlock<T, false>(x, b, std::min(n, b + kExpBlock), max, inv_t, nullptr);
  }
  return total;
}

template <typename T, bool kStore = true>
inline double ExpFillImpl(const T* x, int64_t n, float max, float inv_t, float* out,
                          float* block_sums) {
  double total = 0.0;
  for (int64_t b = 0; b < n; b += kExpBlock) {
    float s = ExpBlock<T, kStore>(x, b, std::min(n, b + kExpBlock), max, inv_t, out);
    block_sums[b / kExpBlock] = s;
    total += s;
  }
  return total;
}

ZERORL_ROW_KERNEL float MaxF32(const float* x, int64_t n) { return MaxImpl(x, n); }
ZERORL_ROW_KERNEL float MaxBf16(const uint16_t* x, int64_t n) { return MaxImpl(x, n); }
ZERORL_ROW_KERNEL double ExpSumF32(const float* x, int64_t n, float max, float inv_t) {
  return ExpSumImpl(x, n, max, inv_t);
}
ZERORL_ROW_KERNEL double ExpSumBf16(const uint16_t* x, int64_t n, float max, float inv_t) {
  return ExpSumImpl(x, n, max, inv_t);
}
ZERORL_ROW_KERNEL double ExpFillF32(const float* x, int64_t n, float max, float inv_t,
                                    float* out, float* block_sums) {
  return ExpFillImpl(x, n, max, inv_t, out, block_sums);
}
ZERORL_ROW_KERNEL double ExpFillBf16(const uint16_t* x, int64_t n, float max, float inv_t,
                                     float* out, float* block_sums) {
  return ExpFillImpl(x, n, max, inv_t, out, block_sums);
}
ZERORL_ROW_KERNEL double ExpBlockSumsF32(const float* x, int64_t n, float max, float inv_t,
                                         float* block_sums) {
  return ExpFillImpl<float, false>(x, n, max, inv_t, nullptr, block_sums);
}
ZERORL_ROW_KERNEL double ExpBlockSumsBf16(const uint16_t* x, int64_t n, float max, float inv_t,
                                          float* block_sums) {
  return ExpFillImpl<uint16_t, false>(x, n, max, inv_t, nullptr, block_sums);
}

}  // namespace

float RowMax(const LogitsRow& row) {
  return row.f32 != nullptr ? MaxF32(row.f32, row.size) : MaxBf16(row.bf16, row.size);
}

int64_t FirstIndexOf(const LogitsRow& row, float value) {
  return row.f32 != nullptr ? FirstIndexImpl(row.f32, row.size, value)
                            : FirstIndexImpl(row.bf16, row.size, value);
}

double ExpSum(const LogitsRow& row, float max, float inv_t) {
  return row.f32 != nullptr ? ExpSumF32(row.f32, row.size, max, inv_t)
                            : ExpSumBf16(row.bf16, row.size, max, inv_t);
}

double ExpFill(const LogitsRow& row, float max, float inv_t, float* out, float* block_sums) {
  return row.f32 != nullptr ? ExpFillF32(row.f32, row.size, max, inv_t, out, block_sums)
                            : ExpFillBf16(row.bf16, row.size, max, inv_t, out, block_sums);
}

double ExpBlockSums(const LogitsRow& row, float max, float inv_t, float* block_sums) {
  return row.f32 != nullptr ? ExpBlockSumsF32(row.f32, row.size, max, inv_t, block_sums)
                            : ExpBlockSumsBf16(row.bf16, row.size, max, inv_t, block_sums);
}

}  // namespace zerorl::rollout::internal
