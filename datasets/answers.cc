#include "datasets/answers.h"

#include <cctype>

namespace zerorl::datasets {

namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Consecutive digits in s starting at `from`.
size_t CountDigits(std::string_view s, size_t from) {
  size_t n = 0;
  while (from + n < s.size() && IsDigit(s[from + n])) ++n;
  return n;
}

std::string_view Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

// Position of the last occurrence of `\name` not followed by a letter (so "\boxed" does not
// match "\boxedx"); npos if none.
size_t FindLastCommand(std::string_view text, std::string_view name) {
  size_t pos = text.size();
  while (pos > 0) {
    size_t found = text.rfind(name, pos - 1);
    if (found == std::string_view::npos) return found;
    size_t after = found + name.size();
    if (after >= text.size() || !std::isalpha(static_cast<unsigned char>(text[after]))) {
      return found;
    }
    pos = found;
  }
  return std::string_view::npos;
}

// The balanced group starting at text[open] == '{'; nullopt if it never closes.
std::optional<std::string> BraceGroup(std::string_view text, size_t open) {
  int depth = 0;
  for (size_t i = open; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\\') {
      ++i;  // an escaped character (\{, \}, \\) is never a group brace
    } else if (c == '{') {
      ++depth;
    } else if (c == '}' && --depth == 0) {
      return std::string(text.substr(open + 1, i - open - 1));
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> LastBoxed(std::string_view text) {
  size_t boxed = FindLastCommand(text, "\\boxed");
  size_t fbox = FindLastCommand(text, "\\fbox");
  size_t at = boxed;
  size_t name_length = 6;
  if (fbox != std::string_view::npos && (boxed == std::string_view::npos || fbox > boxed)) {
    at = fbox;
    name_length = 5;
  }
  if (at == std::string_view::npos) return std::nullopt;
  size_t i = at + name_length;
  bool spaced = false;
  while (i < text.size() && text[i] == ' ') {
    ++i;
    spaced = true;
  }
  if (i < text.size() && text[i] == '{') return BraceGroup(text, i);
  if (!spaced) return std::nullopt;
  // "\boxed 5": the answer runs to the next space, '$' or line end.
  size_t end = text.find_first_of(" $\n", i);
  std::string_view token =
      text.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i);
  if (token.empty()) return std::nullopt;
  return std::string(token);
}

std::string StripThousandsSeparators(std::string_view number) {
  const std::string original(number);
  size_t i = !number.empty() && (number[0] == '-' || number[0] == '+') ? 1 : 0;
  size_t lead = CountDigits(number, i);
  if (lead == 0 || lead > 3) return original;
  size_t j = i + lead;
  bool grouped = false;
  while (j < number.size() && number[j] == ',') {
    if (CountDigits(number, j + 1) != 3) return original;
    j += 4;
    grouped = true;
  }
  if (!grouped) return original;
  if (j < number.size() && number[j] == '.') {
    size_t fraction = CountDigits(number, j + 1);
    if (fraction == 0) return original;
    j += 1 + fraction;
  }
  if (j != number.size()) return original;
  std::string out;
  for (char c : number) {
    if (c != ',') out += c;
  }
  return out;
}

std::optional<std::string> Gsm8kFinalAnswer(std::string_view solution) {
  size_t marker = solution.rfind("####");
  if (marker == std::string_view::npos) return std::nullopt;
  std::string_view answer = Trim(solution.substr(marker + 4));
  if (answer.empty()) return std::nullopt;
  return StripThousandsSeparators(answer);
}

}  // namespace zerorl::datasets
