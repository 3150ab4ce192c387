// Waits for the scored batches the trainer needs. Results come out of the controller in
// whatever order workers finish; train and eval batches (and, in async mode, the next
// step's) interleave, so results not asked for yet are kept until they are.
//
//   ResultCollector collector(controller, [&] { SuperviseWorkers(); }, &stop_requested);
//   ASSIGN_OR_RETURN(std::vector<controller::ScoredBatch> step, collector.Await(ids));
//
// While it waits, the collector runs `on_idle` every `idle_period`, whether or not results
// keep arriving, so worker supervision (reaping and restarting dead worker processes,
// killing hung ones, progress notes) never starves behind a steady stream of results.
#ifndef ZERORL_TRAIN_COLLECTOR_H_
#define ZERORL_TRAIN_COLLECTOR_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "controller/controller.h"

namespace zerorl::train {

class ResultCollector {
 public:
  // Shorter reacts faster to a dead worker; each call costs what `on_idle` costs (the
  // trainer's reads the controller's stats and reaps child processes: microseconds).
  static constexpr std::chrono::milliseconds kDefaultIdlePeriod{250};

  // `on_idle` (may be empty) runs about every `idle_period` (> 0) while Await waits, also
  // while results keep arriving; never when Await returns without waiting. `stop`, when
  // not null, aborts a wait with kCancelled once it is true (Ctrl-C). `controller` and
  // `stop` must outlive the collector.
  ResultCollector(controller::Controller* controller, std::function<void()> on_idle,
                  const std::atomic<bool>* stop,
                  std::chrono::milliseconds idle_period = kDefaultIdlePeriod);

  // Returns the batches with these ids, in id order, once all have arrived; results for
  // other ids are kept for a later call. kCancelled when `*stop` became true; the
  // controller's error (Controller::TakeFailures, naming the batch) when it gave up on one
  // of them. On error the batches that did arrive are kept.
  absl::StatusOr<std::vector<controller::ScoredBatch>> Await(const std::set<uint64_t>& ids);

 private:
  // Moves the controller's given-up batches into failed_; the first of `ids` among them.
  absl::Status CheckFailures(const std::set<uint64_t>& ids);

  controller::Controller* controller_;
  std::function<void()> on_idle_;
  const std::atomic<bool>* stop_;
  std::chrono::milliseconds idle_period_;
  std::map<uint64_t, controller::ScoredBatch> arrived_;
  std::map<uint64_t, absl::Status> failed_;  // batches the controller gave up on
};

}  // namespace zerorl::train

#endif  // ZERORL_TRAIN_COLLECTOR_H_
