// Log-probs of given tokens under a causal LM, computed so that training never holds the
// [tokens, vocab] float32 logits of a whole batch: the LM head runs over chunks of positions
// in forward, and again, chunk by chunk, in backward (a custom autograd function), so
// memory for the head is O(chunk x vocab) instead of O(tokens x vocab).
//
// The forward numbers are model::TokenLogProbs() of the same logits (model/logprobs.h), the
// function the rollout engine records log-probs with; only positions with mask 1 are
// computed at all (prompt tokens never reach the LM head).
//
//   SequenceLogProbs lp = ComputeSequenceLogProbs(*model, input_ids, sequence_ids, mask, opts);
//   // lp.logprobs[b][t] = log p(input_ids[b][t] | input_ids[b][<t]) where mask[b][t] == 1
#ifndef ZERORL_LEARNER_LOGPROBS_H_
#define ZERORL_LEARNER_LOGPROBS_H_

#include <cstdint>

#include <torch/types.h>

#include "model/transformer.h"

namespace zerorl::learner {

struct LmHeadLogProbsOptions {
  double temperature = 1.0;       // <= 0 reads untempered logits (see model/logprobs.h)
  int64_t chunk_tokens = 1024;    // positions per LM-head chunk
  bool with_entropy = true;       // also return each position's entropy
  // Dtype of the LM-head matmuls (weights and hidden states are cast per call); the
  // log-softmax is float32 regardless.
  torch::ScalarType compute_dtype = torch::kFloat;
  // ComputeSequenceLogProbs only: checkpoint every decoder layer (checkpointing.h).
  bool gradient_checkpointing = false;
};

struct LmHeadLogProbs {
  torch::Tensor logprobs;  // [N] float32, differentiable w.r.t. hidden and weight
  torch::Tensor entropy;   // [N] float32 (undefined unless with_entropy), differentiable too
};

// Log-probs of targets[i] given hidden[i] through the LM head `weight`:
// TokenLogProbs(float32(hidden @ weight^T), targets, temperature), in chunks, with a
// backward that recomputes each chunk's logits. Gradients come back in hidden's and
// weight's dtypes (weight's accumulated in float32 when it is float32).
LmHeadLogProbs ChunkedLmHeadLogProbs(const torch::Tensor& hidden,   // [N, H]
                                     const torch::Tensor& weight,   // [V, H]
                                     const torch::Tensor& targets,  // [N] int64
                                     const LmHeadLogProbsOptions& options);

struct SequenceLogProbs {
  torch::Tensor logprobs;  // [B, T] float32; 0 where mask is 0
  torch::Tensor entropy;   // [B, T] float32; 0 where mask is 0 (undefined without entropy)
};

// Runs the model over input_ids [B, T] int64 (sequence_ids [B, T] int64: 1 on tokens, 0 on
// padding; see CausalLMImpl::ForwardHidden) and returns, at every position t >= 1 with
// mask[b][t] != 0 ([B, T] float32), the log-prob of input_ids[b][t] given the tokens
// before it. mask[b][0] must be 0 (nothing predicts the first token).
SequenceLogProbs ComputeSequenceLogProbs(model::CausalLMImpl& model,
                                         const torch::Tensor& input_ids,
                                         const torch::Tensor& sequence_ids,
                                         const torch::Tensor& mask,
                                         const LmHeadLogProbsOptions& options);

}  // namespace zerorl::learner

#endif  // ZERORL_LEARNER_LOGPROBS_H_
