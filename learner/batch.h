// What the learner trains on: scored samples in, padded tensors out.
//
// The controller hands over every sample of one step (all G samples of each prompt, in any
// order); BuildTrainBatch() computes the group-relative advantages (advantages.h), decides
// which tokens get loss, and pads everything into one TrainBatch:
//
//   ASSIGN_OR_RETURN(TrainBatch batch, BuildTrainBatch(samples, options));
//   ASSIGN_OR_RETURN(StepMetrics m, learner->Step(batch));
//
// Position t of a row is token t of prompt + completion; the loss mask is 1 on completion
// tokens (never on the prompt, never on padding), and log-prob tensors are aligned with it:
// logprobs[b][t] = log p(input_ids[b][t] | input_ids[b][<t]).
#ifndef ZERORL_LEARNER_BATCH_H_
#define ZERORL_LEARNER_BATCH_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <torch/types.h>

#include "absl/status/statusor.h"
#include "learner/advantages.h"

namespace zerorl::learner {

// One scored completion.
struct Sample {
  std::vector<int32_t> prompt_ids;      // >= 1 token
  std::vector<int32_t> completion_ids;  // may be empty (then it gets no loss)
  // The rollout's log-prob of each completion token (model/logprobs.h), or empty when the
  // worker did not record them (then no TIS and no off-policy anchor for this sample).
  std::vector<float> completion_logprobs;
  double reward = 0.0;      // NaN = not applicable: out of the baseline, no loss
  int64_t group_id = 0;     // samples of one prompt share it
  bool truncated = false;   // stopped by max_new_tokens (finish_reason "length")
  int64_t policy_version = 0;  // the weights it was sampled with
};

struct BatchOptions {
  AdvantageOptions advantages;
  bool mask_truncated_completions = false;  // DAPO overlong filtering
};

// The padded batch of one optimizer step. CPU tensors; the learner moves micro-batches to
// its device.
struct TrainBatch {
  torch::Tensor input_ids;           // [B, T] int64, prompt + completion, right-padded with 0
  torch::Tensor lengths;             // [B] int64, real tokens per row
  torch::Tensor loss_mask;           // [B, T] float32, 1 on completion tokens that get loss
  torch::Tensor advantages;          // [B] float32
  torch::Tensor behaviour_logprobs;  // [B, T] float32 at loss positions; undefined if no
                                     // sample carries them
  torch::Tensor has_behaviour;       // [B] bool: the row's behaviour_logprobs are real
  torch::Tensor policy_versions;     // [B] int64
  // Batch statistics for the step's metrics ("frac_reward_zero_std", ...).
  std::map<std::string, double> stats;

  int64_t rows() const { return input_ids.defined() ? input_ids.size(0) : 0; }
};

// Fails with kInvalidArgument naming the sample when a sample has no prompt, or its
// completion_logprobs are neither empty nor one per completion token, or a log-prob is not
// finite and <= 0; and as ComputeAdvantages() does.
absl::StatusOr<TrainBatch> BuildTrainBatch(const std::vector<Sample>& samples,
                                           const BatchOptions& options);

// One supervised example: loss on the completion tokens only.
struct SftExample {
  std::vector<int32_t> prompt_ids;
  std::vector<int32_t> completion_ids;
};

// The same layout with advantages all 1 and no behaviour log-probs; examples longer than
// `max_length` tokens keep their first max_length. kInvalidArgument for an example without
// prompt or completion (naming its index).
absl::StatusOr<TrainBatch> BuildSftBatch(const std::vector<SftExample>& examples,
                                         int64_t max_length);

// Rows `rows` of `batch`, cut to their longest row: the tensors of one micro-batch.
TrainBatch SliceRows(const TrainBatch& batch, const std::vector<int64_t>& rows);

}  // namespace zerorl::learner

#endif  // ZERORL_LEARNER_BATCH_H_
