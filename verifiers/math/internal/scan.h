// Linear scans over a model's text that find where answers may be: math environments
// ($..$, $$..$$, \(..\), \[..\]), \boxed{} / \fbox{} contents, plain numbers and numeric
// expressions, and anchor phrases. Used by verifiers/math/extract.cc; no parsing happens here.
#ifndef ZERORL_VERIFIERS_MATH_INTERNAL_SCAN_H_
#define ZERORL_VERIFIERS_MATH_INTERNAL_SCAN_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace zerorl::math {

struct Span {
  uint32_t begin = 0, end = 0;
};

struct MathEnv {
  Span outer;    // including the delimiters
  Span content;  // between them
};

struct Box {
  Span outer;    // "\boxed{...}"
  Span content;  // "..."
};

// Environments in order of appearance, non-overlapping. Inline $..$ and \(..\) stay on
// one line; a '$' right after a digit or a backslash does not open one ("costs 5$").
std::vector<MathEnv> FindMathEnvs(std::string_view text);

// \boxed / \fbox groups in order, outermost only (nested boxes belong to their parent).
// "\boxed 5" takes the next word or number as its content.
std::vector<Box> FindBoxes(std::string_view text);

// A number in text, Math-Verify's formats: 1,234,567.89 or 1 234 (thousands), 3.14 or
// 3,14 (decimal comma), .5, 42; optionally negative and followed by %, percent, pct.
struct NumberMatch {
  Span span;       // the whole match, percent word included
  Span int_span;   // integer digits, separators included ("" for ".5")
  Span frac_span;  // digits after the decimal mark (empty when none)
  bool negative = false;
  bool percent = false;
};
// "1234.56" for a match (no sign): separators dropped, a decimal comma read as a point.
std::string NumberDigits(std::string_view text, const NumberMatch& m);
// Matches a number starting exactly at `pos`; false when none starts there (also when
// the character before is a digit, a letter, '.', '_' or '^').
bool MatchNumberAt(std::string_view text, size_t pos, NumberMatch* out);

// An arithmetic expression of numbers starting at `pos` ("(1/2) / (3/4)", "2^10 - 1"):
// digits, spaces, . + - * × / ÷ ^ ( ); it must contain an operator between two numbers.
// `*run_end` (optional) receives where the run of such characters ends, match or not;
// runs longer than 1024 characters never match.
bool MatchExpressionAt(std::string_view text, size_t pos, Span* out, size_t* run_end = nullptr);

// Case-insensitive search for ASCII `needle` in text[from, to); npos when absent.
size_t FindNoCase(std::string_view text, std::string_view needle, size_t from, size_t to);

// True when `s` (after `from`) has only list glue: spaces, , ; . and/or, $ \( \) \[ \],
// \quad, \, and \text{...} holding only such words.
bool IsConnector(std::string_view s);

// Prose rather than a formula: some word of 3+ letters outside \commands and \text{}
// that is not a unit, "and"/"or" or a percent word.
bool LooksLikeProse(std::string_view s);

}  // namespace zerorl::math

#endif  // ZERORL_VERIFIERS_MATH_INTERNAL_SCAN_H_
