// Token sampling from rows of logits: temperature, top-k, top-p, min-p, greedy, seeded per
// sequence, with each token's log-prob computed by the one definition the learner uses
// (model/logprobs.h):
//
//   logprob = log_softmax(float32(logits) / temperature)[token]      (temperature 1 if greedy)
//
// The log-prob is that of the full tempered distribution, not of the top-k/top-p/min-p
// truncated one: it is what the learner recomputes, and the two can only be compared that way.
//
// The draw is inverse-CDF over the tempered softmax with one uniform number per token from a
// counter-based generator keyed by (seed, stream, step) (rollout/rng.h): the same seed, stream
// and logits give the same token whatever else is in the batch. On the plain temperature path
// (no top-k/top-p/min-p) nothing is sorted: one pass finds the max, one writes the
// exponentials with per-block sums, and the draw walks the block sums. Rows are spread over
// the intra-op threads (at::parallel_for).
//
//   std::vector<SampleRequest> requests = {{.row = 0, .params = {.temperature = 0.7},
//                                           .seed = 42, .stream = 3, .step = 0}};
//   std::vector<SampledToken> tokens;
//   RETURN_IF_ERROR(SampleTokens(logits /*[N, V] bf16*/, requests, &tokens));
#ifndef ZERORL_ROLLOUT_SAMPLER_H_
#define ZERORL_ROLLOUT_SAMPLER_H_

#include <cstdint>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>

#include "absl/status/status.h"
#include "absl/types/span.h"

namespace zerorl::rollout {

// How one sequence draws its tokens. The filters apply in transformers' order: temperature,
// then top-k, then top-p over what top-k kept (renormalized), then min-p. Ranking is by logit,
// ties to the lower id, so top_k = k keeps exactly k tokens.
struct SamplingParams {
  double temperature = 1.0;  // > 0 samples; 0 = greedy: argmax, ties to the lower id
  int top_k = 0;             // keep the k most likely tokens; 0 = off
  double top_p = 1.0;        // keep the most likely tokens until their mass reaches top_p
                             // (the token that crosses it included); 1 = off
  double min_p = 0.0;        // drop tokens with probability < min_p * the top probability;
                             // 0 = off
};

// kInvalidArgument naming the field: temperature < 0 or not finite, top_k < 0, top_p outside
// (0, 1], min_p outside [0, 1).
absl::Status ValidateSamplingParams(const SamplingParams& params);

// One token to draw from one row of logits (several requests may share a row: the G samples
// of a group all draw their first token from the prompt's last-position logits).
struct SampleRequest {
  int64_t row = 0;  // row of the logits
  SamplingParams params;
  uint64_t seed = 0;    // the request's seed
  uint64_t stream = 0;  // the sample's index within its group
  uint64_t step = 0;    // the token's index within the completion
  int top_logits = 0;   // also report the K largest raw logits of the row; 0 = none
};

struct SampledToken {
  int32_t id = -1;
  float logprob = 0.0f;  // log_softmax(logits / T)[id] in float32; T = 1 when greedy
  // The `top_logits` largest raw logits (before temperature) as (id, logit), highest first,
  // ties to the lower id. Empty unless asked for.
  std::vector<std::pair<int32_t, float>> top_logits;
};

// Draws one token per request. `logits` is [N, V] float32 or bfloat16 (other float dtypes are
// widened); rows on another device are copied to the CPU first. `*out` is resized to
// requests.size(), in request order. kInvalidArgument when a request's row is out of range or
// its params are invalid; kInternal when a row's logits are not finite (NaN, or no finite
// maximum): a diverged model must not produce silent samples. Params are not re-validated per
// call beyond that.
absl::Status SampleTokens(const at::Tensor& logits, absl::Span<const SampleRequest> requests,
                          std::vector<SampledToken>* out);

}  // namespace zerorl::rollout

#endif  // ZERORL_ROLLOUT_SAMPLER_H_
