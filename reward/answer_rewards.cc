// math_accuracy and countdown: does the completion reach the problem's answer?
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "datasets/synthetic.h"
#include "reward/internal/text.h"
#include "reward/reward_function.h"
#include "verifiers/math/verifier.h"

namespace zerorl::reward {
namespace {

using text::Shorten;

constexpr size_t kMaxDetail = 200;

class MathAccuracy : public RewardFunction {
 public:
  explicit MathAccuracy(const config::MathAccuracyOptions& o) {
    options_.deadline_ms = o.deadline_ms;
    options_.float_rounding = o.float_rounding;
    options_.boxed_first = o.boxed_first;
    options_.strict = o.strict;
    options_.set_relation = o.set_relation;
  }

  void Score(const ScoringContext& context, std::vector<wire::FunctionScore>* out) override {
    for (size_t i = 0; i < context.size(); ++i) (*out)[i] = ScoreOne(context, i);
  }

  void AddCounters(const std::string& prefix, std::map<std::string, double>* out) const override {
    (*out)[prefix + "unverifiable_gold"] = static_cast<double>(unverifiable_gold_);
    (*out)[prefix + "unverifiable_prediction"] = static_cast<double>(unverifiable_prediction_);
  }

 private:
  wire::FunctionScore ScoreOne(const ScoringContext& context, size_t i) {
    const datasets::Problem* problem = context.problem_of(i);
    if (problem != nullptr && problem->kind != datasets::TaskKind::kMath) {
      return NotApplicable(absl::StrCat("a ", datasets::TaskKindName(problem->kind), " problem"));
    }
    std::string gold = context.prompt_of(i).answer;
    if (gold.empty() && problem != nullptr) gold = problem->answer;
    if (gold.empty()) return NotApplicable("no gold answer");
    math::MathVerdict v = math::VerifyMath(gold, context.sample(i).completion, options_);
    std::string detail = Shorten(v.reason, kMaxDetail);
    switch (v.verdict) {
      case math::MathVerdictKind::kCorrect:
        return Ok(1.0, detail);
      case math::MathVerdictKind::kIncorrect:
        return Ok(0.0, Shorten(absl::StrCat(detail, ": gold ", v.gold_answer, ", got ",
                                            v.pred_answer),
                               kMaxDetail));
      case math::MathVerdictKind::kUnverifiable:
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

  math::MathOptions options_;
  int64_t unverifiable_gold_ = 0;
  int64_t unverifiable_prediction_ = 0;
};

class CountdownReward : public RewardFunction {
 public:
  explicit CountdownReward(const config::CountdownRewardOptions& o) {
    rules_.use_all_numbers = o.use_all_numbers;
  }

  void Score(const ScoringContext& context, std::vector<wire::FunctionScore>* out) override {
    for (size_t i = 0; i < context.size(); ++i) {
      const datasets::Problem* problem = context.problem_of(i);
      if (problem == nullptr || !problem->countdown) {
        (*out)[i] = reward::NotApplicable("not a countdown problem");
        continue;
      }
      std::string text = text::AsWritten(context.prompt_of(i).text, context.sample(i).completion);
      std::optional<std::string_view> answer =
          text::LastTagContent(text, "<answer>", "</answer>");
      if (!answer) {
        (*out)[i] = reward::Ok(0.0, "no <answer>...</answer>");
        continue;
      }
      // "(3 + 5) * 2 = 16": the expression is the part before '='.
      std::string_view expression = answer->substr(0, answer->find('='));
      datasets::CountdownResult r = datasets::CountdownCheck(
          problem->countdown->numbers, problem->countdown->target, expression, rules_);
      (*out)[i] = r.verdict == datasets::CountdownVerdict::kCorrect
                      ? reward::Ok(1.0, "reaches the target")
                      : Ok(0.0, Shorten(r.reason, kMaxDetail));
    }
  }

 private:
  datasets::CountdownRules rules_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<RewardFunction>> MakeMathAccuracy(
    const config::MathAccuracyOptions& options) {
  return std::make_unique<MathAccuracy>(options);
}

absl::StatusOr<std::unique_ptr<RewardFunction>> MakeCountdownReward(
    const config::CountdownRewardOptions& options) {
  return std::make_unique<CountdownReward>(options);
}

}  // namespace zerorl::reward
