// language_consistency (DeepSeek-R1 section 2.3.3): the share of the reasoning written in
// the language of the question. "Language" is approximated by script, from Unicode
// blocks: simple, documented, and blind to e.g. English vs French (both Latin).
#include <array>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "reward/internal/text.h"
#include "reward/reward_function.h"
#include "utf8proc.h"

namespace zerorl::reward {
namespace {

enum Script { kLatin, kGreek, kCyrillic, kArmenian, kHebrew, kArabic, kDevanagari, kBengali,
              kThai, kGeorgian, kHangul, kCjk, kOther, kNumScripts };

constexpr std::array<const char*, kNumScripts> kScriptNames = {
    "Latin", "Greek", "Cyrillic", "Armenian", "Hebrew", "Arabic", "Devanagari", "Bengali",
    "Thai", "Georgian", "Hangul", "CJK", "other"};

struct Block {
  int32_t first, last;
  Script script;
};

// Letters outside these blocks count as kOther.
constexpr Block kBlocks[] = {
    {0x0041, 0x024F, kLatin},      {0x0370, 0x03FF, kGreek},       {0x0400, 0x052F, kCyrillic},
    {0x0530, 0x058F, kArmenian},   {0x0590, 0x05FF, kHebrew},      {0x0600, 0x06FF, kArabic},
    {0x0750, 0x077F, kArabic},     {0x0900, 0x097F, kDevanagari},  {0x0980, 0x09FF, kBengali},
    {0x0E00, 0x0E7F, kThai},       {0x10A0, 0x10FF, kGeorgian},    {0x1100, 0x11FF, kHangul},
    {0x1E00, 0x1EFF, kLatin},      {0x1F00, 0x1FFF, kGreek},       {0x3040, 0x30FF, kCjk},
    {0x3130, 0x318F, kHangul},     {0x3400, 0x4DBF, kCjk},         {0x4E00, 0x9FFF, kCjk},
    {0xAC00, 0xD7AF, kHangul},     {0xF900, 0xFAFF, kCjk},         {0x20000, 0x3FFFF, kCjk},
};

Script ScriptOf(int32_t c) {
  for (const Block& b : kBlocks) {
    if (c >= b.first && c <= b.last) return b.script;
  }
  return kOther;
}

bool IsLetter(int32_t c) {
  switch (utf8proc_category(c)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO:
      return true;
    default:
      return false;
  }
}

bool IsAsciiLetter(uint8_t c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }

// Letters per script, skipping LaTeX: "\command" names and everything between '$' signs.
std::array<int64_t, kNumScripts> CountLetters(std::string_view text) {
  std::array<int64_t, kNumScripts> counts{};
  bool in_math = false;
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
  utf8proc_ssize_t left = static_cast<utf8proc_ssize_t>(text.size());
  while (left > 0) {
    if (*p == '\\' && left > 1 && IsAsciiLetter(p[1])) {
      ++p, --left;
      while (left > 0 && IsAsciiLetter(*p)) ++p, --left;
      continue;
    }
    utf8proc_int32_t c = -1;
    utf8proc_ssize_t n = utf8proc_iterate(p, left, &c);
    if (n <= 0) {  // not UTF-8: skip the byte
      ++p, --left;
      continue;
    }
    p += n, left -= n;
    if (c == '$') in_math = !in_math;
    if (!in_math && IsLetter(c)) ++counts[ScriptOf(c)];
  }
  return counts;
}

class LanguageConsistency : public RewardFunction {
 public:
  void Score(const ScoringContext& context, std::vector<wire::FunctionScore>* out) override {
    for (size_t i = 0; i < context.size(); ++i) {
      const datasets::Problem* problem = context.problem_of(i);
      std::string_view question = problem != nullptr ? std::string_view(problem->prompt)
                                                     : std::string_view(context.prompt_of(i).text);
      std::array<int64_t, kNumScripts> q = CountLetters(question);
      int main_script = 0;
      for (int s = 1; s < kNumScripts; ++s) {
        if (q[s] > q[main_script]) main_script = s;
      }
      if (q[main_script] == 0) {
        (*out)[i] = reward::NotApplicable("the question has no letters");
        continue;
      }
      std::string text =
          text::AsWritten(context.prompt_of(i).text, context.sample(i).completion);
      std::array<int64_t, kNumScripts> r = CountLetters(text::Reasoning(text));
      int64_t total = 0;
      for (int64_t n : r) total += n;
      if (total == 0) {
        (*out)[i] = reward::NotApplicable("the reasoning has no letters");
        continue;
      }
      double share = static_cast<double>(r[main_script]) / static_cast<double>(total);
      (*out)[i] = reward::Ok(share, absl::StrCat(r[main_script], " of ", total, " letters in ",
                                         kScriptNames[main_script]));
    }
  }
};

}  // namespace

std::unique_ptr<RewardFunction> MakeLanguageConsistency() {
  return std::make_unique<LanguageConsistency>();
}

}  // namespace zerorl::reward
