#include "learner/logprobs.h"

#include <ATen/ATen.h>
#include <torch/autograd.h>

#include "learner/checkpointing.h"
#include "model/logprobs.h"

namespace zerorl::learner {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// float32 logits of one chunk, exactly as CausalLMImpl::Logits() computes them for a model
// whose dtype is the compute dtype.
torch::Tensor ChunkLogits(const torch::Tensor& hidden_chunk, const torch::Tensor& weight_cd,
                          torch::ScalarType compute_dtype) {
  return at::linear(hidden_chunk.to(compute_dtype), weight_cd).to(at::kFloat);
}

struct ChunkedLogProbsFunction : public torch::autograd::Function<ChunkedLogProbsFunction> {
  static variable_list forward(AutogradContext* ctx, torch::Tensor hidden, torch::Tensor weight,
                               torch::Tensor targets, double temperature, int64_t chunk_tokens,
                               bool with_entropy, int64_t compute_dtype) {
    const auto cd = static_cast<torch::ScalarType>(compute_dtype);
    const int64_t n = hidden.size(0);
    torch::Tensor weight_cd = weight.to(cd);
    torch::Tensor logprobs = at::empty({n}, hidden.options().dtype(at::kFloat));
    torch::Tensor entropy = at::zeros({n}, hidden.options().dtype(at::kFloat));
    for (int64_t start = 0; start < n; start += chunk_tokens) {
      const int64_t len = std::min(chunk_tokens, n - start);
      torch::Tensor logits = ChunkLogits(hidden.narrow(0, start, len), weight_cd, cd);
      torch::Tensor t = targets.narrow(0, start, len);
      if (with_entropy) {
        model::TokenLogProbsAndEntropy r = model::TokenLogProbsWithEntropy(logits, t, temperature);
        logprobs.narrow(0, start, len).copy_(r.logprobs);
        entropy.narrow(0, start, len).copy_(r.entropy);
      } else {
        logprobs.narrow(0, start, len).copy_(model::TokenLogProbs(logits, t, temperature));
      }
    }
    ctx->save_for_backward({hidden, weight, targets});
    ctx->saved_data["temperature"] = temperature;
    ctx->saved_data["chunk_tokens"] = chunk_tokens;
    ctx->saved_data["compute_dtype"] = compute_dtype;
    ctx->set_materialize_grads(false);
    if (!with_entropy) ctx->mark_non_differentiable({entropy});
    return {logprobs, entropy};
  }

  // d logp_t / dz = onehot(t) - p;  d H / dz = -p (log p + H);  z = logits / temperature.
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    variable_list saved = ctx->get_saved_variables();
    const torch::Tensor& hidden = saved[0];
    const torch::Tensor& weight = saved[1];
    const torch::Tensor& targets = saved[2];
    const double temperature = ctx->saved_data["temperature"].toDouble();
    const int64_t chunk_tokens = ctx->saved_data["chunk_tokens"].toInt();
    const auto cd = static_cast<torch::ScalarType>(ctx->saved_data["compute_dtype"].toInt());
    const torch::Tensor& grad_logp = grads[0];  // [N] or undefined
    const torch::Tensor& grad_entropy = grads[1];
    const int64_t n = hidden.size(0);
    torch::Tensor weight_cd = weight.to(cd);
    torch::Tensor grad_hidden = at::zeros_like(hidden);
    torch::Tensor grad_weight = at::zeros(weight.sizes(), weight.options().dtype(at::kFloat));
    if (!grad_logp.defined() && !grad_entropy.defined()) return {grad_hidden, grad_weight.to(weight.scalar_type()), {}, {}, {}, {}, {}};
    const double scale = temperature > 0.0 && temperature != 1.0 ? 1.0 / temperature : 1.0;
    for (int64_t start = 0; start < n; start += chunk_tokens) {
      const int64_t len = std::min(chunk_tokens, n - start);
      torch::Tensor h = hidden.narrow(0, start, len).to(cd);
      torch::Tensor logp = model::TemperedLogSoftmax(ChunkLogits(h, weight_cd, cd), temperature);
      torch::Tensor p = logp.exp();
      torch::Tensor dz;  // [len, V] float32: d loss / d z
      if (grad_entropy.defined()) {
        torch::Tensor entropy = -(p * logp).sum(-1, /*keepdim=*/true);  // [len, 1]
        torch::Tensor coef = logp.add_(entropy).mul_(-grad_entropy.narrow(0, start, len).unsqueeze(-1));
        if (grad_logp.defined()) coef.sub_(grad_logp.narrow(0, start, len).unsqueeze(-1));
        dz = p.mul_(coef);
      } else {
        dz = p.mul_(-grad_logp.narrow(0, start, len).unsqueeze(-1));
      }
      if (grad_logp.defined()) {
        torch::Tensor g = grad_logp.narrow(0, start, len).unsqueeze(-1);
        dz.scatter_add_(1, targets.narrow(0, start, len).unsqueeze(-1), g);
      }
      if (scale != 1.0) dz.mul_(scale);
      torch::Tensor dz_cd = dz.to(cd);
      grad_hidden.narrow(0, start, len).copy_(at::mm(dz_cd, weight_cd));
      grad_weight.add_(at::mm(dz_cd.t(), h));
    }
    return {grad_hidden, grad_weight.to(weight.scalar_type()), {}, {}, {}, {}, {}};
  }
};

}  // namespace

LmHeadLogProbs ChunkedLmHeadLogProbs(const torch::Tensor& hidden, const torch::Tensor& weight,
                                     const torch::Tensor& targets,
                                     const LmHeadLogProbsOptions& options) {
  TORCH_CHECK(hidden.dim() == 2 && weight.dim() == 2 && hidden.size(1) == weight.size(1),
              "ChunkedLmHeadLogProbs: hidden [N, H] and weight [V, H] expected");
  TORCH_CHECK(targets.dim() == 1 && targets.size(0) == hidden.size(0),
              "ChunkedLmHeadLogProbs: targets must be [N]");
  variable_list out = ChunkedLogProbsFunction::apply(
      hidden, weight, targets.to(hidden.device(), at::kLong), options.temperature,
      std::max<int64_t>(1, options.chunk_tokens), options.with_entropy,
      static_cast<int64_t>(options.compute_dtype));
  LmHeadLogProbs r;
  r.logprobs = out[0];
  if (options.with_entropy) r.entropy = out[1];
  return r;
}

SequenceLogProbs ComputeSequenceLogProbs(model::CausalLMImpl& model,
                                         const torch::Tensor& input_ids,
                                         const torch::Tensor& sequence_ids,
                                         const torch::Tensor& mask,
                                         const LmHeadLogProbsOptions& options) {
  const torch::Device device = model.device();
  const int64_t rows = input_ids.size(0), cols = input_ids.size(1);
  torch::Tensor mask_d = mask.to(device, at::kFloat);
  TORCH_CHECK(mask_d.sizes() == input_ids.sizes(), "ComputeSequenceLogProbs: mask must be [B, T]");
  TORCH_CHECK(cols == 0 || mask_d.select(1, 0).abs().sum().item<double>() == 0.0,
              "ComputeSequenceLogProbs: mask[:, 0] must be 0 (the first token has no prediction)");
  torch::Tensor ids = input_ids.to(device, at::kLong);
  torch::Tensor hidden =  // [B, T, H]
      options.gradient_checkpointing
          ? CheckpointedForwardHidden(model, ids, sequence_ids, options.compute_dtype)
          : model.ForwardHidden(ids, {}, sequence_ids);
  torch::Tensor where = mask_d.reshape({-1}).nonzero().squeeze(-1);  // [N] flat target positions
  torch::Tensor h = hidden.reshape({rows * cols, hidden.size(2)}).index_select(0, where - 1);
  LmHeadLogProbs r = ChunkedLmHeadLogProbs(h, model.lm_head_weight(),
                                           ids.reshape({-1}).index_select(0, where), options);
  auto scatter = [&](const torch::Tensor& values) {
    return at::zeros({rows * cols}, mask_d.options()).index_copy(0, where, values).view({rows, cols});
  };
  SequenceLogProbs out;
  out.logprobs = scatter(r.logprobs);
  if (r.entropy.defined()) out.entropy = scatter(r.entropy);
  return out;
}

}  // namespace zerorl::learner
