#include "train/evaluation.h"

#include <chrono>
#include <cmath>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "core/log.h"
#include "core/status.h"
#include "train/prompt_batches.h"
#include "train/step_data.h"

namespace zerorl::train {

namespace {

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

std::string CorrectnessFunction(const config::RewardConfig& reward) {
  for (const config::RewardFunctionConfig& f : reward.functions) {
    if (f.name == "math_accuracy" || f.name == "code_tests" || f.name == "countdown") {
      return f.Label();  // scores are named by label
    }
  }
  return "";
}

std::vector<eval::ProblemStats> ProblemStatsOf(const StepSamples& samples,
                                               const std::string& correctness_function) {
  std::vector<eval::ProblemStats> problems;
  std::map<const wire::Prompt*, size_t> problem_of;  // a prompt's samples are one problem's
  for (const SampleOrigin& o : samples.origins) {
    auto [it, added] = problem_of.emplace(o.prompt, problems.size());
    if (added) problems.emplace_back();
    bool correct = false;
    if (!correctness_function.empty()) {
      for (size_t f = 0; f < o.functions->size(); ++f) {
        if ((*o.functions)[f] == correctness_function && f < o.score->scores.size()) {
          const wire::FunctionScore& score = o.score->scores[f];
          correct = score.mark == wire::ScoreMark::kOk && score.value >= 1.0 - 1e-9;
        }
      }
    } else {
      correct = o.score->total > 0;
    }
    eval::SampleStats stats;
    stats.correct = correct ? 1 : 0;
    stats.length = static_cast<int64_t>(o.completion->tokens.size());
    stats.truncated = o.completion->finish_reason == wire::FinishReason::kLength ? 1 : 0;
    problems[it->second].samples.push_back(stats);
  }
  return problems;
}

EvalResult SummarizeEvalSet(const std::string& dataset,
                            const std::vector<eval::ProblemStats>& problems) {
  const eval::EvalMetrics metrics = eval::Summarize(problems, /*majority=*/false);
  EvalResult r;
  r.dataset = dataset;
  r.problems = metrics.problems;
  r.accuracy = metrics.pass_at_1;
  for (const auto& [k, rate] : metrics.pass_at_k) {
    if (k > 1) r.pass_at_k.emplace_back(k, rate);
  }
  r.mean_length = metrics.mean_length;
  r.truncated_ratio = metrics.truncation_rate;
  return r;
}

Evaluator::Evaluator(const config::Config& config, const std::vector<datasets::Dataset>* eval_sets,
                     const PromptRenderer* renderer)
    : config_(config),
      eval_sets_(eval_sets),
      renderer_(renderer),
      correctness_(CorrectnessFunction(config.reward)) {
  sampling_ = config.rollout.sampling;
  sampling_.n = config.run.eval_samples;
  sampling_.temperature = config.run.eval_temperature;
}

absl::StatusOr<std::vector<EvalResult>> Evaluator::Run(controller::Controller* controller,
                                                      ResultCollector* collector,
                                                      int64_t version, int64_t step,
                                                      uint64_t* next_batch_id,
                                                      std::vector<metrics::MetricsRow>* rows) {
  std::vector<EvalResult> results;
  for (const datasets::Dataset& set : *eval_sets_) {
    const auto started = std::chrono::steady_clock::now();
    ASSIGN_OR_RETURN(std::set<uint64_t> ids, Submit(set, version, controller, next_batch_id));
    ASSIGN_OR_RETURN(std::vector<controller::ScoredBatch> scored, collector->Await(ids));
    const StepSamples samples = CollectSamples(scored, version, /*max_staleness=*/-1);
    EvalResult r = SummarizeEvalSet(set.name(), ProblemStatsOf(samples, correctness_));
    r.seconds = SecondsSince(started);
    SampleLogOptions log;
    log.step = step;
    log.split = "eval/" + set.name();
    log.fraction = config_.run.log_samples_fraction;
    log.seed = static_cast<uint64_t>(config_.run.seed);
    for (metrics::MetricsRow& row : SampleRows(samples, torch::Tensor(), log)) {
      rows->push_back(std::move(row));
    }
    results.push_back(r);
  }
  return results;
}

absl::StatusOr<std::set<uint64_t>> Evaluator::Submit(const datasets::Dataset& set,
                                                     int64_t version,
                                                     controller::Controller* controller,
                                                     uint64_t* next_batch_id) const {
  std::vector<wire::Prompt> prompts;  // problem i samples with seed i
  for (size_t i = 0; i < set.size(); ++i) {
    ASSIGN_OR_RETURN(datasets::Problem problem, set.Get(i));
    prompts.push_back(renderer_->ToWire(problem, /*seed=*/i));
  }
  // Batches of about max_batch sequences.
  const size_t per_batch =
      PromptsPerBatch(config_.rollout.max_batch, sampling_.n, prompts.size(), /*workers=*/0);
  ASSIGN_OR_RETURN(std::vector<wire::PromptBatch> batches,
                   MakePromptBatches(std::move(prompts), per_batch, version, sampling_,
                                     next_batch_id));
  std::set<uint64_t> ids;
  for (wire::PromptBatch& batch : batches) {
    ids.insert(batch.batch_id);
    RETURN_IF_ERROR(controller->Submit(std::move(batch)));
  }
  return ids;
}

std::string EvalSamplingLabel(const config::RunConfig& run) {
  if (run.eval_temperature == 0.0) return "greedy";
  return absl::StrCat(run.eval_samples, run.eval_samples == 1 ? " sample" : " samples",
                      " at T=", run.eval_temperature);
}

void AddEvalMetrics(const std::vector<EvalResult>& results, metrics::MetricsRow* row) {
  for (const EvalResult& r : results) {
    std::string prefix = "eval/" + r.dataset + "/";
    row->Add(prefix + "pass@1", r.accuracy);
    for (const auto& [k, rate] : r.pass_at_k) row->Add(prefix + "pass@" + std::to_string(k), rate);
    row->Add(prefix + "mean_length", r.mean_length)
        .Add(prefix + "truncated_ratio", r.truncated_ratio)
        .Add(prefix + "problems", r.problems)
        .Add("timing/eval_" + r.dataset + "_s", r.seconds);
  }
}

}  // namespace zerorl::train
