#include "reward/reward_worker.h"

#include <limits>
#include <unordered_map>

#include "absl/strings/str_join.h"
#include "core/log.h"
#include "core/status.h"

namespace zerorl::reward {

wire::ScoredGroups ScoreRollouts(RewardPipeline& pipeline, const wire::Rollouts& rollouts,
                           BatchRewards* details) {
  RewardBatch batch;
  batch.batch_id = rollouts.batch_id;
  std::unordered_map<uint64_t, size_t> index;  // prompt id -> index in batch.prompts
  for (const wire::Prompt& p : rollouts.prompts) {
    if (!index.emplace(p.id, batch.prompts.size()).second) continue;  // first one wins
    batch.prompts.push_back(RewardPrompt{p.text, p.answer, p.metadata});
  }
  for (const wire::Completion& c : rollouts.completions) {
    auto it = index.find(c.prompt_id);
    RewardSample sample;
    sample.prompt = it != index.end() ? it->second : std::numeric_limits<size_t>::max();
    sample.completion = c.text;
    sample.num_tokens = static_cast<int64_t>(c.tokens.size());
    batch.samples.push_back(std::move(sample));
  }
  BatchRewards rewards = pipeline.Score(batch);
  wire::ScoredGroups scored;
  scored.batch_id = rollouts.batch_id;
  scored.functions = pipeline.function_names();
  scored.completions.reserve(rollouts.completions.size());
  for (size_t i = 0; i < rollouts.completions.size(); ++i) {
    wire::ScoredCompletion c;
    c.prompt_id = rollouts.completions[i].prompt_id;
    c.sample_index = rollouts.completions[i].sample_index;
    c.total = rewards.samples[i].total;
    c.scores = rewards.samples[i].scores;
    scored.completions.push_back(std::move(c));
  }
  if (details != nullptr) *details = std::move(rewards);
  return scored;
}

std::map<std::string, double> RewardWorkerMetrics(const RewardPipeline& pipeline,
                                                  const BatchRewards& last_batch,
                                                  size_t last_batch_samples) {
  std::map<std::string, double> values = pipeline.Counters();
  values["reward/batch_s"] = last_batch.seconds;
  values["reward/batch_samples"] = static_cast<double>(last_batch_samples);
  return values;
}

absl::Status RunRewardWorker(wire::WorkerLinkOptions link, RewardPipeline* pipeline,
                             const std::atomic<bool>* stop) {
  link.kind = wire::WorkerKind::kReward;
  link.capabilities["functions"] = absl::StrJoin(pipeline->function_names(), ",");
  ASSIGN_OR_RETURN(std::unique_ptr<wire::WorkerLink> connection, wire::WorkerLink::Start(link));
  ZLOG(INFO) << "reward worker " << link.worker_id << " connecting to " << link.endpoint
             << " (functions: " << link.capabilities["functions"] << ")";
  while (!stop->load()) {
    std::optional<wire::WorkerEvent> event = connection->Next(std::chrono::milliseconds(200));
    if (!event) continue;
    if (event->kind == wire::WorkerEvent::kShutdown) {
      ZLOG(INFO) << "reward worker " << link.worker_id << ": shutdown: " << event->shutdown_reason;
      return absl::OkStatus();
    }
    if (event->kind != wire::WorkerEvent::kWork) continue;  // weights are for rollout workers
    const wire::Rollouts* rollouts = std::get_if<wire::Rollouts>(&event->work);
    if (rollouts == nullptr) {
      ZLOG(WARNING) << "reward worker " << link.worker_id << ": got "
                    << MessageTypeName(wire::TypeOf(event->work))
                    << ", which it cannot do; ignored";
      continue;
    }
    BatchRewards details;
    connection->Send(ScoreRollouts(*pipeline, *rollouts, &details));
    connection->Send(
        wire::Metrics{RewardWorkerMetrics(*pipeline, details, rollouts->completions.size())});
    ZLOG(DEBUG) << "reward worker " << link.worker_id << ": batch " << rollouts->batch_id
                << ": " << rollouts->completions.size() << " completions in " << details.seconds
                << " s";
  }
  return absl::OkStatus();
}

}  // namespace zerorl::reward
