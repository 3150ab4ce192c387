// The synthetic presets as Problems.
#include "absl/strings/str_cat.h"
#include "core/status.h"
#include "datasets/synthetic.h"

namespace zerorl::datasets {

namespace {

Problem Base(const config::DatasetConfig& config, size_t index) {
  Problem p;
  p.id = absl::StrCat(config.Name(), "/", index);
  p.dataset = config.Name();
  p.system_prompt = config.system_prompt;
  p.instruction = config.instruction;
  return p;
}

}  // namespace

absl::StatusOr<std::vector<Problem>> GenerateProblems(const config::DatasetConfig& config) {
  std::vector<Problem> out;
  if (config.preset == "arithmetic") {
    ASSIGN_OR_RETURN(std::vector<ArithmeticProblem> generated,
                     GenerateArithmetic(config.arithmetic, config.seed, config.count));
    for (size_t i = 0; i < generated.size(); ++i) {
      Problem p = Base(config, i);
      p.kind = TaskKind::kMath;
      p.prompt = ArithmeticPrompt(generated[i]);
      p.answer = absl::StrCat(generated[i].result);
      p.solution = config.arithmetic.style == config::ArithmeticStyle::kCompact
                       ? ArithmeticCompactSolution(generated[i])
                       : ArithmeticWorkedSolution(generated[i]);
      out.push_back(std::move(p));
    }
    return out;
  }
  if (config.preset == "countdown") {
    ASSIGN_OR_RETURN(std::vector<CountdownProblem> generated,
                     GenerateCountdown(config.countdown, config.seed, config.count));
    for (size_t i = 0; i < generated.size(); ++i) {
      Problem p = Base(config, i);
      p.kind = TaskKind::kCountdown;
      p.prompt = CountdownPrompt(generated[i].task);
      p.answer = generated[i].solution;
      p.solution = generated[i].solution;
      p.countdown = std::move(generated[i].task);
      out.push_back(std::move(p));
    }
    return out;
  }
  return absl::InvalidArgumentError("preset \"" + config.preset + "\" is not a synthetic task");
}

}  // namespace zerorl::datasets
