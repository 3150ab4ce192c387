#include "model/rope.h"

#include <cmath>

#include "model/internal/cpu_kernels.h"

namespace zerorl::model {
namespace {

// transformers' _compute_llama3_parameters, on float32 tensors.
torch::Tensor ScaleLlama3(const torch::Tensor& inv_freq, const RopeScaling& s) {
  double old_context = static_cast<double>(s.original_max_position_embeddings);
  double low_freq_wavelen = old_context / s.low_freq_factor;
  double high_freq_wavelen = old_context / s.high_freq_factor;
  torch::Tensor wavelen = 2 * M_PI / inv_freq;
  torch::Tensor scaled =
      torch::where(wavelen > low_freq_wavelen, inv_freq / s.factor, inv_freq);
  torch::Tensor smooth =
      (old_context / wavelen - s.low_freq_factor) / (s.high_freq_factor - s.low_freq_factor);
  torch::Tensor smoothed = (1 - smooth) * scaled / s.factor + smooth * scaled;
  torch::Tensor medium = (wavelen >= high_freq_wavelen).logical_and(wavelen <= low_freq_wavelen);
  return torch::where(medium, smoothed, scaled);
}

}  // namespace

torch::Tensor RopeInverseFrequencies(const ModelArchConfig& config) {
  int64_t dim = config.head_dim;
  torch::Tensor exponent = torch::arange(0, dim, 2, torch::kLong).to(torch::kFloat) / dim;
  torch::Tensor inv_freq = 1.0 / torch::pow(config.rope_theta, exponent);
  switch (config.rope_scaling.type) {
    case RopeScalingType::kNone:
      return inv_freq;
    case RopeScalingType::kLinear:
      return inv_freq / config.rope_scaling.factor;
    case RopeScalingType::kLlama3:
      return ScaleLlama3(inv_freq, config.rope_scaling);
  }
  return inv_freq;
}

RopeTables MakeRopeTables(const torch::Tensor& inv_freq, const torch::Tensor& positions,
                          torch::ScalarType dtype) {
  torch::Tensor angles = positions.to(torch::kFloat).unsqueeze(-1) * inv_freq;  // [B, T, hd/2]
  angles = angles.unsqueeze(2);                                                // [B, T, 1, hd/2]
  return {torch::cat({angles, angles}, -1).cos().to(dtype), angles.sin().to(dtype)};
}

// transformers' x * cos + rotate_half(x) * sin with rotate_half(x) = [-x2, x1]; both halves of
// its sin table are equal, so the rotation is two multiply-adds on the halves of x * cos.
torch::Tensor ApplyRope(const torch::Tensor& x, const RopeTables& tables, bool fused_kernels) {
  if (fused_kernels && kernels::Applies(x) && x.stride(-1) == 1 && x.stride(-2) == x.size(-1) &&
      tables.cos.scalar_type() == x.scalar_type() && kernels::RopeAvailable(x.scalar_type())) {
    return kernels::Rope(x, tables.cos, tables.sin);
  }
  int64_t half = x.size(-1) / 2;
  torch::Tensor out = x * tables.cos;
  out.narrow(-1, 0, half).addcmul_(x.narrow(-1, half, half), tables.sin, -1);
  out.narrow(-1, half, half).addcmul_(x.narrow(-1, 0, half), tables.sin, 1);
  return out;
}

}  // namespace zerorl::model
