// The reward pipeline: scores completions with the functions of the `reward` config section
// and combines their scores by weight into the total the learner trains on.
//
//   RewardPipelineOptions options;
//   options.default_max_length = config.rollout.sampling.max_new_tokens;
//   options.plugin_host = {"/usr/bin/zerorl", "reward", "plugin-host"};  // plugins only
//   ASSIGN_OR_RETURN(std::unique_ptr<RewardPipeline> pipeline,
//                    RewardPipeline::Create(config.reward, options));
//   RewardBatch batch;
//   batch.prompts.push_back({prompt_text, "42", ProblemToJson(problem)});
//   batch.samples.push_back({0, completion_text, num_tokens});
//   BatchRewards rewards = pipeline->Score(batch);
//   // rewards.samples[0].total, rewards.samples[0].scores[f] for function_names()[f]
//
// Every function gives each sample one of three marks (wire/messages.h FunctionScore):
//   ok              a score (value);
//   not_applicable  the function has nothing to judge (no gold answer, no tests, a gold the
//                   verifier cannot read); like TRL's None it leaves the total untouched;
//   error           the function failed (a plugin crashed or timed out, the sandbox broke).
// Each mark keeps a one-line detail (why not applicable, what failed, the verifier's
// verdict). Nothing is ever scored 0 silently: errors and not-applicable are counted per
// function in BatchRewards::functions and in the worker's metrics.
//
// The total of a sample is sum(weight_f * value_f) over the functions marked ok. It is NaN,
// which the learner reads as "not applicable: out of the group baseline, no loss", when any
// function failed with an error (an infrastructure failure must not look like a bad
// answer) or when no function was ok. With reward.shuffle_within_group the totals are then
// permuted among the samples of each group (seeded by RewardBatch::batch_id); `raw_total`
// and `scores` always stay with their own sample.
//
// The functions (options in config/config.h):
//   math_accuracy         1 when the math verifier finds the gold answer in the completion
//                         (inside <answer>...</answer> when present, after </think>), else
//                         0, also when the completion has no readable answer (the reason is
//                         kept). A gold it cannot read is not applicable. Problems of kind
//                         code or countdown are not applicable.
//   code_tests            the problem's tests in the code sandbox: passed / total, or 1 only
//                         when all pass. The code is the last fenced block (``` ... ```) of
//                         the answer, else the completion itself; HumanEval-style problems
//                         whose code lacks `def <entry_point>` get the prompt prepended.
//   countdown             1 when the expression in the last <answer>...</answer> reaches the
//                         target with the given numbers (datasets/synthetic.h), else 0.
//   format                R1's <think>...</think> <answer>...</answer> as a whole-completion
//                         RE2 pattern (1/0), or the fraction of tags present exactly once.
//                         When the prompt ends with "<think>" (the template opened the
//                         reasoning) the completion is read as if it started with it.
//   length                a length penalty in [-1, 0]: DAPO's soft overlong punishment, or
//                         a linear or cosine one (config/config.h LengthOptions).
//   language_consistency  R1's language-consistency reward: the share of the letters of the
//                         reasoning (inside <think>...</think>, else the text before
//                         <answer>) written in the main script of the problem's question
//                         (Latin, Cyrillic, Greek, CJK, Hangul, Arabic, ...: Unicode
//                         blocks). Letters of LaTeX commands (\frac) are skipped.
//   plugin / remote       your code: reward/plugin_abi.h, reward/plugins.h.
//
// Thread safety: Score() is called from one thread at a time (the worker's compute loop);
// it uses the sandbox pool's threads for code_tests internally.
#ifndef ZERORL_REWARD_REWARD_H_
#define ZERORL_REWARD_REWARD_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "config/config.h"
#include "wire/messages.h"

namespace zerorl::reward {

// What every completion of one prompt shares.
struct RewardPrompt {
  std::string text;      // the prompt as the model saw it (template included)
  std::string answer;    // the gold answer; may be empty (code tasks)
  // JSON: ProblemToJson(problem) from datasets/datasets.h (tests, kind, countdown numbers,
  // the raw question). Built-in functions read it with ProblemFromJson; when it is empty
  // or not a problem, math_accuracy still uses `answer` and the others are not applicable.
  // Plugins get it verbatim.
  std::string metadata;
};

struct RewardSample {
  size_t prompt = 0;        // index into RewardBatch::prompts; one prompt = one group
  std::string completion;   // bytes (need not be UTF-8)
  int64_t num_tokens = -1;  // completion length in tokens; -1 = unknown (length is n/a)
};

struct RewardBatch {
  uint64_t batch_id = 0;  // seeds shuffle_within_group
  std::vector<RewardPrompt> prompts;
  std::vector<RewardSample> samples;
};

struct SampleReward {
  double total = 0.0;      // what the learner trains on (NaN = not applicable); shuffled
                           // among the group when reward.shuffle_within_group
  double raw_total = 0.0;  // this sample's own total, never shuffled
  std::vector<wire::FunctionScore> scores;  // [function_names().size()], raw, never shuffled
};

// Per function, over one batch.
struct FunctionStats {
  int64_t ok = 0;
  int64_t not_applicable = 0;
  int64_t errors = 0;
  double sum = 0.0;     // of the ok values
  double seconds = 0.0; // wall time spent in the function
};

struct BatchRewards {
  std::vector<SampleReward> samples;    // [batch.samples.size()], in order
  std::vector<FunctionStats> functions; // [function_names().size()]
  double seconds = 0.0;                 // the whole Score() call
};

struct RewardPipelineOptions {
  // length's max_length when the config leaves it 0 (rollout.sampling.max_new_tokens).
  int default_max_length = 512;
  // The command that runs a plugin host (reward/plugin_host.h), e.g. {"/path/zerorl",
  // "reward", "plugin-host"}. Needed only when a "plugin" function is configured.
  std::vector<std::string> plugin_host;
};

class RewardFunction;  // reward/reward_function.h

class RewardPipeline {
 public:
  // Builds every configured function: compiles patterns, creates the sandbox pool for
  // code_tests, starts each plugin host once (loading the library and checking its ABI
  // version). Errors name the config key ("reward.functions[2].library: ..."):
  // kInvalidArgument for a bad option (pattern, label), kFailedPrecondition when a plugin
  // cannot be loaded or the sandbox cannot be created on this machine.
  static absl::StatusOr<std::unique_ptr<RewardPipeline>> Create(
      const config::RewardConfig& config, const RewardPipelineOptions& options);
  ~RewardPipeline();
  RewardPipeline(const RewardPipeline&) = delete;
  RewardPipeline& operator=(const RewardPipeline&) = delete;

  // Scores every sample. Never fails as a whole: a sample whose prompt index is out of
  // range gets an error mark from every function. Not thread-safe.
  BatchRewards Score(const RewardBatch& batch);

  // The labels of the configured functions, in config order (ScoredGroups::functions).
  const std::vector<std::string>& function_names() const { return names_; }
  const std::vector<double>& weights() const { return weights_; }

  // Counters since Create(), as metric name -> value: "reward/<label>/ok",
  // ".../not_applicable", ".../errors", ".../seconds", plus each function's own counters
  // (plugin restarts, timeouts, ...), and "reward/batches", "reward/samples".
  std::map<std::string, double> Counters() const;

 private:
  RewardPipeline() = default;

  config::RewardConfig config_;
  std::vector<std::string> names_;
  std::vector<double> weights_;
  std::vector<std::unique_ptr<RewardFunction>> functions_;
  std::vector<FunctionStats> totals_;  // [functions_.size()] since Create()
  int64_t batches_ = 0;
  int64_t samples_ = 0;
};

// The weighted total of one sample's scores (see the header comment): NaN when any score
// is an error or none is ok.
double CombineScores(const std::vector<wire::FunctionScore>& scores,
                     const std::vector<double>& weights);

// Permutes `totals` among the samples that share a group id, with a permutation that
// depends only on (batch_id, group id, group size): the same inputs give the same result
// on every machine. `group_of` [totals.size()].
void ShuffleWithinGroups(uint64_t batch_id, const std::vector<uint64_t>& group_of,
                         std::vector<double>* totals);

}  // namespace zerorl::reward

#endif  // ZERORL_REWARD_REWARD_H_
