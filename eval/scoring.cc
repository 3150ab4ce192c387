#include "eval/scoring.h"

#include <algorithm>

namespace zerorl::eval {
namespace {

// Index of the first function called `name`, appending one with defaults when `needed` and
// there is none; -1 when not needed and absent.
int FindOrAdd(config::RewardConfig* reward, const std::string& name, bool needed) {
  for (size_t i = 0; i < reward->functions.size(); ++i) {
    if (reward->functions[i].name == name) return static_cast<int>(i);
  }
  if (!needed) return -1;
  config::RewardFunctionConfig f;
  f.name = name;
  reward->functions.push_back(f);
  return static_cast<int>(reward->functions.size() - 1);
}

math::MathOptions ToMathOptions(const config::MathAccuracyOptions& o) {
  math::MathOptions m;
  m.deadline_ms = o.deadline_ms;
  m.float_rounding = o.float_rounding;
  m.boxed_first = o.boxed_first;
  m.strict = o.strict;
  m.set_relation = o.set_relation;
  return m;
}

}  // namespace

int64_t ProblemResult::num_correct() const {
  return std::count_if(samples.begin(), samples.end(),
                       [](const ScoredSample& s) { return s.correct == 1; });
}

std::vector<ProblemStats> StatsOf(const std::vector<ProblemResult>& results) {
  std::vector<ProblemStats> stats(results.size());
  for (size_t p = 0; p < results.size(); ++p) {
    for (const ScoredSample& s : results[p].samples) {
      SampleStats x;
      x.correct = s.correct;
      x.length = s.completion.num_tokens;
      if (!s.completion.finish_reason.empty()) x.truncated = s.completion.finish_reason == "length";
      x.cluster = s.cluster;
      stats[p].samples.push_back(x);
    }
  }
  return stats;
}

absl::StatusOr<std::unique_ptr<Scorer>> Scorer::Create(
    config::RewardConfig reward, const std::vector<datasets::TaskKind>& kinds,
    const reward::RewardPipelineOptions& options) {
  auto has = [&](datasets::TaskKind k) {
    return std::find(kinds.begin(), kinds.end(), k) != kinds.end();
  };
  std::unique_ptr<Scorer> scorer(new Scorer());
  scorer->math_index_ = FindOrAdd(&reward, "math_accuracy", has(datasets::TaskKind::kMath));
  scorer->code_index_ = FindOrAdd(&reward, "code_tests", has(datasets::TaskKind::kCode));
  scorer->countdown_index_ = FindOrAdd(&reward, "countdown", has(datasets::TaskKind::kCountdown));
  if (scorer->math_index_ >= 0) {
    scorer->math_options_ = ToMathOptions(reward.functions[scorer->math_index_].math_accuracy);
  }
  absl::StatusOr<std::unique_ptr<reward::RewardPipeline>> pipeline =
      reward::RewardPipeline::Create(reward, options);
  if (!pipeline.ok()) return pipeline.status();
  scorer->pipeline_ = *std::move(pipeline);
  return scorer;
}

std::string Scorer::CorrectnessFunction(datasets::TaskKind kind) const {
  int index = kind == datasets::TaskKind::kMath   ? math_index_
              : kind == datasets::TaskKind::kCode ? code_index_
                                        : countdown_index_;
  return index < 0 ? "" : function_names()[index];
}

std::vector<ProblemResult> Scorer::Score(std::vector<ProblemInput> inputs) {
  reward::RewardBatch batch;
  for (const ProblemInput& in : inputs) {
    size_t prompt = batch.prompts.size();
    batch.prompts.push_back({in.prompt_text, in.problem.answer, ProblemToJson(in.problem)});
    for (const Completion& c : in.completions) {
      batch.samples.push_back({prompt, c.text, c.num_tokens});
    }
  }
  reward::BatchRewards rewards = pipeline_->Score(batch);
  std::vector<ProblemResult> results;
  size_t next = 0;
  for (ProblemInput& in : inputs) {
    ProblemResult r;
    datasets::TaskKind kind = in.problem.kind;
    int index = kind == datasets::TaskKind::kMath   ? math_index_
                : kind == datasets::TaskKind::kCode ? code_index_
                                          : countdown_index_;
    for (Completion& c : in.completions) {
      const reward::SampleReward& reward = rewards.samples[next++];
      ScoredSample s;
      s.completion = std::move(c);
      s.reward = reward.raw_total;
      if (index >= 0) {
        const wire::FunctionScore& score = reward.scores[index];
        s.verdict = score.detail;
        if (score.mark == wire::ScoreMark::kOk) s.correct = score.value >= 1.0 - 1e-9 ? 1 : 0;
      }
      r.samples.push_back(std::move(s));
    }
    r.problem = std::move(in.problem);
    r.prompt_text = std::move(in.prompt_text);
    if (kind == datasets::TaskKind::kMath) ExtractAnswers(&r);
    results.push_back(std::move(r));
  }
  return results;
}

void Scorer::ExtractAnswers(ProblemResult* result) const {
  std::vector<std::string> answers;
  for (ScoredSample& s : result->samples) {
    absl::StatusOr<std::string> answer = math::ExtractMathAnswer(s.completion.text, math_options_);
    s.extracted_answer = answer.ok() ? *answer : "";
    answers.push_back(s.extracted_answer);
  }
  std::vector<int> clusters =
      ClusterAnswers(answers, [this](const std::string& a, const std::string& b) {
        return a == b ||
               math::VerifyMath(a, b, math_options_).verdict == math::MathVerdictKind::kCorrect;
      });
  for (size_t i = 0; i < clusters.size(); ++i) result->samples[i].cluster = clusters[i];
}

}  // namespace zerorl::eval
