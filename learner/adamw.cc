#include "learner/adamw.h"

#include <cmath>

#include <ATen/ATen.h>
#include <torch/csrc/autograd/generated/variable_factories.h>

#include "absl/strings/str_cat.h"

namespace zerorl::learner {

AdamWOptions AdamWOptionsFromConfig(const config::OptimizerConfig& config) {
  AdamWOptions o;
  o.beta1 = config.betas.size() > 0 ? config.betas[0] : o.beta1;
  o.beta2 = config.betas.size() > 1 ? config.betas[1] : o.beta2;
  o.eps = config.eps;
  o.weight_decay = config.weight_decay;
  return o;
}

AdamW::AdamW(NamedTensors params, const AdamWOptions& options) : options_(options) {
  for (auto& [name, param] : params) {
    Slot slot;
    slot.name = name;
    slot.param = param;
    slot.decay = param.dim() >= 2;
    slots_.push_back(std::move(slot));
  }
}

AdamW AdamW::OfSlices(std::vector<AdamWSlice> slices, const AdamWOptions& options) {
  AdamW optimizer(options);
  for (AdamWSlice& slice : slices) {
    Slot slot;
    slot.name = std::move(slice.name);
    slot.param = slice.param;
    slot.grad = slice.grad;
    slot.decay = slice.decay;
    optimizer.slots_.push_back(std::move(slot));
  }
  return optimizer;
}

void AdamW::ZeroGrad() {
  for (Slot& s : slots_) {
    if (!s.grad.defined() && s.param.grad().defined()) s.param.mutable_grad() = torch::Tensor();
  }
}

double AdamW::GradSquaredNorm() const {
  double sum_squares = 0.0;
  for (const Slot& s : slots_) {
    const torch::Tensor& g = Grad(s);
    if (!g.defined()) continue;
    double n = g.norm().item<double>();
    sum_squares += n * n;
  }
  return sum_squares;
}

void AdamW::ScaleGradients(double scale) {
  torch::NoGradGuard no_grad;
  for (Slot& s : slots_) {
    if (s.grad.defined()) {
      s.grad.mul_(scale);
    } else if (s.param.grad().defined()) {
      s.param.mutable_grad().mul_(scale);
    }
  }
}

double AdamW::ClipGradNorm(double max_norm) {
  const double norm = std::sqrt(GradSquaredNorm());
  if (!std::isfinite(norm) || max_norm <= 0.0 || norm <= max_norm) return norm;
  ScaleGradients(max_norm / (norm + 1e-6));
  return norm;
}

void AdamW::Step(double lr) {
  torch::NoGradGuard no_grad;
  const AdamWOptions& o = options_;
  for (Slot& s : slots_) {
    const torch::Tensor& g = Grad(s);
    if (!g.defined()) continue;
    if (!s.exp_avg.defined()) {
      s.exp_avg = at::zeros_like(s.param, at::MemoryFormat::Contiguous);
      s.exp_avg_sq = at::zeros_like(s.param, at::MemoryFormat::Contiguous);
    }
    ++s.step;
    if (s.decay && o.weight_decay != 0.0) s.param.mul_(1.0 - lr * o.weight_decay);
    s.exp_avg.mul_(o.beta1).add_(g, 1.0 - o.beta1);
    s.exp_avg_sq.mul_(o.beta2).addcmul_(g, g, 1.0 - o.beta2);
    const double bias_correction1 = 1.0 - std::pow(o.beta1, static_cast<double>(s.step));
    const double bias_correction2 = 1.0 - std::pow(o.beta2, static_cast<double>(s.step));
    torch::Tensor denom = (s.exp_avg_sq.sqrt() / std::sqrt(bias_correction2)).add_(o.eps);
    s.param.addcdiv_(s.exp_avg, denom, -lr / bias_correction1);
  }
}

NamedTensors AdamW::StateTensors() const {
  NamedTensors out;
  for (const Slot& s : slots_) {
    if (!s.exp_avg.defined()) continue;
    out.emplace_back(s.name + ".exp_avg", s.exp_avg);
    out.emplace_back(s.name + ".exp_avg_sq", s.exp_avg_sq);
    out.emplace_back(s.name + ".step", torch::tensor(s.step, torch::kInt64));
  }
  return out;
}

absl::Status AdamW::LoadState(const std::map<std::string, torch::Tensor>& tensors) {
  std::map<std::string, const Slot*> by_name;
  for (const Slot& s : slots_) by_name[s.name] = &s;
  // Check every tensor before touching anything.
  static const char* kSuffixes[] = {".exp_avg_sq", ".exp_avg", ".step"};
  for (const auto& [key, t] : tensors) {
    std::string param_name;
    std::string suffix;
    for (const char* sfx : kSuffixes) {
      std::string sf(sfx);
      if (key.size() > sf.size() && key.compare(key.size() - sf.size(), sf.size(), sf) == 0) {
        param_name = key.substr(0, key.size() - sf.size());
        suffix = sf;
        break;
      }
    }
    auto it = by_name.find(param_name);
    if (suffix.empty() || it == by_name.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("optimizer state: tensor \"", key, "\" belongs to no parameter"));
    }
    const torch::Tensor& p = it->second->param;
    bool ok = suffix == ".step"
                  ? t.scalar_type() == torch::kInt64 && t.numel() == 1
                  : t.scalar_type() == p.scalar_type() && t.sizes() == p.sizes();
    if (!ok) {
      return absl::InvalidArgumentError(absl::StrCat(
          "optimizer state: tensor \"", key, "\" has dtype ", c10::toString(t.scalar_type()),
          " shape ", c10::str(t.sizes()), "; parameter ", param_name, " is ",
          c10::toString(p.scalar_type()), " ", c10::str(p.sizes())));
    }
  }
  for (const Slot& s : slots_) {
    int present = 0;
    for (const char* sfx : kSuffixes) present += tensors.count(s.name + sfx);
    if (present != 0 && present != 3) {
      return absl::InvalidArgumentError(absl::StrCat(
          "optimizer state: parameter \"", s.name,
          "\" needs exp_avg, exp_avg_sq and step together; found ", present, " of 3"));
    }
  }
  torch::NoGradGuard no_grad;
  for (Slot& s : slots_) {
    auto it = tensors.find(s.name + ".step");
    if (it == tensors.end()) {
      s.exp_avg = s.exp_avg_sq = torch::Tensor();
      s.step = 0;
      continue;
    }
    s.step = it->second.item<int64_t>();
    s.exp_avg = tensors.at(s.name + ".exp_avg").to(s.param.device()).clone();
    s.exp_avg_sq = tensors.at(s.name + ".exp_avg_sq").to(s.param.device()).clone();
  }
  return absl::OkStatus();
}

}  // namespace zerorl::learner
