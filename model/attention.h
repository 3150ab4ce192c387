// Private: grouped-query self-attention with RoPE, optional q/k/v/o biases and Qwen3's per-head
// q/k RMSNorm, usable over a full sequence (training) or over a KV cache (generation).
#ifndef ZERORL_MODEL_ATTENTION_H_
#define ZERORL_MODEL_ATTENTION_H_

#include <vector>

#include <torch/torch.h>

#include "model/hf_config.h"
#include "model/kv_cache.h"
#include "model/layers.h"
#include "model/rope.h"

namespace zerorl::model {

class PackedLinear;

// Where one cached forward writes and reads, shared by all layers.
struct CacheIo {
  KvCache* cache = nullptr;
  torch::Tensor write_dst;  // [N * n_kv] int64: rows of a layer's [slots * n_kv * capacity, hd] view
  torch::Tensor write_src;  // [N * n_kv] int64: rows of the new [B * T * n_kv, hd] keys; undefined
                            // when every token of the batch is new (identity)
  torch::Tensor read_slots;  // [B] int64; undefined when the rows are slots read_first ... + B - 1
  int64_t read_first = 0;
  int64_t length = 0;  // keys read per row (the longest row's start + num_new)
  std::vector<int64_t> slots;    // [B] the rows' slots (host copy of KvBatch::slots)
  std::vector<int64_t> lengths;  // [B] start + num_new of each row
};

// Everything one forward call shares across layers.
struct ForwardContext {
  RopeTables rope;               // cos/sin tables of the positions (see rope.h)
  torch::Tensor blocked;         // [B, 1, 1, T, L] bool: true = query t may not see key l
  torch::Tensor blocked_window;  // as `blocked`, also outside the sliding window; undefined
                                 // when no layer uses one
  const CacheIo* cache = nullptr;  // set for cached forwards
};

// softmax(q k^T / sqrt(hd)) v with scores in the activation dtype and the softmax in float32,
// as transformers' eager attention. q: [B, T, n_heads, hd]; k, v: [B, n_kv, L, hd] (any strides);
// blocked: [B, 1, 1, T, L] bool. Returns [B, T, n_heads * hd]. fused_kernels: a packed model's
// forward without autograd may take kernels::MaskedSoftmax for the middle.
torch::Tensor GroupedAttention(const torch::Tensor& q, const torch::Tensor& k,
                               const torch::Tensor& v, const torch::Tensor& blocked,
                               bool fused_kernels = false);

struct AttentionOptions {
  explicit AttentionOptions(const ModelArchConfig& config) : config_(config) {}
  TORCH_ARG(ModelArchConfig, config);
  TORCH_ARG(torch::TensorOptions, tensor_options) = torch::TensorOptions();
};

class AttentionImpl : public torch::nn::Module {
 public:
  explicit AttentionImpl(const AttentionOptions& options);
  // x: [B, T, hidden] -> [B, T, hidden]. With ctx.cache, first writes this call's keys/values
  // into layer `layer` of the cache, then attends over the cached prefix.
  torch::Tensor forward(const torch::Tensor& x, const ForwardContext& ctx, int64_t layer,
                        int64_t window);

  // Packs q/k/v as one matmul and o for forwards without autograd (packed_linear.h); false
  // (nothing changes) where packing is not available.
  bool PackForInference();

  Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, o_proj{nullptr};
  RMSNorm q_norm{nullptr}, k_norm{nullptr};  // qwen3 only

 private:
  int64_t num_heads_, num_kv_heads_, head_dim_;
  std::shared_ptr<PackedLinear> packed_qkv_, packed_o_;
};
TORCH_MODULE(Attention);

}  // namespace zerorl::model

#endif  // ZERORL_MODEL_ATTENTION_H_
