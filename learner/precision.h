// Mixed precision for the learner: fp32 master weights, matmuls in bf16.
//
// The policy's parameters stay float32 (the optimizer updates them), and the forward runs
// inside an AutocastScope, which makes torch cast matmul inputs to bf16 (weights once per
// scope, cached) while sums, norms and the residual stream stay float32; gradients flow
// back through the casts into float32 .grad. The same code runs on CUDA (autocast for
// CUDA) and on CPU, where LibTorch 1.13's CPU autocast supports bf16 (oneDNN kernels,
// AVX512-BF16/AMX where present). With float32 the scope does nothing.
//
//   {
//     AutocastScope autocast(device, torch::kBFloat16);
//     loss = Forward(...);
//   }             // leaving the scope clears the cast-weight cache
//   loss.backward();
#ifndef ZERORL_LEARNER_PRECISION_H_
#define ZERORL_LEARNER_PRECISION_H_

#include <torch/types.h>

namespace zerorl::learner {

class AutocastScope {
 public:
  // Enables autocast to `dtype` for `device`'s type; kFloat enables nothing.
  AutocastScope(torch::Device device, torch::ScalarType dtype);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool active_ = false;
  bool cuda_ = false;
  bool previous_enabled_ = false;
  torch::ScalarType previous_dtype_ = torch::kBFloat16;
};

}  // namespace zerorl::learner

#endif  // ZERORL_LEARNER_PRECISION_H_
