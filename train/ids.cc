#include "train/ids.h"

#include "absl/strings/str_cat.h"

namespace zerorl::train {

absl::StatusOr<uint64_t> FirstBatchId(int64_t steps_done) {
  constexpr int64_t kMaxStepsDone = static_cast<int64_t>(kMaxBatchId / kBatchIdsPerStep) - 2;
  if (steps_done < 0 || steps_done > kMaxStepsDone) {
    return absl::OutOfRangeError(absl::StrCat("batch ids: ", steps_done,
                                              " steps done is outside [0, ", kMaxStepsDone,
                                              "] (batch ids must stay under 2^",
                                              kBatchIdBits, ")"));
  }
  return static_cast<uint64_t>(steps_done + 1) * kBatchIdsPerStep;
}

absl::StatusOr<uint64_t> PromptId(uint64_t batch_id, size_t index) {
  if (batch_id > kMaxBatchId) {
    return absl::OutOfRangeError(absl::StrCat("prompt id: batch id ", batch_id,
                                              " does not fit in ", kBatchIdBits, " bits"));
  }
  if (index >= kMaxPromptsPerBatch) {
    return absl::OutOfRangeError(absl::StrCat("prompt id: index ", index, " in batch ", batch_id,
                                              " does not fit in ", kPromptIndexBits,
                                              " bits (at most ", kMaxPromptsPerBatch,
                                              " prompts per batch)"));
  }
  return batch_id << kPromptIndexBits | static_cast<uint64_t>(index);
}

absl::StatusOr<uint64_t> TrainPromptSeed(int64_t run_seed, int64_t step, size_t index) {
  if (step < 0 || step > kMaxSeedStep) {
    return absl::OutOfRangeError(
        absl::StrCat("prompt seed: step ", step, " is outside [0, ", kMaxSeedStep, "]"));
  }
  if (index >= kMaxPromptsPerStep) {
    return absl::OutOfRangeError(absl::StrCat("prompt seed: index ", index, " of step ", step,
                                              " does not fit in ", kPromptIndexBits,
                                              " bits (data.prompts_per_step at most ",
                                              kMaxPromptsPerStep, ")"));
  }
  uint64_t x = static_cast<uint64_t>(run_seed) * 0x9E3779B97F4A7C15ULL ^
               (static_cast<uint64_t>(step) << kPromptIndexBits) ^ index;
  x = (x ^ (x >> 31)) * 0xBF58476D1CE4E5B9ULL;
  return x ^ (x >> 29);
}

}  // namespace zerorl::train
