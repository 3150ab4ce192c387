// `zerorl train`: the loop of README's How it works, in the rank-0 process. It prepares the run
// folder and the starting model, loads the data, builds the learner, starts the controller
// and (cluster.spawn) the worker processes, optionally runs the cold-start SFT, and then
// trains: each step sends prompts to the rollout workers, waits for the scored groups,
// takes one GRPO step and publishes the new weights.
//
//   TrainFlags flags;
//   flags.resume = true;
//   absl::StatusOr<TrainSummary> summary = RunTraining(config, flags);
//
// Sync mode generates step s+1 with the weights of step s (on-policy). Async mode keeps the
// next step's batches generating while the learner trains; samples more than
// run.max_staleness versions behind the learner are dropped and counted.
//
// Ctrl-C (SIGINT/SIGTERM) stops at the next step boundary: a checkpoint and summary.json
// are written and the workers are shut down; a second Ctrl-C exits at once.
#ifndef ZERORL_TRAIN_TRAINER_H_
#define ZERORL_TRAIN_TRAINER_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "config/config.h"

namespace zerorl::train {

struct TrainFlags {
  bool resume = false;      // continue from the run folder's latest checkpoint
  std::string binary;       // what to spawn workers with; empty = this executable
  bool quiet = false;       // no progress lines on stdout
};

struct TrainSummary {
  std::string run_dir;
  int64_t steps = 0;             // GRPO steps taken in total (resumed ones included)
  double grpo_wall_s = 0.0;      // wall time of the GRPO loop in this process
  std::map<std::string, double> eval_before;  // dataset -> pass@1 before GRPO
  std::map<std::string, double> eval_after;   // after the last step
  bool interrupted = false;
};

absl::StatusOr<TrainSummary> RunTraining(const config::Config& config, const TrainFlags& flags);

}  // namespace zerorl::train

#endif  // ZERORL_TRAIN_TRAINER_H_
