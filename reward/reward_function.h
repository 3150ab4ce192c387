// Internal to reward/: the interface every reward function implements, the batch view it
// scores, and the factories. The pipeline (reward.h) owns the functions.
#ifndef ZERORL_REWARD_REWARD_FUNCTION_H_
#define ZERORL_REWARD_REWARD_FUNCTION_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "config/config.h"
#include "datasets/datasets.h"
#include "reward/reward.h"
#include "wire/messages.h"

namespace zerorl::reward {

// A batch whose every sample has a valid prompt index, with each prompt's metadata parsed
// once.
class ScoringContext {
 public:
  explicit ScoringContext(const RewardBatch& batch);

  const RewardBatch& batch() const { return batch_; }
  size_t size() const { return batch_.samples.size(); }
  const RewardSample& sample(size_t i) const { return batch_.samples[i]; }
  const RewardPrompt& prompt_of(size_t i) const { return batch_.prompts[batch_.samples[i].prompt]; }
  // The problem of sample i's prompt, or nullptr when its metadata is empty or not a
  // problem (then problem_error_of() says why, or is "" for empty metadata).
  const datasets::Problem* problem_of(size_t i) const;
  const std::string& problem_error_of(size_t i) const;

 private:
  const RewardBatch& batch_;
  std::vector<std::optional<datasets::Problem>> problems_;  // [prompts]
  std::vector<std::string> errors_;               // [prompts]
};

class RewardFunction {
 public:
  virtual ~RewardFunction() = default;
  // Sets (*out)[i] for every sample i of `context`; `out` arrives sized context.size(),
  // every entry a default FunctionScore.
  virtual void Score(const ScoringContext& context, std::vector<wire::FunctionScore>* out) = 0;
  // Adds the function's own counters since creation as "<prefix><name>" (prefix is
  // "reward/<label>/").
  virtual void AddCounters(const std::string& prefix, std::map<std::string, double>* out) const {}
};

// Shorthands for results.
wire::FunctionScore Ok(double value, std::string detail = "");
wire::FunctionScore NotApplicable(std::string detail);
wire::FunctionScore Error(std::string detail);

// One factory per kind. `key` is the config path of the function ("reward.functions[1]")
// for error messages.
absl::StatusOr<std::unique_ptr<RewardFunction>> MakeMathAccuracy(
    const config::MathAccuracyOptions& options);
absl::StatusOr<std::unique_ptr<RewardFunction>> MakeCountdownReward(
    const config::CountdownRewardOptions& options);
absl::StatusOr<std::unique_ptr<RewardFunction>> MakeCodeTests(
    const config::CodeTestsOptions& options, int sandbox_workers, const std::string& key);
absl::StatusOr<std::unique_ptr<RewardFunction>> MakeFormatReward(
    const config::FormatOptions& options, const std::string& key);
absl::StatusOr<std::unique_ptr<RewardFunction>> MakeLengthReward(
    const config::LengthOptions& options, int default_max_length, const std::string& key);
std::unique_ptr<RewardFunction> MakeLanguageConsistency();
absl::StatusOr<std::unique_ptr<RewardFunction>> MakeLibraryPlugin(
    const config::PluginOptions& options, int timeout_ms,
    const std::vector<std::string>& host_command, const std::string& key);
absl::StatusOr<std::unique_ptr<RewardFunction>> MakeRemotePlugin(
    const config::PluginOptions& options, int timeout_ms, const std::string& key,
    const std::string& label);

}  // namespace zerorl::reward

#endif  // ZERORL_REWARD_REWARD_FUNCTION_H_
