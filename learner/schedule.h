// Learning-rate schedules, as a pure function of the update index so that a resumed run
// continues on exactly the same curve.
//
//   double lr = LearningRate(config.learner.optimizer, update, total_updates);
//
// warmup: update k < warmup_steps uses lr * (k + 1) / warmup_steps (the first update is
// not wasted at lr 0, unlike Hugging Face's scheduler). After warmup:
//   constant  lr
//   cosine    lr_min + (lr - lr_min) * (1 + cos(pi * p)) / 2, with
//             p = (k - warmup) / (total - warmup) clamped to [0, 1] and lr_min = lr * min_lr_ratio.
#ifndef ZERORL_LEARNER_SCHEDULE_H_
#define ZERORL_LEARNER_SCHEDULE_H_

#include <cstdint>

#include "config/config.h"

namespace zerorl::learner {

// `update` is 0-based; `total_updates` is the length of the run in optimizer updates.
double LearningRate(const config::OptimizerConfig& config, int64_t update, int64_t total_updates);

}  // namespace zerorl::learner

#endif  // ZERORL_LEARNER_SCHEDULE_H_
