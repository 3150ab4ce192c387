// The reward worker: the process behind `zerorl reward --connect ENDPOINT`. It owns a
// RewardPipeline (and so the sandboxes and plugin hosts) and serves the controller through
// wire/worker_link.h: every Rollouts it is given (with the prompts attached) comes back as
// ScoredGroups, one ScoredCompletion per completion in the same order, followed by a
// Metrics message with the pipeline's counters.
//
//   ASSIGN_OR_RETURN(auto pipeline, RewardPipeline::Create(config.reward, options));
//   WorkerLinkOptions link;
//   link.endpoint = "ipc:///tmp/run/controller.sock";
//   link.kind = WorkerKind::kReward;
//   link.worker_id = "reward-0";
//   RETURN_IF_ERROR(RunRewardWorker(link, pipeline.get(), &stop_flag));
#ifndef ZERORL_REWARD_REWARD_WORKER_H_
#define ZERORL_REWARD_REWARD_WORKER_H_

#include <atomic>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "reward/reward.h"
#include "wire/messages.h"
#include "wire/worker_link.h"

namespace zerorl::reward {

// Scores one Rollouts message: one ScoredCompletion per completion, in their order. A
// completion whose prompt id is not among `rollouts.prompts` gets an error mark from every
// function (and a NaN total). ScoredCompletion::total is SampleReward::total (shuffled
// within each group when reward.shuffle_within_group); the scores are the raw per-function
// ones, never shuffled. `details`, when given, receives the pipeline's full result.
wire::ScoredGroups ScoreRollouts(RewardPipeline& pipeline, const wire::Rollouts& rollouts,
                           BatchRewards* details = nullptr);

// The Metrics values a worker sends after a batch: the pipeline's counters (cumulative
// since the worker started, so a lost message loses nothing) and the last batch's
// "reward/batch_s" and "reward/batch_samples".
std::map<std::string, double> RewardWorkerMetrics(const RewardPipeline& pipeline,
                                                  const BatchRewards& last_batch,
                                                  size_t last_batch_samples);

// Serves until the controller sends Shutdown (OK) or `*stop` becomes true (OK). `link.kind`
// is forced to kReward and `link.capabilities["functions"]` lists the function labels.
// kInvalidArgument for a bad endpoint or worker id, or link.slots < 1 (WorkerLink::Start).
absl::Status RunRewardWorker(wire::WorkerLinkOptions link, RewardPipeline* pipeline,
                             const std::atomic<bool>* stop);

}  // namespace zerorl::reward

#endif  // ZERORL_REWARD_REWARD_WORKER_H_
