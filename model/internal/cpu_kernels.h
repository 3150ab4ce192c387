// Private: fused CPU loops for bfloat16 forwards without autograd. Each replaces a chain of
// ATen ops that made one pass over memory (and one dispatch) per op: SwiGLU (silu, mul),
// RMSNorm (widen, pow, mean, rsqrt, mul, narrow, mul) and the attention of a decode step
// (a copy of every row's cached keys and values, two batched matmuls, scale, softmax, casts).
// They must give what the ATen path of model/ gives (the learner's forward): they round to
// bfloat16 where those ops round, and RMSNorm adds in at::sum's order, so RMSNorm and RoPE
// are bit-identical to it; SwiGLU and the softmax differ where exp's last bit tips a rounding
// (rarely), and the decode attention also adds its dot products in its own order. Their
// tests compare with the ATen path itself (kernels switched off), not with a formula.
//
// The caller checks Applies() and keeps the ATen path otherwise (float32 checks, CUDA,
// training, a model that was not packed).
#ifndef ZERORL_MODEL_INTERNAL_CPU_KERNELS_H_
#define ZERORL_MODEL_INTERNAL_CPU_KERNELS_H_

#include <cstdint>
#include <vector>

#include <ATen/ATen.h>

namespace zerorl::model::kernels {

// True when `x` is a bfloat16 CPU tensor and autograd is off. The modules call the kernels
// only once CausalLM::PackForInference has run, so an unpacked model (the learner's) never
// does.
bool Applies(const at::Tensor& x);

// silu(gate) * up for gate_up [..., 2n] (gate first, as PackedLinear's fused gate/up gives
// it) -> [..., n] contiguous.
at::Tensor SwiGlu(const at::Tensor& gate_up);

// weight * bf16(x * rsqrt(mean(x^2) + eps)) over the last dim: x [..., d], weight [d] bf16.
// Bit-identical to RMSNormImpl's ATen ops: the sum of squares adds in at::sum's order, which
// RmsNormAvailable() checks against this LibTorch once; where it is false, keep the ATen ops.
bool RmsNormAvailable();
at::Tensor RmsNorm(const at::Tensor& x, const at::Tensor& weight, double eps);

// Rotary embedding in the half-rotation layout, rounded where ApplyRope's ATen ops round
// (x * cos, then addcmul_ of the rotated half times sin). x: [B, T, heads, hd] bf16, each
// token's heads contiguous, any batch and token strides (a view of the fused q/k/v output);
// cos: [B, T, 1, hd]; sin: [B, T, 1, hd / 2] (RopeTables). Returns [B, T, heads, hd]
// contiguous.
at::Tensor Rope(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin);

// softmax(bf16(scores * scale) masked to -inf where blocked) in float32, cast to bf16: the
// middle of GroupedAttention. scores: [B, n_kv, g * T, L] bf16 (from the q k^T matmul);
// blocked: [B, 1, 1, T, L] bool. Returns [B, n_kv, g * T, L] bf16. A row with every key
// blocked is NaN, as torch's softmax gives.
at::Tensor MaskedSoftmax(const at::Tensor& scores, const at::Tensor& blocked, double scale);

// One new token per row attending to everything its slot has cached:
//   q:      [B, 1, n_heads, hd] bf16 (any strides)
//   keys, values: one layer of a KvCache, [slots, n_kv, capacity, hd] bf16 contiguous
//   slots[b], lengths[b]: row b reads positions [0, lengths[b]) of slot slots[b]
// Returns [B, 1, n_heads * hd] bf16: GroupedAttention over those keys, without copying them.
at::Tensor DecodeAttention(const at::Tensor& q, const at::Tensor& keys, const at::Tensor& values,
                           const std::vector<int64_t>& slots,
                           const std::vector<int64_t>& lengths);

}  // namespace zerorl::model::kernels

#endif  // ZERORL_MODEL_INTERNAL_CPU_KERNELS_H_
