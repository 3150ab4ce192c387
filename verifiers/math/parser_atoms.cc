// Atoms of the grammar in verifiers/math/internal/parser.h: numbers, symbols, commands, groups, functions.
#include <cctype>

#include "verifiers/math/internal/parser.h"

namespace zerorl::math {
namespace {

bool IsIntegerNumber(const Token& t) {
  if (t.kind != Tok::kNumber || (t.flags & kFlagDecimal)) return false;
  return true;
}

}  // namespace

std::string_view Parser::CanonicalName(std::string_view raw) {
  bool clean = true;
  for (char c : raw) {
    if (c == '\\' || c == '{' || c == '}' || c == ' ') clean = false;
  }
  if (clean) return raw;
  std::string out;
  for (char c : raw) {
    if (c != '\\' && c != '{' && c != '}' && c != ' ') out.push_back(c);
  }
  return f_->arena()->CopyString(out);
}

Node* Parser::ParseAtom() {
  if (depth_ > kMaxDepth) return Fail("nesting deeper than 200 levels");
  if (!budget_->Tick()) return Fail("stopped");
  const Token& t = Peek();
  switch (t.kind) {
    case Tok::kNumber: return ParseNumber();
    case Tok::kLetter: return syntax_ == Syntax::kPlain ? ParsePlainIdentifier() : ParseLetter();
    case Tok::kCommand: return ParseCommand();
    case Tok::kText: return ParseText();
    case Tok::kLParen: case Tok::kLBracket: case Tok::kLBrace: case Tok::kLSetBrace:
      return ParseGroup(t.kind);
    case Tok::kPipe: return ParseDelimited(Tok::kPipe, Tok::kPipe, kAbs);
    case Tok::kLCeil: return ParseDelimited(Tok::kLCeil, Tok::kRCeil, kCeil);
    case Tok::kLFloor: return ParseDelimited(Tok::kLFloor, Tok::kRFloor, kFloor);
    case Tok::kBegin: return ParseEnvironment();
    case Tok::kDots: Next(); return f_->Make(Op::kDots, {});
    case Tok::kWord: {
      // A unit-like word where an operand belongs ("1 < ms < 2") is just letters.
      if (t.sub != static_cast<uint8_t>(WordKind::kUnit)) return Fail("unexpected word");
      Token word = Next();
      std::vector<Node*> letters;
      for (size_t i = 0; i < word.text.size(); ++i) letters.push_back(f_->Symbol(word.text.substr(i, 1)));
      return letters.size() == 1 ? letters[0] : f_->Make(Op::kMul, letters);
    }
    case Tok::kEnd: return Fail("expected an expression");
    default: return Fail("unexpected token");
  }
}

Node* Parser::ParseNumber() {
  const Token& t = Next();
  Rational value;
  if (!Rational::FromDecimal(t.text, &value)) return Fail("number too long or malformed");
  Node* number = f_->Number(value, t.flags & kFlagDecimal);
  // Mixed number: 3\frac{1}{2} = 7/2 (integer literal, then a fraction of integer literals).
  if (syntax_ == Syntax::kLatex && IsIntegerNumber(t) && At(Tok::kCommand) && Peek().cmd != nullptr &&
      Peek().cmd->kind == CmdKind::kFrac) {
    size_t k = 1;
    auto integer_arg = [&]() {
      if (IsIntegerNumber(Peek(k))) return ++k, true;
      if (Peek(k).kind == Tok::kLBrace && IsIntegerNumber(Peek(k + 1)) && Peek(k + 2).kind == Tok::kRBrace) {
        k += 3;
        return true;
      }
      return false;
    };
    if (integer_arg() && integer_arg()) {
      Node* frac = ParseFrac();
      if (frac == nullptr) return nullptr;
      Node* mixed = f_->Make(Op::kAdd, {number, frac});
      mixed->flags |= kFlagMixed;
      return mixed;
    }
  }
  return number;
}

bool Parser::ParseSubscript(std::string* suffix) {
  Next();  // '_'
  std::string_view raw;
  if (At(Tok::kLBrace)) {
    size_t open = pos_;
    int depth = 0;
    size_t close = open;
    for (size_t i = open; i < tokens_.size(); ++i) {
      if (tokens_[i].kind == Tok::kLBrace) ++depth;
      if (tokens_[i].kind == Tok::kRBrace && --depth == 0) {
        close = i;
        break;
      }
      if (tokens_[i].kind == Tok::kEnd) return Fail("unclosed { in subscript") != nullptr;
    }
    if (close == open + 1) return Fail("empty subscript") != nullptr;
    raw = text_.substr(tokens_[open].end, tokens_[close].begin - tokens_[open].end);
    budget_->Tick(static_cast<int64_t>(close - open));
    pos_ = close + 1;
  } else {
    const Token& t = Peek();
    if (t.kind != Tok::kLetter && t.kind != Tok::kNumber && t.kind != Tok::kCommand) {
      return Fail("missing subscript") != nullptr;
    }
    raw = t.kind == Tok::kCommand ? t.text : text_.substr(t.begin, t.end - t.begin);
    Next();
  }
  *suffix += "_";
  *suffix += CanonicalName(raw);
  return true;
}

// Applies subscripts and primes to a base name; f, g, h followed by '(' are functions.
Node* Parser::NamedSymbol(std::string_view base, size_t) {
  std::string suffix;
  for (;;) {
    if (At(Tok::kUnderscore)) {
      if (!ParseSubscript(&suffix)) return nullptr;
    } else if (At(Tok::kPrime)) {
      Next();
      suffix += "'";
    } else if (At(Tok::kCaret) && Peek(1).kind == Tok::kLBrace && Peek(2).kind == Tok::kPrime &&
               Peek(3).kind == Tok::kRBrace) {
      Next(), Next(), Next(), Next();
      suffix += "'";
    } else {
      break;
    }
  }
  std::string_view name = suffix.empty() ? base : f_->arena()->CopyString(std::string(base) + suffix);
  bool function_letter = base == "f" || base == "g" || base == "h";
  if (function_letter && At(Tok::kLParen)) {
    Next();
    std::vector<Node*> args;
    if (!ParseCallArgs(&args, Tok::kRParen)) return nullptr;
    Node* app = f_->Make(Op::kApply, args);
    app->name = name;
    return app;
  }
  return f_->Symbol(name);
}

Node* Parser::ParseLetter() {
  const Token& t = Next();
  std::string_view letter = t.text;
  bool subscripted = At(Tok::kUnderscore);
  if (!subscripted && (letter == "e")) return f_->Const(kE);
  if (!subscripted && (letter == "i" || letter == "I")) return f_->Const(kI);
  return NamedSymbol(letter, t.end);
}

Node* Parser::ParseCommand() {
  const Token& t = Peek();
  if (t.cmd == nullptr) {  // \zzz: an unknown command stands for a symbol of that name
    Next();
    return NamedSymbol(t.text, t.end);
  }
  const CommandInfo* cmd = t.cmd;
  switch (cmd->kind) {
    case CmdKind::kFunc: return ParseFunction(cmd);
    case CmdKind::kSymbol: Next(); return NamedSymbol(cmd->name, t.end);
    case CmdKind::kConst: Next(); return f_->Const(static_cast<ConstId>(cmd->sub));
    case CmdKind::kFrac: return ParseFrac();
    case CmdKind::kSqrt: return ParseSqrt();
    case CmdKind::kBinom: return ParseBinom();
    case CmdKind::kBoxed: {
      Next();
      if (!At(Tok::kLBrace)) return ParseAtom();  // \boxed 5
      Next();
      int saved_abs = abs_depth_;
      abs_depth_ = 0;
      Node* inner = ParseTopList(Tok::kRBrace);  // a box holds a whole answer: "p=5, q=2; p=7, q=2"
      abs_depth_ = saved_abs;
      if (inner == nullptr || !Expect(Tok::kRBrace, "} closing \\boxed")) return nullptr;
      return inner;
    }
    case CmdKind::kAccent: {
      Next();
      std::string_view raw;
      if (At(Tok::kLBrace)) {
        size_t open = pos_;
        if (ParseGroup(Tok::kLBrace) == nullptr) return nullptr;
        size_t close_begin = tokens_[pos_ - 1].begin;
        raw = text_.substr(tokens_[open].end, close_begin - tokens_[open].end);
      } else {
        const Token& a = Next();
        raw = a.kind == Tok::kCommand ? a.text : text_.substr(a.begin, a.end - a.begin);
      }
      std::string name = std::string(AccentPrefix(cmd->sub)) + std::string(CanonicalName(raw));
      return NamedSymbol(f_->arena()->CopyString(name), t.end);
    }
    case CmdKind::kBigOp:
      if (cmd->sub == kIntegral) return ParseIntegral();
      if (cmd->sub == kLimit) return ParseLimit();
      return ParseBigOp(cmd->sub);
    case CmdKind::kEmptySet: Next(); return f_->Make(Op::kNamedSet, {}, kEmptySet);
    default: return Fail("unexpected command");
  }
}

Node* Parser::ParseText() {
  const Token& t = Next();
  std::string_view content = t.text;
  switch (t.cmd->kind) {
    case CmdKind::kMathbb: {
      static constexpr struct { char c; NamedSetId id; } kSets[] = {
          {'N', kNaturals}, {'Z', kIntegers}, {'Q', kRationals}, {'R', kReals}, {'C', kComplexes}};
      for (const auto& s : kSets) {
        if (content.size() == 1 && content[0] == s.c) return f_->Make(Op::kNamedSet, {}, s.id);
      }
      return NamedSymbol(content, t.end);
    }
    case CmdKind::kOperatorName: {
      const CommandInfo* cmd = FindCommand(content);
      if (cmd != nullptr && cmd->kind == CmdKind::kFunc) return ParseFunction(cmd, /*consumed=*/true);
      if (At(Tok::kLParen)) {
        Next();
        std::vector<Node*> args;
        if (!ParseCallArgs(&args, Tok::kRParen)) return nullptr;
        Node* app = f_->Make(Op::kApply, args);
        app->name = content;
        return app;
      }
      return NamedSymbol(content, t.end);
    }
    case CmdKind::kVariable: {
      // name [ '_' (one character | {group}) ], nothing after.
      size_t us = content.find('_');
      if (content.empty() || us == 0) return Fail("\\variable needs a name before '_'");
      if (us != std::string_view::npos) {
        std::string_view sub = content.substr(us + 1);
        bool braced = sub.size() >= 2 && sub.front() == '{' && sub.back() == '}';
        if (sub.empty() || (!braced && sub.size() != 1)) return Fail("\\variable subscript must be one character or {braced}");
      }
      bool digits = true;
      for (char c : content) digits = digits && std::isdigit(static_cast<unsigned char>(c));
      if (digits) {
        Rational r;
        if (Rational::FromDecimal(content, &r)) return f_->Number(r);
      }
      return f_->Symbol(CanonicalName(content));
    }
    case CmdKind::kFont: {
      if (content.size() == 1) {
        if (content == "e") return f_->Const(kE);
        return NamedSymbol(content, t.end);
      }
      return NamedSymbol(content, t.end);
    }
    default: break;
  }
  // \text{...}: words, or a number written as text.
  size_t b = content.find_first_not_of(" ~");
  if (b == std::string_view::npos) return ParseAtom();  // \text{ } is spacing
  size_t e = content.find_last_not_of(" ~.");
  content = content.substr(b, e - b + 1);
  bool has_letter = false;
  for (char c : content) has_letter = has_letter || std::isalpha(static_cast<unsigned char>(c));
  if (!has_letter) {
    Parser inner(content, syntax_, f_, budget_);
    inner.depth_ = depth_ + 1;
    Node* node = inner.Parse();
    if (node == nullptr) return Fail("bad number in \\text: " + inner.error());
    return node;
  }
  return f_->Text(content);
}

Node* Parser::ParseBracedArgument(const char* what) {
  if (!At(Tok::kLBrace)) {
    // \frac12, \sqrt3, \frac\pi2: a single token argument.
    const Token& t = Peek();
    if (t.kind == Tok::kNumber) {
      // Only the first digit belongs to the command (\frac12 = 1/2).
      if (t.text.size() > 1 && !(t.flags & kFlagDecimal) && syntax_ == Syntax::kLatex) {
        Token& mutable_t = tokens_[pos_];
        Rational digit(static_cast<int64_t>(t.text[0] - '0'));
        mutable_t.text.remove_prefix(1);
        mutable_t.begin += 1;
        budget_->Tick();
        return f_->Number(digit);
      }
      return ParseNumber();
    }
    if (t.kind == Tok::kLetter) return ParseLetter();
    if (t.kind == Tok::kCommand) return ParseAtom();
    return Fail(std::string("missing argument of ") + what);
  }
  if (Peek(1).kind == Tok::kRBrace) return Fail(std::string("empty argument of ") + what);
  return ParseGroup(Tok::kLBrace);
}

Node* Parser::ParseFrac() {
  Next();  // \frac
  Node* num = ParseBracedArgument("\\frac");
  if (num == nullptr) return nullptr;
  Node* den = ParseBracedArgument("\\frac");
  if (den == nullptr) return nullptr;
  // \frac{d}{dx} f and \frac{df}{dx}: derivatives.
  auto is_d = [](const Node* n) { return n->op == Op::kSymbol && n->name == "d"; };
  if (den->op == Op::kMul && den->n == 2 && is_d(den->kid(0)) && den->kid(1)->op == Op::kSymbol) {
    std::string_view var = den->kid(1)->name;
    if (is_d(num)) return ParseDerivative(var);
    if (num->op == Op::kMul && num->n == 2 && is_d(num->kid(0))) {
      return f_->Make(Op::kBigOp, {num->kid(1), f_->Symbol(var)}, kDerivative);
    }
  }
  return f_->Make(Op::kDiv, {num, den});
}

Node* Parser::ParseDerivative(std::string_view variable) {
  if (!StartsOperand(0, false)) return Fail("derivative operator without an operand");
  Node* body = ParseImplicit();
  if (body == nullptr) return nullptr;
  return f_->Make(Op::kBigOp, {body, f_->Symbol(variable)}, kDerivative);
}

Node* Parser::ParseSqrt() {
  Next();  // \sqrt
  Node* index = nullptr;
  if (At(Tok::kLBracket)) {
    Next();
    index = ParseAdditive();
    if (index == nullptr || !Expect(Tok::kRBracket, "] after root index")) return nullptr;
  }
  Node* radicand = ParseBracedArgument("\\sqrt");
  if (radicand == nullptr) return nullptr;
  return f_->Make(Op::kFunc, {radicand, index != nullptr ? index : f_->Int(2)}, kRoot);
}

Node* Parser::ParseBinom() {
  Next();
  Node* n = ParseBracedArgument("\\binom");
  if (n == nullptr) return nullptr;
  Node* k = ParseBracedArgument("\\binom");
  if (k == nullptr) return nullptr;
  return f_->Make(Op::kFunc, {n, k}, kBinomial);
}

Node* Parser::ParseExponent() {
  if (syntax_ == Syntax::kPlain) return ParseUnary();
  const Token& t = Peek();
  switch (t.kind) {
    case Tok::kLBrace: return ParseBracedArgument("^");
    case Tok::kNumber: return ParseNumber();
    case Tok::kLetter: {
      Next();
      if (t.text == "e") return f_->Const(kE);
      if (t.text == "i") return f_->Const(kI);
      return f_->Symbol(t.text);
    }
    case Tok::kMinus: {  // x^-1 (lenient)
      Next();
      Node* e = ParseExponent();
      return e == nullptr ? nullptr : f_->Make(Op::kNeg, {e});
    }
    case Tok::kCommand: case Tok::kLParen: case Tok::kText: return ParseAtom();
    default: return Fail("missing exponent");
  }
}

}  // namespace zerorl::math
