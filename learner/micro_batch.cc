#include "learner/micro_batch.h"

#include <algorithm>
#include <numeric>

namespace zerorl::learner {

std::vector<std::vector<int64_t>> PlanMicroBatches(const std::vector<int64_t>& lengths,
                                                   int64_t budget_tokens) {
  std::vector<int64_t> order(lengths.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return lengths[a] > lengths[b]; });
  std::vector<std::vector<int64_t>> plan;
  int64_t longest = 0;  // of the micro-batch being filled: its first row
  for (int64_t row : order) {
    bool fits = !plan.empty() &&
                static_cast<int64_t>(plan.back().size() + 1) * longest <= budget_tokens;
    if (!fits) {
      plan.emplace_back();
      longest = std::max<int64_t>(1, lengths[row]);
    }
    plan.back().push_back(row);
  }
  return plan;
}

}  // namespace zerorl::learner
