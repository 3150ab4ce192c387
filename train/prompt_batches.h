// How the trainer cuts prompts into PromptBatches for the rollout workers, for GRPO steps and
// held-out evaluation alike: consecutive runs of prompts, each batch with the next batch id,
// each prompt with the id PromptId(batch id, its index in the batch) (train/ids.h).
//
//   size_t per_batch = PromptsPerBatch(config.rollout.max_batch, sampling.n, prompts.size(),
//                                      /*workers=*/config.rollout.workers);
//   ASSIGN_OR_RETURN(std::vector<wire::PromptBatch> batches,
//                    MakePromptBatches(std::move(prompts), per_batch, version, sampling,
//                                      &next_batch_id_));
#ifndef ZERORL_TRAIN_PROMPT_BATCHES_H_
#define ZERORL_TRAIN_PROMPT_BATCHES_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "config/config.h"
#include "wire/messages.h"

namespace zerorl::train {

// Prompts per batch: as many as one rollout worker decodes together (max_batch /
// samples_per_prompt sequences, at least one prompt) and, when `workers` > 0, few enough that
// `num_prompts` make a batch for each of `workers` workers (ceil(num_prompts / workers)).
// Always >= 1. `workers` = 0 fills batches to capacity (evaluation).
size_t PromptsPerBatch(int max_batch, int samples_per_prompt, size_t num_prompts, int workers);

// Cuts `prompts` (text, tokens, seed and metadata filled in; `id` is overwritten) into batches
// of `prompts_per_batch` in order, the last possibly shorter. Batch k takes the id
// *next_batch_id + k; each batch carries `policy_version` and `sampling`. On success
// *next_batch_id has moved past the ids used; no prompts, no batches.
// kInvalidArgument when `prompts_per_batch` is 0; kOutOfRange (PromptId's) when an id does not
// fit the id layout; on error *next_batch_id is unchanged.
absl::StatusOr<std::vector<wire::PromptBatch>> MakePromptBatches(
    std::vector<wire::Prompt> prompts, size_t prompts_per_batch, int64_t policy_version,
    const config::SamplingConfig& sampling, uint64_t* next_batch_id);

}  // namespace zerorl::train

#endif  // ZERORL_TRAIN_PROMPT_BATCHES_H_
