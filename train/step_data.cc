#include "train/step_data.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "datasets/datasets.h"

namespace zerorl::train {
namespace {

uint64_t Mix(uint64_t x) {  // splitmix64: a seeded, platform-independent draw
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

}  // namespace

StepSamples CollectSamples(const std::vector<controller::ScoredBatch>& batches,
                           int64_t learner_version, int max_staleness) {
  StepSamples step;
  double lag_sum = 0.0;
  for (const controller::ScoredBatch& b : batches) {
    std::map<uint64_t, const wire::Prompt*> prompts;
    for (const wire::Prompt& p : b.batch.prompts) prompts[p.id] = &p;
    for (size_t i = 0; i < b.rollouts.completions.size(); ++i) {
      const wire::Completion& c = b.rollouts.completions[i];
      const wire::ScoredCompletion& s = b.scores.completions[i];
      int64_t lag = learner_version - c.policy_version;
      if (max_staleness >= 0 && lag > max_staleness) {
        ++step.dropped_stale;
        continue;
      }
      bool any_ok = false, any_error = false;
      for (const wire::FunctionScore& f : s.scores) {
        any_ok |= f.mark == wire::ScoreMark::kOk;
        any_error |= f.mark == wire::ScoreMark::kError;
      }
      bool usable = c.finish_reason != wire::FinishReason::kAbort && any_ok && !any_error;
      if (!usable) ++step.excluded;
      const wire::Prompt* prompt = prompts.at(c.prompt_id);
      learner::Sample sample;
      sample.prompt_ids = prompt->tokens;
      sample.completion_ids = c.tokens;
      sample.completion_logprobs = c.logprobs;
      sample.reward = usable ? s.total : std::nan("");
      sample.group_id = static_cast<int64_t>(c.prompt_id);
      sample.truncated = c.finish_reason == wire::FinishReason::kLength;
      sample.policy_version = c.policy_version;
      step.samples.push_back(std::move(sample));
      step.origins.push_back({prompt, &c, &s, &b.scores.functions});
      lag_sum += static_cast<double>(lag);
      step.max_policy_lag = std::max(step.max_policy_lag, lag);
    }
  }
  if (!step.samples.empty()) step.mean_policy_lag = lag_sum / step.samples.size();
  return step;
}

SampleSummary AddSampleMetrics(const StepSamples& step, metrics::MetricsRow* row) {
  SampleSummary summary;
  double sum = 0, sum_sq = 0;
  int64_t n = 0;
  struct FunctionStats {
    double sum = 0;
    int64_t ok = 0, not_applicable = 0, errors = 0;
  };
  std::map<std::string, FunctionStats> functions;
  std::vector<std::string> order;
  double length_sum = 0;
  int64_t length_max = 0, clipped = 0, aborted = 0;
  for (size_t i = 0; i < step.samples.size(); ++i) {
    const learner::Sample& s = step.samples[i];
    const SampleOrigin& o = step.origins[i];
    if (std::isfinite(s.reward)) {
      sum += s.reward;
      sum_sq += s.reward * s.reward;
      ++n;
    }
    for (size_t f = 0; f < o.score->scores.size() && f < o.functions->size(); ++f) {
      const std::string& name = (*o.functions)[f];
      if (!functions.count(name)) order.push_back(name);
      FunctionStats& st = functions[name];
      const wire::FunctionScore& score = o.score->scores[f];
      if (score.mark == wire::ScoreMark::kOk) {
        st.sum += score.value;
        ++st.ok;
      } else if (score.mark == wire::ScoreMark::kNotApplicable) {
        ++st.not_applicable;
      } else {
        ++st.errors;
      }
    }
    int64_t length = static_cast<int64_t>(s.completion_ids.size());
    length_sum += static_cast<double>(length);
    length_max = std::max(length_max, length);
    clipped += s.truncated;
    aborted += o.completion->finish_reason == wire::FinishReason::kAbort;
  }
  double mean = n ? sum / n : std::nan("");
  double var = n ? std::max(0.0, sum_sq / n - mean * mean) : std::nan("");
  row->Add("reward/mean", mean).Add("reward/std", std::sqrt(var));
  for (const std::string& name : order) {
    const FunctionStats& st = functions[name];
    row->Add("reward/" + name + "/mean", st.ok ? st.sum / st.ok : std::nan(""));
    summary.function_means[name] = st.ok ? st.sum / st.ok : std::nan("");
    if (st.not_applicable) row->Add("reward/" + name + "/not_applicable", st.not_applicable);
    if (st.errors) row->Add("reward/" + name + "/errors", st.errors);
  }
  double count = static_cast<double>(step.samples.size());
  row->Add("completions/mean_length", count ? length_sum / count : 0.0)
      .Add("completions/max_length", length_max)
      .Add("completions/clipped_ratio", count ? clipped / count : 0.0);
  if (aborted) row->Add("completions/aborted", aborted);
  row->Add("samples/count", static_cast<int64_t>(step.samples.size()))
      .Add("samples/excluded", step.excluded);
  summary.reward_mean = mean;
  summary.mean_length = count ? length_sum / count : 0.0;
  return summary;
}

std::vector<metrics::MetricsRow> SampleRows(const StepSamples& step,
                                            const torch::Tensor& advantages,
                                            const SampleLogOptions& options) {
  std::vector<metrics::MetricsRow> rows;
  if (step.samples.empty()) return rows;
  const int64_t first_group = step.samples.front().group_id;
  torch::Tensor adv = advantages.defined() ? advantages.to(torch::kFloat).contiguous() : advantages;
  for (size_t i = 0; i < step.samples.size(); ++i) {
    const learner::Sample& s = step.samples[i];
    const SampleOrigin& o = step.origins[i];
    bool keep = s.group_id == first_group;
    if (!keep && options.fraction > 0) {
      uint64_t draw = Mix(options.seed ^ Mix(static_cast<uint64_t>(options.step) * 1000003ULL +
                                             static_cast<uint64_t>(s.group_id)));
      keep = static_cast<double>(draw >> 11) / 9007199254740992.0 < options.fraction;
    }
    if (!keep) continue;
    metrics::MetricsRow row;
    row.Add("schema", kSamplesSchemaVersion)
        .Add("step", options.step)
        .Add("split", options.split)
        .Add("policy_version", s.policy_version)
        .Add("prompt_id", o.completion->prompt_id)
        .Add("sample_index", o.completion->sample_index)
        .Add("prompt", o.prompt->text)
        .Add("completion", o.completion->text)
        .Add("answer", o.prompt->answer)
        .Add("reward", s.reward)
        .Add("finish_reason", wire::FinishReasonName(o.completion->finish_reason))
        .Add("num_tokens", static_cast<int64_t>(s.completion_ids.size()));
    if (adv.defined() && static_cast<int64_t>(i) < adv.size(0)) {
      row.Add("advantage", static_cast<double>(adv[static_cast<int64_t>(i)].item<float>()));
    }
    metrics::MetricsRow rewards, marks;
    for (size_t f = 0; f < o.score->scores.size() && f < o.functions->size(); ++f) {
      const wire::FunctionScore& score = o.score->scores[f];
      if (score.mark == wire::ScoreMark::kOk) {
        rewards.Add((*o.functions)[f], score.value);
      } else {
        rewards.Add((*o.functions)[f], std::nan(""));
        marks.Add((*o.functions)[f], std::string(wire::ScoreMarkName(score.mark)) +
                                         (score.detail.empty() ? "" : ": " + score.detail));
      }
    }
    row.Add("rewards", rewards);
    if (!marks.empty()) row.Add("reward_marks", marks);
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace zerorl::train
