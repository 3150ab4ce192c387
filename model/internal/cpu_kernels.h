// Private: fused CPU loops for bfloat16 and float32 forwards without autograd. Each replaces a
// chain of ATen ops that made one pass over memory (and one dispatch) per op: SwiGLU (silu,
// mul), RMSNorm (widen, pow, mean, rsqrt, mul, narrow, mul), RoPE (mul, two addcmul_), the
// masked softmax of GroupedAttention (mul, masked_fill, softmax, cast) and the attention of a
// decode step (a copy of every row's cached keys and values, two batched matmuls, scale,
// softmax, casts).
//
// Instruction sets: every kernel exists for plain x86-64, AVX2 + FMA and AVX-512
// (kernel_table.h); a call runs the level it is given, by default the best this processor has
// (core::HostCpu(), so ZERORL_CPU_ISA lowers it; AVX512_BF16 runs the AVX-512 loops). AVX2 and
// AVX-512 give the same bits; the scalar level (no FMA) gives them too for RMSNorm and RoPE and
// may differ in a last bit where exp or a dot product is involved. Asking for a level this
// processor lacks throws c10::Error naming it.
//
// Exactness: they give what the ATen path of model/ gives (the learner's forward) on the
// LibTorch and processor they run on, which is calibrated once per process where LibTorch
// itself computes differently from one processor to another:
//   - RMSNorm adds its sum of squares in at::sum's order (8 or 16 lanes: aten_sum_order.h):
//     bit-identical in bf16 and float32;
//   - RoPE rounds where ApplyRope's ops round, and in float32 fuses the multiply-add where
//     this LibTorch's addcmul_ does (its AVX2/AVX-512 kernels, not its default one):
//     bit-identical in bf16 and float32;
//   - SwiGLU and the softmax use their own exp: in bf16 they differ where exp's last bit tips
//     a rounding (rarely), in float32 by a few ulp;
//   - the decode attention also adds its dot products in its own order; in bf16 its weighted
//     sum of values adds in float and rounds once (oneDNN's bf16 matmul, which LibTorch 1.13
//     uses on AVX-512 processors) or rounds every step to bf16 (its own bf16 gemm, elsewhere),
//     whichever this LibTorch does. Float32 matmuls go to a BLAS whose order is its own: a few
//     ulp.
// Their tests compare with the ATen path itself (kernels switched off), not with a formula,
// at every level this processor runs.
//
// The caller checks Applies() (and the *Available() of the kernel) and keeps the ATen path
// otherwise (CUDA, training, other dtypes, a model that was not packed).
#ifndef ZERORL_MODEL_INTERNAL_CPU_KERNELS_H_
#define ZERORL_MODEL_INTERNAL_CPU_KERNELS_H_

#include <cstdint>
#include <vector>

#include <ATen/ATen.h>

#include "core/cpu_features.h"

namespace zerorl::model::kernels {

// The level the kernels run at when the caller names none: core::HostCpu().best_isa().
core::CpuIsa DefaultIsa();

// True when `x` is a bfloat16 or float32 CPU tensor and autograd is off. The modules call the
// kernels only once CausalLM::PackForInference has run, so an unpacked model (the learner's)
// never does. Every tensor of one call has x's dtype.
bool Applies(const at::Tensor& x);

// silu(gate) * up for gate_up [..., 2n] (gate first, as PackedLinear's fused gate/up gives
// it) -> [..., n] contiguous.
at::Tensor SwiGlu(const at::Tensor& gate_up, core::CpuIsa isa = DefaultIsa());

// weight * (x * rsqrt(mean(x^2) + eps)) over the last dim, the product rounded to x's dtype
// first (RMSNormImpl's ATen ops): x [..., d], weight [d]. False from RmsNormAvailable() when
// this LibTorch adds up rows in an order aten_sum_order.h does not know: keep the ATen ops.
bool RmsNormAvailable();
at::Tensor RmsNorm(const at::Tensor& x, const at::Tensor& weight, double eps,
                   core::CpuIsa isa = DefaultIsa());

// Rotary embedding in the half-rotation layout, rounded where ApplyRope's ATen ops round
// (x * cos, then addcmul_ of the rotated half times sin). x: [B, T, heads, hd], each token's
// heads contiguous, any batch and token strides (a view of the fused q/k/v output); cos:
// [B, T, 1, hd]; sin: [B, T, 1, hd / 2] (RopeTables), x's dtype. Returns [B, T, heads, hd]
// contiguous. RopeAvailable(kFloat) is false when this LibTorch's float addcmul_ neither
// fuses nor rounds its product the way a probe expects.
bool RopeAvailable(at::ScalarType dtype);
at::Tensor Rope(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin,
                core::CpuIsa isa = DefaultIsa());

// softmax(scores * scale (rounded to the dtype) masked to -inf where blocked), computed in
// float32, in the scores' dtype: the middle of GroupedAttention. scores: [B, n_kv, g * T, L];
// blocked: [B, 1, 1, T, L] bool. Returns [B, n_kv, g * T, L]. A row with every key blocked is
// NaN, as torch's softmax gives.
at::Tensor MaskedSoftmax(const at::Tensor& scores, const at::Tensor& blocked, double scale,
                         core::CpuIsa isa = DefaultIsa());

// One new token per row attending to everything its slot has cached:
//   q:      [B, 1, n_heads, hd] (any strides)
//   keys, values: one layer of a KvCache, [slots, n_kv, capacity, hd] contiguous, q's dtype
//   slots[b], lengths[b]: row b reads positions [0, lengths[b]) of slot slots[b]
// Returns [B, 1, n_heads * hd]: GroupedAttention over those keys, without copying them.
// DecodeAttentionAvailable(kBFloat16) is false when this LibTorch's bf16 matmul sums in a way
// the kernel does not reproduce (found by a probe once): keep GroupedAttention.
bool DecodeAttentionAvailable(at::ScalarType dtype);
at::Tensor DecodeAttention(const at::Tensor& q, const at::Tensor& keys, const at::Tensor& values,
                           const std::vector<int64_t>& slots, const std::vector<int64_t>& lengths,
                           core::CpuIsa isa = DefaultIsa());

}  // namespace zerorl::model::kernels

#endif  // ZERORL_MODEL_INTERNAL_CPU_KERNELS_H_
