// Private: the decoder stack under Hugging Face's "model." prefix (embed_tokens, layers.N,
// norm) and the per-call contexts (RoPE tables, masks, cache addressing) its layers share.
#ifndef ZERORL_MODEL_DECODER_H_
#define ZERORL_MODEL_DECODER_H_

#include <torch/torch.h>

#include "model/attention.h"
#include "model/hf_config.h"
#include "model/kv_cache.h"
#include "model/layers.h"

namespace zerorl::model {

// Pre-norm block: h + attn(norm(h)), then h + mlp(norm(h)).
class DecoderLayerImpl : public torch::nn::Module {
 public:
  DecoderLayerImpl(const ModelArchConfig& config, int64_t index,
                   const torch::TensorOptions& tensor_options);
  torch::Tensor forward(const torch::Tensor& h, const ForwardContext& ctx);  // [B, T, hidden]

  RMSNorm input_layernorm{nullptr}, post_attention_layernorm{nullptr};
  Attention self_attn{nullptr};
  Mlp mlp{nullptr};

 private:
  int64_t index_, window_;
};
TORCH_MODULE(DecoderLayer);

class DecoderImpl : public torch::nn::Module {
 public:
  DecoderImpl(const ModelArchConfig& config, const torch::TensorOptions& tensor_options);
  // All layers over embedded tokens h [B, T, hidden]; the final norm is left to the caller.
  torch::Tensor forward(torch::Tensor h, const ForwardContext& ctx);

  // Context for a full-sequence forward. positions, sequence_ids: [B, T] int64 on the model's
  // device; see CausalLMImpl::ForwardHidden for their meaning.
  ForwardContext SequenceContext(const torch::Tensor& positions,
                                 const torch::Tensor& sequence_ids) const;
  // Context and cache addressing for a cached forward; `io` must outlive the context.
  ForwardContext CachedContext(const KvBatch& batch, KvCache* cache, CacheIo* io) const;

  Embedding embed_tokens{nullptr};
  torch::nn::ModuleList layers{nullptr};
  RMSNorm norm{nullptr};

 private:
  ModelArchConfig config_;
  torch::ScalarType dtype_;
  torch::Tensor inv_freq_;  // [head_dim / 2] float32 on the model's device
  int64_t window_ = 0;      // the sliding window of the layers that use one, else 0
};
TORCH_MODULE(Decoder);

}  // namespace zerorl::model

#endif  // ZERORL_MODEL_DECODER_H_
