#include "verifiers/math/internal/lexer.h"

#include <string>

#include "verifiers/math/internal/ast.h"

namespace zerorl::math {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

struct Utf8Symbol {
  uint32_t code;
  Tok tok;
  uint8_t sub;
  std::string_view command;  // when non-empty: behaves like \command
};

constexpr Utf8Symbol kUtf8[] = {
    {0x00A0, Tok::kEnd, 0, ""},  // no-break space: skipped
    {0x2009, Tok::kEnd, 0, ""}, {0x202F, Tok::kEnd, 0, ""}, {0x200B, Tok::kEnd, 0, ""},
    {0x03C0, Tok::kCommand, 0, "pi"}, {0x221E, Tok::kCommand, 0, "infty"},
    {0x221A, Tok::kCommand, 0, "sqrt"}, {0x2205, Tok::kCommand, 0, "emptyset"},
    {0x00D7, Tok::kTimes, 0, ""}, {0x00B7, Tok::kTimes, 0, ""}, {0x22C5, Tok::kTimes, 0, ""},
    {0x00F7, Tok::kDivide, 0, ""}, {0x2212, Tok::kMinus, 0, ""}, {0x2013, Tok::kMinus, 0, ""},
    {0x00B1, Tok::kPlusMinus, 0, ""}, {0x2213, Tok::kMinusPlus, 0, ""},
    {0x2264, Tok::kRel, static_cast<uint8_t>(RelOp::kLe), ""},
    {0x2265, Tok::kRel, static_cast<uint8_t>(RelOp::kGe), ""},
    {0x2260, Tok::kRel, static_cast<uint8_t>(RelOp::kNe), ""},
    {0x2208, Tok::kRel, static_cast<uint8_t>(RelOp::kIn), ""},
    {0x2209, Tok::kRel, static_cast<uint8_t>(RelOp::kNotIn), ""},
    {0x2282, Tok::kRel, static_cast<uint8_t>(RelOp::kSubset), ""},
    {0x2286, Tok::kRel, static_cast<uint8_t>(RelOp::kSubsetEq), ""},
    {0x2283, Tok::kRel, static_cast<uint8_t>(RelOp::kSupset), ""},
    {0x2287, Tok::kRel, static_cast<uint8_t>(RelOp::kSupsetEq), ""},
    {0x222A, Tok::kSetOp, kUnion, ""}, {0x2229, Tok::kSetOp, kIntersection, ""},
    {0x2216, Tok::kSetOp, kSetMinus, ""}, {0x00B0, Tok::kDegree, 0, ""},
    {0x2032, Tok::kPrime, 0, ""}, {0x2248, Tok::kApprox, 0, ""}, {0x2192, Tok::kArrow, 0, ""},
    {0x2026, Tok::kDots, 0, ""}, {0xFF1A, Tok::kColon, 0, ""},
    {0x03B1, Tok::kCommand, 0, "alpha"}, {0x03B2, Tok::kCommand, 0, "beta"},
    {0x03B3, Tok::kCommand, 0, "gamma"}, {0x03B4, Tok::kCommand, 0, "delta"},
    {0x03B5, Tok::kCommand, 0, "epsilon"}, {0x03B8, Tok::kCommand, 0, "theta"},
    {0x03BB, Tok::kCommand, 0, "lambda"}, {0x03BC, Tok::kCommand, 0, "mu"},
    {0x03C3, Tok::kCommand, 0, "sigma"}, {0x03C4, Tok::kCommand, 0, "tau"},
    {0x03C6, Tok::kCommand, 0, "phi"}, {0x03C9, Tok::kCommand, 0, "omega"},
    {0x0394, Tok::kCommand, 0, "Delta"}, {0x03A9, Tok::kCommand, 0, "Omega"},
};

class Lexer {
 public:
  Lexer(std::string_view s, Syntax syntax, size_t max_tokens, Arena* arena)
      : s_(s), syntax_(syntax), max_tokens_(max_tokens), arena_(arena) {}

  std::vector<Token> Run() {
    out_.reserve(s_.size() < 64 ? s_.size() + 2 : 64);
    while (pos_ < s_.size()) {
      if (out_.size() >= max_tokens_) {
        Emit(Tok::kUnknown, pos_, s_.size());
        pos_ = s_.size();
        break;
      }
      Step();
    }
    Emit(Tok::kEnd, s_.size(), s_.size());
    return std::move(out_);
  }

 private:
  char At(size_t i) const { return i < s_.size() ? s_[i] : '\0'; }

  Token& Emit(Tok kind, size_t begin, size_t end, uint8_t sub = 0) {
    Token t;
    t.kind = kind;
    t.sub = sub;
    t.begin = static_cast<uint32_t>(begin);
    t.end = static_cast<uint32_t>(end);
    t.text = s_.substr(begin, end - begin);
    out_.push_back(t);
    switch (kind) {
      case Tok::kLParen: case Tok::kLBracket: case Tok::kLBrace: case Tok::kLSetBrace: ++depth_; break;
      case Tok::kRParen: case Tok::kRBracket: case Tok::kRBrace: case Tok::kRSetBrace:
        if (depth_ > 0) --depth_;
        break;
      default: break;
    }
    return out_.back();
  }

  void Step() {
    char c = s_[pos_];
    if (IsSpace(c) || (c == '~' && syntax_ == Syntax::kLatex) || c == '$') {
      ++pos_;
      return;
    }
    if (IsDigit(c) || (c == '.' && IsDigit(At(pos_ + 1)))) return LexNumber();
    if (IsAlpha(c) || (c == '_' && syntax_ == Syntax::kPlain)) {
      return syntax_ == Syntax::kLatex ? LexLatexLetters() : LexIdentifier();
    }
    if (c == '\\') return LexBackslash();
    if (static_cast<unsigned char>(c) >= 0x80) return LexUtf8();
    LexPunct(c);
  }

  void LexPunct(char c) {
    size_t b = pos_++;
    switch (c) {
      case '+': Emit(Tok::kPlus, b, pos_); return;
      case '-': Emit(Tok::kMinus, b, pos_); return;
      case '*':
        if (At(pos_) == '*') {
          ++pos_;
          Emit(Tok::kCaret, b, pos_);
        } else {
          Emit(Tok::kStar, b, pos_);
        }
        return;
      case '/': Emit(Tok::kSlash, b, pos_); return;
      case '^': Emit(Tok::kCaret, b, pos_); return;
      case '_': Emit(Tok::kUnderscore, b, pos_); return;
      case '!':
        if (At(pos_) == '=') {
          ++pos_;
          Emit(Tok::kRel, b, pos_, static_cast<uint8_t>(RelOp::kNe));
        } else {
          Emit(Tok::kBang, b, pos_);
        }
        return;
      case '\'':
        if (syntax_ == Syntax::kPlain) return LexString(b);
        Emit(Tok::kPrime, b, pos_);
        return;
      case '(': Emit(Tok::kLParen, b, pos_); return;
      case ')': Emit(Tok::kRParen, b, pos_); return;
      case '[': Emit(Tok::kLBracket, b, pos_); return;
      case ']': Emit(Tok::kRBracket, b, pos_); return;
      case '{': Emit(Tok::kLBrace, b, pos_); return;
      case '}': Emit(Tok::kRBrace, b, pos_); return;
      case '|': Emit(Tok::kPipe, b, pos_); return;
      case ',': Emit(Tok::kComma, b, pos_); return;
      case ';': Emit(Tok::kSemicolon, b, pos_); return;
      case ':': Emit(Tok::kColon, b, pos_); return;
      case '&': Emit(Tok::kAmp, b, pos_); return;
      case '.': Emit(Tok::kPeriod, b, pos_); return;
      case '%': Emit(Tok::kPercent, b, pos_); return;
      case '~': Emit(Tok::kNot, b, pos_); return;  // plain only (latex: a space)
      case '=':
        if (At(pos_) == '=') ++pos_;
        if (At(pos_) == '>') {
          ++pos_;
          Emit(Tok::kArrow, b, pos_);
          return;
        }
        Emit(Tok::kRel, b, pos_, static_cast<uint8_t>(RelOp::kEq));
        return;
      case '<':
      case '>': {
        bool eq = At(pos_) == '=';
        if (eq) ++pos_;
        RelOp op = c == '<' ? (eq ? RelOp::kLe : RelOp::kLt) : (eq ? RelOp::kGe : RelOp::kGt);
        Emit(Tok::kRel, b, pos_, static_cast<uint8_t>(op));
        return;
      }
      default: Emit(Tok::kUnknown, b, pos_); return;
    }
  }

  void LexString(size_t b) {
    size_t e = s_.find('\'', pos_);
    if (e == std::string_view::npos) {
      Emit(Tok::kUnknown, b, s_.size());
      pos_ = s_.size();
      return;
    }
    pos_ = e + 1;
    Token& t = Emit(Tok::kString, b, pos_);
    t.text = s_.substr(b + 1, e - b - 1);
  }

  // Digits that form a thousands group at `p`: exactly three, not followed by a digit.
  bool ThreeDigitsAt(size_t p) const {
    return IsDigit(At(p)) && IsDigit(At(p + 1)) && IsDigit(At(p + 2)) && !IsDigit(At(p + 3));
  }

  // Length of a thousands separator at `p` followed by a 3-digit group, or 0.
  size_t ThousandsSeparatorAt(size_t p, size_t first_group_len, bool plain_comma_ok) const {
    const size_t start = p;
    auto skip_spaces = [&](size_t q) {
      while (At(q) == ' ') ++q;
      return q;
    };
    size_t spaced = p;
    while (At(spaced) == ' ') ++spaced;
    if (At(spaced) == '{' || (At(spaced) == '\\' && At(spaced + 1) == ',')) p = spaced;  // "14 {, }916"
    std::string_view rest = s_.substr(p, 8);
    size_t q = 0;
    if (rest.substr(0, 3) == "{,}") {
      q = p + 3;
    } else if (rest.substr(0, 4) == "{, }") {
      q = p + 4;
    } else if (rest.substr(0, 3) == ",\\!") {
      q = skip_spaces(p + 3);
    } else if (rest.substr(0, 2) == "\\," || rest.substr(0, 2) == "\\!") {
      q = p + 2;
    } else if (rest.substr(0, 1) == "," && plain_comma_ok && first_group_len <= 3) {
      q = p + 1;
    }
    if (q == 0 || !ThreeDigitsAt(q)) return 0;
    return q - start;
  }

  void LexNumber() {
    size_t b = pos_;
    std::string cleaned;
    bool needs_copy = false;
    size_t p = pos_;
    size_t first_len = 0;
    while (IsDigit(At(p))) ++p, ++first_len;
    if (syntax_ == Syntax::kLatex && first_len > 0) {
      bool plain_ok = depth_ == 0;
      while (size_t sep = ThousandsSeparatorAt(p, first_len, plain_ok)) {
        if (!needs_copy) cleaned.assign(s_.substr(b, p - b));
        needs_copy = true;
        p += sep;
        cleaned.append(s_.substr(p, 3));
        p += 3;
      }
    }
    uint16_t flags = 0;
    size_t tail_begin = p;
    if (At(p) == '.' && IsDigit(At(p + 1))) {
      flags |= kFlagDecimal;
      ++p;
      while (IsDigit(At(p))) ++p;
    }
    char e = At(p);
    bool exp_ok = syntax_ == Syntax::kPlain ? (e == 'e' || e == 'E') : e == 'E';
    if (exp_ok) {
      size_t q = p + 1;
      if (At(q) == '+' || At(q) == '-') ++q;
      if (IsDigit(At(q))) {
        while (IsDigit(At(q))) ++q;
        p = q;
        flags |= kFlagDecimal;
      }
    }
    std::string_view text = s_.substr(b, p - b);
    if (needs_copy) {
      cleaned.append(s_.substr(tail_begin, p - tail_begin));
      text = arena_->CopyString(cleaned);
    }
    pos_ = p;
    Token& t = Emit(Tok::kNumber, b, p);
    t.text = text;
    t.flags = flags;
  }

  void LexLatexLetters() {
    size_t b = pos_, e = pos_;
    while (IsAlpha(At(e))) ++e;
    std::string_view run = s_.substr(b, e - b);
    WordKind w = run.size() >= 2 ? FindWord(run) : WordKind::kNone;
    if (w != WordKind::kNone) {
      Emit(Tok::kWord, b, e, static_cast<uint8_t>(w));
    } else {
      for (size_t i = b; i < e; ++i) Emit(Tok::kLetter, i, i + 1);
    }
    pos_ = e;
  }

  void LexIdentifier() {
    size_t b = pos_, e = pos_;
    for (;;) {
      char c = At(e);
      if (IsAlpha(c) || IsDigit(c) || c == '_') {
        ++e;
      } else if (c == '{' && e > b) {
        size_t close = MatchBrace(e);
        if (close == std::string_view::npos) break;
        e = close + 1;
      } else if (c == '.' && IsAlpha(At(e + 1)) && s_.substr(b, e - b) == "Interval") {
        ++e;
      } else {
        break;
      }
    }
    pos_ = e;
    Emit(Tok::kLetter, b, e);
  }

  // Index of the '}' that closes the '{' at `open`, or npos.
  size_t MatchBrace(size_t open) const {
    int depth = 0;
    for (size_t i = open; i < s_.size(); ++i) {
      if (s_[i] == '\\') {
        ++i;
        continue;
      }
      if (s_[i] == '{') ++depth;
      if (s_[i] == '}' && --depth == 0) return i;
    }
    return std::string_view::npos;
  }

  // Reads a {group} (or one character) after a command; returns its content.
  bool ReadArgument(std::string_view* content) {
    size_t p = pos_;
    while (IsSpace(At(p))) ++p;
    if (At(p) == '{') {
      size_t close = MatchBrace(p);
      if (close == std::string_view::npos) return false;
      *content = s_.substr(p + 1, close - p - 1);
      pos_ = close + 1;
      return true;
    }
    if (p < s_.size() && (IsAlpha(At(p)) || IsDigit(At(p)))) {
      *content = s_.substr(p, 1);
      pos_ = p + 1;
      return true;
    }
    return false;
  }

  static bool AllLetters(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s) {
      if (!IsAlpha(c)) return false;
    }
    return true;
  }

  void LexBackslash() {
    size_t b = pos_;
    char c = At(pos_ + 1);
    if (IsAlpha(c)) return LexCommand(b, pos_ + 1);
    if (c == '\\') {
      // "\\frac" written with a doubled backslash means \frac; otherwise a row break.
      size_t e = pos_ + 2;
      while (IsAlpha(At(e))) ++e;
      size_t len = 0;
      std::string_view name = s_.substr(pos_ + 2, e - pos_ - 2);
      if (name.size() >= 2 && (FindCommand(name) || FindCommandPrefix(name, &len))) {
        return LexCommand(b, pos_ + 2);
      }
      pos_ += 2;
      Emit(Tok::kRowSep, b, pos_);
      return;
    }
    pos_ += 2;
    switch (c) {
      case '{': Emit(Tok::kLSetBrace, b, pos_); return;
      case '}': Emit(Tok::kRSetBrace, b, pos_); return;
      case '|': Emit(Tok::kPipe, b, pos_); return;
      case '%': Emit(Tok::kPercent, b, pos_); return;
      case '\0': pos_ = s_.size(); return;  // a lone trailing backslash
      default: return;  // \, \; \! \  \$ \( and friends: spacing or delimiters
    }
  }

  void LexCommand(size_t b, size_t name_begin) {
    size_t e = name_begin;
    while (IsAlpha(At(e))) ++e;
    std::string_view name = s_.substr(name_begin, e - name_begin);
    const CommandInfo* cmd = FindCommand(name);
    if (cmd == nullptr) {
      size_t len = 0;
      cmd = FindCommandPrefix(name, &len);
      if (cmd != nullptr) e = name_begin + len;
    }
    pos_ = e;
    if (cmd == nullptr) {
      Token& t = Emit(Tok::kCommand, b, e);
      t.text = name;
      return;
    }
    EmitCommand(cmd, b);
  }

  void EmitCommand(const CommandInfo* cmd, size_t b) {
    std::string_view content;
    switch (cmd->kind) {
      case CmdKind::kSpace:
        return;
      case CmdKind::kSizing: {
        size_t p = pos_;
        while (IsSpace(At(p))) ++p;
        if (At(p) == '.') pos_ = p + 1;  // \left. is an empty delimiter
        return;
      }
      case CmdKind::kSkipGroup:
        ReadArgument(&content);
        return;
      case CmdKind::kPmod:
        ReadArgument(&content);
        return;
      case CmdKind::kFont: {
        size_t save = pos_;
        if (ReadArgument(&content) && AllLetters(content)) {
          Token& t = Emit(Tok::kText, b, pos_);
          t.text = content;
          t.cmd = cmd;
          return;
        }
        pos_ = save;  // \mathbf{\frac{1}{2}}: the group is lexed as usual
        return;
      }
      case CmdKind::kText: case CmdKind::kMathbb: case CmdKind::kOperatorName:
      case CmdKind::kVariable: {
        if (!ReadArgument(&content)) {
          Emit(Tok::kUnknown, b, pos_);
          return;
        }
        Token& t = Emit(Tok::kText, b, pos_);
        t.text = content;
        t.cmd = cmd;
        return;
      }
      case CmdKind::kBegin: case CmdKind::kEnd: {
        if (!ReadArgument(&content)) {
          Emit(Tok::kUnknown, b, pos_);
          return;
        }
        bool begin = cmd->kind == CmdKind::kBegin;
        Token& t = Emit(begin ? Tok::kBegin : Tok::kEndEnv, b, pos_);
        t.text = content;
        if (begin && (content == "array" || content == "tabular")) ReadArgument(&content);
        return;
      }
      case CmdKind::kToken: Emit(static_cast<Tok>(cmd->sub), b, pos_); return;
      case CmdKind::kRel: Emit(Tok::kRel, b, pos_, cmd->sub); return;
      case CmdKind::kSetOp: Emit(Tok::kSetOp, b, pos_, cmd->sub); return;
      case CmdKind::kNot: Emit(Tok::kNot, b, pos_); return;
      default: {
        Token& t = Emit(Tok::kCommand, b, pos_);
        t.cmd = cmd;
        t.text = cmd->name;
        return;
      }
    }
  }

  void LexUtf8() {
    size_t b = pos_;
    unsigned char c0 = static_cast<unsigned char>(s_[pos_]);
    int len = c0 >= 0xF0 ? 4 : c0 >= 0xE0 ? 3 : c0 >= 0xC0 ? 2 : 1;
    uint32_t code = len == 1 ? c0 : c0 & (0x3F >> (len - 1));
    for (int i = 1; i < len; ++i) code = (code << 6) | (static_cast<unsigned char>(At(pos_ + i)) & 0x3F);
    pos_ = std::min(s_.size(), pos_ + len);
    if (code == 0x00B2 || code == 0x00B3 || code == 0x00B9) {  // superscript 2, 3, 1
      Emit(Tok::kCaret, b, pos_);
      Token& t = Emit(Tok::kNumber, b, pos_);
      t.text = code == 0x00B2 ? "2" : code == 0x00B3 ? "3" : "1";
      return;
    }
    for (const Utf8Symbol& u : kUtf8) {
      if (u.code != code) continue;
      if (!u.command.empty()) return EmitCommand(FindCommand(u.command), b);
      if (u.tok != Tok::kEnd) Emit(u.tok, b, pos_, u.sub);
      return;
    }
    Emit(Tok::kUnknown, b, pos_);
  }

  std::string_view s_;
  Syntax syntax_;
  size_t max_tokens_;
  Arena* arena_;
  size_t pos_ = 0;
  int depth_ = 0;
  std::vector<Token> out_;
};

}  // namespace

std::vector<Token> Tokenize(std::string_view text, Syntax syntax, size_t max_tokens, Arena* arena) {
  return Lexer(text, syntax, max_tokens, arena).Run();
}

}  // namespace zerorl::math
