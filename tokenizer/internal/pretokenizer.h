// Pre-tokenization (private to model/): cutting normalized text into the pieces BPE runs on,
// as Hugging Face's pre-tokenizers do. A PreTokenizer is a chain of steps; each step cuts
// every piece the previous step produced.
//
// Split patterns are Oniguruma regexes in tokenizer.json. They run on RE2 after a
// translation: \s, \S, \d, \w and friends get Oniguruma's Unicode meaning (RE2's are
// ASCII), groups become non-capturing, and the one look-ahead these files use,
// `\s+(?!\S)|\s+`, becomes a capture that Split() shortens by hand: a whitespace run
// followed by a non-space gives back its last character, which then starts the next piece.
#ifndef ZERORL_TOKENIZER_INTERNAL_PRETOKENIZER_H_
#define ZERORL_TOKENIZER_INTERNAL_PRETOKENIZER_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"

namespace zerorl::tokenizer::internal {

// Receives pieces in text order; a piece is valid only during the call.
using PieceFn = absl::FunctionRef<void(std::string_view)>;

// Hugging Face's SplitDelimiterBehavior: what happens to the matched parts.
enum class SplitBehavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };

class PreTokenizerStep {
 public:
  virtual ~PreTokenizerStep() = default;
  // Cuts non-empty `piece`, calling `emit` for every non-empty result in order.
  virtual void Split(std::string_view piece, PieceFn emit) const = 0;
};

class PreTokenizer {
 public:
  void AddStep(std::unique_ptr<PreTokenizerStep> step) { steps_.push_back(std::move(step)); }
  // Every final piece of `text`, in order.
  void Run(std::string_view text, PieceFn emit) const;

 private:
  void RunFrom(size_t step, std::string_view text, PieceFn emit) const;
  std::vector<std::unique_ptr<PreTokenizerStep>> steps_;
};

// `pattern` in RE2 syntax with Oniguruma's meanings; `*whitespace_lookahead` tells whether
// `\s+(?!\S)|\s+` was turned into capture group 1. kInvalidArgument for constructs RE2 cannot
// run (other look-arounds, back-references).
absl::StatusOr<std::string> TranslateOnigurumaRegex(std::string_view pattern,
                                                    bool* whitespace_lookahead);

// Split on a regex (Oniguruma syntax). kInvalidArgument when it does not translate or compile.
absl::StatusOr<std::unique_ptr<PreTokenizerStep>> MakeRegexSplit(std::string_view pattern,
                                                                 SplitBehavior behavior,
                                                                 bool invert);
// Split on every occurrence of a literal string.
std::unique_ptr<PreTokenizerStep> MakeLiteralSplit(std::string literal, SplitBehavior behavior,
                                                   bool invert);
// Digits: numeric characters isolated one by one, or in contiguous runs.
std::unique_ptr<PreTokenizerStep> MakeDigitsSplit(bool individual_digits);
// ByteLevel: optional leading space, optional GPT-2 regex split. Returns nullptr when the
// step changes nothing (bytes already are what BPE runs on).
absl::StatusOr<std::unique_ptr<PreTokenizerStep>> MakeByteLevelStep(bool add_prefix_space,
                                                                    bool use_regex);

}  // namespace zerorl::tokenizer::internal

#endif  // ZERORL_TOKENIZER_INTERNAL_PRETOKENIZER_H_
