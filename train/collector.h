// Waits for the scored batches the trainer needs. Results come out of the controller in
// whatever order workers finish; train and eval batches (and, in async mode, the next
// step's) interleave, so results not asked for yet are kept until they are.
#ifndef ZERORL_TRAIN_COLLECTOR_H_
#define ZERORL_TRAIN_COLLECTOR_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <vector>

#include "absl/status/statusor.h"
#include "controller/controller.h"

namespace zerorl::train {

class ResultCollector {
 public:
  // `on_idle` runs about every `idle_period` while waiting (restarting dead workers,
  // progress messages); `stop` aborts a wait with kCancelled (Ctrl-C).
  ResultCollector(controller::Controller* controller, std::function<void()> on_idle,
                  const std::atomic<bool>* stop)
      : controller_(controller), on_idle_(std::move(on_idle)), stop_(stop) {}

  // Returns the batches with these ids, in id order, once all have arrived.
  absl::StatusOr<std::vector<controller::ScoredBatch>> Await(const std::set<uint64_t>& ids);

 private:
  controller::Controller* controller_;
  std::function<void()> on_idle_;
  const std::atomic<bool>* stop_;
  std::map<uint64_t, controller::ScoredBatch> arrived_;
};

}  // namespace zerorl::train

#endif  // ZERORL_TRAIN_COLLECTOR_H_
