#include "model/layers.h"

#include "model/internal/cpu_kernels.h"
#include "model/packed_linear.h"

namespace zerorl::model {

LinearImpl::LinearImpl(const LinearOptions& options) {
  weight = register_parameter(
      "weight", torch::empty({options.out_features(), options.in_features()},
                             options.tensor_options()));
  if (options.bias()) {
    bias = register_parameter("bias", torch::empty({options.out_features()},
                                                   options.tensor_options()));
  }
}

torch::Tensor LinearImpl::forward(const torch::Tensor& x) {
  return torch::linear(x, weight, bias);
}

RMSNormImpl::RMSNormImpl(const RMSNormOptions& options) : eps(options.eps()) {
  weight = register_parameter("weight", torch::empty({options.dim()}, options.tensor_options()));
}

torch::Tensor RMSNormImpl::forward(const torch::Tensor& x) {
  if (fused_kernel_ && kernels::Applies(x) && weight.scalar_type() == x.scalar_type() &&
      kernels::RmsNormAvailable()) {
    return kernels::RmsNorm(x, weight, eps);
  }
  torch::Tensor x32 = x.to(torch::kFloat);
  torch::Tensor variance = x32.pow(2).mean(-1, /*keepdim=*/true);
  return weight * (x32 * torch::rsqrt(variance + eps)).to(x.scalar_type());
}

MlpImpl::MlpImpl(const MlpOptions& options) {
  auto linear = [&](int64_t in, int64_t out) {
    return Linear(LinearOptions(in, out).bias(options.bias()).tensor_options(
        options.tensor_options()));
  };
  gate_proj = register_module("gate_proj", linear(options.hidden(), options.intermediate()));
  up_proj = register_module("up_proj", linear(options.hidden(), options.intermediate()));
  down_proj = register_module("down_proj", linear(options.intermediate(), options.hidden()));
}

torch::Tensor MlpImpl::forward(const torch::Tensor& x) {
  if (packed_gate_up_ && !torch::GradMode::is_enabled()) {
    torch::Tensor gate_up = packed_gate_up_->Apply(x);  // [..., 2 * intermediate]
    int64_t n = gate_up.size(-1) / 2;
    torch::Tensor activated = kernels::Applies(gate_up)
                                  ? kernels::SwiGlu(gate_up)
                                  : torch::silu(gate_up.narrow(-1, 0, n)) * gate_up.narrow(-1, n, n);
    return packed_down_->Apply(activated);
  }
  return down_proj(torch::silu(gate_proj(x)) * up_proj(x));
}

bool MlpImpl::PackForInference() {
  std::unique_ptr<PackedLinear> gate_up = PackedLinear::Create(
      {gate_proj->weight, up_proj->weight}, {gate_proj->bias, up_proj->bias});
  std::unique_ptr<PackedLinear> down = PackedLinear::Create({down_proj->weight}, {down_proj->bias});
  if (!gate_up || !down) return false;
  packed_gate_up_ = std::move(gate_up);
  packed_down_ = std::move(down);
  return true;
}

EmbeddingImpl::EmbeddingImpl(int64_t vocab, int64_t hidden,
                             const torch::TensorOptions& tensor_options) {
  weight = register_parameter("weight", torch::empty({vocab, hidden}, tensor_options));
}

torch::Tensor EmbeddingImpl::forward(const torch::Tensor& ids) {
  return torch::embedding(weight, ids);
}

}  // namespace zerorl::model
