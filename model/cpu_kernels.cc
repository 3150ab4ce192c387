// The ATen side of the fused kernels: shapes, strides, threads, the kernel table of the
// requested instruction-set level (kernel_table.h), and the probes that find out once what this
// LibTorch computes where it differs from one version or processor to another.
#include "model/internal/cpu_kernels.h"

#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>
#include <torch/version.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/vector_math.h"
#include "model/internal/aten_sum_order.h"
#include "model/internal/kernel_table.h"

namespace zerorl::model::kernels {
namespace {

using core::CpuIsa;

// The table for `isa`, which this processor must run.
const KernelTable& Table(CpuIsa isa) {
  const core::CpuFeatures& cpu = core::HostCpu();
  TORCH_CHECK(isa <= cpu.best_isa(), "fused CPU kernels: ", core::CpuIsaName(isa),
              " was asked for, but this CPU runs at most ", core::CpuIsaName(cpu.best_isa()), " (",
              cpu.Describe(), ")");
#if defined(ZERORL_X86_KERNELS)
  if (isa >= CpuIsa::kAvx512) return kAvx512Kernels;  // AVX512_BF16 too: no bf16 instructions
  if (isa == CpuIsa::kAvx2) return kAvx2Kernels;
#endif
  return kScalarKernels;
}

template <typename T>
T* Data(const at::Tensor& t) {
  return static_cast<T*>(t.data_ptr());
}

bool IsBf16(const at::Tensor& t) { return t.scalar_type() == at::kBFloat16; }

void CheckSameDtype(const char* kernel, const at::Tensor& x, const at::Tensor& other) {
  TORCH_CHECK(other.scalar_type() == x.scalar_type(), kernel, ": ", x.scalar_type(), " input with ",
              other.scalar_type(), " weights or tables");
}

// Rows per parallel task so that each task has some ~32k elements of work.
int64_t Grain(int64_t row_size) {
  return std::max<int64_t>(1, 32768 / std::max<int64_t>(1, row_size));
}

// ---- Probes of this LibTorch, each run once.

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

// The factor by which this LibTorch's bf16 tensor.mul_(scalar) multiplies (GroupedAttention's
// ATen path): 1.x rounds the scalar to bf16 first, later versions keep it in float32.
float AtenBf16ScalarMultiplier(double scalar) {
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

enum class Answer { kYes, kNo, kUnknown };

// Whether this LibTorch's float32 addcmul_ (ApplyRope's ATen path) fuses self + t1 * t2 into
// one rounding: its AVX2 and AVX-512 kernels are compiled with FMA contraction, its default
// kernels are not. Asked on head-sized views like ApplyRope's, vector body and tail alike.
Answer AtenFloatAddcmulFuses() {
  static const Answer answer = [] {
    const float a = 1.0f + std::ldexp(1.0f, -12);  // a * a - 1 needs the bits below a float's
    const float fused = std::fma(a, a, -1.0f), rounded = a * a - 1.0f;
    bool all_fused = true, all_rounded = true;
    for (int64_t half : {8, 32, 64, 3}) {
      at::Tensor self = at::full({2, 3, 5, 2 * half}, -1.0f);
      at::Tensor t = at::full({2, 3, 5, 2 * half}, a);
      at::Tensor view = self.narrow(-1, 0, half);
      view.addcmul_(t.narrow(-1, half, half), t.narrow(-1, 0, half), 1);
      all_fused &= at::equal(view, at::full_like(view, fused));
      all_rounded &= at::equal(view, at::full_like(view, rounded));
    }
    return all_fused ? Answer::kYes : all_rounded ? Answer::kNo : Answer::kUnknown;
  }();
  return answer;
}

// Whether this LibTorch's bf16 matmul of probabilities by values (GroupedAttention's
// probs @ v, a decode-sized batch) rounds every product and partial sum to bf16 (LibTorch
// 1.13's own gemm: processors without AVX-512, where it does not hand bf16 to oneDNN) rather
// than adding in float and rounding once (oneDNN). One large term and many small ones tell
// them apart: 1 + 63 * 2^-9 rounds to 1.125 once, and stays 1 when every step rounds.
Answer AtenBf16MatmulRoundsEachAdd() {
  static const Answer answer = [] {
    at::Tensor p = at::full({1, 2, 4, 64}, std::ldexp(1.0, -9)).to(at::kBFloat16);
    p.select(3, 0).fill_(1.0);
    at::Tensor v = at::ones({1, 2, 64, 64}, at::kBFloat16);
    at::Tensor out = at::matmul(p, v);
    if (at::equal(out, at::full_like(out, 1.125))) return Answer::kNo;
    if (at::equal(out, at::ones_like(out))) return Answer::kYes;
    return Answer::kUnknown;
  }();
  return answer;
}

}  // namespace

CpuIsa DefaultIsa() { return core::HostCpu().best_isa(); }

bool Applies(const at::Tensor& x) {
  return (x.scalar_type() == at::kBFloat16 || x.scalar_type() == at::kFloat) &&
         x.device().is_cpu() && !c10::GradMode::is_enabled();
}

at::Tensor SwiGlu(const at::Tensor& gate_up, CpuIsa isa) {
  const KernelTable& k = Table(isa);
  at::Tensor in = gate_up.contiguous();
  int64_t n = in.size(-1) / 2, rows = n == 0 ? 0 : in.numel() / (2 * n);
  std::vector<int64_t> shape = in.sizes().vec();
  shape.back() = n;
  at::Tensor out = at::empty(shape, in.options());
  // LibTorch 1.x's Vectorized<BFloat16> rounds after every op: exp, the sum, the quotient.
  const bool round_each_op = TORCH_VERSION_MAJOR < 2;
  at::parallel_for(0, rows, Grain(n), [&](int64_t begin, int64_t end) {
    if (IsBf16(in)) {
      k.swiglu_bf16(Data<uint16_t>(in) + begin * 2 * n, end - begin, n, round_each_op,
                    Data<uint16_t>(out) + begin * n);
    } else {
      k.swiglu_f32(Data<float>(in) + begin * 2 * n, end - begin, n, Data<float>(out) + begin * n);
    }
  });
  return out;
}

bool RmsNormAvailable() { return AtenSumLanes() != 0; }

at::Tensor RmsNorm(const at::Tensor& x, const at::Tensor& weight, double eps, CpuIsa isa) {
  const KernelTable& k = Table(isa);
  const int lanes = AtenSumLanes();
  TORCH_CHECK(lanes != 0, "RmsNorm: this LibTorch's row sum order is unknown (RmsNormAvailable)");
  CheckSameDtype("RmsNorm", x, weight);
  at::Tensor in = x.contiguous();
  at::Tensor w = weight.contiguous();
  int64_t d = in.size(-1), rows = d == 0 ? 0 : in.numel() / d;
  at::Tensor out = at::empty_like(in);
  const float epsilon = static_cast<float>(eps);
  at::parallel_for(0, rows, Grain(d), [&](int64_t begin, int64_t end) {
    if (IsBf16(in)) {
      k.rms_norm_bf16(Data<uint16_t>(in) + begin * d, Data<uint16_t>(w), end - begin, d, epsilon,
                      lanes, Data<uint16_t>(out) + begin * d);
    } else {
      k.rms_norm_f32(Data<float>(in) + begin * d, Data<float>(w), end - begin, d, epsilon, lanes,
                     Data<float>(out) + begin * d);
    }
  });
  return out;
}

bool RopeAvailable(at::ScalarType dtype) {
  return dtype == at::kBFloat16 ||
         (dtype == at::kFloat && AtenFloatAddcmulFuses() != Answer::kUnknown);
}

at::Tensor Rope(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin, CpuIsa isa) {
  const KernelTable& k = Table(isa);
  TORCH_CHECK(RopeAvailable(x.scalar_type()), "Rope: no fused kernel for ", x.scalar_type(),
              " on this LibTorch (RopeAvailable)");
  CheckSameDtype("Rope", x, cos);
  CheckSameDtype("Rope", x, sin);
  int64_t batch = x.size(0), tokens = x.size(1), heads = x.size(2), hd = x.size(3);
  TORCH_CHECK(x.stride(3) == 1 && x.stride(2) == hd && cos.numel() == batch * tokens * hd &&
                  sin.numel() == batch * tokens * hd / 2,
              "Rope: x ", x.sizes(), " (strides ", x.strides(), ") and tables ", cos.sizes(), ", ",
              sin.sizes(), " do not fit");
  at::Tensor c = cos.contiguous(), s = sin.contiguous();
  at::Tensor out = at::empty({batch, tokens, heads, hd}, x.options());
  const bool bf16 = IsBf16(x);
  const bool fused = !bf16 && AtenFloatAddcmulFuses() == Answer::kYes;
  const size_t element = bf16 ? 2 : 4;
  const char* src = static_cast<const char*>(x.data_ptr());
  int64_t batch_stride = x.stride(0), token_stride = x.stride(1);
  at::parallel_for(0, batch * tokens, Grain(heads * hd), [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const void* token =
          src + ((i / tokens) * batch_stride + (i % tokens) * token_stride) * element;
      if (bf16) {
        k.rope_token_bf16(static_cast<const uint16_t*>(token), Data<uint16_t>(c) + i * hd,
                          Data<uint16_t>(s) + i * hd / 2, heads, hd,
                          Data<uint16_t>(out) + i * heads * hd);
      } else {
        k.rope_token_f32(static_cast<const float*>(token), Data<float>(c) + i * hd,
                         Data<float>(s) + i * hd / 2, heads, hd, fused,
                         Data<float>(out) + i * heads * hd);
      }
    }
  });
  return out;
}

at::Tensor MaskedSoftmax(const at::Tensor& scores, const at::Tensor& blocked, double scale,
                         CpuIsa isa) {
  const KernelTable& k = Table(isa);
  int64_t batch = scores.size(0), kv_heads = scores.size(1), length = scores.size(3);
  int64_t tokens = blocked.size(3), group = scores.size(2) / tokens;
  TORCH_CHECK(blocked.dim() == 5 && blocked.size(0) == batch && blocked.size(4) == length &&
                  group * tokens == scores.size(2) && blocked.scalar_type() == at::kBool,
              "MaskedSoftmax: scores ", scores.sizes(), " and mask ", blocked.sizes(),
              " do not match");
  at::Tensor in = scores.contiguous();
  at::Tensor mask = blocked.contiguous();
  at::Tensor out = at::empty_like(in);
  const uint8_t* masks = reinterpret_cast<const uint8_t*>(mask.data_ptr<bool>());
  // GroupedAttention's scores.mul_(scale): bf16 as this LibTorch applies it, float32 as is.
  const bool bf16 = IsBf16(in);
  const float scale32 = bf16 ? AtenBf16ScalarMultiplier(scale) : static_cast<float>(scale);
  int64_t rows = batch * kv_heads * group * tokens;
  at::parallel_for(0, rows, Grain(length), [&](int64_t begin, int64_t end) {
    std::vector<float> scratch(length);
    for (int64_t row = begin; row < end; ++row) {
      int64_t b = row / (kv_heads * group * tokens), t = row % tokens;
      const uint8_t* row_mask = masks + (b * tokens + t) * length;
      if (bf16) {
        k.masked_softmax_row_bf16(Data<uint16_t>(in) + row * length, row_mask, length, scale32,
                                  scratch.data(), Data<uint16_t>(out) + row * length);
      } else {
        k.masked_softmax_row_f32(Data<float>(in) + row * length, row_mask, length, scale32,
                                 scratch.data(), Data<float>(out) + row * length);
      }
    }
  });
  return out;
}

bool DecodeAttentionAvailable(at::ScalarType dtype) {
  return dtype == at::kFloat ||
         (dtype == at::kBFloat16 && AtenBf16MatmulRoundsEachAdd() != Answer::kUnknown);
}

at::Tensor DecodeAttention(const at::Tensor& q, const at::Tensor& keys, const at::Tensor& values,
                           const std::vector<int64_t>& slots, const std::vector<int64_t>& lengths,
                           CpuIsa isa) {
  const KernelTable& k = Table(isa);
  int64_t batch = q.size(0), heads = q.size(2), hd = q.size(3);
  int64_t kv_heads = keys.size(1), capacity = keys.size(2), group = heads / kv_heads;
  TORCH_CHECK(q.size(1) == 1 && keys.is_contiguous() && values.is_contiguous() &&
                  static_cast<int64_t>(slots.size()) == batch &&
                  static_cast<int64_t>(lengths.size()) == batch,
              "DecodeAttention: q ", q.sizes(), " and cache ", keys.sizes(),
              " are not one new token per row over a contiguous cache layer");
  TORCH_CHECK(DecodeAttentionAvailable(q.scalar_type()), "DecodeAttention: no fused kernel for ",
              q.scalar_type(), " on this LibTorch (DecodeAttentionAvailable)");
  CheckSameDtype("DecodeAttention", q, keys);
  CheckSameDtype("DecodeAttention", q, values);
  // Queries widened once: [B, n_heads, hd] float32.
  at::Tensor queries = q.reshape({batch, heads, hd}).to(at::kFloat).contiguous();
  at::Tensor out = at::empty({batch, 1, heads * hd}, q.options());
  int64_t longest = *std::max_element(lengths.begin(), lengths.end());
  const bool bf16 = IsBf16(q);
  // GroupedAttention's scale, as its scores.mul_ applies it.
  const double scale = 1.0 / std::sqrt(static_cast<double>(hd));
  const float scale32 = bf16 ? AtenBf16ScalarMultiplier(scale) : static_cast<float>(scale);
  const bool round_each_add = bf16 && AtenBf16MatmulRoundsEachAdd() == Answer::kYes;
  const float* qs = queries.data_ptr<float>();
  at::parallel_for(0, batch * kv_heads, 1, [&](int64_t begin, int64_t end) {
    std::vector<float> scratch(group * longest + group * hd + longest * hd);  // kernel_table.h
    for (int64_t task = begin; task < end; ++task) {
      int64_t b = task / kv_heads, h = task % kv_heads;
      int64_t offset = ((slots[b] * kv_heads + h) * capacity) * hd;
      int64_t first = (b * heads + h * group) * hd;  // of this kv head's queries and outputs
      if (bf16) {
        k.attend_kv_head_bf16(qs + first, Data<uint16_t>(keys) + offset,
                              Data<uint16_t>(values) + offset, group, lengths[b], hd, scale32,
                              round_each_add, scratch.data(), Data<uint16_t>(out) + first);
      } else {
        k.attend_kv_head_f32(qs + first, Data<float>(keys) + offset, Data<float>(values) + offset,
                             group, lengths[b], hd, scale32, scratch.data(),
                             Data<float>(out) + first);
      }
    }
  });
  return out;
}

}  // namespace zerorl::model::kernels
