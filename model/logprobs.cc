#include "model/logprobs.h"

#include <ATen/ATen.h>

namespace zerorl::model {
namespace {

bool Tempered(double temperature) { return temperature > 0.0 && temperature != 1.0; }

torch::Tensor Gather(const torch::Tensor& logp, const torch::Tensor& targets) {
  return logp.gather(-1, targets.to(at::kLong).unsqueeze(-1)).squeeze(-1);
}

}  // namespace

torch::Tensor TokenLogProbsOut(const torch::Tensor& logits, const torch::Tensor& targets,
                               double temperature, torch::Tensor& tempered, torch::Tensor& logp) {
  if (!tempered.is_same(logits)) tempered.copy_(logits);
  if (Tempered(temperature)) tempered.div_(temperature);
  at::_log_softmax_out(logp, tempered, -1, /*half_to_float=*/false);
  return Gather(logp, targets);
}

torch::Tensor TemperedLogSoftmax(const torch::Tensor& logits, double temperature) {
  // Out of place (differentiable), the same ops as TokenLogProbsOut.
  torch::Tensor z = logits.to(at::kFloat);
  if (Tempered(temperature)) z = z / temperature;
  return at::log_softmax(z, -1);
}

torch::Tensor TokenLogProbs(const torch::Tensor& logits, const torch::Tensor& targets,
                            double temperature) {
  return Gather(TemperedLogSoftmax(logits, temperature), targets);
}

TokenLogProbsAndEntropy TokenLogProbsWithEntropy(const torch::Tensor& logits,
                                                 const torch::Tensor& targets,
                                                 double temperature) {
  torch::Tensor logp = TemperedLogSoftmax(logits, temperature);
  TokenLogProbsAndEntropy out;
  out.logprobs = Gather(logp, targets);
  out.entropy = -(logp.exp() * logp).sum(-1);
  return out;
}

}  // namespace zerorl::model
