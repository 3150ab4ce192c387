#include "train/prompt_batches.h"

#include <algorithm>

#include "core/status.h"
#include "train/ids.h"

namespace zerorl::train {

size_t PromptsPerBatch(int max_batch, int samples_per_prompt, size_t num_prompts, int workers) {
  const size_t by_capacity =
      static_cast<size_t>(std::max(1, max_batch / std::max(1, samples_per_prompt)));
  if (workers <= 0) return by_capacity;
  const size_t by_workers = (num_prompts + workers - 1) / static_cast<size_t>(workers);
  return std::max<size_t>(1, std::min(by_capacity, by_workers));
}

absl::StatusOr<std::vector<wire::PromptBatch>> MakePromptBatches(
    std::vector<wire::Prompt> prompts, size_t prompts_per_batch, int64_t policy_version,
    const config::SamplingConfig& sampling, uint64_t* next_batch_id) {
  if (prompts_per_batch == 0) {
    return absl::InvalidArgumentError("prompt batches: prompts_per_batch must be >= 1");
  }
  std::vector<wire::PromptBatch> batches;
  uint64_t batch_id = *next_batch_id;
  for (size_t begin = 0; begin < prompts.size(); begin += prompts_per_batch, ++batch_id) {
    wire::PromptBatch batch;
    batch.batch_id = batch_id;
    batch.policy_version = policy_version;
    batch.sampling = sampling;
    const size_t end = std::min(prompts.size(), begin + prompts_per_batch);
    for (size_t i = begin; i < end; ++i) {
      ASSIGN_OR_RETURN(prompts[i].id, PromptId(batch_id, i - begin));
      batch.prompts.push_back(std::move(prompts[i]));
    }
    batches.push_back(std::move(batch));
  }
  *next_batch_id = batch_id;
  return batches;
}

}  // namespace zerorl::train
