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

// A part of a parameter that one optimizer updates (ZeRO-1: each learner rank updates its
// 1/N of the flattened parameters): `param` a view of some of the parameter's elements,
// `grad` the matching view of its reduced gradient, `decay` whether the whole parameter is
// decayed (a matrix). Moments and state tensors are shaped like the view.
struct AdamWSlice {
  std::string name;  // the parameter's name
  torch::Tensor param;
  torch::Tensor grad;
  bool decay = false;
};

class AdamW {
 public:
  // `params` are the tensors to update in place (float32, requires_grad); they stay owned
  // by the caller and must outlive the optimizer. Moments are allocated lazily, on the
  // parameter's device.
  AdamW(NamedTensors params, const AdamWOptions& options);
  // Updates only `slices`, reading each one's gradient from its `grad` view (ZeroGrad leaves
  // those alone: the caller owns them). Element for element the same update as above.
  static AdamW OfSlices(std::vector<AdamWSlice> slices, const AdamWOptions& options);

  // Sets every parameter's gradient to undefined (PyTorch's set_to_none).
  void ZeroGrad();

  // The global L2 norm of all defined gradients. When max_norm > 0 and the norm exceeds
  // it, the gradients are scaled in place by max_norm / (norm + 1e-6). A non-finite norm
  // is returned as is and leaves the gradients untouched: the caller should skip Step().
  double ClipGradNorm(double max_norm);
  // The two halves of ClipGradNorm: the sum of the squared norms of every defined gradient
  // (learner ranks add theirs up for the global norm), and scaling every gradient in place.
  double GradSquaredNorm() const;
  void ScaleGradients(double scale);

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
    torch::Tensor grad;     // a slice's gradient view; undefined: param.grad()
    torch::Tensor exp_avg;  // undefined until the first update
    torch::Tensor exp_avg_sq;
    int64_t step = 0;
    bool decay = false;
  };
  explicit AdamW(const AdamWOptions& options) : options_(options) {}
  static const torch::Tensor& Grad(const Slot& s) {
    return s.grad.defined() ? s.grad : s.param.grad();
  }
  std::vector<Slot> slots_;
  AdamWOptions options_;
};

}  // namespace zerorl::learner

#endif  // ZERORL_LEARNER_ADAMW_H_
