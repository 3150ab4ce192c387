// format and length: how the completion is written, not what it answers.
#include <cmath>

#include "absl/strings/str_cat.h"
#include "re2/re2.h"
#include "reward/internal/text.h"
#include "reward/reward_function.h"

namespace zerorl::reward {
namespace {

class FormatReward : public RewardFunction {
 public:
  FormatReward(const config::FormatOptions& options, std::unique_ptr<RE2> pattern)
      : options_(options), pattern_(std::move(pattern)) {}

  void Score(const ScoringContext& context, std::vector<wire::FunctionScore>* out) override {
    for (size_t i = 0; i < context.size(); ++i) {
      std::string text =
          text::AsWritten(context.prompt_of(i).text, context.sample(i).completion);
      (*out)[i] = options_.mode == config::FormatMode::kPattern ? ByPattern(text) : ByTags(text);
    }
  }

 private:
  wire::FunctionScore ByPattern(const std::string& text) const {
    if (RE2::FullMatch(text, *pattern_)) return Ok(1.0, "matches");
    return Ok(0.0, "does not match the format pattern");
  }

  wire::FunctionScore ByTags(const std::string& text) const {
    size_t once = 0;
    std::string off;
    for (const std::string& tag : options_.tags) {
      size_t n = text::CountOccurrences(text, tag);
      if (n == 1) {
        ++once;
      } else {
        absl::StrAppend(&off, off.empty() ? "" : ", ", tag, " x", n);
      }
    }
    double score = static_cast<double>(once) / static_cast<double>(options_.tags.size());
    return Ok(score, off.empty() ? "every tag once" : "not once: " + off);
  }

  config::FormatOptions options_;
  std::unique_ptr<RE2> pattern_;
};

class LengthReward : public RewardFunction {
 public:
  LengthReward(config::LengthPenalty penalty, int max_length, int buffer)
      : penalty_(penalty), max_length_(max_length), buffer_(buffer) {}

  void Score(const ScoringContext& context, std::vector<wire::FunctionScore>* out) override {
    for (size_t i = 0; i < context.size(); ++i) {
      int64_t length = context.sample(i).num_tokens;
      if (length < 0) {
        (*out)[i] = reward::NotApplicable("completion length in tokens unknown");
        continue;
      }
      (*out)[i] = reward::Ok(Penalty(length), absl::StrCat(length, " tokens of ", max_length_));
    }
  }

 private:
  double Penalty(int64_t length) const {
    const double l = static_cast<double>(length);
    const double l_max = static_cast<double>(max_length_);
    if (length > max_length_) return -1.0;
    switch (penalty_) {
      case config::LengthPenalty::kDapo: {
        // DAPO (Yu et al. 2025) eq. 13: 0 up to L_max - L_cache, then linear down to -1.
        const double soft_start = l_max - buffer_;
        if (buffer_ == 0 || l <= soft_start) return 0.0;
        return (soft_start - l) / buffer_;
      }
      case config::LengthPenalty::kLinear:
        return -l / l_max;
      case config::LengthPenalty::kCosine:
        return (std::cos(M_PI * l / l_max) - 1.0) / 2.0;
    }
    return 0.0;
  }

  config::LengthPenalty penalty_;
  int max_length_;
  int buffer_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<RewardFunction>> MakeFormatReward(
    const config::FormatOptions& options, const std::string& key) {
  std::unique_ptr<RE2> pattern;
  if (options.mode == config::FormatMode::kPattern) {
    RE2::Options re2_options;
    re2_options.set_log_errors(false);
    pattern = std::make_unique<RE2>(options.pattern, re2_options);
    if (!pattern->ok()) {
      return absl::InvalidArgumentError(absl::StrCat(key, ".pattern: not a valid RE2 pattern: ",
                                                     pattern->error()));
    }
  }
  return std::make_unique<FormatReward>(options, std::move(pattern));
}

absl::StatusOr<std::unique_ptr<RewardFunction>> MakeLengthReward(
    const config::LengthOptions& options, int default_max_length, const std::string& key) {
  int max_length = options.max_length > 0 ? options.max_length : default_max_length;
  if (max_length < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        key, ".max_length: must be >= 1 (0 takes rollout.sampling.max_new_tokens), got ",
        max_length));
  }
  int buffer = options.buffer > 0 ? options.buffer : max_length / 5;
  if (buffer > max_length) {
    return absl::InvalidArgumentError(
        absl::StrCat(key, ".buffer: must be <= max_length (", max_length, "), got ", buffer));
  }
  return std::make_unique<LengthReward>(options.penalty, max_length, buffer);
}

}  // namespace zerorl::reward
