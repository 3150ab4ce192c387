// The math answer checker: does a model's completion contain the same answer as the gold?
//
//   zerorl::math::MathOptions options;                       // Math-Verify's defaults
//   zerorl::math::MathVerdict v = zerorl::math::VerifyMath("$\\frac{1}{3}$",
//                                              "... so the answer is \\boxed{1/3}.", options);
//   if (v.verdict == zerorl::math::MathVerdictKind::kCorrect) reward = 1.0;
//
// A verdict is one of three things, each with a short reason:
//   correct       the answers are equivalent;
//   incorrect     both answers were found and parsed, and they differ;
//   unverifiable  the gold or the prediction had no answer that could be found or parsed,
//                 or the per-item deadline ran out. An unparseable gold is never correct.
//
// Extraction (both sides, each with its own targets; details in verifiers/math/internal/extract.h): the
// first of these that yields a parseable answer wins, and within one the last in the text:
//   1. "final answer is X. I hope" and \boxed{X} / \fbox{X} (boxed_first, the default)
//   2. "final answer ... is X"
//   3. \boxed{X} (when not boxed_first) and GSM8K's "#### X"
//   4. "answer: X", "answer is X"
//   5. the last math environment ($..$, $$..$$, \(..\), \[..\]), the last number or
//      numeric expression, or a short text that is a formula as a whole.
// Text after the last </think> is searched first, and the last <answer>...</answer>
// before that. Adjacent boxes ("\boxed{1}, \boxed{2}") and environments joined by "and",
// "or" or commas form one list answer. A gold that is a choice letter (A-E) makes the
// prediction be read as a choice letter too ("the answer is (C)").
//
// Percent: "10\%" means 10/100 (Math-Verify), and an answer with a percent sign also
// matches the bare number: 10\% matches 0.1 and 10, since gold answers and models write
// both. Degrees (90^\circ) and units (\text{ cm}, "miles") are dropped.
// Equivalence rules are listed in verifiers/math/internal/equivalence.h.
//
// Bounds: every call returns within about `deadline_ms` whatever the input (1 MB
// strings, deep nesting, 10^{10^{10}}, 1000!): the parser and evaluator check a step
// counter and the clock, nesting is limited to 200, exact numbers above 65,536 bits are
// evaluated approximately or not at all, and memory per call is capped.
//
// Thread safety: VerifyMath keeps no state between calls and reads only constant tables;
// any number of threads may call it at once.
#ifndef ZERORL_VERIFIERS_MATH_VERIFIER_H_
#define ZERORL_VERIFIERS_MATH_VERIFIER_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "rapidjson/document.h"

namespace zerorl::math {

// How a text is read (Math-Verify's extraction configs).
struct MathExtraction {
  bool latex = true;  // math in $..$, \(..\), \[..\], \boxed{}, and formulas after anchors
  bool expr = true;   // plain numbers and numeric expressions: 1,234.5, 3/4, 2^10, 28%
};

struct MathOptions {
  MathExtraction gold_extract;
  MathExtraction pred_extract;
  // \boxed{} ranks with "final answer is ... I hope" (true) or after "final answer ... is"
  // (false). Math-Verify's tests mostly use true.
  bool boxed_first = true;
  // Numbers derived from decimal literals are compared at this many decimal places
  // (1/3 = 0.333333 at 6). Exact numbers are always compared exactly.
  int float_rounding = 6;
  // Variable names must match; false allows renaming (f(x) = f(y)).
  bool strict = true;
  // A gold interval/set also matches a predicted inequality (x \in [-2, 7] vs
  // -2 <= x <= 7). A gold inequality matches a predicted set either way.
  bool set_relation = false;
  // Fall back to the last environment / number / bare formula when no anchor matched.
  bool extract_without_anchor = true;
  // Per-item time bound in milliseconds; <= 0 disables the clock (steps still bounded).
  int64_t deadline_ms = 50;
  // Longer answers (after extraction) are not parsed: unverifiable.
  size_t max_answer_chars = 16384;
  // Memory one verification may allocate for trees and numbers.
  size_t max_memory_bytes = 64u << 20;
  // Plain numbers ("72", "-3.5") skip the tokenizer and the general comparer. The result
  // is the same either way; false exists so benchmarks can measure the general path.
  bool fast_number_path = true;
};

enum class MathVerdictKind : uint8_t { kCorrect, kIncorrect, kUnverifiable };

// "correct", "incorrect", "unverifiable".
const char* MathVerdictName(MathVerdictKind kind);

struct MathVerdict {
  MathVerdictKind verdict = MathVerdictKind::kUnverifiable;
  std::string gold_answer;  // the answer text found in the gold ("" when none)
  std::string pred_answer;  // the answer text found in the completion ("" when none)
  std::string reason;       // e.g. "equal", "not equal", "prediction: no answer found"
};

MathVerdict VerifyMath(std::string_view gold, std::string_view completion,
                       const MathOptions& options = MathOptions());

// The answer a completion gives, read as VerifyMath reads a prediction (options.pred_extract,
// boxed_first, extract_without_anchor, max_answer_chars, deadline_ms) but without a gold:
// the answer text as written, groups joined by ", " (VerifyMath's pred_answer). Choice
// letters are not special here (VerifyMath reads them only against a letter gold).
// kNotFound with the reason ("no answer found", ...) when no candidate parses.
absl::StatusOr<std::string> ExtractMathAnswer(std::string_view completion,
                                              const MathOptions& options = MathOptions());

// The answer part of a reference solution: the text after the last "####" (GSM8K), else
// the content of the last \boxed{} / \fbox{} (MATH), together with the boxes beside it that
// form one answer ("$\boxed{-2}$ and $\boxed{1}$" -> "-2, 1"). kNotFound when neither exists.
absl::StatusOr<std::string> ExtractGoldAnswer(std::string_view solution);

// Reads the options object of the verifier fixtures and of `zerorl verify math`:
//   {"gold_extract": ["latex", "expr"], "pred_extract": ["expr"], "boxed_first": true,
//    "float_rounding": 6, "strict": true, "set_relation": false, "deadline_ms": 50}
// Every key is optional; missing keys keep `*options`' values. On an unknown key or a
// wrong type returns kInvalidArgument naming the key, and leaves `*options` unchanged.
absl::Status MathOptionsFromJson(const rapidjson::Value& json, MathOptions* options);

}  // namespace zerorl::math

#endif  // ZERORL_VERIFIERS_MATH_VERIFIER_H_
