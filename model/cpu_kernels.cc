#include "model/internal/cpu_kernels.h"

#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>
#include <torch/version.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "core/vector_math.h"
#include "model/internal/aten_sum_order.h"

namespace zerorl::model::kernels {
namespace {

constexpr int kLanes = 16;

const uint16_t* Bits(const at::Tensor& t) {
  return reinterpret_cast<const uint16_t*>(t.data_ptr<at::BFloat16>());
}
uint16_t* MutableBits(at::Tensor& t) {
  return reinterpret_cast<uint16_t*>(t.data_ptr<at::BFloat16>());
}

// Rows per parallel task so that each task has some ~32k elements of work.
int64_t Grain(int64_t row_size) {
  return std::max<int64_t>(1, 32768 / std::max<int64_t>(1, row_size));
}

ZERORL_VECTOR_KERNEL void SwiGluRows(const uint16_t* gate_up, int64_t rows, int64_t n,
                                     uint16_t* out) {
  for (int64_t r = 0; r < rows; ++r) {
    const uint16_t* gate = gate_up + r * 2 * n;
    const uint16_t* up = gate + n;
    uint16_t* o = out + r * n;
    for (int64_t i = 0; i < n; ++i) {
      float x = core::Bf16ToFloat(gate[i]);
#if TORCH_VERSION_MAJOR >= 2
      float silu =
          core::RoundToBf16(x / (1.0f + core::FastExp(-x)));  // computed in float, rounded once
#else
      // LibTorch 1.x's Vectorized<BFloat16> rounds after every op: exp, the sum, the quotient.
      float silu =
          core::RoundToBf16(x / core::RoundToBf16(1.0f + core::RoundToBf16(core::FastExp(-x))));
#endif
      o[i] = core::FloatToBf16(silu * core::Bf16ToFloat(up[i]));
    }
  }
}

// The sum of squares adds in at::sum's order (aten_sum_order.h) for `lanes`-wide vectors, so
// that the row's scale is RMSNormImpl's ATen result to the bit.
ZERORL_VECTOR_KERNEL void RmsNormRows(const uint16_t* x, const uint16_t* weight, int64_t rows,
                                      int64_t d, float eps, int lanes, uint16_t* out) {
  for (int64_t r = 0; r < rows; ++r) {
    const uint16_t* row = x + r * d;
    auto square = [row](int64_t i) {
      float v = core::Bf16ToFloat(row[i]);
      return v * v;
    };
    float squares = lanes == 16 ? AtenOrderSum<16>(d, square) : AtenOrderSum<8>(d, square);
    float inv = 1.0f / std::sqrt(squares / static_cast<float>(d) + eps);
    uint16_t* o = out + r * d;
    for (int64_t i = 0; i < d; ++i) {
      o[i] = core::FloatToBf16(core::Bf16ToFloat(weight[i]) *
                               core::RoundToBf16(core::Bf16ToFloat(row[i]) * inv));
    }
  }
}

// Sum of 16 lanes as a tree (4 dependent adds instead of 16).
inline float SumLanes(float (&lanes)[kLanes]) {
  static_assert(kLanes == 16, "the tree below is written for 16 lanes");
  for (int j = 0; j < 8; ++j) lanes[j] += lanes[j + 8];
  for (int j = 0; j < 4; ++j) lanes[j] += lanes[j + 4];
  for (int j = 0; j < 2; ++j) lanes[j] += lanes[j + 2];
  return lanes[0] + lanes[1];
}

// The `group` query heads that share one kv head, over `length` cached positions. Each key
// and value row is widened once and used by all `group` queries.
//   q: [group, hd] float32; keys, values: [length, hd] bf16;
//   scratch: [group * length + group * hd + hd] float32; out: [group, hd] bf16.
ZERORL_VECTOR_KERNEL void AttendKvHead(const float* q, const uint16_t* keys,
                                       const uint16_t* values, int64_t group, int64_t length,
                                       int64_t hd, float scale, float* scratch, uint16_t* out) {
  float* scores = scratch;               // [group, length]
  float* acc = scores + group * length;  // [group, hd]
  float* row = acc + group * hd;         // [hd] one widened key or value row
  for (int64_t l = 0; l < length; ++l) {
    for (int64_t d = 0; d < hd; ++d) row[d] = core::Bf16ToFloat(keys[l * hd + d]);
    for (int64_t r = 0; r < group; ++r) {
      const float* qr = q + r * hd;
      float lanes[kLanes] = {};
      int64_t d = 0;
      for (; d + kLanes <= hd; d += kLanes) {
        for (int j = 0; j < kLanes; ++j) lanes[j] += qr[d + j] * row[d + j];
      }
      float dot = SumLanes(lanes);
      for (; d < hd; ++d) dot += qr[d] * row[d];
      scores[r * length + l] = dot;
    }
  }
  // q k^T rounded to bf16, then scaled and rounded again: GroupedAttention's two ops.
  for (int64_t i = 0; i < group * length; ++i) {
    scores[i] = core::RoundToBf16(core::RoundToBf16(scores[i]) * scale);
  }
  for (int64_t r = 0; r < group; ++r) {
    float* s = scores + r * length;
    float max = -std::numeric_limits<float>::infinity();
    for (int64_t l = 0; l < length; ++l) max = s[l] > max ? s[l] : max;
    float sum = 0.0f;
    for (int64_t l = 0; l < length; ++l) {
      s[l] = core::FastExp(s[l] - max);
      sum += s[l];
    }
    float inv = 1.0f / sum;
    for (int64_t l = 0; l < length; ++l) s[l] = core::RoundToBf16(s[l] * inv);  // cast back to bf16
  }
  for (int64_t i = 0; i < group * hd; ++i) acc[i] = 0.0f;
  for (int64_t l = 0; l < length; ++l) {
    for (int64_t d = 0; d < hd; ++d) row[d] = core::Bf16ToFloat(values[l * hd + d]);
    for (int64_t r = 0; r < group; ++r) {
      float p = scores[r * length + l];
      float* a = acc + r * hd;
      for (int64_t d = 0; d < hd; ++d) a[d] += p * row[d];
    }
  }
  for (int64_t i = 0; i < group * hd; ++i) out[i] = core::FloatToBf16(acc[i]);
}

// blocked ? when_blocked : value, as bit masks: a branch on the bool keeps GCC from
// vectorizing the loop ("control flow in loop").
inline float Unless(uint8_t blocked, float value, float when_blocked) {
  uint32_t mask = 0u - static_cast<uint32_t>(blocked != 0), a, b;
  std::memcpy(&a, &value, sizeof(a));
  std::memcpy(&b, &when_blocked, sizeof(b));
  uint32_t bits = (a & ~mask) | (b & mask);
  float out;
  std::memcpy(&out, &bits, sizeof(out));
  return out;
}

// One head: halves x1, x2 [n] -> o1, o2 [n]; separate restrict pointers so that GCC sees
// plain streams (x[i + half] was a "complicated access pattern" to it).
inline void RopeHalves(const uint16_t* __restrict x1, const uint16_t* __restrict x2,
                       const uint16_t* __restrict cos1, const uint16_t* __restrict cos2,
                       const uint16_t* __restrict sin, int64_t n, uint16_t* __restrict o1,
                       uint16_t* __restrict o2) {
  for (int64_t i = 0; i < n; ++i) {
    float a = core::Bf16ToFloat(x1[i]), b = core::Bf16ToFloat(x2[i]), s = core::Bf16ToFloat(sin[i]);
    // ApplyRope's ATen ops: x * cos rounds to bf16; addcmul_ then adds the float product
    // (exact: two bf16 significands fit in a float's) and rounds once.
    o1[i] = core::FloatToBf16(core::RoundToBf16(a * core::Bf16ToFloat(cos1[i])) - b * s);
    o2[i] = core::FloatToBf16(core::RoundToBf16(b * core::Bf16ToFloat(cos2[i])) + a * s);
  }
}

// One token: heads x hd values at x (contiguous), the token's cos [hd] and sin [hd / 2].
ZERORL_VECTOR_KERNEL void RopeToken(const uint16_t* x, const uint16_t* cos, const uint16_t* sin,
                                    int64_t heads, int64_t hd, uint16_t* out) {
  int64_t half = hd / 2;
  for (int64_t h = 0; h < heads; ++h) {
    const uint16_t* xh = x + h * hd;
    uint16_t* oh = out + h * hd;
    RopeHalves(xh, xh + half, cos, cos + half, sin, half, oh, oh + half);
  }
}

ZERORL_VECTOR_KERNEL void MaskedSoftmaxRow(const uint16_t* scores, const uint8_t* blocked,
                                           int64_t length, float scale, float* scratch,
                                           uint16_t* out) {
  const float kMinusInf = -std::numeric_limits<float>::infinity();
  for (int64_t l = 0; l < length; ++l) {
    scratch[l] =
        Unless(blocked[l], core::RoundToBf16(core::Bf16ToFloat(scores[l]) * scale), kMinusInf);
  }
  // Max and sum in lanes, so that the reductions vectorize.
  float lanes[kLanes];
  for (float& lane : lanes) lane = kMinusInf;
  int64_t l = 0;
  for (; l + kLanes <= length; l += kLanes) {
    for (int j = 0; j < kLanes; ++j) {
      lanes[j] = scratch[l + j] > lanes[j] ? scratch[l + j] : lanes[j];
    }
  }
  float max = kMinusInf;
  for (; l < length; ++l) max = scratch[l] > max ? scratch[l] : max;
  for (float lane : lanes) max = lane > max ? lane : max;
  if (max == kMinusInf) {
    for (l = 0; l < length; ++l) out[l] = 0x7fc0;  // NaN
    return;
  }
  for (l = 0; l < length; ++l) scratch[l] = core::FastExp(scratch[l] - max);
  for (float& lane : lanes) lane = 0.0f;
  for (l = 0; l + kLanes <= length; l += kLanes) {
    for (int j = 0; j < kLanes; ++j) {
      // exp(-inf) clamps to exp(-87): blocked keys are zeroed here.
      scratch[l + j] = Unless(blocked[l + j], scratch[l + j], 0.0f);
      lanes[j] += scratch[l + j];
    }
  }
  float sum = 0.0f;
  for (; l < length; ++l) {
    scratch[l] = Unless(blocked[l], scratch[l], 0.0f);
    sum += scratch[l];
  }
  for (float lane : lanes) sum += lane;
  float inv = 1.0f / sum;
  for (int64_t l = 0; l < length; ++l) out[l] = core::FloatToBf16(scratch[l] * inv);
}

}  // namespace

bool Applies(const at::Tensor& x) {
  return x.scalar_type() == at::kBFloat16 && x.device().is_cpu() &&
         !c10::GradMode::is_enabled();
}

at::Tensor SwiGlu(const at::Tensor& gate_up) {
  at::Tensor in = gate_up.contiguous();
  int64_t n = in.size(-1) / 2, rows = n == 0 ? 0 : in.numel() / (2 * n);
  std::vector<int64_t> shape = in.sizes().vec();
  shape.back() = n;
  at::Tensor out = at::empty(shape, in.options());
  const uint16_t* src = Bits(in);
  uint16_t* dst = MutableBits(out);
  at::parallel_for(0, rows, Grain(n), [&](int64_t begin, int64_t end) {
    SwiGluRows(src + begin * 2 * n, end - begin, n, dst + begin * n);
  });
  return out;
}

namespace {

// The vector width whose AtenOrderSum reproduces this LibTorch's x.pow(2).mean(-1) (the ATen
// path of RMSNormImpl) on rows long enough to reach every branch of its order; 0 when
// neither does (another LibTorch's order: the ATen path stays).
int AtenSumLanes() {
  static const int lanes = [] {
    uint64_t state = 0x9e3779b97f4a7c15ull;
    for (int candidate : {8, 16}) {
      bool all_equal = true;
      for (int64_t n : {7, 100, 1000, 9000}) {
        std::vector<float> values(n);
        for (float& v : values) {
          state = state * 6364136223846793005ull + 1442695040888963407ull;
          v = core::RoundToBf16(static_cast<float>(static_cast<int32_t>(state >> 40) - (1 << 23)) *
                          (1.0f / (1 << 20)));
        }
        at::Tensor row = at::from_blob(values.data(), {n}, at::kFloat);
        float aten = row.pow(2).mean(-1).item<float>();
        auto square = [&values](int64_t i) { return values[i] * values[i]; };
        float sum = candidate == 16 ? AtenOrderSum<16>(n, square) : AtenOrderSum<8>(n, square);
        all_equal &= sum / static_cast<float>(n) == aten;
      }
      if (all_equal) return candidate;
    }
    return 0;
  }();
  return lanes;
}

}  // namespace

bool RmsNormAvailable() { return AtenSumLanes() != 0; }

at::Tensor RmsNorm(const at::Tensor& x, const at::Tensor& weight, double eps) {
  const int lanes = AtenSumLanes();
  TORCH_CHECK(lanes != 0, "RmsNorm: this LibTorch's row sum order is unknown (RmsNormAvailable)");
  at::Tensor in = x.contiguous();
  at::Tensor w = weight.contiguous();
  int64_t d = in.size(-1), rows = d == 0 ? 0 : in.numel() / d;
  at::Tensor out = at::empty_like(in);
  const uint16_t* src = Bits(in);
  const uint16_t* scale = Bits(w);
  uint16_t* dst = MutableBits(out);
  at::parallel_for(0, rows, Grain(d), [&](int64_t begin, int64_t end) {
    RmsNormRows(src + begin * d, scale, end - begin, d, static_cast<float>(eps), lanes,
                dst + begin * d);
  });
  return out;
}

at::Tensor Rope(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin) {
  int64_t batch = x.size(0), tokens = x.size(1), heads = x.size(2), hd = x.size(3);
  TORCH_CHECK(x.stride(3) == 1 && x.stride(2) == hd && cos.numel() == batch * tokens * hd &&
                  sin.numel() == batch * tokens * hd / 2,
              "Rope: x ", x.sizes(), " (strides ", x.strides(), ") and tables ", cos.sizes(),
              ", ", sin.sizes(), " do not fit");
  at::Tensor c = cos.contiguous(), s = sin.contiguous();
  at::Tensor out = at::empty({batch, tokens, heads, hd}, x.options());
  const uint16_t* src = reinterpret_cast<const uint16_t*>(x.data_ptr<at::BFloat16>());
  const uint16_t* cs = Bits(c);
  const uint16_t* sn = Bits(s);
  uint16_t* dst = MutableBits(out);
  int64_t batch_stride = x.stride(0), token_stride = x.stride(1);
  at::parallel_for(0, batch * tokens, Grain(heads * hd), [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const uint16_t* token = src + (i / tokens) * batch_stride + (i % tokens) * token_stride;
      RopeToken(token, cs + i * hd, sn + i * hd / 2, heads, hd, dst + i * heads * hd);
    }
  });
  return out;
}

namespace {

// The factor by which this LibTorch's bf16 tensor.mul_(scalar) multiplies (GroupedAttention's
// ATen path): 1.x rounds the scalar to bf16 first, later versions keep it in float32.
float AtenScalarMultiplier(double scalar) {
  // Products that differ between the two readings: 1/sqrt(32) is not a bf16 value.
  static const bool rounds_to_bf16 = [] {
    const double probe = 1.0 / std::sqrt(32.0);
    at::Tensor x = at::linspace(0.5, 8.0, 1024, at::kFloat).to(at::kBFloat16);
    at::Tensor product = x.clone().mul_(probe);
    float rounded = core::RoundToBf16(static_cast<float>(probe));
    return at::equal(product, (x.to(at::kFloat) * rounded).to(at::kBFloat16));
  }();
  float value = static_cast<float>(scalar);
  return rounds_to_bf16 ? core::RoundToBf16(value) : value;
}

}  // namespace

at::Tensor MaskedSoftmax(const at::Tensor& scores, const at::Tensor& blocked, double scale) {
  int64_t batch = scores.size(0), kv_heads = scores.size(1), length = scores.size(3);
  int64_t tokens = blocked.size(3), group = scores.size(2) / tokens;
  TORCH_CHECK(blocked.dim() == 5 && blocked.size(0) == batch && blocked.size(4) == length &&
                  group * tokens == scores.size(2) && blocked.scalar_type() == at::kBool,
              "MaskedSoftmax: scores ", scores.sizes(), " and mask ", blocked.sizes(),
              " do not match");
  at::Tensor in = scores.contiguous();
  at::Tensor mask = blocked.contiguous();
  at::Tensor out = at::empty_like(in);
  const uint16_t* src = Bits(in);
  const uint8_t* masks = reinterpret_cast<const uint8_t*>(mask.data_ptr<bool>());
  uint16_t* dst = MutableBits(out);
  float scale32 = AtenScalarMultiplier(scale);
  int64_t rows = batch * kv_heads * group * tokens;
  at::parallel_for(0, rows, Grain(length), [&](int64_t begin, int64_t end) {
    std::vector<float> scratch(length);
    for (int64_t row = begin; row < end; ++row) {
      int64_t b = row / (kv_heads * group * tokens), t = row % tokens;
      MaskedSoftmaxRow(src + row * length, masks + (b * tokens + t) * length, length, scale32,
                       scratch.data(), dst + row * length);
    }
  });
  return out;
}

at::Tensor DecodeAttention(const at::Tensor& q, const at::Tensor& keys, const at::Tensor& values,
                           const std::vector<int64_t>& slots,
                           const std::vector<int64_t>& lengths) {
  int64_t batch = q.size(0), heads = q.size(2), hd = q.size(3);
  int64_t kv_heads = keys.size(1), capacity = keys.size(2), group = heads / kv_heads;
  TORCH_CHECK(q.size(1) == 1 && keys.is_contiguous() &&
                  values.is_contiguous() && static_cast<int64_t>(slots.size()) == batch &&
                  static_cast<int64_t>(lengths.size()) == batch,
              "DecodeAttention: q ", q.sizes(), " and cache ", keys.sizes(),
              " are not one new token per row over a contiguous cache layer");
  // Queries widened once: [B, n_heads, hd] float32.
  at::Tensor queries = q.reshape({batch, heads, hd}).to(at::kFloat).contiguous();
  at::Tensor out = at::empty({batch, 1, heads * hd}, q.options());
  int64_t longest = *std::max_element(lengths.begin(), lengths.end());
  // GroupedAttention's scale, as its scores.mul_ applies it.
  float scale = AtenScalarMultiplier(1.0 / std::sqrt(static_cast<double>(hd)));
  const float* qs = queries.data_ptr<float>();
  const uint16_t* k = Bits(keys);
  const uint16_t* v = Bits(values);
  uint16_t* o = MutableBits(out);
  at::parallel_for(0, batch * kv_heads, 1, [&](int64_t begin, int64_t end) {
    std::vector<float> scratch(group * longest + group * hd + hd);
    for (int64_t task = begin; task < end; ++task) {
      int64_t b = task / kv_heads, h = task % kv_heads;
      int64_t offset = ((slots[b] * kv_heads + h) * capacity) * hd;
      AttendKvHead(qs + (b * heads + h * group) * hd, k + offset, v + offset, group, lengths[b],
                   hd, scale, scratch.data(), o + (b * heads + h * group) * hd);
    }
  });
  return out;
}

}  // namespace zerorl::model::kernels
