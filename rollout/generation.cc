#include "rollout/internal/generation.h"

#include <algorithm>
#include <chrono>

#include <torch/torch.h>

#include "core/status.h"

namespace zerorl::rollout::internal {
namespace {

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace

Generation::Generation(model::CausalLMImpl* model, model::KvCache* cache,
                       const tokenizer::Tokenizer* tokenizer, const EngineOptions& options,
                       absl::Span<const PromptInput> prompts, const GenerationParams& params,
                       int64_t policy_version, EngineStats* stats)
    : model_(model),
      cache_(cache),
      params_(params),
      prompts_(prompts),
      stats_(stats),
      kv_(cache->num_slots(), cache->capacity()),
      scheduler_(&kv_, {options.max_prefill_tokens, options.share_prefix}) {
  if (!params.ignore_eos) rules_.eos_ids = options.eos_token_ids;
  rules_.stop_strings = params.stop;
  rules_.max_new_tokens = params.max_new_tokens;
  samples_.reserve(prompts.size() * params.n);
  for (size_t p = 0; p < prompts.size(); ++p) {
    for (int j = 0; j < params.n; ++j) {
      Sample sample{{}, StopChecker(&rules_, tokenizer), -1};
      sample.out.prompt_index = static_cast<int64_t>(p);
      sample.out.sample_index = j;
      sample.out.policy_version = policy_version;
      samples_.push_back(std::move(sample));
    }
  }
}

absl::StatusOr<std::vector<SampleOutput>> Generation::Run() {
  auto start = std::chrono::steady_clock::now();
  for (const PromptInput& prompt : prompts_) {
    ASSIGN_OR_RETURN(int64_t first,
                     scheduler_.AddGroup({static_cast<int64_t>(prompt.ids.size()), params_.n,
                                          params_.max_new_tokens}));
    (void)first;  // sequences are numbered prompt * n + sample
  }
  torch::NoGradGuard no_grad;
  while (!scheduler_.done()) {
    StepPlan plan = scheduler_.Schedule();
    TORCH_CHECK(!plan.empty(), "rollout scheduler stalled with unfinished sequences");
    ++stats_->steps;
    if (!plan.prefill.empty()) RETURN_IF_ERROR(Prefill(plan));
    if (!plan.decode.empty()) RETURN_IF_ERROR(Decode(plan));
  }
  std::vector<SampleOutput> outputs;
  outputs.reserve(samples_.size());
  for (Sample& sample : samples_) outputs.push_back(std::move(sample.out));
  stats_->total_s = Seconds(start);
  return outputs;
}

at::Tensor Generation::LmHead(const at::Tensor& hidden) {
  return model_->LmHead(hidden);
}

absl::Status Generation::Prefill(const StepPlan& plan) {
  auto start = std::chrono::steady_clock::now();
  int64_t rows = static_cast<int64_t>(plan.prefill.size()), width = 0;
  for (const PrefillRow& row : plan.prefill) width = std::max(width, row.count);
  std::vector<int64_t> ids(rows * width, 0);
  model::KvBatch batch;
  std::vector<int64_t> completing_units;
  for (int64_t r = 0; r < rows; ++r) {
    const PrefillRow& row = plan.prefill[r];
    const std::vector<int32_t>& prompt = prompts_[row.group].ids;
    std::copy(prompt.begin() + row.start, prompt.begin() + row.start + row.count,
              ids.begin() + r * width);
    batch.slots.push_back(row.slot);
    batch.start.push_back(row.start);
    batch.num_new.push_back(row.count);
    batch.num_logits.push_back(row.completes ? 1 : 0);
    if (row.completes) completing_units.push_back(row.unit);
    stats_->prefill_tokens += row.count;
  }
  batch.tokens = torch::from_blob(ids.data(), {rows, width}, torch::kLong);
  at::Tensor hidden = model_->ForwardCachedHidden(batch, cache_);  // [completing, hidden]
  for (const ShareCopy& share : plan.shares) cache_->CopyPrefix(share.src, share.dst, share.length);
  if (completing_units.empty()) {
    stats_->prefill_s += Seconds(start);
    return absl::OkStatus();
  }
  at::Tensor logits = LmHead(hidden);
  stats_->prefill_s += Seconds(start);
  std::vector<int64_t> sequences, logit_rows;
  for (size_t u = 0; u < completing_units.size(); ++u) {
    for (int64_t seq : scheduler_.unit_sequences(completing_units[u])) {
      sequences.push_back(seq);
      logit_rows.push_back(static_cast<int64_t>(u));
    }
  }
  return SampleAndRecord(logits, sequences, logit_rows);
}

absl::Status Generation::Decode(const StepPlan& plan) {
  auto start = std::chrono::steady_clock::now();
  int64_t rows = static_cast<int64_t>(plan.decode.size());
  std::vector<int64_t> ids(rows);
  model::KvBatch batch;
  std::vector<int64_t> sequences(rows), logit_rows(rows);
  for (int64_t r = 0; r < rows; ++r) {
    const DecodeRow& row = plan.decode[r];
    ids[r] = samples_[row.sequence].last_token;
    batch.slots.push_back(row.slot);
    batch.start.push_back(row.start);
    batch.num_new.push_back(1);
    sequences[r] = row.sequence;
    logit_rows[r] = r;
  }
  stats_->decode_tokens += rows;
  batch.tokens = torch::from_blob(ids.data(), {rows, 1}, torch::kLong);
  at::Tensor logits = LmHead(model_->ForwardCachedHidden(batch, cache_));
  stats_->decode_s += Seconds(start);
  return SampleAndRecord(logits, sequences, logit_rows);
}

absl::Status Generation::SampleAndRecord(const at::Tensor& logits,
                                         const std::vector<int64_t>& sequences,
                                         const std::vector<int64_t>& rows) {
  auto start = std::chrono::steady_clock::now();
  std::vector<SampleRequest> requests(sequences.size());
  for (size_t i = 0; i < sequences.size(); ++i) {
    const Sample& sample = samples_[sequences[i]];
    SampleRequest& r = requests[i];
    r.row = rows[i];
    r.params = params_.sampling;
    r.seed = prompts_[sample.out.prompt_index].seed;
    r.stream = static_cast<uint64_t>(sample.out.sample_index);
    r.step = sample.out.completion_ids.size();
    r.top_logits = params_.top_logits;
  }
  std::vector<SampledToken> tokens;
  RETURN_IF_ERROR(SampleTokens(logits, requests, &tokens));
  for (size_t i = 0; i < sequences.size(); ++i) {
    Sample& sample = samples_[sequences[i]];
    SampledToken& token = tokens[i];
    sample.out.completion_ids.push_back(token.id);
    sample.out.logprobs.push_back(token.logprob);
    if (params_.top_logits > 0) sample.out.top_logits.push_back(std::move(token.top_logits));
    sample.last_token = token.id;
    std::optional<wire::FinishReason> reason = sample.checker.Push(token.id);
    if (reason) {
      sample.out.finish_reason = *reason;
      sample.out.text = sample.checker.TakeText();
      scheduler_.Finish(sequences[i]);
    }
  }
  stats_->sampled_tokens += static_cast<int64_t>(sequences.size());
  stats_->sample_s += Seconds(start);
  return absl::OkStatus();
}

}  // namespace zerorl::rollout::internal
