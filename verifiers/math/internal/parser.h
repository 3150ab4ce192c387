// Recursive-descent parser from answer text to a Node tree, for LaTeX and for plain
// (sympy-style) expressions. Grammar, loosest to tightest:
//
//   answer    := relation ( (',' | ';' | and | or) relation )*     -> List / Set of Tuples
//   relation  := setexpr ( relop setexpr )*                          chains a < b <= c
//   setexpr   := ratio ( (\cup | \cap | \setminus) ratio )*
//   ratio     := additive ( ':' additive )*
//   additive  := term ( ('+' | '-' | \pm | \mp) term )*
//   term      := implicit ( ('*' | \cdot | \times | '/' | \div | \mod) implicit )*
//   implicit  := unary unary*            juxtaposition binds tighter than '/': 1/2x = 1/(2x)
//   unary     := ('-' | '+' | \pm) unary | postfix
//   postfix   := power ( '!' | '%' | percent | unit word | \text{unit} | degree )*
//   power     := atom ( '^' exponent | '_' subscript | ''' )*
//
// Atoms: numbers (1{,}000, 2.5E3, mixed 3\frac12), letters and \greek (with subscripts
// and accents, named like sympy: x_{1} -> "x_1", \overline{x} -> "barx"), constants,
// \frac \sqrt \binom, functions (\sin x, \log_2 8, \gcd(a, b)), groups ( ) [ ] { } \{ \}
// | |, intervals and pairs, matrices, \sum \prod \int \lim \frac{d}{dx}, \text{...}.
//
// Depth is limited (kMaxDepth); every token consumed ticks the Budget. On failure
// Parse() returns nullptr and error() says why; it never throws.
#ifndef ZERORL_VERIFIERS_MATH_INTERNAL_PARSER_H_
#define ZERORL_VERIFIERS_MATH_INTERNAL_PARSER_H_

#include <string>
#include <string_view>
#include <vector>

#include "verifiers/math/internal/ast.h"
#include "verifiers/math/internal/lexer.h"

namespace zerorl::math {

inline constexpr int kMaxDepth = 200;

class Parser {
 public:
  Parser(std::string_view text, Syntax syntax, NodeFactory* factory, Budget* budget);

  // The whole text as one answer; nullptr on failure.
  Node* Parse();
  const std::string& error() const { return error_; }

 private:
  friend class AtomParser;

  // Tokens.
  const Token& Peek(size_t k = 0) const;
  const Token& Next();
  bool At(Tok kind, size_t k = 0) const { return Peek(k).kind == kind; }
  bool Accept(Tok kind);
  bool Expect(Tok kind, const char* what);
  Node* Fail(const std::string& message);
  bool failed() const { return !error_.empty(); }

  // Grammar levels (verifiers/math/parser.cc).
  Node* ParseTopList(Tok stop = Tok::kEnd);
  Node* ParseRelation();
  Node* ParseSetExpr();
  Node* ParseRatio();
  Node* ParseAdditive();
  Node* ParseTerm();
  Node* ParseImplicit(bool function_argument = false);
  Node* ParseUnary();
  Node* ParsePostfix();
  Node* ParsePower();
  bool StartsOperand(size_t k, bool function_argument) const;
  bool AtSeparator() const;
  bool SkipUnits();
  Node* BuildTopList(std::vector<std::vector<Node*>>& groups);

  // Atoms (verifiers/math/parser_atoms.cc).
  Node* ParseAtom();
  Node* ParseNumber();
  Node* ParseLetter();
  Node* ParseCommand();
  Node* ParseText();
  Node* ParseFrac();
  Node* ParseSqrt();
  Node* ParseBinom();
  Node* ParseFunction(const CommandInfo* cmd, bool consumed = false);
  Node* ParseFunctionArgument();
  Node* ParseBigOp(uint8_t which);
  Node* ParseIntegral();
  Node* ParseLimit();
  Node* ParseDerivative(std::string_view variable);
  Node* ParseGroup(Tok open);
  Node* ParseDelimited(Tok open, Tok close, FuncId func);
  Node* ParseEnvironment();
  Node* ParseBracedArgument(const char* what);
  Node* ParsePlainCall(std::string_view name);
  Node* ParsePlainIdentifier();
  bool ParseCallArgs(std::vector<Node*>* args, Tok close);
  Node* ParseExponent();
  bool ParseSubscript(std::string* suffix);
  Node* NamedSymbol(std::string_view base, size_t token_end);
  std::string_view CanonicalName(std::string_view raw);

  std::string_view text_;
  Syntax syntax_;
  NodeFactory* f_;
  Budget* budget_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
  int depth_ = 0;
  int abs_depth_ = 0;       // inside |...|: a '|' closes rather than opens
  int integral_depth_ = 0;  // inside \int: "dx" ends the integrand
  std::string_view differential_;  // the variable of the last "dx" seen
  bool in_limit_point_ = false;    // \lim_{x \to a^+}: "^+" is the direction, not a power
  std::string error_;
};

// Parses `text` as one answer; nullptr with `*error` set on failure.
Node* ParseMath(std::string_view text, Syntax syntax, NodeFactory* factory, Budget* budget,
                std::string* error);

}  // namespace zerorl::math

#endif  // ZERORL_VERIFIERS_MATH_INTERNAL_PARSER_H_
