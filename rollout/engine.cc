#include "rollout/engine.h"

#include <ATen/Parallel.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/status.h"
#include "model/hf_config.h"
#include "rollout/internal/generation.h"

namespace zerorl::rollout {
namespace {

void AddUnique(int64_t id, std::vector<int32_t>* ids) {
  if (id < 0) return;
  if (std::find(ids->begin(), ids->end(), id) == ids->end()) {
    ids->push_back(static_cast<int32_t>(id));
  }
}

}  // namespace

EngineOptions EngineOptionsFromConfig(const config::Config& config) {
  EngineOptions options;
  options.max_batch = config.rollout.max_batch;
  options.pack_weights = config.rollout.fast_cpu;
  options.threads = config.model.threads;
  return options;
}

GenerationParams GenerationParams::FromConfig(const config::SamplingConfig& config) {
  GenerationParams params;
  params.n = config.n;
  params.sampling.temperature = config.temperature;
  params.sampling.top_p = config.top_p;
  params.sampling.top_k = config.top_k;
  params.sampling.min_p = config.min_p;
  params.max_new_tokens = config.max_new_tokens;
  params.stop = config.stop;
  return params;
}

Engine::Engine(model::CausalLM model, std::optional<tokenizer::Tokenizer> tokenizer,
               EngineOptions options, int64_t policy_version)
    : model_(std::move(model)),
      tokenizer_(std::move(tokenizer)),
      options_(std::move(options)),
      policy_version_(policy_version) {}

absl::StatusOr<std::unique_ptr<Engine>> Engine::Create(
    model::CausalLM model, std::optional<tokenizer::Tokenizer> tokenizer,
    const EngineOptions& options, int64_t policy_version) {
  if (options.max_batch < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("rollout engine: max_batch must be >= 1, got ", options.max_batch));
  }
  if (options.max_seq_len < 0 || options.max_prefill_tokens < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "rollout engine: max_seq_len must be >= 0 and max_prefill_tokens >= 1, got ",
        options.max_seq_len, " and ", options.max_prefill_tokens));
  }
  if (options.threads < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("rollout engine: threads must be >= 0, got ", options.threads));
  }
  if (options.threads > 0) at::set_num_threads(options.threads);
  model->eval();
  if (options.pack_weights) model->PackForInference();  // false: at::linear as before
  return std::unique_ptr<Engine>(
      new Engine(std::move(model), std::move(tokenizer), options, policy_version));
}

absl::StatusOr<std::unique_ptr<Engine>> Engine::Load(const std::string& model_dir,
                                                     const std::string& tokenizer_path,
                                                     const model::LoadOptions& load,
                                                     EngineOptions options,
                                                     int64_t policy_version) {
  ASSIGN_OR_RETURN(model::CausalLM model, model::LoadModel(model_dir, load));
  ASSIGN_OR_RETURN(tokenizer::Tokenizer tokenizer,
                   tokenizer::Tokenizer::Load(tokenizer_path.empty() ? model_dir : tokenizer_path));
  for (int64_t id : model->config().eos_token_ids) AddUnique(id, &options.eos_token_ids);
  ASSIGN_OR_RETURN(model::GenerationConfig generation, model::ReadGenerationConfig(model_dir));
  for (int64_t id : generation.eos_token_ids) AddUnique(id, &options.eos_token_ids);
  AddUnique(tokenizer.special_ids().eos, &options.eos_token_ids);
  return Create(std::move(model), std::move(tokenizer), options, policy_version);
}

absl::Status Engine::Validate(absl::Span<const PromptInput> prompts,
                              const GenerationParams& params) const {
  if (params.n < 1) {
    return absl::InvalidArgumentError(absl::StrCat("sampling n must be >= 1, got ", params.n));
  }
  if (params.max_new_tokens < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_new_tokens must be >= 1, got ", params.max_new_tokens));
  }
  if (params.top_logits < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("top_logits must be >= 0, got ", params.top_logits));
  }
  RETURN_IF_ERROR(ValidateSamplingParams(params.sampling));
  for (const std::string& stop : params.stop) {
    if (stop.empty()) return absl::InvalidArgumentError("stop strings must not be empty");
  }
  if (!params.stop.empty() && !tokenizer_) {
    return absl::InvalidArgumentError("stop strings need a tokenizer; the engine has none");
  }
  int64_t vocab = model_->config().vocab_size;
  for (size_t p = 0; p < prompts.size(); ++p) {
    const std::vector<int32_t>& ids = prompts[p].ids;
    if (ids.empty()) return absl::InvalidArgumentError(absl::StrCat("prompt ", p, " is empty"));
    for (size_t t = 0; t < ids.size(); ++t) {
      if (ids[t] < 0 || ids[t] >= vocab) {
        return absl::InvalidArgumentError(absl::StrCat("prompt ", p, " token ", t, ": id ",
                                                       ids[t], " outside [0, ", vocab, ")"));
      }
    }
    int64_t needed = static_cast<int64_t>(ids.size()) + params.max_new_tokens;
    if (options_.max_seq_len > 0 && needed > options_.max_seq_len) {
      return absl::InvalidArgumentError(absl::StrCat(
          "prompt ", p, ": ", ids.size(), " tokens + max_new_tokens ", params.max_new_tokens,
          " exceed max_seq_len ", options_.max_seq_len));
    }
  }
  return absl::OkStatus();
}

absl::Status Engine::EnsureCache(int64_t slots, int64_t capacity) {
  if (cache_ && cache_->num_slots() >= slots && cache_->capacity() >= capacity) {
    return absl::OkStatus();
  }
  if (cache_) {  // grow only: never shrink below what an earlier call needed
    slots = std::max(slots, cache_->num_slots());
    capacity = std::max(capacity, cache_->capacity());
  }
  cache_.reset();
  try {
    cache_.emplace(model_->NewKvCache({slots, capacity}));
  } catch (const c10::Error& e) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "rollout engine: cannot allocate a KV cache of ", slots, " slots x ", capacity,
        " tokens (", slots * capacity * model::KvCache::BytesPerToken(model_->config(),
                                                                        model_->dtype()),
        " bytes); lower rollout.max_batch or the sequence length"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<SampleOutput>> Engine::Generate(absl::Span<const PromptInput> prompts,
                                                           const GenerationParams& params) {
  stats_ = EngineStats{};
  RETURN_IF_ERROR(Validate(prompts, params));
  if (prompts.empty()) return std::vector<SampleOutput>{};
  int64_t capacity = options_.max_seq_len;
  int64_t slots = options_.max_batch;
  if (capacity == 0) {
    int64_t longest = 0;
    for (const PromptInput& p : prompts) longest = std::max<int64_t>(longest, p.ids.size());
    capacity = longest + params.max_new_tokens;
    int64_t sequences = static_cast<int64_t>(prompts.size()) * params.n;
    slots = std::min<int64_t>(slots, sequences);
  }
  RETURN_IF_ERROR(EnsureCache(slots, capacity));
  internal::Generation generation(model_.get(), &*cache_, tokenizer_ ? &*tokenizer_ : nullptr,
                                  options_, prompts, params, policy_version_, &stats_);
  return generation.Run();
}

absl::Status Engine::UpdateWeights(const model::TensorMap& tensors, int64_t version) {
  RETURN_IF_ERROR(model::LoadWeights(*model_, tensors,
                                     absl::StrCat("weight update to version ", version)));
  policy_version_ = version;
  return absl::OkStatus();
}

}  // namespace zerorl::rollout
