// Private building blocks of the transformer: Linear, RMSNorm and the SwiGLU MLP, each
// registering its parameters under Hugging Face's names ("weight", "bias", "gate_proj", ...).
// Parameters are allocated uninitialised in the requested dtype and device (loading or
// RandomInit fills them), so building a 7B model never materialises an fp32 CPU copy.
#ifndef ZERORL_MODEL_LAYERS_H_
#define ZERORL_MODEL_LAYERS_H_

#include <memory>

#include <torch/torch.h>

namespace zerorl::model {

class PackedLinear;

struct LinearOptions {
  LinearOptions(int64_t in_features, int64_t out_features)
      : in_features_(in_features), out_features_(out_features) {}
  TORCH_ARG(int64_t, in_features);
  TORCH_ARG(int64_t, out_features);
  TORCH_ARG(bool, bias) = false;
  TORCH_ARG(torch::TensorOptions, tensor_options) = torch::TensorOptions();
};

// y = x W^T (+ b), W: [out, in], b: [out], in the parameters' dtype.
class LinearImpl : public torch::nn::Module {
 public:
  explicit LinearImpl(const LinearOptions& options);
  torch::Tensor forward(const torch::Tensor& x);  // [..., in] -> [..., out]

  torch::Tensor weight;  // [out, in]
  torch::Tensor bias;    // [out], undefined without bias
};
TORCH_MODULE(Linear);

struct RMSNormOptions {
  explicit RMSNormOptions(int64_t dim) : dim_(dim) {}
  TORCH_ARG(int64_t, dim);
  TORCH_ARG(double, eps) = 1e-6;
  TORCH_ARG(torch::TensorOptions, tensor_options) = torch::TensorOptions();
};

// Hugging Face's Llama/Qwen RMSNorm: normalise in float32, cast back to the input dtype, then
// scale by `weight` in that dtype.
class RMSNormImpl : public torch::nn::Module {
 public:
  explicit RMSNormImpl(const RMSNormOptions& options);
  torch::Tensor forward(const torch::Tensor& x);  // [..., dim] -> [..., dim], x's dtype
  // Forwards without autograd in bf16 or float32 on the CPU then run kernels::RmsNorm (the
  // same bits); CausalLM::PackForInference turns it on.
  void UseFusedKernel(bool on) { fused_kernel_ = on; }

  torch::Tensor weight;  // [dim]
  double eps;

 private:
  bool fused_kernel_ = false;
};
TORCH_MODULE(RMSNorm);

struct MlpOptions {
  MlpOptions(int64_t hidden, int64_t intermediate) : hidden_(hidden), intermediate_(intermediate) {}
  TORCH_ARG(int64_t, hidden);
  TORCH_ARG(int64_t, intermediate);
  TORCH_ARG(bool, bias) = false;
  TORCH_ARG(torch::TensorOptions, tensor_options) = torch::TensorOptions();
};

// down_proj(silu(gate_proj(x)) * up_proj(x)).
class MlpImpl : public torch::nn::Module {
 public:
  explicit MlpImpl(const MlpOptions& options);
  torch::Tensor forward(const torch::Tensor& x);  // [..., hidden] -> [..., hidden]
  // Packs gate/up as one matmul and down for forwards without autograd (packed_linear.h);
  // false (nothing changes) where packing is not available.
  bool PackForInference();

  Linear gate_proj{nullptr}, up_proj{nullptr}, down_proj{nullptr};

 private:
  std::shared_ptr<PackedLinear> packed_gate_up_, packed_down_;
};
TORCH_MODULE(Mlp);

// Token embedding table: weight [vocab, hidden].
class EmbeddingImpl : public torch::nn::Module {
 public:
  EmbeddingImpl(int64_t vocab, int64_t hidden, const torch::TensorOptions& tensor_options);
  torch::Tensor forward(const torch::Tensor& ids);  // [...] int64 -> [..., hidden]

  torch::Tensor weight;  // [vocab, hidden]
};
TORCH_MODULE(Embedding);

}  // namespace zerorl::model

#endif  // ZERORL_MODEL_LAYERS_H_
