// Splitting one optimizer step's sequences into micro-batches by a padded-token budget
// instead of a fixed count, so that short sequences travel many to a batch and long ones
// few, and padding stays small.
//
//   std::vector<std::vector<int64_t>> plan = PlanMicroBatches(lengths, 8192);
//   for (const auto& rows : plan) { ... forward/backward over those rows ... }
//
// Rows are taken longest first (ties by index, so the plan is deterministic) and packed
// greedily: a micro-batch of rows padded to its longest row holds at most `budget_tokens`
// (rows x longest length). A row longer than the budget travels alone. Every row appears
// in exactly one micro-batch.
#ifndef ZERORL_LEARNER_MICRO_BATCH_H_
#define ZERORL_LEARNER_MICRO_BATCH_H_

#include <cstdint>
#include <vector>

namespace zerorl::learner {

// `lengths` [N]: tokens per row (>= 0). Returns row indices per micro-batch; empty when N == 0.
std::vector<std::vector<int64_t>> PlanMicroBatches(const std::vector<int64_t>& lengths,
                                                   int64_t budget_tokens);

}  // namespace zerorl::learner

#endif  // ZERORL_LEARNER_MICRO_BATCH_H_
