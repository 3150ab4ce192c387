// Oniguruma (tokenizer.json) regex -> RE2 regex with the same meaning on the patterns
// Hugging Face tokenizers use. See tokenizer/internal/pretokenizer.h.
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "tokenizer/internal/pretokenizer.h"
#include "tokenizer/internal/unicode.h"

namespace zerorl::tokenizer::internal {
namespace {

// Unicode White_Space (Oniguruma's \s) and its complement, as class bodies.
constexpr std::string_view kSpaceBody =
    "\\t-\\r \\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}"
    "\\x{3000}";
constexpr std::string_view kNonSpaceBody =
    "\\x00-\\x08\\x0E-\\x1F!-\\x{84}\\x{86}-\\x{9F}\\x{A1}-\\x{167F}\\x{1681}-\\x{1FFF}"
    "\\x{200B}-\\x{2027}\\x{202A}-\\x{202E}\\x{2030}-\\x{205E}\\x{2060}-\\x{2FFF}"
    "\\x{3001}-\\x{10FFFF}";
constexpr std::string_view kHexBody = "0-9a-fA-F";
// The one look-ahead: a whitespace run not followed by a non-space, else any run.
constexpr std::string_view kSpaceLookahead = "\\s+(?!\\S)|\\s+";

// RE2's table for a Unicode category plus what Unicode 16.0 added to it, as a class body.
std::string CategoryBody(std::string_view name) {
  return absl::StrCat("\\p{", ToAbsl(name), "}", Unicode16ClassAdditions(name));
}

// Oniguruma's \w (Unicode): letters, marks, decimal digits, connector punctuation.
std::string WordBody() {
  return absl::StrCat(CategoryBody("L"), CategoryBody("M"), CategoryBody("Nd"), CategoryBody("Pc"));
}

bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

class Translator {
 public:
  explicit Translator(std::string_view pattern) : p_(pattern) {}

  absl::StatusOr<std::string> Run(bool* whitespace_lookahead) {
    *whitespace_lookahead = false;
    bool alternative_start = true;  // at the start of a top-level alternative
    while (i_ < p_.size()) {
      if (!in_class_ && depth_ == 0 && alternative_start &&
          p_.compare(i_, kSpaceLookahead.size(), kSpaceLookahead) == 0 &&
          (i_ + kSpaceLookahead.size() == p_.size() || p_[i_ + kSpaceLookahead.size()] == '|')) {
        if (*whitespace_lookahead) return Error("the look-ahead \\s+(?!\\S) appears twice");
        absl::StrAppend(&out_, "([", ToAbsl(kSpaceBody), "]+)");
        *whitespace_lookahead = true;
        i_ += kSpaceLookahead.size();
        continue;
      }
      alternative_start = false;
      char c = p_[i_];
      absl::Status status;
      if (c == '\\') {
        status = Escape();
      } else if (in_class_) {
        status = ClassChar();
      } else if (c == '[') {
        OpenClass();
      } else if (c == '(') {
        status = OpenGroup();
      } else {
        if (c == ')') --depth_;
        if (c == '|' && depth_ == 0) alternative_start = true;
        out_.push_back(c);
        ++i_;
      }
      if (!status.ok()) return status;
    }
    if (in_class_) return Error("unterminated character class");
    return out_;
  }

 private:
  absl::Status Error(std::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat("regex offset ", i_, ": ", ToAbsl(what)));
  }

  // A class body in place: inside [...] as is, outside wrapped (negated when asked).
  void AppendClass(std::string_view body, bool negate) {
    if (in_class_) {
      out_.append(body.data(), body.size());
    } else {
      absl::StrAppend(&out_, negate ? "[^" : "[", ToAbsl(body), "]");
    }
  }

  absl::Status Escape() {
    if (i_ + 1 >= p_.size()) return Error("pattern ends with a backslash");
    char d = p_[i_ + 1];
    i_ += 2;
    switch (d) {
      case 's':
        AppendClass(kSpaceBody, false);
        return absl::OkStatus();
      case 'S':
        AppendClass(kNonSpaceBody, false);
        return absl::OkStatus();
      case 'd':
        AppendClass(CategoryBody("Nd"), false);
        return absl::OkStatus();
      case 'w':
        AppendClass(WordBody(), false);
        return absl::OkStatus();
      case 'h':
        AppendClass(kHexBody, false);
        return absl::OkStatus();
      case 'D':
      case 'W':
      case 'H':
        if (in_class_) return Error(absl::StrCat("\\", std::string(1, d), " inside [...]"));
        AppendClass(d == 'D'   ? CategoryBody("Nd")
                    : d == 'W' ? WordBody()
                               : std::string(kHexBody),
                    /*negate=*/true);
        return absl::OkStatus();
      case 'b':
      case 'B':
        return Error("word boundaries (\\b, \\B) are not supported");
      case 'p':
      case 'P':
        return Property(d == 'P');
      case 'u': {
        if (i_ + 4 > p_.size() || !IsHex(p_[i_]) || !IsHex(p_[i_ + 1]) || !IsHex(p_[i_ + 2]) ||
            !IsHex(p_[i_ + 3])) {
          return Error("\\u needs 4 hex digits");
        }
        absl::StrAppend(&out_, "\\x{", ToAbsl(p_.substr(i_, 4)), "}");
        i_ += 4;
        return absl::OkStatus();
      }
      default:
        out_.push_back('\\');
        out_.push_back(d);
        return absl::OkStatus();
    }
  }

  // \p{Name}, \pN, \p{^Name}, \P{Name}: RE2's table plus what Unicode 16.0 added.
  absl::Status Property(bool negated) {
    std::string_view name;
    if (i_ < p_.size() && p_[i_] == '{') {
      size_t close = p_.find('}', i_);
      if (close == std::string_view::npos) return Error("unterminated \\p{...}");
      name = p_.substr(i_ + 1, close - i_ - 1);
      i_ = close + 1;
    } else if (i_ < p_.size()) {
      name = p_.substr(i_++, 1);
    } else {
      return Error("\\p needs a property name");
    }
    if (!name.empty() && name[0] == '^') {
      negated = !negated;
      name.remove_prefix(1);
    }
    if (Unicode16ClassAdditions(name).empty()) {  // not a category: RE2's table as it is
      absl::StrAppend(&out_, negated ? "\\P{" : "\\p{", ToAbsl(name), "}");
      return absl::OkStatus();
    }
    if (in_class_ && negated) return Error("a negated Unicode category inside [...]");
    AppendClass(CategoryBody(name), negated);
    return absl::OkStatus();
  }

  void OpenClass() {
    in_class_ = true;
    out_.push_back('[');
    ++i_;
    if (i_ < p_.size() && p_[i_] == '^') out_.push_back(p_[i_++]);
    if (i_ < p_.size() && p_[i_] == ']') out_.push_back(p_[i_++]);  // a literal ']'
  }

  absl::Status ClassChar() {
    char c = p_[i_];
    if (c == ']') {
      in_class_ = false;
    } else if (c == '[') {
      if (p_.compare(i_, 2, "[:") != 0) return Error("nested character classes");
      size_t close = p_.find(":]", i_ + 2);
      if (close == std::string_view::npos) return Error("unterminated [: :] class");
      out_.append(p_.data() + i_, close + 2 - i_);
      i_ = close + 2;
      return absl::OkStatus();
    }
    out_.push_back(c);
    ++i_;
    return absl::OkStatus();
  }

  absl::Status OpenGroup() {
    ++depth_;
    std::string_view rest = p_.substr(i_);
    if (rest.size() < 2 || rest[1] != '?') {  // a capture: RE2 must not count it
      out_ += "(?:";
      i_ += 1;
      return absl::OkStatus();
    }
    if (rest.compare(0, 3, "(?=") == 0 || rest.compare(0, 3, "(?!") == 0 ||
        rest.compare(0, 4, "(?<=") == 0 || rest.compare(0, 4, "(?<!") == 0) {
      return Error("look-around is supported only as the alternative \\s+(?!\\S)|\\s+");
    }
    if (rest.compare(0, 3, "(?<") == 0 || rest.compare(0, 4, "(?P<") == 0) {
      size_t close = rest.find('>');
      if (close == std::string_view::npos) return Error("unterminated group name");
      out_ += "(?:";
      i_ += close + 1;
      return absl::OkStatus();
    }
    if (rest.compare(0, 3, "(?>") == 0 || rest.compare(0, 3, "(?#") == 0) {
      return Error("atomic groups and comments are not supported");
    }
    out_ += "(?";  // flags such as (?i: ... ) go through as they are
    i_ += 2;
    return absl::OkStatus();
  }

  std::string_view p_;
  size_t i_ = 0;
  int depth_ = 0;
  bool in_class_ = false;
  std::string out_;
};

}  // namespace

absl::StatusOr<std::string> TranslateOnigurumaRegex(std::string_view pattern,
                                                    bool* whitespace_lookahead) {
  return Translator(pattern).Run(whitespace_lookahead);
}

}  // namespace zerorl::tokenizer::internal
