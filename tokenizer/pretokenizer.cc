#include "tokenizer/internal/pretokenizer.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "re2/re2.h"
#include "tokenizer/internal/unicode.h"

namespace zerorl::tokenizer::internal {
namespace {

// GPT-2's pre-tokenizer regex (ByteLevel with use_regex).
constexpr std::string_view kGpt2Pattern =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

// Finds the next match in a piece.
class Matcher {
 public:
  virtual ~Matcher() = default;
  // The leftmost match starting at or after `from`: [*start, *end). False when none.
  virtual bool Find(std::string_view text, size_t from, size_t* start, size_t* end) const = 0;
};

class RegexMatcher : public Matcher {
 public:
  RegexMatcher(std::unique_ptr<RE2> re, bool whitespace_lookahead)
      : re_(std::move(re)), whitespace_lookahead_(whitespace_lookahead) {}

  bool Find(std::string_view text, size_t from, size_t* start, size_t* end) const override {
    re2::StringPiece subject(text.data(), text.size());
    re2::StringPiece match;
    // Pre-tokenizer patterns usually match right where the last match ended; an anchored
    // search needs no backward pass to find where the match starts.
    if (!re_->Match(subject, from, text.size(), RE2::ANCHOR_START, &match, 1) &&
        !re_->Match(subject, from, text.size(), RE2::UNANCHORED, &match, 1)) {
      return false;
    }
    *start = static_cast<size_t>(match.data() - text.data());
    *end = *start + match.size();
    if (whitespace_lookahead_ && *end < text.size()) GiveBackLastSpace(text, *start, end);
    return true;
  }

 private:
  // `\s+(?!\S)`: a run of two or more spaces made by group 1 and followed by a non-space
  // keeps all but its last character (a run of one falls through to the plain `\s+`).
  void GiveBackLastSpace(std::string_view text, size_t start, size_t* end) const {
    size_t num_chars = 0;
    for (size_t i = start; i < *end;) {
      char32_t c;
      i += DecodeUtf8(text.data() + i, *end - i, &c);
      if (!IsUnicodeWhitespace(c)) return;
      ++num_chars;
    }
    if (num_chars < 2) return;
    re2::StringPiece groups[2];
    re2::StringPiece subject(text.data(), text.size());
    if (!re_->Match(subject, start, *end, RE2::ANCHOR_BOTH, groups, 2)) return;
    if (groups[1].data() == nullptr) return;  // another alternative made this match
    *end -= LastUtf8CharLength(text.substr(start, *end - start));
  }

  std::unique_ptr<RE2> re_;
  bool whitespace_lookahead_;
};

class LiteralMatcher : public Matcher {
 public:
  explicit LiteralMatcher(std::string literal) : literal_(std::move(literal)) {}
  bool Find(std::string_view text, size_t from, size_t* start, size_t* end) const override {
    if (literal_.empty()) return false;
    size_t at = text.find(literal_, from);
    if (at == std::string_view::npos) return false;
    *start = at;
    *end = at + literal_.size();
    return true;
  }

 private:
  std::string literal_;
};

// Every numeric character is a match of its own.
class NumericCharMatcher : public Matcher {
 public:
  bool Find(std::string_view text, size_t from, size_t* start, size_t* end) const override {
    for (size_t i = from; i < text.size();) {
      char32_t c;
      int length = DecodeUtf8(text.data() + i, text.size() - i, &c);
      if (IsUnicodeNumeric(c)) {
        *start = i;
        *end = i + length;
        return true;
      }
      i += length;
    }
    return false;
  }
};

struct Segment {
  size_t start;
  size_t end;
  bool is_match;
};

class SplitStep : public PreTokenizerStep {
 public:
  SplitStep(std::unique_ptr<Matcher> matcher, SplitBehavior behavior, bool invert)
      : matcher_(std::move(matcher)), behavior_(behavior), invert_(invert) {}

  void Split(std::string_view piece, PieceFn emit) const override {
    if (behavior_ == SplitBehavior::kIsolated) {
      // Matches and the gaps between them are pieces either way; invert changes nothing.
      ForEachSegment(piece,
                     [&](const Segment& s) { emit(piece.substr(s.start, s.end - s.start)); });
      return;
    }
    std::vector<Segment> segments, kept;
    ForEachSegment(piece, [&](const Segment& s) {
      segments.push_back({s.start, s.end, s.is_match != invert_});
    });
    ApplyBehavior(segments, &kept);
    for (const Segment& s : kept) {
      if (s.end > s.start) emit(piece.substr(s.start, s.end - s.start));
    }
  }

 private:
  // Matches and the gaps between them, covering `text` in order (empty matches dropped).
  template <typename Fn>
  void ForEachSegment(std::string_view text, Fn&& fn) const {
    size_t gap_start = 0, search_from = 0;
    size_t start, end;
    while (search_from < text.size() && matcher_->Find(text, search_from, &start, &end)) {
      if (start == end) {  // an empty match cuts nothing; look again one character on
        char32_t c;
        search_from = start + DecodeUtf8(text.data() + start, text.size() - start, &c);
        continue;
      }
      if (start > gap_start) fn(Segment{gap_start, start, false});
      fn(Segment{start, end, true});
      gap_start = search_from = end;
    }
    if (gap_start < text.size()) fn(Segment{gap_start, text.size(), false});
  }

  // Hugging Face's NormalizedString::split for the behaviors other than Isolated: the
  // segments to keep, in order (`is_match` of the input means "a delimiter").
  void ApplyBehavior(const std::vector<Segment>& segments, std::vector<Segment>* out) const {
    bool previous_match = false;
    switch (behavior_) {
      case SplitBehavior::kIsolated:
        out->insert(out->end(), segments.begin(), segments.end());
        return;
      case SplitBehavior::kRemoved:
        for (const Segment& s : segments) {
          if (!s.is_match) out->push_back(s);
        }
        return;
      case SplitBehavior::kContiguous:
        for (const Segment& s : segments) {
          if (s.is_match == previous_match && !out->empty()) {
            out->back().end = s.end;
          } else {
            out->push_back(s);
          }
          previous_match = s.is_match;
        }
        return;
      case SplitBehavior::kMergedWithPrevious:
        for (const Segment& s : segments) {
          if (s.is_match && !previous_match && !out->empty()) {
            out->back().end = s.end;
          } else {
            out->push_back(s);
          }
          previous_match = s.is_match;
        }
        return;
      case SplitBehavior::kMergedWithNext:
        for (auto it = segments.rbegin(); it != segments.rend(); ++it) {
          if (it->is_match && !previous_match && !out->empty()) {
            out->back().start = it->start;
          } else {
            out->push_back(*it);
          }
          previous_match = it->is_match;
        }
        std::reverse(out->begin(), out->end());
        return;
    }
  }

  std::unique_ptr<Matcher> matcher_;
  SplitBehavior behavior_;
  bool invert_;
};

class ByteLevelStep : public PreTokenizerStep {
 public:
  ByteLevelStep(bool add_prefix_space, std::unique_ptr<PreTokenizerStep> regex_split)
      : add_prefix_space_(add_prefix_space), regex_split_(std::move(regex_split)) {}

  void Split(std::string_view piece, PieceFn emit) const override {
    std::string prefixed;
    if (add_prefix_space_ && piece[0] != ' ') {
      prefixed = absl::StrCat(" ", ToAbsl(piece));
      piece = prefixed;
    }
    if (regex_split_) {
      regex_split_->Split(piece, emit);
    } else {
      emit(piece);
    }
  }

 private:
  bool add_prefix_space_;
  std::unique_ptr<PreTokenizerStep> regex_split_;  // null without use_regex
};

}  // namespace

void PreTokenizer::Run(std::string_view text, PieceFn emit) const {
  if (!text.empty()) RunFrom(0, text, emit);
}

void PreTokenizer::RunFrom(size_t step, std::string_view text, PieceFn emit) const {
  if (step == steps_.size()) {
    emit(text);
    return;
  }
  steps_[step]->Split(text, [&](std::string_view piece) { RunFrom(step + 1, piece, emit); });
}

absl::StatusOr<std::unique_ptr<PreTokenizerStep>> MakeRegexSplit(std::string_view pattern,
                                                                 SplitBehavior behavior,
                                                                 bool invert) {
  bool whitespace_lookahead = false;
  absl::StatusOr<std::string> translated = TranslateOnigurumaRegex(pattern, &whitespace_lookahead);
  if (!translated.ok()) return translated.status();
  RE2::Options options;
  options.set_log_errors(false);
  options.set_max_mem(int64_t{256} << 20);  // Unicode classes need a large DFA cache
  auto re = std::make_unique<RE2>(*translated, options);
  if (!re->ok()) {
    return absl::InvalidArgumentError(absl::StrCat("RE2 cannot run this regex: ", re->error(),
                                                   " (translated: ", *translated, ")"));
  }
  return std::make_unique<SplitStep>(
      std::make_unique<RegexMatcher>(std::move(re), whitespace_lookahead), behavior, invert);
}

std::unique_ptr<PreTokenizerStep> MakeLiteralSplit(std::string literal, SplitBehavior behavior,
                                                   bool invert) {
  return std::make_unique<SplitStep>(std::make_unique<LiteralMatcher>(std::move(literal)), behavior,
                                     invert);
}

std::unique_ptr<PreTokenizerStep> MakeDigitsSplit(bool individual_digits) {
  return std::make_unique<SplitStep>(
      std::make_unique<NumericCharMatcher>(),
      individual_digits ? SplitBehavior::kIsolated : SplitBehavior::kContiguous,
      /*invert=*/false);
}

absl::StatusOr<std::unique_ptr<PreTokenizerStep>> MakeByteLevelStep(bool add_prefix_space,
                                                                    bool use_regex) {
  if (!add_prefix_space && !use_regex) return std::unique_ptr<PreTokenizerStep>();
  std::unique_ptr<PreTokenizerStep> regex_split;
  if (use_regex) {
    absl::StatusOr<std::unique_ptr<PreTokenizerStep>> split =
        MakeRegexSplit(kGpt2Pattern, SplitBehavior::kIsolated, false);
    if (!split.ok()) return split.status();
    regex_split = std::move(*split);
  }
  return std::make_unique<ByteLevelStep>(add_prefix_space, std::move(regex_split));
}

}  // namespace zerorl::tokenizer::internal
