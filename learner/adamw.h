// AdamW (decoupled weight decay) over named float32 master weights, with global-norm
// gradient clipping and a state that round-trips through checkpoints bit for bit.
//
//   AdamW optimizer(model->named_parameters(), AdamWOptionsFromConfig(config.learner.optimizer));
//   optimizer.ZeroGrad();
//   loss.backward();
//   double norm = optimizer.ClipGradNorm(1.0);
//   if (std::isfinite(norm)) optimizer.Step(lr);
//
// The update is torch.optim.AdamW's (PyTorch's single-tensor path): p *= 1 - lr * wd;
// m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; p -= lr / (1 - b1^k) * m / (sqrt(v) /
// sqrt(1 - b2^k) + eps), with k counted per parameter. Only matrices (dim >= 2) are decayed;
// norm weights and biases are not (as Hugging Face's Trainer does).
#ifndef ZERORL_LEARNER_ADAMW_H_
#define ZERORL_LEARNER_ADAMW_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <torch/types.h>

#include "absl/status/status.h"
#include "config/config.h"

namespace zerorl::learner {

struct AdamWOptions {
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;
};

AdamWOptions AdamWOptionsFromConfig(const config::OptimizerConfig& config);

using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

class AdamW {
 public:
  // `params` are the tensors to update in place (float32, requires_grad); they stay owned
  // by the caller and must outlive the optimizer. Moments are allocated lazily, on the
  // parameter's device.
  AdamW(NamedTensors params, const AdamWOptions& options);

  // Sets every parameter's gradient to undefined (PyTorch's set_to_none).
  void ZeroGrad();

  // The global L2 norm of all defined gradients. When max_norm > 0 and the norm exceeds
  // it, the gradients are scaled in place by max_norm / (norm + 1e-6). A non-finite norm
  // is returned as is and leaves the gradients untouched: the caller should skip Step().
  double ClipGradNorm(double max_norm);

  // One update at learning rate `lr`. Parameters whose gradient is undefined are skipped
  // (their moments and step count do not move).
  void Step(double lr);

  // Moments and per-parameter step counts, named "<param>.exp_avg" (float32),
  // "<param>.exp_avg_sq" (float32) and "<param>.step" (int64 scalar); parameters never
  // updated have no entries.
  NamedTensors StateTensors() const;

  // Restores what StateTensors() returned. kInvalidArgument naming the tensor when one
  // belongs to no parameter, has the wrong shape or dtype, or a parameter's set is
  // incomplete; on failure the optimizer is left unchanged.
  absl::Status LoadState(const std::map<std::string, torch::Tensor>& tensors);

  const AdamWOptions& options() const { return options_; }

 private:
  struct Slot {
    std::string name;
    torch::Tensor param;    // shared with the caller
    torch::Tensor exp_avg;  // undefined until the first update
    torch::Tensor exp_avg_sq;
    int64_t step = 0;
    bool decay = false;
  };
  std::vector<Slot> slots_;
  AdamWOptions options_;
};

}  // namespace zerorl::learner

#endif  // ZERORL_LEARNER_ADAMW_H_
