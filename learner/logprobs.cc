#include "learner/logprobs.h"

#include <ATen/ATen.h>
#include <torch/autograd.h>

#include "learner/checkpointing.h"
#include "model/logprobs.h"

namespace zerorl::learner {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Scratch for one forward or backward call: [chunk, V] buffers that every chunk reuses.
// On the CPU a fresh buffer of that size costs more in page faults than the op that fills
// it, so every large intermediate is written into one of these with an out= op.
struct Scratch {
  torch::Tensor logits_cd;  // [chunk, V] compute dtype; aliases `z` when that is float32
  torch::Tensor z;          // [chunk, V] float32
  torch::Tensor aux;        // [chunk, V] float32

  Scratch(int64_t chunk, int64_t vocab, torch::ScalarType cd, const torch::TensorOptions& o) {
    z = at::empty({chunk, vocab}, o.dtype(at::kFloat));
    aux = at::empty({chunk, vocab}, o.dtype(at::kFloat));
    logits_cd = cd == at::kFloat ? z : at::empty({chunk, vocab}, o.dtype(cd));
  }
  // Where the float32 tempered logits of `logits` (a prefix of logits_cd) go: the same
  // view when the compute dtype is float32.
  torch::Tensor Tempered(const torch::Tensor& logits) const {
    return logits_cd.is_same(z) ? logits : z.narrow(0, 0, logits.size(0));
  }
};

// Float32 tempered logits of `h_cd` [len, H] in scratch.z[:len], as forward computed them
// (model::TokenLogProbsOut: product in the compute dtype, widened, divided by T).
torch::Tensor TemperedLogits(Scratch& s, const torch::Tensor& h_cd, const torch::Tensor& w_cd,
                             double temperature) {
  torch::Tensor logits = s.logits_cd.narrow(0, 0, h_cd.size(0));
  at::mm_out(logits, h_cd, w_cd.t());
  torch::Tensor z = s.Tempered(logits);
  if (!logits.is_same(z)) z.copy_(logits);
  if (temperature > 0.0 && temperature != 1.0) z.div_(temperature);
  return z;
}

// sum_v a[i, v] * b[i, v] for every row, without writing a [len, V] product.
torch::Tensor RowDot(const torch::Tensor& a, const torch::Tensor& b) {
  return at::bmm(a.unsqueeze(1), b.unsqueeze(2)).view({a.size(0)});
}

struct ChunkedLogProbsFunction : public torch::autograd::Function<ChunkedLogProbsFunction> {
  static variable_list forward(AutogradContext* ctx, torch::Tensor hidden, torch::Tensor weight,
                               torch::Tensor targets, double temperature, int64_t chunk_tokens,
                               bool with_entropy, int64_t compute_dtype) {
    const auto cd = static_cast<torch::ScalarType>(compute_dtype);
    const int64_t n = hidden.size(0);
    const auto f32 = hidden.options().dtype(at::kFloat);
    torch::Tensor weight_cd = weight.to(cd);
    torch::Tensor logprobs = at::empty({n}, f32);
    torch::Tensor entropy = at::zeros({n}, f32);
    torch::Tensor lse = at::empty({n}, f32);  // log-sum-exp per row, for backward
    Scratch s(std::min(chunk_tokens, std::max<int64_t>(n, 1)), weight.size(0), cd, hidden.options());
    for (int64_t start = 0; start < n; start += chunk_tokens) {
      const int64_t len = std::min(chunk_tokens, n - start);
      torch::Tensor t = targets.narrow(0, start, len).unsqueeze(1);
      torch::Tensor logits = s.logits_cd.narrow(0, 0, len);
      at::mm_out(logits, hidden.narrow(0, start, len).to(cd), weight_cd.t());
      torch::Tensor z = s.Tempered(logits);
      torch::Tensor logp = s.aux.narrow(0, 0, len);
      torch::Tensor token_logp = model::TokenLogProbsOut(logits, t.squeeze(1), temperature, z, logp);
      logprobs.narrow(0, start, len).copy_(token_logp);
      lse.narrow(0, start, len).copy_(z.gather(1, t).squeeze(1) - token_logp);
      if (with_entropy) {
        torch::Tensor p = z;
        at::exp_out(p, logp);
        entropy.narrow(0, start, len).copy_(-RowDot(p, logp));
      }
    }
    ctx->save_for_backward({hidden, weight, targets, lse});
    ctx->saved_data["temperature"] = temperature;
    ctx->saved_data["chunk_tokens"] = chunk_tokens;
    ctx->saved_data["compute_dtype"] = compute_dtype;
    ctx->set_materialize_grads(false);
    if (!with_entropy) ctx->mark_non_differentiable({entropy});
    return {logprobs, entropy};
  }

  // With z = logits / T, p = softmax(z): d logp_t / dz = onehot(t) - p and
  // d H / dz = -p (log p + H); the chain rule through z adds the 1 / T.
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    variable_list saved = ctx->get_saved_variables();
    const torch::Tensor& hidden = saved[0];
    const torch::Tensor& weight = saved[1];
    const torch::Tensor& targets = saved[2];
    const torch::Tensor& lse = saved[3];
    const double temperature = ctx->saved_data["temperature"].toDouble();
    const int64_t chunk_tokens = ctx->saved_data["chunk_tokens"].toInt();
    const auto cd = static_cast<torch::ScalarType>(ctx->saved_data["compute_dtype"].toInt());
    const torch::Tensor& grad_logp = grads[0];  // [N] or undefined
    const torch::Tensor& grad_entropy = grads[1];
    const int64_t n = hidden.size(0);
    torch::Tensor grad_hidden = at::zeros_like(hidden);
    torch::Tensor grad_weight = at::zeros(weight.sizes(), weight.options().dtype(at::kFloat));
    if (n == 0 || (!grad_logp.defined() && !grad_entropy.defined())) {
      return {grad_hidden, grad_weight.to(weight.scalar_type()), {}, {}, {}, {}, {}};
    }
    const double scale = temperature > 0.0 && temperature != 1.0 ? 1.0 / temperature : 1.0;
    torch::Tensor weight_cd = weight.to(cd);
    torch::Tensor grad_weight_cd = cd == at::kFloat ? torch::Tensor() : at::empty_like(weight_cd);
    Scratch s(std::min(chunk_tokens, n), weight.size(0), cd, hidden.options());
    for (int64_t start = 0; start < n; start += chunk_tokens) {
      const int64_t len = std::min(chunk_tokens, n - start);
      torch::Tensor h = hidden.narrow(0, start, len).to(cd);
      torch::Tensor t = targets.narrow(0, start, len).unsqueeze(1);
      torch::Tensor logp = TemperedLogits(s, h, weight_cd, temperature);
      logp.sub_(lse.narrow(0, start, len).unsqueeze(1));
      torch::Tensor g = grad_logp.defined() ? grad_logp.narrow(0, start, len).unsqueeze(1)
                                            : at::zeros({len, 1}, logp.options());
      torch::Tensor dz;  // [len, V] d loss / d logits, compute dtype
      if (grad_entropy.defined()) {
        torch::Tensor p = s.aux.narrow(0, 0, len);
        at::exp_out(p, logp);
        torch::Tensor entropy = -RowDot(p, logp);
        torch::Tensor coef = logp.add_(entropy.unsqueeze(1))
                                 .mul_(-grad_entropy.narrow(0, start, len).unsqueeze(1))
                                 .sub_(g);
        torch::Tensor dz_f = p.mul_(coef).scatter_add_(1, t, g).mul_(scale);
        dz = dz_f.to(cd);
      } else {
        torch::Tensor p_minus_onehot = logp.exp_().scatter_add_(1, t, at::full({len, 1}, -1.0, logp.options()));
        torch::Tensor coef = g * -scale;
        if (cd == at::kFloat) {
          dz = p_minus_onehot.mul_(coef);
        } else {
          dz = s.logits_cd.narrow(0, 0, len);
          at::mul_out(dz, p_minus_onehot, coef);
        }
      }
      torch::Tensor grad_h = grad_hidden.narrow(0, start, len);
      if (grad_h.scalar_type() == cd) {
        at::mm_out(grad_h, dz, weight_cd);
      } else {
        grad_h.copy_(at::mm(dz, weight_cd));
      }
      if (cd == at::kFloat) {
        grad_weight.addmm_(dz.t(), h);
      } else {
        grad_weight.add_(at::mm_out(grad_weight_cd, dz.t(), h));
      }
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
          ? CheckpointedForwardHidden(model, ids, sequence_ids)
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
