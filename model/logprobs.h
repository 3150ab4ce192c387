// The one definition of a token's log-probability, shared by the rollout engine (which
// records it for every sampled token) and the learner (which recomputes it for the loss),
// so that the two differ only where their logits differ, never in how they are read:
//
//   logp = log_softmax(float32(logits) / temperature)[target]
//
// The division happens in float32, after widening, and the log-softmax is float32 whatever
// the model's dtype. A temperature <= 0 (greedy decoding) reads the untempered logits
// (temperature 1), as vLLM reports greedy log-probs.
//
//   torch::Tensor logits = model->Logits(hidden);                      // [N, V] float32
//   torch::Tensor logp = TokenLogProbs(logits, sampled_ids, temperature);  // [N] float32
#ifndef ZERORL_MODEL_LOGPROBS_H_
#define ZERORL_MODEL_LOGPROBS_H_

#include <torch/types.h>

namespace zerorl::model {

// The definition, written into caller-owned buffers (for callers that reuse them, such as
// the learner's chunked LM head): `tempered` [N, V] float32 receives float32(logits) /
// temperature (it may be `logits` itself when that is float32), `logp` [N, V] float32 its
// log-softmax. Returns the [N] float32 log-probs of `targets` [N] int64.
torch::Tensor TokenLogProbsOut(const torch::Tensor& logits, const torch::Tensor& targets,
                               double temperature, torch::Tensor& tempered, torch::Tensor& logp);

// log_softmax(float32(logits) / temperature) over the last dimension: [N, V] float32.
torch::Tensor TemperedLogSoftmax(const torch::Tensor& logits,  // [N, V] any float dtype
                                 double temperature);

// [N] float32: the log-prob of targets[i] in row i. Differentiable with respect to logits.
torch::Tensor TokenLogProbs(const torch::Tensor& logits,   // [N, V] any float dtype
                            const torch::Tensor& targets,  // [N] int64, each in [0, V)
                            double temperature);

struct TokenLogProbsAndEntropy {
  torch::Tensor logprobs;  // [N] float32, exactly TokenLogProbs()
  torch::Tensor entropy;   // [N] float32: -sum_v p_v log p_v of the tempered distribution
};
TokenLogProbsAndEntropy TokenLogProbsWithEntropy(const torch::Tensor& logits,
                                                 const torch::Tensor& targets,
                                                 double temperature);

}  // namespace zerorl::model

#endif  // ZERORL_MODEL_LOGPROBS_H_
