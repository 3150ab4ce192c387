#include "verifiers/math/internal/scan.h"

#include <algorithm>
#include <cctype>
#include <cstring>

#include "verifiers/math/internal/tables.h"

namespace zerorl::math {
namespace {

constexpr size_t npos = std::string_view::npos;
constexpr size_t kMaxExpressionChars = 1024;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
char At(std::string_view s, size_t i) { return i < s.size() ? s[i] : '\0'; }
Span MakeSpan(size_t b, size_t e) { return Span{static_cast<uint32_t>(b), static_cast<uint32_t>(e)}; }

// First unescaped `needle` at or after `from` (a '\' right before it escapes it).
size_t FindUnescaped(std::string_view s, std::string_view needle, size_t from) {
  while ((from = s.find(needle, from)) != npos) {
    if (from == 0 || s[from - 1] != '\\') return from;
    ++from;
  }
  return npos;
}

bool IsTextCommand(std::string_view name) {
  return name == "text" || name == "textbf" || name == "textit" || name == "textrm" || name == "begin" || name == "end" ||
         name == "mbox" || name == "hbox" || name == "textnormal" || name == "mathrm" ||
         name == "mathbf" || name == "operatorname" || name == "textsf" || name == "emph";
}

// Index just past the {group} starting at `open` ('{'), or npos.
size_t SkipGroup(std::string_view s, size_t open) {
  int depth = 0;
  for (size_t i = open; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
      continue;
    }
    if (s[i] == '{') ++depth;
    if (s[i] == '}' && --depth == 0) return i + 1;
  }
  return npos;
}

}  // namespace

// Index of the next '$' or '\\' at or after `i` (s.size() when none). `*next_dollar`
// caches the next '$' so that text without one is scanned once, not once per backslash.
size_t NextSpecial(std::string_view s, size_t i, size_t* next_dollar) {
  const char* base = s.data();
  size_t n = s.size();
  if (i >= n) return n;
  if (*next_dollar < i) {
    const void* d = std::memchr(base + i, '$', n - i);
    *next_dollar = d == nullptr ? n : static_cast<size_t>(static_cast<const char*>(d) - base);
  }
  size_t limit = *next_dollar;
  const void* b = std::memchr(base + i, '\\', limit - i);
  return b == nullptr ? limit : static_cast<size_t>(static_cast<const char*>(b) - base);
}

// The next occurrence of a needle at or after `from`, remembered between calls so that a
// scan with increasing `from` costs O(n) in total (npos, once seen, stays npos).
class NextOf {
 public:
  NextOf(std::string_view s, std::string_view needle, bool unescaped) : s_(s), needle_(needle), unescaped_(unescaped) {}
  size_t At(size_t from) {
    if (cached_ == npos || (searched_ && cached_ >= from)) return cached_;
    cached_ = unescaped_ ? FindUnescaped(s_, needle_, from) : s_.find(needle_, from);
    searched_ = true;
    return cached_;
  }

 private:
  std::string_view s_, needle_;
  bool unescaped_;
  bool searched_ = false;
  size_t cached_ = 0;
};

std::vector<MathEnv> FindMathEnvs(std::string_view s) {
  std::vector<MathEnv> out;
  NextOf paren_close(s, "\\)", false), bracket_close(s, "\\]", false), display(s, "$$", true),
      newline(s, "\n", false);
  const char* dollar = static_cast<const char*>(std::memchr(s.data(), '$', s.size()));
  size_t i = 0, next_dollar = dollar == nullptr ? s.size() : static_cast<size_t>(dollar - s.data());
  while ((i = NextSpecial(s, i, &next_dollar)) < s.size()) {
    char c = s[i];
    if (c == '\\') {
      char d = At(s, i + 1);
      if (d == '\\') {
        i += 2;  // "\\" (also "\\[2pt]"): a row break, not a delimiter
        continue;
      }
      if (d == '(' || d == '[') {
        size_t close = d == '(' ? paren_close.At(i + 2) : bracket_close.At(i + 2);
        if (close != npos && (d == '[' || close < newline.At(i + 2))) {
          out.push_back(MathEnv{MakeSpan(i, close + 2), MakeSpan(i + 2, close)});
          i = close + 2;
          continue;
        }
      }
      i += 2;
      continue;
    }
    if (c != '$') {
      ++i;
      continue;
    }
    if (At(s, i + 1) == '$') {
      size_t close = display.At(i + 2);
      if (close == npos) {
        i += 2;
        continue;
      }
      out.push_back(MathEnv{MakeSpan(i, close + 2), MakeSpan(i + 2, close)});
      i = close + 2;
      continue;
    }
    if (i > 0 && IsDigit(s[i - 1])) {
      ++i;
      continue;
    }
    size_t j = i + 1;
    while (j < s.size() && s[j] != '$' && s[j] != '\n') j += (s[j] == '\\' && At(s, j + 1) == '$') ? 2 : 1;
    if (j < s.size() && s[j] == '$' && j > i + 1) {
      out.push_back(MathEnv{MakeSpan(i, j + 1), MakeSpan(i + 1, j)});
      i = j + 1;
    } else {
      ++i;
    }
  }
  return out;
}

std::vector<Box> FindBoxes(std::string_view s) {
  std::vector<Box> out;
  // Matching braces in one pass, so that unclosed groups cost O(n) in total.
  // Matching braces: scanned directly while cheap; after 4n bytes of scanning (many
  // unclosed boxes) a one-pass table takes over, so the total stays O(n).
  std::vector<uint32_t> close_of;
  size_t scanned = 0;
  size_t pos = 0;
  while ((pos = s.find('\\', pos)) != npos) {
    size_t name_len = s.compare(pos + 1, 5, "boxed") == 0 ? 5 : s.compare(pos + 1, 4, "fbox") == 0 ? 4 : 0;
    size_t after = pos + 1 + name_len;
    if (name_len == 0 || IsAlpha(At(s, after))) {
      pos += 1;
      continue;
    }
    size_t p = after;
    while (At(s, p) == ' ') ++p;
    if (At(s, p) == '{') {
      uint32_t close = UINT32_MAX;
      if (close_of.empty() && scanned < 4 * s.size() + 64) {
        int depth = 0;
        for (size_t i = p; i < s.size(); ++i, ++scanned) {
          if (s[i] == '\\') {
            ++i;
          } else if (s[i] == '{') {
            ++depth;
          } else if (s[i] == '}' && --depth == 0) {
            close = static_cast<uint32_t>(i);
            break;
          }
        }
      } else {
        if (close_of.empty()) {
        close_of.assign(s.size(), UINT32_MAX);
        std::vector<uint32_t> stack;
        for (size_t i = 0; i < s.size(); ++i) {
          if (s[i] == '\\') {
            ++i;
          } else if (s[i] == '{') {
            stack.push_back(static_cast<uint32_t>(i));
          } else if (s[i] == '}' && !stack.empty()) {
            close_of[stack.back()] = static_cast<uint32_t>(i);
            stack.pop_back();
          }
        }
        }
        close = close_of[p];
      }
      if (close == UINT32_MAX) {
        pos = after;
        continue;
      }
      out.push_back(Box{MakeSpan(pos, close + 1), MakeSpan(p + 1, close)});
      pos = close + 1;
      continue;
    }
    size_t e = p;
    while (e < s.size() && (IsDigit(s[e]) || IsAlpha(s[e]) || s[e] == '.')) ++e;
    if (e > p) out.push_back(Box{MakeSpan(pos, e), MakeSpan(p, e)});
    pos = e > p ? e : after;
  }
  return out;
}

bool MatchNumberAt(std::string_view s, size_t pos, NumberMatch* m) {
  size_t p = pos;
  m->negative = false;
  m->percent = false;
  if (At(s, p) == '-') {
    m->negative = true;
    ++p;
  }
  if (pos > 0) {
    char prev = s[pos - 1];
    if (IsDigit(prev) || IsAlpha(prev) || prev == '.' || prev == '_' || prev == '^') return false;
  }
  size_t run = p;
  while (IsDigit(At(s, run))) ++run;
  if (run == p && !(At(s, p) == '.' && IsDigit(At(s, p + 1)))) return false;
  size_t int_end = run;
  // Thousands groups: 1,234,567 or 1 234 (first group of 1-3 digits, not starting with 0).
  if (run - p >= 1 && run - p <= 3 && s[p] != '0') {
    size_t q = run;
    while ((At(s, q) == ',' || At(s, q) == ' ') && IsDigit(At(s, q + 1)) && IsDigit(At(s, q + 2)) &&
           IsDigit(At(s, q + 3)) && !IsDigit(At(s, q + 4))) {
      q += 4;
    }
    int_end = q;
  }
  m->int_span = MakeSpan(p, int_end);
  m->frac_span = MakeSpan(int_end, int_end);
  size_t end = int_end;
  bool thousands = int_end != run;
  char mark = At(s, end);
  if ((mark == '.' || (mark == ',' && !thousands)) && IsDigit(At(s, end + 1))) {
    size_t f = end + 1;
    while (IsDigit(At(s, f))) ++f;
    m->frac_span = MakeSpan(end + 1, f);
    end = f;
  }
  // Percent: "%", "percent", "percentage", "pct" (after optional spaces).
  size_t q = end;
  while (At(s, q) == ' ') ++q;
  if (At(s, q) == '%') {
    m->percent = true;
    end = q + 1;
  } else {
    for (std::string_view w : {"percentage", "percent", "pct"}) {
      if (s.size() >= q + w.size() && std::tolower(static_cast<unsigned char>(s[q])) == w[0] &&
          s.compare(q + 1, w.size() - 1, w.substr(1)) == 0 && !IsAlpha(At(s, q + w.size()))) {
        m->percent = true;
        end = q + w.size();
        break;
      }
    }
  }
  m->span = MakeSpan(pos, end);
  return true;
}

std::string NumberDigits(std::string_view s, const NumberMatch& m) {
  std::string out;
  for (size_t i = m.int_span.begin; i < m.int_span.end; ++i) {
    if (IsDigit(s[i])) out.push_back(s[i]);
  }
  if (out.empty()) out.push_back('0');
  if (m.frac_span.end > m.frac_span.begin) {
    out.push_back('.');
    out.append(s.substr(m.frac_span.begin, m.frac_span.end - m.frac_span.begin));
  }
  return out;
}

bool MatchExpressionAt(std::string_view s, size_t pos, Span* out, size_t* run_end) {
  auto is_op = [](char c) { return c == '+' || c == '-' || c == '*' || c == '/' || c == '^'; };
  size_t e = pos;
  for (;;) {
    char c = At(s, e);
    if (IsDigit(c) || c == '.' || c == ' ' || c == '(' || c == ')' || is_op(c)) {
      ++e;
    } else if (s.compare(e, 2, "\xC3\x97") == 0 || s.compare(e, 2, "\xC3\xB7") == 0) {  // × ÷
      e += 2;
    } else {
      break;
    }
  }
  if (run_end != nullptr) *run_end = e;
  if (e - pos > kMaxExpressionChars) return false;  // not an answer; callers skip the run
  // Trim what cannot end an expression, and unbalanced closing parentheses.
  for (;;) {
    char c = e > pos ? s[e - 1] : '\0';
    if (c == ' ' || c == '.' || c == '(' || is_op(c)) {
      --e;
      continue;
    }
    int depth = 0;
    for (size_t i = pos; i < e; ++i) depth += s[i] == '(' ? 1 : s[i] == ')' ? -1 : 0;
    if (depth < 0 && c == ')') {
      --e;
      continue;
    }
    break;
  }
  int depth = 0, numbers = 0;
  bool op = false, in_number = false;
  for (size_t i = pos; i < e; ++i) {
    char c = s[i];
    depth += c == '(' ? 1 : c == ')' ? -1 : 0;
    if (depth < 0) return false;
    if (IsDigit(c)) {
      if (!in_number) ++numbers;
      in_number = true;
    } else if (c != '.') {
      in_number = false;
      if ((is_op(c) && numbers > 0) || static_cast<unsigned char>(c) >= 0x80) op = true;
    }
  }
  if (depth != 0 || numbers < 2 || !op) return false;
  *out = MakeSpan(pos, e);
  return true;
}

size_t FindNoCase(std::string_view s, std::string_view needle, size_t from, size_t to) {
  if (to > s.size()) to = s.size();
  if (needle.empty() || to < needle.size() || from > to - needle.size()) return npos;
  auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c | 0x20) : c; };
  const char first = needle[0];  // needles are lowercase ASCII
  const size_t last = to - needle.size();
  for (size_t i = from; i <= last; ++i) {
    if (lower(s[i]) != first) continue;
    size_t k = 1;
    while (k < needle.size() && lower(s[i + k]) == needle[k]) ++k;
    if (k == needle.size()) return i;
  }
  return npos;
}

bool IsConnector(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (c == ' ' || c == '\n' || c == '\t' || c == ',' || c == ';' || c == '.' || c == '$' || c == '~' ||
        c == '&') {
      ++i;
      continue;
    }
    if (c == '\\') {
      char d = At(s, i + 1);
      if (!IsAlpha(d)) {
        i += 2;  // \( \) \[ \] \, \; \! \\ ...
        continue;
      }
      size_t e = i + 1;
      while (IsAlpha(At(s, e))) ++e;
      std::string_view name = s.substr(i + 1, e - i - 1);
      if (name == "quad" || name == "qquad" || name == "enspace") {
        i = e;
        continue;
      }
      if (!IsTextCommand(name) || At(s, e) != '{') return false;
      size_t close = SkipGroup(s, e);
      if (close == npos || !IsConnector(s.substr(e + 1, close - e - 2))) return false;
      i = close;
      continue;
    }
    if (IsAlpha(c)) {
      size_t e = i;
      while (IsAlpha(At(s, e))) ++e;
      WordKind w = FindWord(s.substr(i, e - i));
      if (w != WordKind::kAnd && w != WordKind::kOr) return false;
      i = e;
      continue;
    }
    return false;
  }
  return true;
}

bool LooksLikeProse(std::string_view s) {
  size_t i = 0;
  bool last_was_word = false;  // "It is ...": two plain words in a row
  while (i < s.size()) {
    char c = s[i];
    if (c == '\\') {
      if (At(s, i + 1) == '\\' && IsAlpha(At(s, i + 2))) ++i;  // "\\frac" written doubled
      size_t e = i + 1;
      while (IsAlpha(At(s, e))) ++e;
      std::string_view name = s.substr(i + 1, e - i - 1);
      i = e == i + 1 ? i + 2 : e;
      if (IsTextCommand(name) && At(s, e) == '{') {
        size_t close = SkipGroup(s, e);
        i = close == npos ? s.size() : close;
      }
      continue;
    }
    if (IsAlpha(c)) {
      size_t e = i;
      while (IsAlpha(At(s, e))) ++e;
      std::string_view word = s.substr(i, e - i);
      bool known = FindWord(word) != WordKind::kNone || FindPlainFunction(word) >= 0 || word == "pi" || word == "oo";
      if (word.size() >= 3 && !known) return true;
      bool plain = word.size() >= 2 && !known;
      if (plain && last_was_word) return true;
      last_was_word = plain;
      i = e;
      continue;
    }
    if (c != ' ') last_was_word = false;
    ++i;
  }
  return false;
}

}  // namespace zerorl::math
