#include "model/decoder.h"

#include <algorithm>

#include "model/rope.h"

namespace zerorl::model {
namespace {

torch::Tensor ToDevice(const std::vector<int64_t>& values, const torch::Device& device) {
  return torch::tensor(values, torch::kLong).to(device);
}

}  // namespace

DecoderLayerImpl::DecoderLayerImpl(const ModelArchConfig& config, int64_t index,
                                   const torch::TensorOptions& tensor_options)
    : index_(index), window_(config.AttentionWindow(index)) {
  auto norm = RMSNormOptions(config.hidden_size).eps(config.rms_norm_eps).tensor_options(
      tensor_options);
  input_layernorm = register_module("input_layernorm", RMSNorm(norm));
  self_attn = register_module(
      "self_attn", Attention(AttentionOptions(config).tensor_options(tensor_options)));
  post_attention_layernorm = register_module("post_attention_layernorm", RMSNorm(norm));
  mlp = register_module("mlp", Mlp(MlpOptions(config.hidden_size, config.intermediate_size)
                                       .bias(config.mlp_bias)
                                       .tensor_options(tensor_options)));
}

torch::Tensor DecoderLayerImpl::forward(const torch::Tensor& h, const ForwardContext& ctx) {
  torch::Tensor x = h + self_attn(input_layernorm(h), ctx, index_, window_);
  return x + mlp(post_attention_layernorm(x));
}

DecoderImpl::DecoderImpl(const ModelArchConfig& config,
                         const torch::TensorOptions& tensor_options)
    : config_(config), dtype_(c10::typeMetaToScalarType(tensor_options.dtype())) {
  embed_tokens = register_module(
      "embed_tokens", Embedding(config.vocab_size, config.hidden_size, tensor_options));
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < config.num_hidden_layers; ++i) {
    layers->push_back(DecoderLayer(config, i, tensor_options));
    window_ = std::max(window_, config.AttentionWindow(i));
  }
  norm = register_module("norm", RMSNorm(RMSNormOptions(config.hidden_size)
                                             .eps(config.rms_norm_eps)
                                             .tensor_options(tensor_options)));
  inv_freq_ = RopeInverseFrequencies(config).to(tensor_options.device());
}

torch::Tensor DecoderImpl::forward(torch::Tensor h, const ForwardContext& ctx) {
  for (const auto& layer : *layers) h = layer->as<DecoderLayerImpl>()->forward(h, ctx);
  return h;
}

ForwardContext DecoderImpl::SequenceContext(const torch::Tensor& positions,
                                            const torch::Tensor& sequence_ids) const {
  int64_t batch = positions.size(0), tokens = positions.size(1);
  ForwardContext ctx;
  ctx.rope = MakeRopeTables(inv_freq_.to(positions.device()), positions, dtype_);
  torch::Tensor idx = torch::arange(tokens, positions.options());
  torch::Tensor diagonal = idx.view({tokens, 1}) == idx.view({1, tokens});  // [T, T]
  torch::Tensor seq_q = sequence_ids.unsqueeze(2), seq_k = sequence_ids.unsqueeze(1);
  // Query t sees key s <= t of its own (non-padding) sequence, and always itself, so that no
  // row is all -inf (padding rows then produce finite garbage that callers ignore).
  torch::Tensor blocked = (idx.view({1, tokens}) > idx.view({tokens, 1})) | (seq_q != seq_k) |
                          (seq_k == 0);
  blocked = blocked & diagonal.logical_not();
  ctx.blocked = blocked.view({batch, 1, 1, tokens, tokens});
  if (window_ > 0) {
    torch::Tensor far = (positions.unsqueeze(2) - positions.unsqueeze(1)) >= window_;
    ctx.blocked_window = ctx.blocked | (far & diagonal.logical_not()).view(ctx.blocked.sizes());
  }
  return ctx;
}

ForwardContext DecoderImpl::CachedContext(const KvBatch& batch, KvCache* cache,
                                          CacheIo* io) const {
  int64_t rows = batch.rows(), width = batch.tokens.size(1);
  int64_t kv_heads = cache->num_kv_heads(), capacity = cache->capacity();
  std::vector<int64_t> query_pos(rows * width), write_dst, write_src;
  bool every_token_new = true, consecutive = true;
  io->length = 0;
  io->slots = batch.slots;
  io->lengths.resize(rows);
  for (int64_t b = 0; b < rows; ++b) {
    int64_t start = batch.start[b], count = batch.num_new[b], slot = batch.slots[b];
    io->lengths[b] = start + count;
    every_token_new = every_token_new && count == width;
    consecutive = consecutive && slot == batch.slots[0] + b;
    io->length = std::max(io->length, start + count);
    for (int64_t t = 0; t < width; ++t) {
      query_pos[b * width + t] = start + std::min(t, count - 1);  // padding repeats the last
      if (t >= count) continue;
      for (int64_t h = 0; h < kv_heads; ++h) {
        write_dst.push_back((slot * kv_heads + h) * capacity + start + t);
        write_src.push_back((b * width + t) * kv_heads + h);
      }
    }
  }
  torch::Device device = inv_freq_.device();
  io->cache = cache;
  io->write_dst = ToDevice(write_dst, device);
  if (!every_token_new) io->write_src = ToDevice(write_src, device);
  if (consecutive) {
    io->read_first = batch.slots[0];
  } else {
    io->read_slots = ToDevice(batch.slots, device);
  }
  torch::Tensor positions = ToDevice(query_pos, device).view({rows, width});
  torch::Tensor key_pos = torch::arange(io->length, positions.options()).view({1, 1, -1});
  torch::Tensor q_pos = positions.unsqueeze(2);  // [B, T, 1]
  ForwardContext ctx;
  ctx.cache = io;
  ctx.rope = MakeRopeTables(inv_freq_.to(device), positions, dtype_);
  ctx.blocked = (key_pos > q_pos).view({rows, 1, 1, width, io->length});
  if (window_ > 0) {
    ctx.blocked_window = ctx.blocked | (q_pos - key_pos >= window_).view(ctx.blocked.sizes());
  }
  return ctx;
}

}  // namespace zerorl::model
