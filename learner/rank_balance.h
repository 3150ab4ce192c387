// Splitting one step's rows over the learner ranks so that each rank gets about the same
// number of tokens (veRL's balance_batch): the rank that computes longest sets the step's pace.
//
//   std::vector<std::vector<int64_t>> shares = BalanceRowsByTokens(lengths, 2);
//   double imbalance = TokenImbalance(lengths, shares);   // 0.01: the busiest rank has 1% more
//
// Rows go longest first (ties by index) to the rank with the fewest tokens so far (ties to the
// lowest rank): the greedy LPT rule, within a few percent of even once there are several
// rows per rank, and never worse than 4/3 of the best split. Each rank's rows come back in
// ascending order; every row is in exactly one share; a rank may get none when there are
// fewer rows than ranks.
#ifndef ZERORL_LEARNER_RANK_BALANCE_H_
#define ZERORL_LEARNER_RANK_BALANCE_H_

#include <cstdint>
#include <vector>

namespace zerorl::learner {

// `lengths` [N]: tokens per row (>= 0); `ranks` >= 1. Returns `ranks` lists of row indices.
std::vector<std::vector<int64_t>> BalanceRowsByTokens(const std::vector<int64_t>& lengths,
                                                      int ranks);

// max over ranks of its tokens / mean tokens per rank - 1 (0 when perfectly even or empty).
double TokenImbalance(const std::vector<int64_t>& lengths,
                      const std::vector<std::vector<int64_t>>& shares);

}  // namespace zerorl::learner

#endif  // ZERORL_LEARNER_RANK_BALANCE_H_
