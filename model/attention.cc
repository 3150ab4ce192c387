#include "model/attention.h"

#include <cmath>
#include <limits>

#include "model/internal/cpu_kernels.h"
#include "model/packed_linear.h"

namespace zerorl::model {
namespace {

// Appends this call's keys/values to the cache.
void WriteCache(const CacheIo& io, int64_t layer, const torch::Tensor& k, const torch::Tensor& v) {
  int64_t hd = k.size(-1);
  torch::Tensor new_k = k.reshape({-1, hd});  // [B * T * n_kv, hd]
  torch::Tensor new_v = v.reshape({-1, hd});
  if (io.write_src.defined()) {
    new_k = new_k.index_select(0, io.write_src);
    new_v = new_v.index_select(0, io.write_src);
  }
  io.cache->keys(layer).view({-1, hd}).index_copy_(0, io.write_dst, new_k);
  io.cache->values(layer).view({-1, hd}).index_copy_(0, io.write_dst, new_v);
}

// The cached prefix of every row: [B, n_kv, length, hd] views (no copy) when the rows are
// consecutive slots.
std::pair<torch::Tensor, torch::Tensor> ReadCache(const CacheIo& io, int64_t layer,
                                                  int64_t rows) {
  torch::Tensor keys = io.cache->keys(layer);
  torch::Tensor values = io.cache->values(layer);
  if (!io.read_slots.defined()) {
    return {keys.narrow(0, io.read_first, rows).narrow(2, 0, io.length),
            values.narrow(0, io.read_first, rows).narrow(2, 0, io.length)};
  }
  return {keys.narrow(2, 0, io.length).index_select(0, io.read_slots),
          values.narrow(2, 0, io.length).index_select(0, io.read_slots)};
}

}  // namespace

torch::Tensor GroupedAttention(const torch::Tensor& q, const torch::Tensor& k,
                               const torch::Tensor& v, const torch::Tensor& blocked,
                               bool fused_kernels) {
  int64_t batch = q.size(0), tokens = q.size(1), heads = q.size(2), hd = q.size(3);
  int64_t kv_heads = k.size(1), keys = k.size(2), group = heads / kv_heads;
  // Query head h = kv * group + r reads kv head kv (transformers' repeat_kv order); stacking
  // the group's queries as rows lets one matmul per kv head serve all of them.
  torch::Tensor qg = q.reshape({batch, tokens, kv_heads, group, hd})
                         .permute({0, 2, 3, 1, 4})
                         .reshape({batch, kv_heads, group * tokens, hd});
  torch::Tensor scores = torch::matmul(qg, k.transpose(-1, -2));  // [B, n_kv, g*T, L]
  double scale = 1.0 / std::sqrt(static_cast<double>(hd));
  torch::Tensor probs;  // [B, n_kv, g*T, L] in q's dtype
  if (fused_kernels && kernels::Applies(scores)) {
    probs = kernels::MaskedSoftmax(scores, blocked, scale);
  } else {
    // LibTorch 1.x rounds the scalar to bf16 before a bf16 multiply (1/sqrt(32) moves by
    // 0.01%), later ones multiply in float32; the fused kernels follow either
    // (AtenBf16ScalarMultiplier in cpu_kernels.cc). Last bits like these moved the old
    // 650-step quickstart SFT from 49% to 9.5% held-out accuracy (configs/quickstart.json).
    scores.mul_(scale);
    scores.view({batch, kv_heads, group, tokens, keys})
        .masked_fill_(blocked, -std::numeric_limits<float>::infinity());
    probs = torch::softmax(scores, -1, torch::kFloat).to(q.scalar_type());
  }
  torch::Tensor out = torch::matmul(probs, v);  // [B, n_kv, g*T, hd]
  return out.view({batch, kv_heads, group, tokens, hd})
      .permute({0, 3, 1, 2, 4})
      .reshape({batch, tokens, heads * hd});
}

AttentionImpl::AttentionImpl(const AttentionOptions& options)
    : num_heads_(options.config().num_attention_heads),
      num_kv_heads_(options.config().num_key_value_heads),
      head_dim_(options.config().head_dim) {
  const ModelArchConfig& c = options.config();
  auto linear = [&](int64_t in, int64_t out, bool bias) {
    return Linear(LinearOptions(in, out).bias(bias).tensor_options(options.tensor_options()));
  };
  q_proj = register_module(
      "q_proj", linear(c.hidden_size, num_heads_ * head_dim_, c.attention_qkv_bias));
  k_proj = register_module(
      "k_proj", linear(c.hidden_size, num_kv_heads_ * head_dim_, c.attention_qkv_bias));
  v_proj = register_module(
      "v_proj", linear(c.hidden_size, num_kv_heads_ * head_dim_, c.attention_qkv_bias));
  o_proj = register_module(
      "o_proj", linear(num_heads_ * head_dim_, c.hidden_size, c.attention_out_bias));
  if (c.qk_norm) {
    auto norm = RMSNormOptions(head_dim_).eps(c.rms_norm_eps).tensor_options(
        options.tensor_options());
    q_norm = register_module("q_norm", RMSNorm(norm));
    k_norm = register_module("k_norm", RMSNorm(norm));
  }
}

torch::Tensor AttentionImpl::forward(const torch::Tensor& x, const ForwardContext& ctx,
                                     int64_t layer, int64_t window) {
  int64_t batch = x.size(0), tokens = x.size(1);
  bool packed = packed_qkv_ && !torch::GradMode::is_enabled();
  torch::Tensor q, k, v;
  if (packed) {
    torch::Tensor qkv = packed_qkv_->Apply(x);  // [B, T, (n_heads + 2 n_kv) * hd]
    int64_t q_width = num_heads_ * head_dim_, kv_width = num_kv_heads_ * head_dim_;
    q = qkv.narrow(-1, 0, q_width).view({batch, tokens, num_heads_, head_dim_});
    k = qkv.narrow(-1, q_width, kv_width).view({batch, tokens, num_kv_heads_, head_dim_});
    v = qkv.narrow(-1, q_width + kv_width, kv_width)
            .view({batch, tokens, num_kv_heads_, head_dim_});
  } else {
    q = q_proj(x).view({batch, tokens, num_heads_, head_dim_});
    k = k_proj(x).view({batch, tokens, num_kv_heads_, head_dim_});
    v = v_proj(x).view({batch, tokens, num_kv_heads_, head_dim_});
  }
  if (q_norm) {
    q = q_norm(q);
    k = k_norm(k);
  }
  q = ApplyRope(q, ctx.rope, packed);
  k = ApplyRope(k, ctx.rope, packed);
  torch::Tensor attended;  // [B, T, n_heads * hd]
  const CacheIo* io = ctx.cache;
  if (io != nullptr) WriteCache(*io, layer, k, v);
  if (packed && io != nullptr && tokens == 1 && window == 0 && kernels::Applies(q) &&
      kernels::DecodeAttentionAvailable(q.scalar_type())) {
    // A decode step: each row reads its own slot in place (no gathered copy of the cache).
    attended = kernels::DecodeAttention(q, io->cache->keys(layer), io->cache->values(layer),
                                        io->slots, io->lengths);
  } else {
    torch::Tensor keys, values;  // [B, n_kv, L, hd]
    if (io != nullptr) {
      std::tie(keys, values) = ReadCache(*io, layer, batch);
    } else {
      keys = k.transpose(1, 2);
      values = v.transpose(1, 2);
    }
    const torch::Tensor& blocked = window > 0 ? ctx.blocked_window : ctx.blocked;
    attended = GroupedAttention(q, keys, values, blocked, packed);
  }
  return packed ? packed_o_->Apply(attended) : o_proj(attended);
}

bool AttentionImpl::PackForInference() {
  std::unique_ptr<PackedLinear> qkv =
      PackedLinear::Create({q_proj->weight, k_proj->weight, v_proj->weight},
                           {q_proj->bias, k_proj->bias, v_proj->bias});
  std::unique_ptr<PackedLinear> o = PackedLinear::Create({o_proj->weight}, {o_proj->bias});
  if (!qkv || !o) return false;
  packed_qkv_ = std::move(qkv);
  packed_o_ = std::move(o);
  return true;
}

}  // namespace zerorl::model
