#include "verifiers/sandbox/internal/compare.h"

#include <cmath>
#include <cstdlib>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace zerorl::sandbox {
namespace {

constexpr size_t kShownChars = 80;

// Lines without trailing whitespace, trailing empty lines dropped.
std::vector<absl::string_view> NormalizedLines(absl::string_view text) {
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  for (absl::string_view& line : lines) line = absl::StripTrailingAsciiWhitespace(line);
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  return lines;
}

std::string Shown(absl::string_view line) {
  std::string text(line.substr(0, kShownChars));
  if (line.size() > kShownChars) text += "...";
  return absl::StrCat("\"", absl::CEscape(text), "\"");
}

bool ParseNumber(absl::string_view token, double* value) {
  std::string text(token);
  char* end = nullptr;
  *value = std::strtod(text.c_str(), &end);
  return !text.empty() && end == text.c_str() + text.size() && std::isfinite(*value);
}

bool TokensMatch(absl::string_view expected, absl::string_view actual, double tolerance) {
  if (expected == actual) return true;
  double e = 0, a = 0;
  if (!ParseNumber(expected, &e) || !ParseNumber(actual, &a)) return false;
  double diff = std::fabs(a - e);
  return diff <= tolerance || diff <= tolerance * std::fabs(e);
}

bool LinesMatch(absl::string_view expected, absl::string_view actual, double tolerance) {
  if (tolerance <= 0) return expected == actual;
  std::vector<absl::string_view> e = absl::StrSplit(expected, absl::ByAnyChar(" \t"),
                                                    absl::SkipEmpty());
  std::vector<absl::string_view> a = absl::StrSplit(actual, absl::ByAnyChar(" \t"),
                                                    absl::SkipEmpty());
  if (e.size() != a.size()) return false;
  for (size_t i = 0; i < e.size(); ++i) {
    if (!TokensMatch(e[i], a[i], tolerance)) return false;
  }
  return true;
}

}  // namespace

OutputComparison CompareOutput(absl::string_view expected, absl::string_view actual,
                               double float_tolerance) {
  std::vector<absl::string_view> want = NormalizedLines(expected);
  std::vector<absl::string_view> got = NormalizedLines(actual);
  OutputComparison result;
  for (size_t i = 0; i < std::max(want.size(), got.size()); ++i) {
    if (i >= got.size()) {
      result.first_difference =
          absl::StrCat("line ", i + 1, ": expected ", Shown(want[i]), ", got end of output");
      return result;
    }
    if (i >= want.size()) {
      result.first_difference =
          absl::StrCat("line ", i + 1, ": expected end of output, got ", Shown(got[i]));
      return result;
    }
    if (!LinesMatch(want[i], got[i], float_tolerance)) {
      result.first_difference = absl::StrCat("line ", i + 1, ": expected ", Shown(want[i]),
                                             ", got ", Shown(got[i]));
      return result;
    }
  }
  result.equal = true;
  return result;
}

}  // namespace zerorl::sandbox
