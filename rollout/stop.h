// When a sample ends: an end-of-sequence id, a stop string in the decoded text, or the token
// budget. A StopChecker follows one sample token by token and, when a tokenizer is given,
// decodes it incrementally (rollout needs the text anyway: reward functions read it).
//
//   StopChecker checker(&rules, &tokenizer);
//   for (...) {
//     std::optional<FinishReason> done = checker.Push(token);
//     if (done) { text = checker.TakeText(); break; }
//   }
//
// What a finished sample holds (vLLM's conventions, with the stop string kept):
//   * EOS: the EOS id is the last completion id (the learner trains on it); the text leaves
//     its spelling out.
//   * stop string: the completion ids end with the token that completed the string; the text
//     ends exactly at the end of the string, even if that token's text went further.
//   * max_new_tokens: the ids are the whole budget; the text is their full decoding.
// EOS wins over a stop string, and both win over the budget, when one token does several.
// Ids the tokenizer does not know (padding rows of the embedding) decode to nothing.
#ifndef ZERORL_ROLLOUT_STOP_H_
#define ZERORL_ROLLOUT_STOP_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tokenizer/tokenizer.h"
#include "wire/messages.h"

namespace zerorl::rollout {

struct StopRules {
  std::vector<int32_t> eos_ids;            // any of these ends a sample
  std::vector<std::string> stop_strings;   // non-empty strings; need a tokenizer
  int64_t max_new_tokens = 512;            // >= 1
};

class StopChecker {
 public:
  // `rules` must outlive the checker. `tokenizer` may be null (no text, and stop strings are
  // then not looked for: the engine refuses stop strings without a tokenizer).
  StopChecker(const StopRules* rules, const tokenizer::Tokenizer* tokenizer);

  // Takes the sample's next token; nullopt while it goes on, else why it ended. Must not be
  // called again after it returned a reason.
  std::optional<wire::FinishReason> Push(int32_t token);

  int64_t num_tokens() const { return num_tokens_; }
  // The completion text so far (all of it once Push() returned a reason).
  const std::string& text() const { return text_; }
  std::string TakeText() { return std::move(text_); }

 private:
  bool FindStopString(size_t searched_before);

  const StopRules* rules_;
  std::optional<tokenizer::DecodeStream> stream_;
  std::string text_;
  size_t longest_stop_ = 0;
  int64_t num_tokens_ = 0;
};

}  // namespace zerorl::rollout

#endif  // ZERORL_ROLLOUT_STOP_H_
