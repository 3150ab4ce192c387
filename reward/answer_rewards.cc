// math_accuracy and countdown: does the completion reach the problem's answer?
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "datasets/synthetic.h"
#include "reward/reward_function.h"
#include "reward/text.h"
#include "verifiers/math/verifier.h"

namespace zerorl {
namespace {

using reward_text::Shorten;

constexpr size_t kMaxDetail = 200;

class MathAccuracy : public RewardFunction {
 public:
  explicit MathAccuracy(const MathAccuracyOptions& o) {
    options_.deadline_ms = o.deadline_ms;
    options_.float_rounding = o.float_rounding;
    options_.boxed_first = o.boxed_first;
    options_.strict = o.strict;
    options_.set_relation = o.set_relation;
  }

  void Score(const ScoringContext& context, std::vector<FunctionScore>* out) override {
    for (size_t i = 0; i < context.size(); ++i) (*out)[i] = ScoreOne(context, i);
  }

  void AddCounters(const std::string& prefix, std::map<std::string, double>* out) const override {
    (*out)[prefix + "unverifiable_gold"] = static_cast<double>(unverifiable_gold_);
    (*out)[prefix + "unverifiable_prediction"] = static_cast<double>(unverifiable_prediction_);
  }

 private:
  FunctionScore ScoreOne(const ScoringContext& context, size_t i) {
    const Problem* problem = context.problem_of(i);
    if (problem != nullptr && problem->kind != TaskKind::kMath) {
      return NotApplicable(absl::StrCat("a ", TaskKindName(problem->kind), " problem"));
    }
    std::string gold = context.prompt_of(i).answer;
    if (gold.empty() && problem != nullptr) gold = problem->answer;
    if (gold.empty()) return NotApplicable("no gold answer");
    MathVerdict v = VerifyMath(gold, context.sample(i).completion, options_);
    std::string detail = Shorten(v.reason, kMaxDetail);
    switch (v.verdict) {
      case MathVerdictKind::kCorrect:
        return Ok(1.0, detail);
      case MathVerdictKind::kIncorrect:
        return Ok(0.0, Shorten(absl::StrCat(detail, ": gold ", v.gold_answer, ", got ",
                                            v.pred_answer),
                               kMaxDetail));
      case MathVerdictKind::kUnverifiable:
        break;
    }
    // The verifier names the side it could not read: "gold: ..." or "prediction: ...".
    if (absl::StartsWith(v.reason, "gold:") || v.gold_answer.empty()) {
      ++unverifiable_gold_;
      return NotApplicable("unverifiable " + detail);
    }
    ++unverifiable_prediction_;
    return Ok(0.0, "unverifiable " + detail);
  }

  MathOptions options_;
  int64_t unverifiable_gold_ = 0;
  int64_t unverifiable_prediction_ = 0;
};

class CountdownReward : public RewardFunction {
 public:
  explicit CountdownReward(const CountdownRewardOptions& o) { rules_.use_all_numbers = o.use_all_numbers; }

  void Score(const ScoringContext& context, std::vector<FunctionScore>* out) override {
    for (size_t i = 0; i < context.size(); ++i) {
      const Problem* problem = context.problem_of(i);
      if (problem == nullptr || !problem->countdown) {
        (*out)[i] = NotApplicable("not a countdown problem");
        continue;
      }
      std::string text = reward_text::AsWritten(context.prompt_of(i).text, context.sample(i).completion);
      std::optional<std::string_view> answer =
          reward_text::LastTagContent(text, "<answer>", "</answer>");
      if (!answer) {
        (*out)[i] = Ok(0.0, "no <answer>...</answer>");
        continue;
      }
      // "(3 + 5) * 2 = 16": the expression is the part before '='.
      std::string_view expression = answer->substr(0, answer->find('='));
      CountdownResult r = CountdownCheck(problem->countdown->numbers, problem->countdown->target,
                                         expression, rules_);
      (*out)[i] = r.verdict == CountdownVerdict::kCorrect
                      ? Ok(1.0, "reaches the target")
                      : Ok(0.0, Shorten(r.reason, kMaxDetail));
    }
  }

 private:
  CountdownRules rules_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<RewardFunction>> MakeMathAccuracy(const MathAccuracyOptions& options) {
  return std::make_unique<MathAccuracy>(options);
}

absl::StatusOr<std::unique_ptr<RewardFunction>> MakeCountdownReward(
    const CountdownRewardOptions& options) {
  return std::make_unique<CountdownReward>(options);
}

}  // namespace zerorl
