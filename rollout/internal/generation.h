// Private: one Generate() call carried out step by step. It owns the per-sample state (ids,
// log-probs, stop checker) and executes the scheduler's plans: a prefill forward for prompt
// chunks (LM head on the prompts' last tokens only), the K/V copies of shared prefixes, a
// decode forward for the running sequences, and the sampling of every new token.
#ifndef ZERORL_ROLLOUT_INTERNAL_GENERATION_H_
#define ZERORL_ROLLOUT_INTERNAL_GENERATION_H_

#include <vector>

#include "rollout/engine.h"
#include "rollout/scheduler.h"
#include "rollout/stop.h"

namespace zerorl::rollout::internal {

class Generation {
 public:
  // Everything referenced must outlive the Generation; `cache` is used exclusively.
  Generation(model::CausalLMImpl* model, model::KvCache* cache,
             const tokenizer::Tokenizer* tokenizer, const EngineOptions& options,
             absl::Span<const PromptInput> prompts, const GenerationParams& params,
             int64_t policy_version, EngineStats* stats);

  // Runs until every sample has finished; returns them ordered by (prompt, sample).
  absl::StatusOr<std::vector<SampleOutput>> Run();

 private:
  struct Sample {
    SampleOutput out;
    StopChecker checker;
    int32_t last_token = -1;
  };

  absl::Status Prefill(const StepPlan& plan);
  absl::Status Decode(const StepPlan& plan);
  // Samples one token for each (sequence, logits row) and records it.
  absl::Status SampleAndRecord(const at::Tensor& logits, const std::vector<int64_t>& sequences,
                               const std::vector<int64_t>& rows);
  at::Tensor LmHead(const at::Tensor& hidden);  // [N, hidden] -> [N, V] model dtype

  model::CausalLMImpl* model_;
  model::KvCache* cache_;
  const GenerationParams& params_;
  absl::Span<const PromptInput> prompts_;
  EngineStats* stats_;
  StopRules rules_;
  KvManager kv_;
  Scheduler scheduler_;
  std::vector<Sample> samples_;  // [prompts * n], sequence id order
};

}  // namespace zerorl::rollout::internal

#endif  // ZERORL_ROLLOUT_INTERNAL_GENERATION_H_
