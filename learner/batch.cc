#include "learner/batch.h"

#include <algorithm>
#include <cmath>

#include <ATen/ATen.h>

#include "absl/strings/str_cat.h"
#include "core/status.h"

namespace zerorl::learner {
namespace {

absl::Status CheckSample(const Sample& s, size_t index) {
  if (s.prompt_ids.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("sample ", index, ": empty prompt_ids"));
  }
  if (!s.completion_logprobs.empty() && s.completion_logprobs.size() != s.completion_ids.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "sample ", index, ": ", s.completion_logprobs.size(), " completion_logprobs for ",
        s.completion_ids.size(), " completion tokens; give one per token or none"));
  }
  for (size_t i = 0; i < s.completion_logprobs.size(); ++i) {
    float lp = s.completion_logprobs[i];
    if (!std::isfinite(lp) || lp > 1e-4f) {
      return absl::InvalidArgumentError(absl::StrCat("sample ", index, ": completion_logprobs[",
                                                     i, "] = ", lp,
                                                     " is not a log-probability (finite, <= 0)"));
    }
  }
  return absl::OkStatus();
}

// An empty batch of `rows` x `cols`.
TrainBatch Allocate(int64_t rows, int64_t cols) {
  TrainBatch b;
  b.input_ids = at::zeros({rows, cols}, at::kLong);
  b.lengths = at::zeros({rows}, at::kLong);
  b.loss_mask = at::zeros({rows, cols}, at::kFloat);
  b.advantages = at::zeros({rows}, at::kFloat);
  b.has_behaviour = at::zeros({rows}, at::kBool);
  b.policy_versions = at::zeros({rows}, at::kLong);
  return b;
}

// Writes prompt + completion into row `r`; returns the row's length.
int64_t FillTokens(TrainBatch& b, int64_t r, const std::vector<int32_t>& prompt,
                   const std::vector<int32_t>& completion, int64_t max_length) {
  auto ids = b.input_ids.accessor<int64_t, 2>();
  int64_t t = 0;
  for (int32_t id : prompt) {
    if (t < max_length) ids[r][t++] = id;
  }
  for (int32_t id : completion) {
    if (t < max_length) ids[r][t++] = id;
  }
  b.lengths[r] = t;
  return t;
}

}  // namespace

absl::StatusOr<TrainBatch> BuildTrainBatch(const std::vector<Sample>& samples,
                                           const BatchOptions& options) {
  std::vector<double> rewards;
  std::vector<int64_t> groups;
  int64_t cols = 0;
  bool any_behaviour = false;
  for (size_t i = 0; i < samples.size(); ++i) {
    RETURN_IF_ERROR(CheckSample(samples[i], i));
    rewards.push_back(samples[i].reward);
    groups.push_back(samples[i].group_id);
    cols = std::max<int64_t>(cols, samples[i].prompt_ids.size() + samples[i].completion_ids.size());
    any_behaviour |= !samples[i].completion_logprobs.empty();
  }
  ASSIGN_OR_RETURN(Advantages adv, ComputeAdvantages(rewards, groups, options.advantages));
  const int64_t rows = static_cast<int64_t>(samples.size());
  TrainBatch b = Allocate(rows, cols);
  if (any_behaviour) b.behaviour_logprobs = at::zeros({rows, cols}, at::kFloat);
  int masked_truncated = 0;
  for (int64_t r = 0; r < rows; ++r) {
    const Sample& s = samples[r];
    const int64_t prompt = static_cast<int64_t>(s.prompt_ids.size());
    const int64_t completion = static_cast<int64_t>(s.completion_ids.size());
    FillTokens(b, r, s.prompt_ids, s.completion_ids, cols);
    b.advantages[r] = adv.values[r];
    b.policy_versions[r] = s.policy_version;
    bool drop = options.mask_truncated_completions && s.truncated;
    masked_truncated += drop ? 1 : 0;
    if (adv.trainable[r] && !drop && completion > 0) {
      b.loss_mask[r].narrow(0, prompt, completion).fill_(1.0);
    }
    if (!s.completion_logprobs.empty()) {
      b.behaviour_logprobs[r].narrow(0, prompt, completion)
          .copy_(at::tensor(s.completion_logprobs, at::kFloat));
      b.has_behaviour[r] = true;
    }
  }
  b.stats["frac_reward_zero_std"] = adv.frac_reward_zero_std;
  b.stats["samples/reward_not_applicable"] = adv.num_not_applicable;
  b.stats["samples/truncated_masked"] = masked_truncated;
  return b;
}

absl::StatusOr<TrainBatch> BuildSftBatch(const std::vector<SftExample>& examples,
                                         int64_t max_length) {
  int64_t cols = 0;
  for (size_t i = 0; i < examples.size(); ++i) {
    if (examples[i].prompt_ids.empty() || examples[i].completion_ids.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "SFT example ", i, ": needs a non-empty prompt and completion (got ",
          examples[i].prompt_ids.size(), " and ", examples[i].completion_ids.size(), " tokens)"));
    }
    int64_t n = examples[i].prompt_ids.size() + examples[i].completion_ids.size();
    cols = std::max(cols, std::min(n, max_length));
  }
  const int64_t rows = static_cast<int64_t>(examples.size());
  TrainBatch b = Allocate(rows, cols);
  b.advantages.fill_(1.0);
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t prompt = static_cast<int64_t>(examples[r].prompt_ids.size());
    const int64_t length = FillTokens(b, r, examples[r].prompt_ids, examples[r].completion_ids,
                                      std::min(cols, max_length));
    // Position 0 never gets loss: nothing predicts the first token.
    const int64_t first = std::max<int64_t>(1, prompt);
    if (length > first) b.loss_mask[r].narrow(0, first, length - first).fill_(1.0);
  }
  return b;
}

TrainBatch SliceRows(const TrainBatch& batch, const std::vector<int64_t>& rows) {
  torch::Tensor index = at::tensor(rows, at::kLong);
  torch::Tensor lengths = batch.lengths.index_select(0, index);
  const int64_t cols = rows.empty() ? 0 : lengths.max().item<int64_t>();
  auto rows_of = [&](const torch::Tensor& t) {
    if (!t.defined()) return t;
    torch::Tensor picked = t.index_select(0, index);
    return picked.dim() == 2 ? picked.narrow(1, 0, cols) : picked;
  };
  TrainBatch out;
  out.input_ids = rows_of(batch.input_ids);
  out.lengths = lengths;
  out.loss_mask = rows_of(batch.loss_mask);
  out.advantages = rows_of(batch.advantages);
  out.behaviour_logprobs = rows_of(batch.behaviour_logprobs);
  out.has_behaviour = rows_of(batch.has_behaviour);
  out.policy_versions = rows_of(batch.policy_versions);
  return out;
}

}  // namespace zerorl::learner
