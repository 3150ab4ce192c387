// Gold answers out of dataset text. Small and torch-free; the full answer extraction and
// equivalence of model completions is the math verifier's (verifiers/), not this.
//
//   LastBoxed("so $\\boxed{\\frac{1}{2}}$.")  == "\\frac{1}{2}"
//   Gsm8kFinalAnswer("... <<2*3=6>>6\n#### 1,234") == "1234"
#ifndef ZERORL_DATASETS_ANSWERS_H_
#define ZERORL_DATASETS_ANSWERS_H_

#include <optional>
#include <string>
#include <string_view>

namespace zerorl::datasets {

// The contents of the last `\boxed{...}` (or `\fbox{...}`) in `text`, braces balanced;
// `\{`, `\}` and `\\` inside do not count as braces. `\boxed 5` (no braces) gives "5".
// nullopt when there is none or the last one is never closed.
std::optional<std::string> LastBoxed(std::string_view text);

// GSM8K: the text after the last "####", trimmed, with thousands separators removed
// ("1,234" -> "1234"; a comma that is not a thousands separator is kept). nullopt when
// there is no "####" or nothing after it.
std::optional<std::string> Gsm8kFinalAnswer(std::string_view solution);

// "-1,234,567.5" -> "-1234567.5"; anything that is not a number grouped in threes (as
// "1,2" or "12,34") is returned unchanged.
std::string StripThousandsSeparators(std::string_view number);

}  // namespace zerorl::datasets

#endif  // ZERORL_DATASETS_ANSWERS_H_
