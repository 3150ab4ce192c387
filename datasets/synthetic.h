// Synthetic tasks that need no download: two-operand arithmetic (with a worked,
// column-by-column solution usable as an SFT target) and Countdown (TinyZero: reach a
// target from given numbers). Generation is seeded and bit-for-bit deterministic: the same
// (config, seed, count) gives the same problems on every machine.
//
//   ASSIGN_OR_RETURN(std::vector<ArithmeticProblem> ps, GenerateArithmetic(config, 7, 100));
//   ArithmeticPrompt(ps[0])          // "What is 347 + 985?"
//   ps[0].result                     // 1332; the gold answer is std::to_string(result)
//   ArithmeticWorkedSolution(ps[0])  // "ones: 7 + 5 = 12, write 2, carry 1.\n..."
//
//   CountdownCheck({44, 19, 35}, 98, "(44 - 35) * 19 - 73")  // kInvalid: 73 is not given
#ifndef ZERORL_DATASETS_SYNTHETIC_H_
#define ZERORL_DATASETS_SYNTHETIC_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "config/config.h"
#include "datasets/datasets.h"

namespace zerorl::datasets {

// ---- arithmetic ----

struct ArithmeticProblem {
  int64_t a = 0;   // >= 0
  char op = '+';   // '+', '-', '*'
  int64_t b = 0;   // >= 0
  int64_t result = 0;
};

// `count` distinct problems. kInvalidArgument when the config cannot give that many (e.g.
// 1-digit additions without carries: only 55 exist), saying how many it found.
absl::StatusOr<std::vector<ArithmeticProblem>> GenerateArithmetic(
    const config::ArithmeticConfig& config, int64_t seed, int count);

// Carries in the column method: carries for +, borrows for - (larger minus smaller), and for
// * the carries inside each partial product plus those when adding the partial products.
int CountCarries(int64_t a, char op, int64_t b);

std::string ArithmeticPrompt(const ArithmeticProblem& problem);  // "What is 347 + 985?"
// Column-by-column working ending in "So 347 + 985 = 1332." (no answer tags: the caller
// wraps it in its template's format).
std::string ArithmeticWorkedSolution(const ArithmeticProblem& problem);
// The same working, one short line per column, ones first (ArithmeticStyle::kCompact):
//   347 + 985: "7+5=12\n4+8+1=13\n3+9+1=13\n1332"
//   603 - 158: "13-8=5 b\n9-5=4 b\n5-1=4\n445" (" b": this column borrowed)
//   12 * 34:   "12*4=48\n12*30=360\n48+360=408\n408"
std::string ArithmeticCompactSolution(const ArithmeticProblem& problem);

// ---- countdown ----

// `count` distinct problems (distinct as number multiset + target). Each target is an
// integer in [target_min, target_max], differs from every given number, and is reachable
// using every number exactly once with integer intermediate results; `solution` is such an
// expression. kInvalidArgument when the ranges cannot give `count` problems.
struct CountdownProblem {
  CountdownTask task;
  std::string solution;  // e.g. "(44 - 35) * 19 - 73"
};
absl::StatusOr<std::vector<CountdownProblem>> GenerateCountdown(
    const config::CountdownConfig& config, int64_t seed, int count);

// "Using the numbers [44, 19, 35], create an expression that equals 98. ..."
std::string CountdownPrompt(const CountdownTask& task);

enum class CountdownVerdict {
  kCorrect,     // well formed, numbers allowed, exact value equals the target
  kWrongValue,  // well formed and allowed, but another value
  kInvalid,     // syntax error, a number not given or used too often, division by zero,
                // unused numbers when use_all_numbers, or a value out of range
};

struct CountdownResult {
  CountdownVerdict verdict = CountdownVerdict::kInvalid;
  std::string reason;  // why it is not kCorrect ("" when correct)
};

struct CountdownRules {
  // false: each number at most once. true: each exactly once (TinyZero's reward).
  bool use_all_numbers = false;
};

// Evaluates `expression` (non-negative integer literals, + - * /, parentheses, spaces; no
// unary minus) in exact rational arithmetic, so 7 / 2 * 2 is 7 and never rounds. Never
// crashes on any input: the length is capped at 1000 characters and nesting at 100.
CountdownResult CountdownCheck(const std::vector<int64_t>& numbers, int64_t target,
                               std::string_view expression, const CountdownRules& rules = {});

// ---- as problems ----

// The `config.count` problems of a synthetic preset ("arithmetic", "countdown") as Problems:
// ids "<name>/<i>", answer, solution (worked / an expression), and for countdown the task.
absl::StatusOr<std::vector<Problem>> GenerateProblems(const config::DatasetConfig& config);

}  // namespace zerorl::datasets

#endif  // ZERORL_DATASETS_SYNTHETIC_H_
