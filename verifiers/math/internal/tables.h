// The vocabulary of the math parsers, as tables: LaTeX commands, function names of plain
// (sympy-style) expressions, and the words that can follow a number (units, "percent",
// "and"). Lookups are binary searches over sorted constant arrays: no global state.
#ifndef ZERORL_VERIFIERS_MATH_INTERNAL_TABLES_H_
#define ZERORL_VERIFIERS_MATH_INTERNAL_TABLES_H_

#include <cstdint>
#include <string_view>

namespace zerorl::math {

enum class CmdKind : uint8_t {
  kFunc,       // sub = FuncId: \sin, \gcd, \max, ...
  kSymbol,     // Greek letters and named symbols: the symbol name is the command name
  kConst,      // sub = ConstId
  kFrac,       // \frac \dfrac \tfrac \cfrac
  kSqrt,
  kBinom,      // \binom \dbinom \tbinom
  kChoose,     // {n \choose k}
  kText,       // \text \textbf \mbox ...: words
  kFont,       // \mathrm \mathbf ...: letters keep their meaning
  kMathbb,     // \mathbb{R}
  kOperatorName,
  kVariable,   // \variable{name}: a symbol with exactly that name
  kAccent,     // \overline{x} -> "barx"; sub = index into accent prefixes
  kSpace,      // ignored: \quad \, \displaystyle ...
  kSizing,     // ignored with the delimiter kept: \left \right \big ...
  kSkipGroup,  // ignored with its {argument}: \hspace{1cm} \label{x} \tag{1}
  kToken,      // sub = Tok value: \cdot -> kTimes, \le -> kRel ...
  kRel,        // sub = RelOp
  kSetOp,      // sub = SetOpId
  kBigOp,      // sub = BigOpId: \sum \prod \int \lim
  kBoxed,      // \boxed \fbox: a group
  kBegin,
  kEnd,
  kEmptySet,
  kPmod,       // \pmod{n}: dropped (answer is the residue)
  kNot,        // \not: negates the next relation
};

struct CommandInfo {
  std::string_view name;
  CmdKind kind;
  uint8_t sub;
};

// nullptr when `name` (without the backslash) is not a known command.
const CommandInfo* FindCommand(std::string_view name);
// Longest known command that is a proper prefix of `name` and at least 3 letters long
// (so "\lgroupx" reads as "\lgroup x", "\quadx" as "\quad x"); nullptr when none.
const CommandInfo* FindCommandPrefix(std::string_view name, size_t* length);

// Accent prefixes used in symbol names: \overline{x} and \bar{x} -> "barx".
std::string_view AccentPrefix(uint8_t sub);

// Function names of plain expressions (sqrt, sin, Abs, ceiling, gcd, ...): FuncId or -1.
int FindPlainFunction(std::string_view name);

enum class WordKind : uint8_t { kNone, kUnit, kPercent, kAnd, kOr };
// Words that may stand after a number in an answer; case-insensitive, >= 2 letters.
WordKind FindWord(std::string_view word);

}  // namespace zerorl::math

#endif  // ZERORL_VERIFIERS_MATH_INTERNAL_TABLES_H_
