// Finding the answer in a completion (or a gold solution) and parsing it.
//
// Priority order (first group with a candidate that parses wins; inside a group the
// candidate that ends last in the text wins, like Math-Verify):
//   0    "final answer is X. I hope"          and \boxed{X} when boxed_first (default)
//   50   "final answer ... is X" (within 100 characters)
//   55   \boxed{X} when not boxed_first, and GSM8K's "#### X"
//   100  "answer: X" (X within 50 characters) and "answer is X"
//   300  without an anchor: the last math environment ($..$, \(..\), \[..\], $$..$$), the
//        last number or numeric expression, or the whole text when it is a short formula
// X is a math environment, a \boxed{} group, a formula up to the end of the sentence
// (latex), or a number / numeric expression (expr). Boxes next to each other ("\boxed{1},
// \boxed{2}", or in one environment) form one list answer, as do environments joined by
// "and", "or" or commas ("$21, 16$ or $11$"). Text after the last </think> is searched
// first, and inside <answer>...</answer> when present.
#ifndef ZERORL_VERIFIERS_MATH_INTERNAL_EXTRACT_H_
#define ZERORL_VERIFIERS_MATH_INTERNAL_EXTRACT_H_

#include <string>
#include <string_view>

#include "verifiers/math/internal/ast.h"

namespace zerorl::math {

struct ExtractOptions {
  bool latex = true;            // math environments, \boxed{}, formulas
  bool expr = true;             // plain numbers and numeric expressions
  bool boxed_first = true;      // \boxed{} ranks with "final answer is" (priority 0)
  bool without_anchor = true;   // priority 300: last environment / number / formula
  size_t max_answer_chars = 16384;
  bool fast_numbers = true;     // plain number texts become Number nodes without the parser
};

struct ExtractedAnswer {
  Node* node = nullptr;        // parsed answer; a kList when it came from several groups
  std::string text;            // as written, groups joined by ", "
  const char* source = "";     // "boxed", "final answer", "####", "answer", "last math", ...
};

// False with `*why` when no candidate parses (or the budget ran out).
bool ExtractAnswer(std::string_view text, const ExtractOptions& options, NodeFactory* factory,
                   Budget* budget, ExtractedAnswer* out, std::string* why);

// The text of the last \boxed{} answer, with the boxes next to it that belong to the same
// answer joined by ", " ("$\boxed{-2}$ and $\boxed{1}$" -> "-2, 1"); false when none.
bool LastBoxedText(std::string_view text, std::string* out);

// The letter (A-E) a completion chooses: \boxed{C}, "answer is (C)", "answer: C", or the
// last "(C)"; 0 when none.
char FindChoiceLetter(std::string_view text);

}  // namespace zerorl::math

#endif  // ZERORL_VERIFIERS_MATH_INTERNAL_EXTRACT_H_
