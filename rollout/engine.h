// The rollout engine: generates G samples for each of many prompts at once with a KV cache,
// continuous batching and one prefill per group, and hands back every token's log-prob, the
// finish reason and the policy version the samples were drawn with. New weights are taken in
// place between Generate() calls.
//
//   EngineOptions options = EngineOptionsFromConfig(config);  // or set the fields by hand
//   ASSIGN_OR_RETURN(std::unique_ptr<Engine> engine,
//                    Engine::Load("Qwen2.5-0.5B-Instruct", /*tokenizer=*/"", {torch::kBFloat16},
//                                 options));
//   GenerationParams params = GenerationParams::FromConfig(config.rollout.sampling);
//   std::vector<PromptInput> prompts = {{ids0, /*seed=*/11}, {ids1, /*seed=*/12}};
//   ASSIGN_OR_RETURN(std::vector<SampleOutput> samples, engine->Generate(prompts, params));
//   // samples: prompts.size() * params.n, ordered by (prompt_index, sample_index)
//   RETURN_IF_ERROR(engine->UpdateWeights(received_tensors, /*version=*/7));
//
// Determinism: sample j of a prompt with seed s draws token t from the Philox stream
// (s, j, t) (rollout/rng.h), so the same seed and weights give the same samples whatever else
// is in the batch, up to the last-bit differences batched matmuls may make in the logits.
//
// Thread-safety: none. One thread owns an engine; Generate() runs to completion, so weights
// never change inside a sample.
#ifndef ZERORL_ROLLOUT_ENGINE_H_
#define ZERORL_ROLLOUT_ENGINE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "config/config.h"
#include "model/transformer.h"
#include "model/weights.h"
#include "rollout/sampler.h"
#include "tokenizer/tokenizer.h"
#include "wire/messages.h"

namespace zerorl::rollout {

struct EngineOptions {
  // Sequences decoded together (KV cache slots). More: better matmul efficiency per token
  // (the LM head dominates small models) and more memory: max_batch * max_seq_len *
  // KvCache::BytesPerToken().
  int max_batch = 64;
  // Tokens a slot holds (prompt + completion). 0: sized to each call's longest prompt +
  // max_new_tokens (the cache is reallocated when a call needs more); > 0: fixed, and a
  // prompt that does not fit with its max_new_tokens is refused.
  int64_t max_seq_len = 0;
  // Prompt tokens per prefill forward (chunked prefill; see SchedulerOptions).
  int64_t max_prefill_tokens = 2048;
  // One prefill per group, its K/V copied to the other samples (off: one prefill per sample).
  bool share_prefix = true;
  // Token ids that end a sample (Engine::Load fills them from the model folder and tokenizer).
  std::vector<int32_t> eos_token_ids;
  // Intra-op threads (at::set_num_threads, process-wide) when > 0; 0 leaves them alone.
  int threads = 0;
  // On the CPU, pack the model's weights once for oneDNN (CausalLM::PackForInference) and run
  // its fused bf16 kernels (model/internal/cpu_kernels.h): about 2x faster decode steps, for
  // a second copy of the weights in memory. The log-probs stay the learner's up to rare last-bit
  // differences (mean 1e-5 nats; the decode attention's summation order). Off: ATen ops only.
  bool pack_weights = true;
};

// The engine options a run config asks for, as LearnerOptionsFromConfig does for the learner:
// max_batch = rollout.max_batch, pack_weights = rollout.fast_cpu, threads = model.threads (0:
// the threads the process already has, as its machine setup chose them). EOS ids are left
// empty: Engine::Load takes them from the model folder and tokenizer.
EngineOptions EngineOptionsFromConfig(const config::Config& config);

// What to generate for every prompt of one Generate() call.
struct GenerationParams {
  int n = 1;  // samples per prompt (the GRPO group size G)
  SamplingParams sampling;
  int64_t max_new_tokens = 512;
  std::vector<std::string> stop;  // stop strings (need a tokenizer)
  bool ignore_eos = false;        // keep going past EOS ids (benchmarks)
  int top_logits = 0;             // also return the K largest raw logits per position

  // rollout.sampling of the run config (n, temperature, top_p, top_k, min_p, max_new_tokens,
  // stop).
  static GenerationParams FromConfig(const config::SamplingConfig& config);
};

struct PromptInput {
  std::vector<int32_t> ids;  // [num_tokens_prompt] int32, each in [0, vocab_size)
  uint64_t seed = 0;         // sample j draws from the stream (seed, j)
};

struct SampleOutput {
  int64_t prompt_index = 0;  // index into the prompts of the call
  int32_t sample_index = 0;  // 0 .. n-1
  int64_t policy_version = 0;
  wire::FinishReason finish_reason = wire::FinishReason::kLength;  // kStop: EOS or a stop string
  std::vector<int32_t> completion_ids;  // [num_tokens_completion] int32 (an ending EOS included)
  std::vector<float> logprobs;  // [num_tokens_completion] float32: log_softmax(logits / T)[id]
                                // (T = 1 for greedy; see sampler.h)
  std::string text;  // the decoded completion (see stop.h); empty without a tokenizer
  // [num_tokens_completion][top_logits] (id, raw logit), highest first; empty unless asked.
  std::vector<std::vector<std::pair<int32_t, float>>> top_logits;
};

// Where one Generate() call spent its time (seconds, wall clock) and what it did.
struct EngineStats {
  int64_t steps = 0;
  int64_t prefill_tokens = 0;  // prompt tokens run through the model (shared prefixes once)
  int64_t decode_tokens = 0;   // tokens fed back through the model
  int64_t sampled_tokens = 0;  // tokens returned
  double prefill_s = 0;        // prefill forwards (with their LM head rows)
  double decode_s = 0;         // decode forwards, LM head included
  double sample_s = 0;         // sampling, stop checks and detokenization
  double total_s = 0;
};

class Engine {
 public:
  // Wraps a loaded model (its dtype and device are the engine's). `tokenizer` is needed for
  // stop strings and output text. kInvalidArgument for bad options.
  static absl::StatusOr<std::unique_ptr<Engine>> Create(
      model::CausalLM model, std::optional<tokenizer::Tokenizer> tokenizer,
      const EngineOptions& options, int64_t policy_version = 0);
  // Loads a Hugging Face model folder (and its tokenizer: `tokenizer_path`, or the folder
  // itself when empty). EOS ids: options.eos_token_ids, plus config.json's and
  // generation_config.json's eos_token_id, plus the tokenizer's eos token. Errors are
  // LoadModel()'s, Tokenizer::Load()'s and model::ReadGenerationConfig()'s.
  static absl::StatusOr<std::unique_ptr<Engine>> Load(const std::string& model_dir,
                                                      const std::string& tokenizer_path,
                                                      const model::LoadOptions& load,
                                                      EngineOptions options,
                                                      int64_t policy_version = 0);

  // Generates params.n samples for every prompt; returns prompts.size() * n outputs ordered
  // by (prompt_index, sample_index). kInvalidArgument (nothing generated) naming the prompt
  // or field for an empty prompt, an id outside the vocabulary, a prompt that cannot fit,
  // bad params, or stop strings without a tokenizer; kResourceExhausted when the KV cache
  // cannot be allocated; kInternal when the model produces non-finite logits.
  absl::StatusOr<std::vector<SampleOutput>> Generate(absl::Span<const PromptInput> prompts,
                                                     const GenerationParams& params);

  // Copies new weights into the model in place (model::LoadWeights: every parameter, by
  // Hugging Face name, any float dtype) and sets the policy version. On error the weights
  // and the version are unchanged.
  absl::Status UpdateWeights(const model::TensorMap& tensors, int64_t version);

  int64_t policy_version() const { return policy_version_; }
  model::CausalLM& model() { return model_; }
  const std::optional<tokenizer::Tokenizer>& tokenizer() const { return tokenizer_; }
  const EngineOptions& options() const { return options_; }
  // The last Generate() call's counters and timings.
  const EngineStats& stats() const { return stats_; }

 private:
  Engine(model::CausalLM model, std::optional<tokenizer::Tokenizer> tokenizer,
         EngineOptions options, int64_t policy_version);
  absl::Status Validate(absl::Span<const PromptInput> prompts,
                        const GenerationParams& params) const;
  absl::Status EnsureCache(int64_t slots, int64_t capacity);

  model::CausalLM model_;
  std::optional<tokenizer::Tokenizer> tokenizer_;
  EngineOptions options_;
  int64_t policy_version_;
  std::optional<model::KvCache> cache_;
  EngineStats stats_;
};

}  // namespace zerorl::rollout

#endif  // ZERORL_ROLLOUT_ENGINE_H_
