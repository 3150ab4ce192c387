// Tokenizer for the two answer syntaxes the parser reads:
//   kLatex  - LaTeX math: single letters are symbols (xy = x*y), \commands, {groups}
//   kPlain  - plain / sympy-style text: identifiers are names (theta, x_1, Abs), ** power
// It never fails: unknown bytes become kUnknown tokens, which the parser refuses.
#ifndef ZERORL_VERIFIERS_MATH_INTERNAL_LEXER_H_
#define ZERORL_VERIFIERS_MATH_INTERNAL_LEXER_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "verifiers/math/internal/arena.h"
#include "verifiers/math/internal/tables.h"

namespace zerorl::math {

enum class Syntax : uint8_t { kLatex, kPlain };

enum class Tok : uint8_t {
  kEnd,
  kNumber,      // text: the literal without separators ("1000.5", "2.5E2")
  kLetter,      // latex: one letter; plain: an identifier
  kCommand,     // cmd set (known command) or nullptr with text = name (unknown)
  kWord,        // sub = WordKind: "cm", "percent", "and", ...
  kText,        // text = words inside \text{...} etc.; cmd = the command
  kPlus, kMinus, kStar, kSlash, kCaret, kUnderscore, kBang, kPrime,
  kLParen, kRParen, kLBracket, kRBracket, kLBrace, kRBrace, kLSetBrace, kRSetBrace,
  kPipe, kComma, kSemicolon, kColon, kAmp, kRowSep, kPeriod,
  kRel,         // sub = RelOp
  kApprox,      // \approx: what follows is not part of the answer
  kPercent, kDegree, kPlusMinus, kMinusPlus, kTimes, kDivide, kMod,
  kSetOp,       // sub = SetOpId
  kLCeil, kRCeil, kLFloor, kRFloor,
  kArrow,       // \to \rightarrow (limits)
  kDots,
  kBegin,       // text = environment name
  kEndEnv,      // text = environment name
  kString,      // plain: 'quoted'
  kNot,         // plain: ~ ; latex: \not
  kUnknown,
};

struct Token {
  Tok kind = Tok::kEnd;
  uint8_t sub = 0;
  uint16_t flags = 0;     // kNumber: kFlagDecimal
  uint32_t begin = 0, end = 0;  // source span
  std::string_view text;
  const CommandInfo* cmd = nullptr;
};

// Tokenizes all of `text`; the last token is kEnd. `max_tokens` bounds the output (the
// rest becomes one kUnknown token so that the parse fails instead of running long).
// Number literals with separators ("1{,}000") are copied, cleaned, into `arena`.
std::vector<Token> Tokenize(std::string_view text, Syntax syntax, size_t max_tokens, Arena* arena);

}  // namespace zerorl::math

#endif  // ZERORL_VERIFIERS_MATH_INTERNAL_LEXER_H_
