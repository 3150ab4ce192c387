// Private: rotary position embeddings in Hugging Face's half-rotation ("NeoX") layout, where
// dimension i pairs with i + head_dim/2, with rope_theta and rope_scaling applied to the
// inverse frequencies exactly as transformers computes them (in float32).
#ifndef ZERORL_MODEL_ROPE_H_
#define ZERORL_MODEL_ROPE_H_

#include <torch/types.h>

#include "model/hf_config.h"

namespace zerorl::model {

// [head_dim / 2] float32 on CPU: rope_theta^(-2i/head_dim), then the config's rope_scaling.
torch::Tensor RopeInverseFrequencies(const ModelArchConfig& config);

struct RopeTables {
  torch::Tensor cos;  // [B, T, 1, head_dim] activation dtype
  torch::Tensor sin;  // [B, T, 1, head_dim / 2] activation dtype (both halves of HF's are equal)
};

// Angles positions * inv_freq computed in float32, then cos/sin cast to `dtype`.
// inv_freq: [head_dim / 2] float32 on the positions' device; positions: [B, T] int64.
RopeTables MakeRopeTables(const torch::Tensor& inv_freq, const torch::Tensor& positions,
                          torch::ScalarType dtype);

// x * cos + rotate_half(x) * sin, in x's dtype. x: [B, T, heads, head_dim]. fused_kernels: a
// packed model's forward without autograd may take kernels::Rope (the same bits).
torch::Tensor ApplyRope(const torch::Tensor& x, const RopeTables& tables,
                        bool fused_kernels = false);

}  // namespace zerorl::model

#endif  // ZERORL_MODEL_ROPE_H_
