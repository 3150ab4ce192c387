#include "learner/rank_balance.h"

#include <algorithm>
#include <numeric>

namespace zerorl::learner {

std::vector<std::vector<int64_t>> BalanceRowsByTokens(const std::vector<int64_t>& lengths,
                                                      int ranks) {
  std::vector<std::vector<int64_t>> shares(static_cast<size_t>(std::max(ranks, 1)));
  std::vector<int64_t> order(lengths.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return lengths[a] > lengths[b]; });
  std::vector<int64_t> load(shares.size(), 0);
  for (int64_t row : order) {
    const size_t lightest = std::min_element(load.begin(), load.end()) - load.begin();
    shares[lightest].push_back(row);
    load[lightest] += lengths[row];
  }
  for (auto& share : shares) std::sort(share.begin(), share.end());
  return shares;
}

double TokenImbalance(const std::vector<int64_t>& lengths,
                      const std::vector<std::vector<int64_t>>& shares) {
  if (shares.empty()) return 0.0;
  int64_t total = 0;
  int64_t busiest = 0;
  for (const auto& share : shares) {
    int64_t tokens = 0;
    for (int64_t row : share) tokens += lengths[row];
    total += tokens;
    busiest = std::max(busiest, tokens);
  }
  if (total == 0) return 0.0;
  const double mean = static_cast<double>(total) / static_cast<double>(shares.size());
  return static_cast<double>(busiest) / mean - 1.0;
}

}  // namespace zerorl::learner
