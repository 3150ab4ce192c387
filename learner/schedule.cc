#include "learner/schedule.h"

#include <algorithm>
#include <cmath>

namespace zerorl::learner {

double LearningRate(const config::OptimizerConfig& config, int64_t update, int64_t total_updates) {
  const double lr = config.lr;
  const int64_t warmup = config.warmup_steps;
  if (update < warmup) return lr * static_cast<double>(update + 1) / static_cast<double>(warmup);
  if (config.schedule == config::LrSchedule::kConstant) return lr;
  const double lr_min = lr * config.min_lr_ratio;
  const double span = static_cast<double>(std::max<int64_t>(1, total_updates - warmup));
  const double progress = std::clamp(static_cast<double>(update - warmup) / span, 0.0, 1.0);
  return lr_min + (lr - lr_min) * 0.5 * (1.0 + std::cos(M_PI * progress));
}

}  // namespace zerorl::learner
