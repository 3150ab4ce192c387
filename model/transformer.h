// The decoder-only transformer of the Llama / Mistral / Qwen2 / Qwen3 families as a LibTorch
// module, with two forwards over the same weights:
//
//  * training: ForwardHidden() over a batch of padded or packed sequences with explicit
//    positions and sequence ids, then Logits() on whatever slice of the hidden states the
//    caller needs (the learner computes log-probs in chunks and never holds [B, T, V] float32);
//  * generation: ForwardCached() appends new tokens of several rows to a KvCache and returns
//    logits only where asked (prefill computes the LM head for each prompt's last token only).
//
// Parameters are registered under Hugging Face's names, so named_parameters() is exactly the
// checkpoint's tensor list ("model.embed_tokens.weight", "model.layers.0.self_attn.q_proj.
// weight", ..., "lm_head.weight" unless the embeddings are tied). Numerics follow transformers'
// eager implementation: activations in the model dtype, RMSNorm and softmax in float32, NeoX
// RoPE with float32 angles.
//
//   ASSIGN_OR_RETURN(CausalLM model, LoadModel(dir, {torch::kBFloat16, torch::kCPU}));  // weights.h
//   torch::Tensor hidden = model->ForwardHidden(ids, positions, sequence_ids);  // [B, T, H]
//   torch::Tensor logits = model->Logits(hidden.narrow(1, 0, 128));           // [B, 128, V]
//
// Thread-safety: a model may run forwards from one thread at a time. Device and dtype are fixed
// at construction (CausalLMOptions); inputs may live anywhere and are moved to the device.
#ifndef ZERORL_MODEL_TRANSFORMER_H_
#define ZERORL_MODEL_TRANSFORMER_H_

#include <torch/torch.h>

#include "model/hf_config.h"
#include "model/kv_cache.h"

namespace zerorl::model {

class DecoderImpl;  // the "model." stack (private: model/decoder.h)
class LinearImpl;
class PackedLinear;

struct CausalLMOptions {
  explicit CausalLMOptions(ModelArchConfig config) : config_(std::move(config)) {}
  TORCH_ARG(ModelArchConfig, config);
  // Parameter and activation dtype: kBFloat16 for generation, kFloat32 for parity checks and
  // fp32 master weights.
  TORCH_ARG(torch::ScalarType, dtype) = torch::kBFloat16;
  TORCH_ARG(torch::Device, device) = torch::kCPU;
};

class CausalLMImpl : public torch::nn::Module {
 public:
  // Registers every parameter, uninitialised (torch::empty) in options' dtype and device:
  // fill them with LoadWeights()/LoadModel() or RandomInit() (weights.h) before a forward.
  explicit CausalLMImpl(const CausalLMOptions& options);

  // Final hidden states (after the last RMSNorm) of a batch of sequences.
  //   input_ids:    [B, T] int64.
  //   position_ids: [B, T] int64 RoPE positions; undefined = 0..T-1 on every row.
  //   sequence_ids: [B, T] int64; 0 marks padding, and token t attends to tokens s <= t with
  //                 the same non-zero id (a 0/1 attention mask is right/left padding; 1 1 1 2 2
  //                 0 packs two sequences in one row). Undefined = all ones.
  // Returns [B, T, hidden_size] in the model dtype; values at padding positions are finite
  // but meaningless. Autograd flows unless the caller disables it.
  torch::Tensor ForwardHidden(const torch::Tensor& input_ids, const torch::Tensor& position_ids,
                              const torch::Tensor& sequence_ids);
  // The LM head: hidden [..., hidden_size] (model dtype) -> logits [..., vocab_size] float32
  // (the product runs in the model dtype and is widened, the same in training and generation).
  torch::Tensor Logits(const torch::Tensor& hidden);
  // The LM head product in the model dtype: hidden [..., hidden_size] -> [..., vocab_size]
  // (Logits() without the widening).
  torch::Tensor LmHead(const torch::Tensor& hidden);

  // For generation on the CPU: packs every matmul's weights once into oneDNN's blocked layout
  // (q/k/v and gate/up fused; see packed_linear.h) and turns on the fused bf16 / float32
  // kernels of cpu_kernels.h, both used only by forwards that run without autograd. The same
  // results as the ATen forward up to rare last bits (cpu_kernels.h says where); a second copy
  // of the weights in memory; weights changed in place are repacked on the next forward.
  // Returns false where packing is not available (no oneDNN in the build, CUDA, fp16, bf16 on
  // a CPU where oneDNN has no bf16 matmul): forwards are unchanged.
  bool PackForInference();
  // Logits(ForwardHidden(...)): [B, T, vocab_size] float32. For short inputs and tests.
  torch::Tensor Forward(const torch::Tensor& input_ids, const torch::Tensor& position_ids = {},
                        const torch::Tensor& sequence_ids = {});

  // Incremental forward over a KV cache (see KvBatch for what each row means). Writes the new
  // tokens' keys/values into `cache` at their slot and positions, attends over each row's
  // cached prefix, and returns logits for the requested positions only:
  // [sum(num_logits), vocab_size] float32, rows in batch order, positions ascending within a
  // row. Runs without autograd. An invalid batch throws c10::Error with CheckKvBatch()'s text
  // (the engine should plan batches that fit; CheckKvBatch() is there to check at the edge).
  torch::Tensor ForwardCached(const KvBatch& batch, KvCache* cache);
  // As ForwardCached, but the final hidden states of those positions: [N, hidden_size] model
  // dtype, for callers that apply Logits() themselves.
  torch::Tensor ForwardCachedHidden(const KvBatch& batch, KvCache* cache);

  // A cache shaped for this model, in its dtype and on its device.
  KvCache NewKvCache(const KvCacheOptions& options) const;

  const ModelArchConfig& config() const { return config_; }
  torch::ScalarType dtype() const { return dtype_; }
  torch::Device device() const { return device_; }
  torch::TensorOptions tensor_options() const;
  // The tensor Logits() multiplies by: lm_head.weight, or the embeddings when tied.
  torch::Tensor lm_head_weight() const;  // [vocab_size, hidden_size]

 private:
  ModelArchConfig config_;
  torch::ScalarType dtype_;
  torch::Device device_;
  std::shared_ptr<DecoderImpl> model_;   // "model."
  std::shared_ptr<LinearImpl> lm_head_;  // "lm_head." (null when tied)
  std::shared_ptr<PackedLinear> packed_head_;  // set by PackForInference()
};
TORCH_MODULE(CausalLM);

}  // namespace zerorl::model

#endif  // ZERORL_MODEL_TRANSFORMER_H_
