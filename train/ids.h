// The ids the trainer gives prompt batches and prompts, and the seeds its prompts sample
// with: the one place that knows their layout.
//
//   batch id    a counter in each trainer process, starting at FirstBatchId(steps_done)
//               = (steps_done + 1) * kBatchIdsPerStep, steps_done being the GRPO steps of
//               the checkpoint it resumes (0 for a fresh run); train and eval batches
//               share it. A resumed process thus never reuses an earlier process's ids in
//               ledger.jsonl while the run averages under kBatchIdsPerStep batches a step.
//   prompt id   batch_id << kPromptIndexBits | the prompt's index in its batch
//                 bits 63..43: zero   42..20: batch id   19..0: index in the batch
//               so a prompt id is also a non-negative int64 (the learner's group id).
//   prompt seed (training) a 64-bit mix of (run.seed, step, the prompt's index in the step);
//               (evaluation) the problem's index in its eval set. Sample j of a prompt with
//               seed s draws from the stream (s, j) (rollout/rng.h).
//
//   ASSIGN_OR_RETURN(uint64_t next_batch_id, FirstBatchId(start_step));
//   ASSIGN_OR_RETURN(uint64_t prompt_id, PromptId(batch_id, index));
//   BatchIdOf(prompt_id) == batch_id, PromptIndexOf(prompt_id) == index
//
// Values that do not fit the layout are kOutOfRange errors, never ids that overlap.
#ifndef ZERORL_TRAIN_IDS_H_
#define ZERORL_TRAIN_IDS_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"

namespace zerorl::train {

inline constexpr int kPromptIndexBits = 20;
inline constexpr size_t kMaxPromptsPerBatch = size_t{1} << kPromptIndexBits;  // 1,048,576
inline constexpr int kBatchIdBits = 63 - kPromptIndexBits;
inline constexpr uint64_t kMaxBatchId = (uint64_t{1} << kBatchIdBits) - 1;    // 2^43 - 1
inline constexpr uint64_t kBatchIdsPerStep = 1000000;
// The training prompt seed mixes the step into bits 20 and up and the index below them.
inline constexpr size_t kMaxPromptsPerStep = size_t{1} << kPromptIndexBits;
inline constexpr int64_t kMaxSeedStep = (int64_t{1} << (64 - kPromptIndexBits)) - 1;

// The first batch id of a trainer process that starts after `steps_done` GRPO steps.
// kOutOfRange for a negative `steps_done`, or one so large that the process's first
// kBatchIdsPerStep ids would pass kMaxBatchId.
absl::StatusOr<uint64_t> FirstBatchId(int64_t steps_done);

// The id of the prompt at `index` in batch `batch_id`. kOutOfRange when `batch_id` >
// kMaxBatchId or `index` >= kMaxPromptsPerBatch.
absl::StatusOr<uint64_t> PromptId(uint64_t batch_id, size_t index);

// The two halves of a prompt id made by PromptId().
inline uint64_t BatchIdOf(uint64_t prompt_id) { return prompt_id >> kPromptIndexBits; }
inline size_t PromptIndexOf(uint64_t prompt_id) {
  return static_cast<size_t>(prompt_id & (kMaxPromptsPerBatch - 1));
}

// The seed of the training prompt at `index` among step `step`'s prompts (0-based), for run
// seed `run_seed`: the same numbers on every platform and after a resume. kOutOfRange when
// `index` >= kMaxPromptsPerStep or `step` is outside [0, kMaxSeedStep] (the two would share
// bits and two prompts could get one seed).
absl::StatusOr<uint64_t> TrainPromptSeed(int64_t run_seed, int64_t step, size_t index);

}  // namespace zerorl::train

#endif  // ZERORL_TRAIN_IDS_H_
