#include "rollout/worker.h"

#include <chrono>

#include "core/log.h"
#include "model/dtype.h"

namespace zerorl::rollout {
namespace {

using Clock = std::chrono::steady_clock;

// Views over the received bytes (no copy for single-piece tensors); UpdateWeights copies
// them into the parameters while `frames` keeps them alive.
model::TensorMap ToTensorMap(const std::vector<wire::ReceivedTensor>& received,
                             std::vector<wire::Frame>* frames) {
  model::TensorMap map;
  for (const wire::ReceivedTensor& t : received) {
    frames->push_back(t.Contiguous());
    void* data = const_cast<uint8_t*>(frames->back().data());
    map[t.name] =
        torch::from_blob(data, t.shape, torch::TensorOptions().dtype(model::ScalarTypeOf(t.dtype)));
  }
  return map;
}

}  // namespace

wire::Rollouts GenerateBatch(Engine& engine, const wire::PromptBatch& batch,
                             wire::Metrics* metrics) {
  wire::Rollouts out;
  out.batch_id = batch.batch_id;
  std::vector<PromptInput> inputs;
  inputs.reserve(batch.prompts.size());
  for (const wire::Prompt& p : batch.prompts) inputs.push_back({p.tokens, p.seed});
  GenerationParams params = GenerationParams::FromConfig(batch.sampling);
  Clock::time_point start = Clock::now();
  absl::StatusOr<std::vector<SampleOutput>> samples = engine.Generate(inputs, params);
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (!samples.ok()) {
    ZLOG(ERROR) << "rollout: batch " << batch.batch_id << " refused by the engine: "
                << samples.status() << "; answering with aborted samples";
    for (const wire::Prompt& p : batch.prompts) {
      for (int i = 0; i < batch.sampling.n; ++i) {
        wire::Completion c;
        c.prompt_id = p.id;
        c.sample_index = i;
        c.policy_version = engine.policy_version();
        c.finish_reason = wire::FinishReason::kAbort;
        out.completions.push_back(std::move(c));
      }
    }
    if (metrics) metrics->values["rollout/aborted_batches"] += 1;
    return out;
  }
  int64_t tokens = 0;
  for (SampleOutput& s : *samples) {
    wire::Completion c;
    c.prompt_id = batch.prompts[s.prompt_index].id;
    c.sample_index = s.sample_index;
    c.policy_version = s.policy_version;
    c.finish_reason = s.finish_reason;
    c.tokens = std::move(s.completion_ids);
    c.logprobs = std::move(s.logprobs);
    c.text = std::move(s.text);
    tokens += static_cast<int64_t>(c.tokens.size());
    out.completions.push_back(std::move(c));
  }
  if (metrics) {
    const EngineStats& st = engine.stats();
    metrics->values["rollout/generate_s"] = seconds;
    metrics->values["rollout/tokens_per_s"] = seconds > 0 ? tokens / seconds : 0.0;
    metrics->values["rollout/prefill_s"] = st.prefill_s;
    metrics->values["rollout/decode_s"] = st.decode_s;
    metrics->values["rollout/sample_s"] = st.sample_s;
    metrics->values["rollout/prefill_tokens"] = static_cast<double>(st.prefill_tokens);
    metrics->values["rollout/sampled_tokens"] = static_cast<double>(st.sampled_tokens);
  }
  return out;
}

absl::Status RunRolloutWorker(Engine& engine, const wire::WorkerLinkOptions& link_options,
                              const std::atomic<bool>* stop) {
  absl::StatusOr<std::unique_ptr<wire::WorkerLink>> link =
      wire::WorkerLink::Start(link_options, engine.policy_version());
  if (!link.ok()) return link.status();
  ZLOG(INFO) << "rollout worker " << link_options.worker_id << " connecting to "
             << link_options.endpoint << " (policy version " << engine.policy_version() << ")";
  while (stop == nullptr || !stop->load()) {
    std::optional<wire::WorkerEvent> event = (*link)->Next(std::chrono::milliseconds(200));
    if (!event) continue;
    switch (event->kind) {
      case wire::WorkerEvent::kShutdown:
        ZLOG(INFO) << "rollout worker " << link_options.worker_id << ": shutdown ("
                   << event->shutdown_reason << ")";
        return absl::OkStatus();
      case wire::WorkerEvent::kWeights: {
        Clock::time_point start = Clock::now();
        std::vector<wire::Frame> keep_alive;
        model::TensorMap tensors = ToTensorMap(event->weights, &keep_alive);
        absl::Status applied = engine.UpdateWeights(tensors, event->weights_version);
        if (!applied.ok()) {
          ZLOG(ERROR) << "rollout worker: weights version " << event->weights_version
                      << " not applied: " << applied;
          break;
        }
        (*link)->SetPolicyVersion(event->weights_version);
        wire::Metrics m;
        m.values["rollout/weight_apply_s"] =
            std::chrono::duration<double>(Clock::now() - start).count();
        (*link)->Send(std::move(m));
        break;
      }
      case wire::WorkerEvent::kWork: {
        const wire::PromptBatch* batch = std::get_if<wire::PromptBatch>(&event->work);
        if (batch == nullptr) {
          ZLOG(WARNING) << "rollout worker: got work that is not a PromptBatch; ignored";
          break;
        }
        wire::Metrics m;
        (*link)->Send(GenerateBatch(engine, *batch, &m));
        if (!m.values.empty()) (*link)->Send(std::move(m));
        break;
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace zerorl::rollout
