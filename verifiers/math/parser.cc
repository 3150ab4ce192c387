// Grammar levels from the answer list down to powers; atoms are in verifiers/math/parser_atoms.cc.
#include "verifiers/math/internal/parser.h"

#include <cctype>

namespace zerorl::math {
namespace {

// "and", "or", ", and" ... written inside \text{}: a list separator.
bool IsSeparatorText(std::string_view s) {
  bool any = false;
  size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (c == ' ' || c == ',' || c == ';' || c == '~') {
      any = any || c == ',' || c == ';';
      ++i;
      continue;
    }
    size_t j = i;
    while (j < s.size() && std::isalpha(static_cast<unsigned char>(s[j]))) ++j;
    if (j == i) return false;
    WordKind w = FindWord(s.substr(i, j - i));
    if (w != WordKind::kAnd && w != WordKind::kOr) return false;
    any = true;
    i = j;
  }
  return any;
}

struct DepthGuard {
  explicit DepthGuard(int* depth) : depth_(depth) { ++*depth_; }
  ~DepthGuard() { --*depth_; }
  int* depth_;
};

}  // namespace

Parser::Parser(std::string_view text, Syntax syntax, NodeFactory* factory, Budget* budget)
    : text_(text), syntax_(syntax), f_(factory), budget_(budget) {}

Node* Parser::Parse() {
  size_t max_tokens = text_.size() + 8;
  tokens_ = Tokenize(text_, syntax_, max_tokens, f_->arena());
  budget_->Tick(static_cast<int64_t>(tokens_.size()));
  if (At(Tok::kEnd)) return Fail("empty answer");
  Node* root = ParseTopList();
  if (root == nullptr && error_.empty()) error_ = "could not parse";
  return failed() ? nullptr : root;
}

const Token& Parser::Peek(size_t k) const {
  size_t i = pos_ + k;
  return i < tokens_.size() ? tokens_[i] : tokens_.back();
}

const Token& Parser::Next() {
  const Token& t = Peek();
  if (pos_ + 1 < tokens_.size()) ++pos_;
  budget_->Tick();
  return t;
}

bool Parser::Accept(Tok kind) {
  if (!At(kind)) return false;
  Next();
  return true;
}

bool Parser::Expect(Tok kind, const char* what) {
  if (Accept(kind)) return true;
  Fail(std::string("expected ") + what);
  return false;
}

Node* Parser::Fail(const std::string& message) {
  if (error_.empty()) {
    const Token& t = Peek();
    if (budget_->exhausted()) {
      error_ = budget_->StopReason();
    } else if (t.kind == Tok::kEnd) {
      error_ = message + " at end of answer";
    } else {
      error_ = message + " at '" + std::string(text_.substr(t.begin, std::min<size_t>(t.end - t.begin, 20))) + "'";
    }
  }
  return nullptr;
}

bool Parser::AtSeparator() const {
  const Token& t = Peek();
  switch (t.kind) {
    case Tok::kComma: case Tok::kSemicolon: return true;
    case Tok::kWord:
      return t.sub == static_cast<uint8_t>(WordKind::kAnd) || t.sub == static_cast<uint8_t>(WordKind::kOr);
    case Tok::kText: return t.cmd != nullptr && t.cmd->kind == CmdKind::kText && IsSeparatorText(t.text);
    default: return false;
  }
}

Node* Parser::ParseTopList(Tok stop) {
  std::vector<std::vector<Node*>> groups(1);
  while (!At(Tok::kEnd) && !At(stop)) {
    if (budget_->exhausted()) return Fail("stopped");
    if (AtSeparator()) {
      if (At(Tok::kSemicolon)) groups.emplace_back();
      Next();
      continue;
    }
    if (At(Tok::kPeriod)) {
      Next();
      continue;
    }
    if (At(Tok::kArrow)) {  // "x^2 = 4 \Rightarrow x = 2": the answer is what follows
      groups.assign(1, {});
      Next();
      continue;
    }
    Node* element = ParseRelation();
    if (element == nullptr) return nullptr;
    groups.back().push_back(element);
    if (At(Tok::kApprox)) {  // "= 1/3 \approx 0.33": the approximation is not the answer
      while (!At(Tok::kEnd) && !At(stop) && !AtSeparator() && Next().kind != Tok::kEnd) {}
    }
    if (!At(Tok::kEnd) && !At(stop) && !AtSeparator() && !At(Tok::kPeriod) && !At(Tok::kArrow)) {
      return Fail("unexpected token");
    }
  }
  return BuildTopList(groups);
}

Node* Parser::BuildTopList(std::vector<std::vector<Node*>>& groups) {
  std::vector<std::vector<Node*>> kept;
  size_t total = 0;
  bool any_multi = false;
  for (auto& g : groups) {
    if (g.empty()) continue;
    total += g.size();
    any_multi = any_multi || g.size() > 1;
    kept.push_back(std::move(g));
  }
  if (total == 0) return Fail("empty answer");
  if (kept.size() == 1) {
    if (kept[0].size() == 1) return kept[0][0];
    return f_->Make(Op::kList, kept[0]);
  }
  std::vector<Node*> items;
  for (auto& g : kept) {
    if (!any_multi || g.size() == 1) {
      items.insert(items.end(), g.begin(), g.end());
    } else {
      items.push_back(f_->Make(Op::kTuple, g));
    }
  }
  return f_->Make(Op::kList, items);
}

Node* Parser::ParseRelation() {
  DepthGuard guard(&depth_);
  if (depth_ > kMaxDepth) return Fail("nesting deeper than 200 levels");
  Node* first = ParseSetExpr();
  if (first == nullptr) return nullptr;
  std::vector<Node*> operands{first};
  std::vector<RelOp> rels;
  for (;;) {
    RelOp op;
    if (At(Tok::kRel)) {
      op = static_cast<RelOp>(Peek().sub);
      Next();
    } else if (At(Tok::kNot) && Peek(1).kind == Tok::kRel) {
      Next();
      op = static_cast<RelOp>(Next().sub);
      if (op == RelOp::kEq) op = RelOp::kNe;
      else if (op == RelOp::kIn) op = RelOp::kNotIn;
      else return Fail("cannot negate this relation");
    } else if (At(Tok::kApprox) && operands.size() == 1) {
      op = RelOp::kEq;  // "x \approx 0.33" reads as x = 0.33
      Next();
    } else if (At(Tok::kAmp) && Peek(1).kind == Tok::kRel) {
      Next();  // "&=" of align environments
      continue;
    } else {
      break;
    }
    Node* rhs = ParseSetExpr();
    if (rhs == nullptr) return nullptr;
    operands.push_back(rhs);
    rels.push_back(op);
  }
  if (operands.size() == 1) return first;
  return f_->Relation(operands, rels);
}

Node* Parser::ParseSetExpr() {
  Node* left = ParseRatio();
  while (left != nullptr && At(Tok::kSetOp)) {
    uint8_t op = Next().sub;
    Node* right = ParseRatio();
    if (right == nullptr) return nullptr;
    left = f_->Make(Op::kSetOp, {left, right}, op);
  }
  return left;
}

Node* Parser::ParseRatio() {
  Node* first = ParseAdditive();
  if (first == nullptr || !At(Tok::kColon)) return first;
  std::vector<Node*> parts{first};
  while (Accept(Tok::kColon)) {
    Node* next = ParseAdditive();
    if (next == nullptr) return nullptr;
    parts.push_back(next);
  }
  return f_->Make(Op::kRatio, parts);
}

Node* Parser::ParseAdditive() {
  Node* first = ParseTerm();
  if (first == nullptr) return nullptr;
  std::vector<Node*> terms{first};
  auto sum = [&]() { return terms.size() == 1 ? terms[0] : f_->Make(Op::kAdd, terms); };
  for (;;) {
    if (At(Tok::kPlus) || At(Tok::kMinus)) {
      bool minus = Next().kind == Tok::kMinus;
      Node* t = ParseTerm();
      if (t == nullptr) return nullptr;
      terms.push_back(minus ? f_->Make(Op::kNeg, {t}) : t);
    } else if (At(Tok::kPlusMinus) || At(Tok::kMinusPlus)) {
      uint8_t sub = Next().kind == Tok::kMinusPlus ? 1 : 0;
      Node* t = ParseTerm();
      if (t == nullptr) return nullptr;
      Node* acc = sum();
      terms.assign(1, f_->Make(Op::kPlusMinus, {acc, t}, sub));
    } else {
      break;
    }
  }
  return sum();
}

Node* Parser::ParseTerm() {
  Node* left = ParseImplicit();
  while (left != nullptr) {
    Tok k = Peek().kind;
    if (k == Tok::kStar || k == Tok::kTimes) {
      Next();
      Node* right = ParseImplicit();
      if (right == nullptr) return nullptr;
      left = f_->Make(Op::kMul, {left, right});
    } else if (k == Tok::kSlash || k == Tok::kDivide) {
      Next();
      Node* right = ParseImplicit();
      if (right == nullptr) return nullptr;
      left = f_->Make(Op::kDiv, {left, right});
    } else if (k == Tok::kMod) {
      Next();
      Node* right = ParseImplicit();
      if (right == nullptr) return nullptr;
      left = f_->Make(Op::kFunc, {left, right}, kMod);
    } else {
      break;
    }
  }
  return left;
}

bool Parser::StartsOperand(size_t k, bool function_argument) const {
  const Token& t = Peek(k);
  switch (t.kind) {
    case Tok::kNumber: case Tok::kLetter: case Tok::kLParen: case Tok::kLBrace:
    case Tok::kLSetBrace: case Tok::kLCeil: case Tok::kLFloor: case Tok::kBegin:
    case Tok::kLBracket:
      return true;
    case Tok::kPipe:
      return abs_depth_ == 0;
    case Tok::kCommand:
      if (t.cmd == nullptr) return true;
      switch (t.cmd->kind) {
        case CmdKind::kFunc: return !function_argument;
        case CmdKind::kChoose: return false;
        default: return true;
      }
    case Tok::kText:
      return t.cmd != nullptr && t.cmd->kind != CmdKind::kText;
    default:
      return false;
  }
}

Node* Parser::ParseImplicit(bool function_argument) {
  DepthGuard guard(&depth_);
  if (depth_ > kMaxDepth) return Fail("nesting deeper than 200 levels");
  auto at_differential = [&]() {
    if (integral_depth_ == 0) return false;
    const Token& t = Peek();
    bool is_d = (t.kind == Tok::kLetter && t.text == "d") ||
                (t.kind == Tok::kText && t.cmd != nullptr && t.cmd->kind == CmdKind::kFont && t.text == "d");
    const Token& v = Peek(1);
    return is_d && (v.kind == Tok::kLetter ||
                    (v.kind == Tok::kCommand && v.cmd != nullptr && v.cmd->kind == CmdKind::kSymbol));
  };
  auto take_differential = [&]() {
    Next();
    const Token& v = Next();
    differential_ = v.kind == Tok::kLetter ? v.text : v.cmd->name;
  };
  if (at_differential()) {
    take_differential();
    return f_->Int(1);
  }
  Node* first = ParseUnary();
  if (first == nullptr) return nullptr;
  std::vector<Node*> factors{first};
  while (StartsOperand(0, function_argument)) {
    if (budget_->exhausted()) return Fail("stopped");
    if (at_differential()) {
      take_differential();
      break;
    }
    Node* next = ParsePostfix();
    if (next == nullptr) return nullptr;
    factors.push_back(next);
  }
  return factors.size() == 1 ? first : f_->Make(Op::kMul, factors);
}

Node* Parser::ParseUnary() {
  DepthGuard guard(&depth_);
  if (depth_ > kMaxDepth) return Fail("nesting deeper than 200 levels");
  if (Accept(Tok::kMinus)) {
    Node* u = ParseUnary();
    return u == nullptr ? nullptr : f_->Make(Op::kNeg, {u});
  }
  if (Accept(Tok::kPlus)) return ParseUnary();
  if (At(Tok::kPlusMinus) || At(Tok::kMinusPlus)) {
    uint8_t sub = Next().kind == Tok::kMinusPlus ? 1 : 0;
    Node* u = ParseUnary();
    return u == nullptr ? nullptr : f_->Make(Op::kPlusMinus, {f_->Int(0), u}, sub);
  }
  if (syntax_ == Syntax::kPlain && Accept(Tok::kNot)) {
    Node* u = ParseUnary();
    if (u == nullptr) return nullptr;
    if (u->op != Op::kRelation || u->n != 2) return Fail("~ needs a relation");
    RelOp r = u->rels[0] == RelOp::kEq ? (IsSetLike(u->kid(1)) ? RelOp::kNotIn : RelOp::kNe) : u->rels[0];
    return f_->Relation({u->kid(0), u->kid(1)}, {r});
  }
  return ParsePostfix();
}

bool Parser::SkipUnits() {
  bool any = false;
  for (;;) {
    const Token& t = Peek();
    bool unit = (t.kind == Tok::kWord && t.sub == static_cast<uint8_t>(WordKind::kUnit)) ||
                t.kind == Tok::kDegree ||
                (t.kind == Tok::kText && t.cmd != nullptr && t.cmd->kind == CmdKind::kText &&
                 !IsSeparatorText(t.text));
    if (!unit) return any;
    Next();
    any = true;
    if (At(Tok::kCaret) && (Peek(1).kind == Tok::kNumber || Peek(1).kind == Tok::kLBrace)) {
      Next();  // cm^2: the power belongs to the unit
      if (Next().kind == Tok::kLBrace) {
        while (!At(Tok::kEnd) && !At(Tok::kRBrace)) Next();
        Accept(Tok::kRBrace);
      }
    }
  }
}

Node* Parser::ParsePostfix() {
  Node* base = ParsePower();
  while (base != nullptr) {
    const Token& t = Peek();
    if (t.kind == Tok::kBang) {
      Next();
      base = f_->Make(Op::kFunc, {base}, kFactorial);
    } else if (t.kind == Tok::kPercent ||
               (t.kind == Tok::kWord && t.sub == static_cast<uint8_t>(WordKind::kPercent))) {
      Next();
      base = f_->Make(Op::kPercent, {base});
    } else if (t.kind == Tok::kPrime) {
      Next();
    } else if (!SkipUnits()) {
      break;
    }
  }
  return base;
}

Node* Parser::ParsePower() {
  Node* base = ParseAtom();
  while (base != nullptr) {
    if (At(Tok::kCaret)) {
      if (in_limit_point_) {
        const Token& a = Peek(Peek(1).kind == Tok::kLBrace ? 2 : 1);
        if (a.kind == Tok::kPlus || a.kind == Tok::kMinus) break;
      }
      Next();
      // x^\circ and x^{\circ}: degrees, a unit.
      if (Accept(Tok::kDegree)) continue;
      if (At(Tok::kLBrace) && Peek(1).kind == Tok::kDegree && Peek(2).kind == Tok::kRBrace) {
        Next(), Next(), Next();
        continue;
      }
      if (At(Tok::kLBrace) && Peek(1).kind == Tok::kPrime && Peek(2).kind == Tok::kRBrace) {
        Next(), Next(), Next();
        continue;
      }
      Node* exponent = ParseExponent();
      if (exponent == nullptr) return nullptr;
      if (base->op == Op::kConst && base->sub == kE) {
        base = f_->Make(Op::kFunc, {exponent}, kExp);
      } else {
        base = f_->Make(Op::kPow, {base, exponent});
      }
    } else if (At(Tok::kUnderscore)) {
      // x^2_1 names x_1; a subscript on anything else is dropped.
      std::string suffix;
      if (!ParseSubscript(&suffix)) return nullptr;
      if (base->op == Op::kPow && base->kid(0)->op == Op::kSymbol) {
        std::string name = std::string(base->kid(0)->name) + suffix;
        base = f_->Make(Op::kPow, {f_->Symbol(f_->arena()->CopyString(name)), base->kid(1)});
      }
    } else {
      break;
    }
  }
  return base;
}

Node* ParseMath(std::string_view text, Syntax syntax, NodeFactory* factory, Budget* budget,
                std::string* error) {
  Parser parser(text, syntax, factory, budget);
  Node* root = parser.Parse();
  if (root == nullptr && error != nullptr) *error = parser.error();
  return root;
}

}  // namespace zerorl::math
