#include "model/transformer.h"

#include "model/decoder.h"
#include "model/layers.h"
#include "model/packed_linear.h"

namespace zerorl::model {

CausalLMImpl::CausalLMImpl(const CausalLMOptions& options)
    : config_(options.config()), dtype_(options.dtype()), device_(options.device()) {
  torch::TensorOptions tensors = tensor_options();
  model_ = register_module("model", std::make_shared<DecoderImpl>(config_, tensors));
  if (!config_.tie_word_embeddings) {
    lm_head_ = register_module(
        "lm_head", std::make_shared<LinearImpl>(
                       LinearOptions(config_.hidden_size, config_.vocab_size).tensor_options(
                           tensors)));
  }
}

torch::TensorOptions CausalLMImpl::tensor_options() const {
  return torch::TensorOptions().dtype(dtype_).device(device_);
}

torch::Tensor CausalLMImpl::lm_head_weight() const {
  return lm_head_ ? lm_head_->weight : model_->embed_tokens->weight;
}

torch::Tensor CausalLMImpl::ForwardHidden(const torch::Tensor& input_ids,
                                          const torch::Tensor& position_ids,
                                          const torch::Tensor& sequence_ids) {
  TORCH_CHECK(input_ids.dim() == 2, "ForwardHidden: input_ids must be [B, T]");
  torch::Tensor ids = input_ids.to(device_, torch::kLong);
  int64_t batch = ids.size(0), tokens = ids.size(1);
  torch::Tensor positions =
      position_ids.defined()
          ? position_ids.to(device_, torch::kLong)
          : torch::arange(tokens, ids.options()).unsqueeze(0).expand({batch, tokens});
  torch::Tensor sequences = sequence_ids.defined() ? sequence_ids.to(device_, torch::kLong)
                                                   : torch::ones_like(ids);
  TORCH_CHECK(positions.sizes() == ids.sizes() && sequences.sizes() == ids.sizes(),
              "ForwardHidden: position_ids and sequence_ids must be [B, T] like input_ids");
  ForwardContext ctx = model_->SequenceContext(positions, sequences);
  torch::Tensor h = model_->forward(model_->embed_tokens(ids), ctx);
  return model_->norm(h);
}

torch::Tensor CausalLMImpl::LmHead(const torch::Tensor& hidden) {
  if (packed_head_ && !torch::GradMode::is_enabled()) return packed_head_->Apply(hidden);
  return torch::linear(hidden, lm_head_weight());
}

torch::Tensor CausalLMImpl::Logits(const torch::Tensor& hidden) {
  return LmHead(hidden).to(torch::kFloat);
}

bool CausalLMImpl::PackForInference() {
  std::unique_ptr<PackedLinear> head = PackedLinear::Create({lm_head_weight()}, {});
  if (!head) return false;
  for (const std::shared_ptr<torch::nn::Module>& module : *model_->layers) {
    DecoderLayerImpl& layer = *module->as<DecoderLayerImpl>();
    if (!layer.self_attn->PackForInference() || !layer.mlp->PackForInference()) return false;
  }
  for (const std::shared_ptr<torch::nn::Module>& module : modules()) {
    if (auto* norm = module->as<RMSNormImpl>()) norm->UseFusedKernel(true);
  }
  packed_head_ = std::move(head);
  return true;
}

torch::Tensor CausalLMImpl::Forward(const torch::Tensor& input_ids,
                                    const torch::Tensor& position_ids,
                                    const torch::Tensor& sequence_ids) {
  return Logits(ForwardHidden(input_ids, position_ids, sequence_ids));
}

torch::Tensor CausalLMImpl::ForwardCachedHidden(const KvBatch& batch, KvCache* cache) {
  absl::Status status = CheckKvBatch(batch, *cache);
  TORCH_CHECK(status.ok(), std::string(status.message()));
  TORCH_CHECK(cache->num_layers() == config_.num_hidden_layers &&
                  cache->num_kv_heads() == config_.num_key_value_heads &&
                  cache->head_dim() == config_.head_dim,
              "ForwardCached: the KvCache was made for another model shape");
  TORCH_CHECK(cache->keys(0).scalar_type() == dtype_ && cache->keys(0).device() == device_,
              "ForwardCached: the KvCache dtype/device differ from the model's");
  torch::NoGradGuard no_grad;
  torch::Tensor tokens = batch.tokens.to(device_);
  int64_t rows = batch.rows(), width = tokens.size(1);
  CacheIo io;
  ForwardContext ctx = model_->CachedContext(batch, cache, &io);
  torch::Tensor h = model_->forward(model_->embed_tokens(tokens), ctx);
  // Only the requested positions go through the final norm (and, in ForwardCached, the head).
  std::vector<int64_t> picked;
  for (int64_t b = 0; b < rows; ++b) {
    int64_t wanted = batch.num_logits.empty() ? 1 : batch.num_logits[b];
    for (int64_t t = batch.num_new[b] - wanted; t < batch.num_new[b]; ++t) {
      picked.push_back(b * width + t);
    }
  }
  h = h.reshape({rows * width, config_.hidden_size});
  if (static_cast<int64_t>(picked.size()) != rows * width) {
    h = h.index_select(0, torch::tensor(picked, torch::kLong).to(device_));
  }
  return model_->norm(h);
}

torch::Tensor CausalLMImpl::ForwardCached(const KvBatch& batch, KvCache* cache) {
  torch::Tensor hidden = ForwardCachedHidden(batch, cache);
  torch::NoGradGuard no_grad;
  return Logits(hidden);
}

KvCache CausalLMImpl::NewKvCache(const KvCacheOptions& options) const {
  return KvCache(config_, options, tensor_options());
}

}  // namespace zerorl::model
