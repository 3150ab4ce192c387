// Groups, functions, big operators, environments and plain (sympy-style) calls.
#include "verifiers/math/internal/parser.h"

namespace zerorl::math {
namespace {

bool IsMinusOne(const Node* n) {
  if (n->op != Op::kNeg) return false;
  const Node* k = n->kid(0);
  return k->op == Op::kNumber && k->big == nullptr && k->num == 1 && k->den == 1;
}

uint8_t Inverse(uint8_t f) {
  if (f >= kSin && f <= kCsc) return static_cast<uint8_t>(kAsin + (f - kSin));
  if (f >= kSinh && f <= kCsch) return static_cast<uint8_t>(kAsinh + (f - kSinh));
  return f;
}

bool IsMultiArg(uint8_t f) { return f == kGcd || f == kLcm || f == kMax || f == kMin; }

bool IsMatrixEnv(std::string_view env) {
  return env == "pmatrix" || env == "bmatrix" || env == "Bmatrix" || env == "vmatrix" ||
         env == "Vmatrix" || env == "matrix" || env == "smallmatrix" || env == "array" ||
         env == "tabular";
}

}  // namespace

// One group ( ... ), [ ... ], { ... } or \{ ... \}; intervals when the brackets differ.
Node* Parser::ParseGroup(Tok open) {
  Next();
  Tok close = open == Tok::kLParen ? Tok::kRParen
              : open == Tok::kLBracket ? Tok::kRBracket
              : open == Tok::kLBrace ? Tok::kRBrace
                                     : Tok::kRSetBrace;
  int saved_abs = abs_depth_;
  abs_depth_ = 0;
  std::vector<Node*> items;
  if (At(close)) {
    Next();
    abs_depth_ = saved_abs;
    if (open == Tok::kLSetBrace || (open == Tok::kLBrace && syntax_ == Syntax::kPlain)) {
      return f_->Make(Op::kNamedSet, {}, kEmptySet);
    }
    return Fail("empty group");
  }
  for (;;) {
    if (budget_->exhausted()) return Fail("stopped");
    Node* item = ParseRelation();
    if (item == nullptr) return nullptr;
    if (At(Tok::kCommand) && Peek().cmd != nullptr && Peek().cmd->kind == CmdKind::kChoose) {
      Next();  // {n \choose k}
      Node* k = ParseRelation();
      if (k == nullptr) return nullptr;
      item = f_->Make(Op::kFunc, {item, k}, kBinomial);
    }
    items.push_back(item);
    if (!Accept(Tok::kComma) && !Accept(Tok::kSemicolon)) break;
  }
  abs_depth_ = saved_abs;
  Tok got = Peek().kind;
  bool half_open = (open == Tok::kLParen && got == Tok::kRBracket) ||
                   (open == Tok::kLBracket && got == Tok::kRParen);
  if (got != close && !half_open) return Fail("unbalanced brackets");
  Next();
  size_t n = items.size();
  if (half_open) {
    if (n != 2) return Fail("an interval needs two endpoints");
    return f_->Make(Op::kInterval, items, open == Tok::kLParen ? kLeftOpen : kRightOpen);
  }
  bool plain = syntax_ == Syntax::kPlain;
  if (n == 1 && !(plain && (open == Tok::kLBrace || open == Tok::kLBracket))) {
    Node* item = items[0];
    item->flags |= kFlagGrouped;
    if (open == Tok::kLSetBrace) item->flags |= kFlagSetBraces;
    return item;
  }
  switch (open) {
    case Tok::kLParen: return f_->Make(n == 2 && !plain ? Op::kPair : Op::kTuple, items);
    case Tok::kLBracket:
      if (n == 2 && !plain) return f_->Make(Op::kInterval, items, 0);
      return f_->Make(Op::kTuple, items);
    default: return f_->Make(Op::kSet, items);
  }
}

Node* Parser::ParseDelimited(Tok open, Tok close, FuncId func) {
  Next();
  int saved_abs = abs_depth_;
  abs_depth_ = open == Tok::kPipe ? 1 : 0;
  Node* inner = ParseAdditive();
  abs_depth_ = saved_abs;
  if (inner == nullptr) return nullptr;
  if (!Expect(close, "closing delimiter")) return nullptr;
  return f_->Make(Op::kFunc, {inner}, func);
}

bool Parser::ParseCallArgs(std::vector<Node*>* args, Tok close) {
  int saved_abs = abs_depth_;
  abs_depth_ = 0;
  if (Accept(close)) return Fail("empty argument list") != nullptr;
  for (;;) {
    if (budget_->exhausted()) return Fail("stopped") != nullptr;
    // Limit(..., dir='+'): the direction as +1 / -1.
    if (syntax_ == Syntax::kPlain && At(Tok::kLetter) && Peek(1).kind == Tok::kRel &&
        Peek(2).kind == Tok::kString) {
      Next(), Next();
      args->push_back(f_->Int(Next().text == "-" ? -1 : 1));
    } else {
      Node* arg = ParseRelation();
      if (arg == nullptr) return false;
      args->push_back(arg);
    }
    if (!Accept(Tok::kComma)) break;
  }
  abs_depth_ = saved_abs;
  return Expect(close, "closing parenthesis of the argument list");
}

Node* Parser::ParseFunctionArgument() {
  const Token& t = Peek();
  switch (t.kind) {
    case Tok::kLParen: case Tok::kLBrace: case Tok::kLBracket: case Tok::kLSetBrace:
      return ParseGroup(t.kind);
    case Tok::kCommand:
      if (t.cmd != nullptr && t.cmd->kind == CmdKind::kFunc) return ParseAtom();  // \sin \cos x
      break;
    default:
      break;
  }
  if (!StartsOperand(0, true) && !At(Tok::kMinus)) return Fail("function without an argument");
  return ParseImplicit(/*function_argument=*/true);
}

// \sin x, \sin^2 x, \sin^{-1} x, \log_2 8, \ln(x), \gcd(a, b, c).
Node* Parser::ParseFunction(const CommandInfo* cmd, bool consumed) {
  std::string_view name = cmd->name;
  if (!consumed) Next();
  uint8_t id = cmd->sub;
  Node* power = nullptr;
  Node* base = nullptr;
  for (int i = 0; i < 2; ++i) {
    if (At(Tok::kCaret)) {
      Next();
      if (At(Tok::kNumber)) power = ParseNumber();
      else if (At(Tok::kLBrace)) power = ParseBracedArgument("function power");
      else return Fail("a function power must be a number or a {group}");
      if (power == nullptr) return nullptr;
    } else if (At(Tok::kUnderscore)) {
      Next();
      base = At(Tok::kLBrace) ? ParseBracedArgument("log base") : ParseAtom();
      if (base == nullptr) return nullptr;
    }
  }
  if (power != nullptr && IsMinusOne(power) && id <= kCsch) {
    id = Inverse(id);
    power = nullptr;
  }
  std::vector<Node*> args;
  if (IsMultiArg(id)) {
    if (!At(Tok::kLParen) && !At(Tok::kLBrace)) return Fail("expected ( after a multi-argument function");
    Tok close = Next().kind == Tok::kLParen ? Tok::kRParen : Tok::kRBrace;
    if (!ParseCallArgs(&args, close)) return nullptr;
  } else {
    Node* arg = ParseFunctionArgument();
    if (arg == nullptr) return nullptr;
    args.push_back(arg);
  }
  Node* result;
  if (id == kLog) {
    Node* b = base != nullptr ? base : (name == "ln" ? nullptr : f_->Int(10));
    result = b == nullptr ? f_->Make(Op::kFunc, {args[0]}, kLn) : f_->Make(Op::kFunc, {args[0], b}, kLog);
  } else {
    result = f_->Make(Op::kFunc, args, id);
  }
  return power == nullptr ? result : f_->Make(Op::kPow, {result, power});
}

// \sum_{k=1}^{n} body and \prod: limits in either order, then the body.
Node* Parser::ParseBigOp(uint8_t which) {
  Next();
  Node* var = nullptr;
  Node* lower = nullptr;
  Node* upper = nullptr;
  for (int i = 0; i < 2; ++i) {
    if (Accept(Tok::kUnderscore)) {
      Node* sub = At(Tok::kLBrace) ? ParseBracedArgument("limit") : ParseAtom();
      if (sub == nullptr) return nullptr;
      if (sub->op == Op::kRelation && sub->n == 2 && sub->rels[0] == RelOp::kEq &&
          sub->kid(0)->op == Op::kSymbol) {
        var = sub->kid(0);
        lower = sub->kid(1);
      } else {
        var = sub;
      }
    } else if (Accept(Tok::kCaret)) {
      upper = ParseExponent();
      if (upper == nullptr) return nullptr;
    }
  }
  Node* body = ParseImplicit();
  if (body == nullptr) return nullptr;
  if (var == nullptr) return f_->Make(Op::kBigOp, {body}, which);
  if (lower == nullptr || upper == nullptr) return f_->Make(Op::kBigOp, {body, var}, which);
  return f_->Make(Op::kBigOp, {body, var, lower, upper}, which);
}

Node* Parser::ParseIntegral() {
  Next();
  Node* lower = nullptr;
  Node* upper = nullptr;
  for (int i = 0; i < 2; ++i) {
    bool is_lower = At(Tok::kUnderscore);
    if (!is_lower && !At(Tok::kCaret)) break;
    Next();
    Node* bound = nullptr;
    if (At(Tok::kLBrace) && Peek(1).kind == Tok::kRBrace) {
      Next(), Next();  // \int^{ }_{ }: empty limits
    } else {
      bound = At(Tok::kLBrace) ? ParseBracedArgument("integral limit") : ParseAtom();
      if (bound == nullptr) return nullptr;
    }
    (is_lower ? lower : upper) = bound;
  }
  ++integral_depth_;
  differential_ = {};
  Node* body = ParseAdditive();
  --integral_depth_;
  if (body == nullptr) return nullptr;
  std::string_view var = differential_;
  if (var.empty()) {
    std::vector<std::string_view> symbols;
    CollectSymbols(body, &symbols);
    for (std::string_view s : symbols) {
      if (s == "x") var = s;
    }
    if (var.empty() && !symbols.empty()) var = symbols[0];
    if (var.empty()) return Fail("integral without a variable");
  }
  if (lower != nullptr && upper != nullptr) {
    return f_->Make(Op::kBigOp, {body, f_->Symbol(var), lower, upper}, kIntegral);
  }
  return f_->Make(Op::kBigOp, {body, f_->Symbol(var)}, kIntegral);
}

// \lim_{x \to a^{+}} body
Node* Parser::ParseLimit() {
  Next();
  if (!Expect(Tok::kUnderscore, "_ after \\lim") || !Expect(Tok::kLBrace, "{ after \\lim_")) return nullptr;
  if (!At(Tok::kLetter) && !At(Tok::kCommand)) return Fail("expected the limit variable");
  Node* var = ParseAtom();
  if (var == nullptr) return nullptr;
  if (!Expect(Tok::kArrow, "\\to in the limit")) return nullptr;
  in_limit_point_ = true;
  Node* point = ParseAdditive();
  in_limit_point_ = false;
  if (point == nullptr) return nullptr;
  int dir = 1;
  if (Accept(Tok::kCaret)) {
    bool braced = Accept(Tok::kLBrace);
    if (Accept(Tok::kMinus)) dir = -1;
    else if (!Accept(Tok::kPlus)) return Fail("expected + or - after ^ in a limit");
    if (braced && !Expect(Tok::kRBrace, "}")) return nullptr;
  }
  if (!Expect(Tok::kRBrace, "} after the limit")) return nullptr;
  Node* body = ParseImplicit();
  if (body == nullptr) return nullptr;
  return f_->Make(Op::kBigOp, {body, var, point, f_->Int(dir)}, kLimit);
}

Node* Parser::ParseEnvironment() {
  std::string_view env = Next().text;
  bool matrix = IsMatrixEnv(env);
  std::vector<std::vector<Node*>> rows(1);
  while (!At(Tok::kEndEnv)) {
    if (At(Tok::kEnd)) return Fail("missing \\end{" + std::string(env) + "}");
    if (budget_->exhausted()) return Fail("stopped");
    if (Accept(Tok::kRowSep)) {
      rows.emplace_back();
      continue;
    }
    if (Accept(Tok::kAmp)) {
      if (matrix && rows.back().empty()) return Fail("empty matrix cell");
      continue;
    }
    Node* cell = ParseRelation();
    if (cell == nullptr) return nullptr;
    rows.back().push_back(cell);
    if (At(Tok::kEnd)) return Fail("missing \\end{" + std::string(env) + "}");
    if (!At(Tok::kAmp) && !At(Tok::kRowSep) && !At(Tok::kEndEnv) && !(!matrix && AtSeparator())) {
      return Fail("unexpected token in environment");
    }
    if (!matrix && AtSeparator()) Next();
  }
  Next();  // \end{...}
  while (!rows.empty() && rows.back().empty()) rows.pop_back();
  if (rows.empty()) return Fail("empty environment");
  if (!matrix) {
    std::vector<Node*> items;
    for (auto& r : rows) items.insert(items.end(), r.begin(), r.end());
    return items.size() == 1 ? items[0] : f_->Make(Op::kList, items);
  }
  size_t cols = rows[0].size();
  std::vector<Node*> cells;
  for (auto& r : rows) {
    if (r.size() != cols) return Fail("matrix rows have different lengths");
    cells.insert(cells.end(), r.begin(), r.end());
  }
  return f_->Matrix(cells, static_cast<uint32_t>(rows.size()), static_cast<uint32_t>(cols));
}

}  // namespace zerorl::math
