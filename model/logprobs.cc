#include "model/logprobs.h"

#include <ATen/ATen.h>

namespace zerorl::model {

torch::Tensor TemperedLogSoftmax(const torch::Tensor& logits, double temperature) {
  torch::Tensor z = logits.to(at::kFloat);
  if (temperature > 0.0 && temperature != 1.0) z = z / temperature;
  return at::log_softmax(z, -1);
}

torch::Tensor TokenLogProbs(const torch::Tensor& logits, const torch::Tensor& targets,
                            double temperature) {
  torch::Tensor logp = TemperedLogSoftmax(logits, temperature);
  return logp.gather(-1, targets.to(at::kLong).unsqueeze(-1)).squeeze(-1);
}

TokenLogProbsAndEntropy TokenLogProbsWithEntropy(const torch::Tensor& logits,
                                                 const torch::Tensor& targets,
                                                 double temperature) {
  torch::Tensor logp = TemperedLogSoftmax(logits, temperature);
  TokenLogProbsAndEntropy out;
  out.logprobs = logp.gather(-1, targets.to(at::kLong).unsqueeze(-1)).squeeze(-1);
  out.entropy = -(logp.exp() * logp).sum(-1);
  return out;
}

}  // namespace zerorl::model
