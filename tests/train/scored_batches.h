// Hand-built scored batches for train/'s tests: what the controller hands the trainer after
// the rollout and reward workers answered, without any process.
#ifndef ZERORL_TESTS_TRAIN_SCORED_BATCHES_H_
#define ZERORL_TESTS_TRAIN_SCORED_BATCHES_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "controller/controller.h"

namespace zerorl::testing {

inline wire::FunctionScore OkScore(double value) { return {wire::ScoreMark::kOk, value, ""}; }
inline wire::FunctionScore NotApplicableScore(std::string why = "") {
  return {wire::ScoreMark::kNotApplicable, 0.0, std::move(why)};
}
inline wire::FunctionScore ErrorScore(std::string why = "") {
  return {wire::ScoreMark::kError, 0.0, std::move(why)};
}

class ScoredBatchBuilder {
 public:
  // A batch whose completions are scored by `functions` (reward-function names, in order).
  ScoredBatchBuilder(uint64_t batch_id, std::vector<std::string> functions) {
    b_.batch.batch_id = b_.rollouts.batch_id = b_.scores.batch_id = batch_id;
    b_.scores.functions = std::move(functions);
  }

  // A prompt with id `id`, text "prompt <id>", answer "<id>" and `num_tokens` tokens.
  ScoredBatchBuilder& Prompt(uint64_t id, int num_tokens = 3) {
    wire::Prompt p;
    p.id = id;
    p.text = "prompt " + std::to_string(id);
    p.answer = std::to_string(id);
    for (int i = 0; i < num_tokens; ++i) p.tokens.push_back(10 + i);
    b_.batch.prompts.push_back(std::move(p));
    return *this;
  }

  // The next completion of prompt `prompt_id`: `num_tokens` tokens (ids 100, 101, ...,
  // log-probs -0.5), text "completion <k>" (k counts the batch's completions), drawn with
  // `version`, scored `scores` (one per function) with weighted total `total`.
  ScoredBatchBuilder& Completion(uint64_t prompt_id, int num_tokens,
                                 std::vector<wire::FunctionScore> scores, double total,
                                 wire::FinishReason finish = wire::FinishReason::kStop,
                                 int64_t version = 0) {
    wire::Completion c;
    c.prompt_id = prompt_id;
    c.sample_index = next_sample_index_[prompt_id]++;  // 0 .. n-1 within its group
    c.policy_version = version;
    c.finish_reason = finish;
    for (int i = 0; i < num_tokens; ++i) {
      c.tokens.push_back(100 + i);
      c.logprobs.push_back(-0.5f);
    }
    c.text = "completion " + std::to_string(b_.rollouts.completions.size());
    wire::ScoredCompletion s;
    s.prompt_id = prompt_id;
    s.sample_index = c.sample_index;
    s.total = total;
    s.scores = std::move(scores);
    b_.rollouts.completions.push_back(std::move(c));
    b_.scores.completions.push_back(std::move(s));
    return *this;
  }

  ScoredBatchBuilder& Seconds(double rollout_s, double reward_s) {
    b_.rollout_s = rollout_s;
    b_.reward_s = reward_s;
    return *this;
  }

  controller::ScoredBatch Build() const { return b_; }

 private:
  controller::ScoredBatch b_;
  std::map<uint64_t, int32_t> next_sample_index_;  // prompt id -> its next sample
};

}  // namespace zerorl::testing

#endif  // ZERORL_TESTS_TRAIN_SCORED_BATCHES_H_
