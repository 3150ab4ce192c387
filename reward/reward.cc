#include "reward/reward.h"

#include <chrono>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "core/json.h"
#include "core/status.h"
#include "reward/reward_function.h"

namespace zerorl::reward {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

uint64_t Mix(uint64_t a, uint64_t b) {  // SplitMix64's finaliser over a + b
  uint64_t z = a * 0x9E3779B97F4A7C15ull + b + 0x632BE59BD9B4E019ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

absl::StatusOr<std::unique_ptr<RewardFunction>> MakeFunction(const config::RewardFunctionConfig& f,
                                                             const config::RewardConfig& config,
                                                             const RewardPipelineOptions& options,
                                                             const std::string& key) {
  const int timeout_ms = f.plugin.timeout_ms > 0 ? f.plugin.timeout_ms : config.timeout_ms;
  const std::string& n = f.name;
  if (n == "math_accuracy") return MakeMathAccuracy(f.math_accuracy);
  if (n == "code_tests") return MakeCodeTests(f.code_tests, config.sandbox_workers, key);
  if (n == "countdown") return MakeCountdownReward(f.countdown);
  if (n == "format") return MakeFormatReward(f.format, key);
  if (n == "length") return MakeLengthReward(f.length, options.default_max_length, key);
  if (n == "language_consistency") return MakeLanguageConsistency();
  if (n == "plugin") return MakeLibraryPlugin(f.plugin, timeout_ms, options.plugin_host, key);
  if (n == "remote") return MakeRemotePlugin(f.plugin, timeout_ms, key, f.Label());
  return absl::InvalidArgumentError(key + ".name: unknown reward function \"" + n + "\"");
}

}  // namespace

ScoringContext::ScoringContext(const RewardBatch& batch)
    : batch_(batch), problems_(batch.prompts.size()), errors_(batch.prompts.size()) {
  for (size_t p = 0; p < batch.prompts.size(); ++p) {
    const std::string& metadata = batch.prompts[p].metadata;
    if (metadata.empty()) continue;
    absl::StatusOr<datasets::Problem> problem = datasets::ProblemFromJson(metadata);
    if (problem.ok()) {
      problems_[p] = *std::move(problem);
    } else {
      errors_[p] = std::string(problem.status().message());
    }
  }
}

const datasets::Problem* ScoringContext::problem_of(size_t i) const {
  const std::optional<datasets::Problem>& p = problems_[batch_.samples[i].prompt];
  return p ? &*p : nullptr;
}

const std::string& ScoringContext::problem_error_of(size_t i) const {
  return errors_[batch_.samples[i].prompt];
}

wire::FunctionScore Ok(double value, std::string detail) {
  return wire::FunctionScore{wire::ScoreMark::kOk, value, std::move(detail)};
}
wire::FunctionScore NotApplicable(std::string detail) {
  return wire::FunctionScore{wire::ScoreMark::kNotApplicable, 0.0, std::move(detail)};
}
wire::FunctionScore Error(std::string detail) {
  return wire::FunctionScore{wire::ScoreMark::kError, 0.0, std::move(detail)};
}

absl::StatusOr<std::unique_ptr<RewardPipeline>> RewardPipeline::Create(
    const config::RewardConfig& config, const RewardPipelineOptions& options) {
  if (config.functions.empty()) {
    return absl::InvalidArgumentError("reward.functions: no reward function is configured");
  }
  std::unique_ptr<RewardPipeline> pipeline(new RewardPipeline());
  pipeline->config_ = config;
  for (size_t i = 0; i < config.functions.size(); ++i) {
    const config::RewardFunctionConfig& f = config.functions[i];
    const std::string key = core::IndexKeyPath("reward.functions", i);
    ASSIGN_OR_RETURN(std::unique_ptr<RewardFunction> function,
                     MakeFunction(f, config, options, key));
    pipeline->functions_.push_back(std::move(function));
    pipeline->names_.push_back(f.Label());
    pipeline->weights_.push_back(f.weight);
  }
  pipeline->totals_.resize(config.functions.size());
  return pipeline;
}

RewardPipeline::~RewardPipeline() = default;

BatchRewards RewardPipeline::Score(const RewardBatch& batch) {
  const Clock::time_point start = Clock::now();
  const size_t num_functions = functions_.size();
  BatchRewards result;
  result.samples.resize(batch.samples.size());
  result.functions.resize(num_functions);
  for (SampleReward& s : result.samples) s.scores.resize(num_functions);

  // Samples whose prompt is missing are marked here; the functions see only the others.
  RewardBatch valid;
  std::vector<size_t> where;  // valid sample k is batch sample where[k]
  const RewardBatch* scored = &batch;
  bool any_missing = false;
  for (size_t i = 0; i < batch.samples.size(); ++i) {
    if (batch.samples[i].prompt < batch.prompts.size()) continue;
    any_missing = true;
    for (wire::FunctionScore& s : result.samples[i].scores) {
      s = Error(absl::StrCat("the sample's prompt (index ", batch.samples[i].prompt,
                             ") is not in the batch of ", batch.prompts.size(), " prompts"));
    }
  }
  if (any_missing) {
    valid.batch_id = batch.batch_id;
    valid.prompts = batch.prompts;
    for (size_t i = 0; i < batch.samples.size(); ++i) {
      if (batch.samples[i].prompt >= batch.prompts.size()) continue;
      valid.samples.push_back(batch.samples[i]);
      where.push_back(i);
    }
    scored = &valid;
  }

  ScoringContext context(*scored);
  for (size_t f = 0; f < num_functions; ++f) {
    const Clock::time_point t0 = Clock::now();
    std::vector<wire::FunctionScore> out(context.size());
    functions_[f]->Score(context, &out);
    FunctionStats& stats = result.functions[f];
    stats.seconds = SecondsSince(t0);
    for (size_t k = 0; k < out.size(); ++k) {
      const size_t i = scored == &batch ? k : where[k];
      result.samples[i].scores[f] = std::move(out[k]);
    }
  }
  for (SampleReward& s : result.samples) {
    for (size_t f = 0; f < num_functions; ++f) {
      FunctionStats& stats = result.functions[f];
      const wire::FunctionScore& score = s.scores[f];
      if (score.mark == wire::ScoreMark::kOk) ++stats.ok, stats.sum += score.value;
      if (score.mark == wire::ScoreMark::kNotApplicable) ++stats.not_applicable;
      if (score.mark == wire::ScoreMark::kError) ++stats.errors;
    }
    s.raw_total = s.total = CombineScores(s.scores, weights_);
  }
  if (config_.shuffle_within_group) {
    std::vector<uint64_t> group_of(batch.samples.size());
    std::vector<double> totals(batch.samples.size());
    for (size_t i = 0; i < batch.samples.size(); ++i) {
      group_of[i] = batch.samples[i].prompt;
      totals[i] = result.samples[i].raw_total;
    }
    ShuffleWithinGroups(batch.batch_id, group_of, &totals);
    for (size_t i = 0; i < totals.size(); ++i) result.samples[i].total = totals[i];
  }
  for (size_t f = 0; f < num_functions; ++f) {
    FunctionStats& t = totals_[f];
    const FunctionStats& b = result.functions[f];
    t.ok += b.ok, t.not_applicable += b.not_applicable, t.errors += b.errors;
    t.sum += b.sum, t.seconds += b.seconds;
  }
  ++batches_;
  samples_ += static_cast<int64_t>(batch.samples.size());
  result.seconds = SecondsSince(start);
  return result;
}

std::map<std::string, double> RewardPipeline::Counters() const {
  std::map<std::string, double> out;
  out["reward/batches"] = static_cast<double>(batches_);
  out["reward/samples"] = static_cast<double>(samples_);
  for (size_t f = 0; f < functions_.size(); ++f) {
    const std::string prefix = "reward/" + names_[f] + "/";
    const FunctionStats& t = totals_[f];
    out[prefix + "ok"] = static_cast<double>(t.ok);
    out[prefix + "not_applicable"] = static_cast<double>(t.not_applicable);
    out[prefix + "errors"] = static_cast<double>(t.errors);
    out[prefix + "seconds"] = t.seconds;
    functions_[f]->AddCounters(prefix, &out);
  }
  return out;
}

double CombineScores(const std::vector<wire::FunctionScore>& scores,
                     const std::vector<double>& weights) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  double total = 0.0;
  bool any_ok = false;
  for (size_t f = 0; f < scores.size() && f < weights.size(); ++f) {
    if (scores[f].mark == wire::ScoreMark::kError) return kNaN;
    if (scores[f].mark != wire::ScoreMark::kOk) continue;
    total += weights[f] * scores[f].value;
    any_ok = true;
  }
  return any_ok ? total : kNaN;
}

void ShuffleWithinGroups(uint64_t batch_id, const std::vector<uint64_t>& group_of,
                         std::vector<double>* totals) {
  std::map<uint64_t, std::vector<size_t>> members;  // group id -> sample indices, in order
  for (size_t i = 0; i < group_of.size() && i < totals->size(); ++i) {
    members[group_of[i]].push_back(i);
  }
  for (const auto& [group, indices] : members) {
    std::vector<double> values;
    for (size_t i : indices) values.push_back((*totals)[i]);
    // Fisher-Yates with SplitMix64 draws (modulo bias is below 2^-50 for any group size).
    uint64_t state = Mix(batch_id, group);
    for (size_t k = values.size(); k > 1; --k) {
      state = Mix(state, k);
      std::swap(values[k - 1], values[state % k]);
    }
    for (size_t k = 0; k < indices.size(); ++k) (*totals)[indices[k]] = values[k];
  }
}

}  // namespace zerorl::reward
