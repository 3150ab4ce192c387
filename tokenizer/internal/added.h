// Added tokens (private to model/): finding "<|im_start|>" and friends in text before any
// other processing, as Hugging Face's AddedVocabulary does: leftmost-longest matches, then
// the single_word / lstrip / rstrip rules of each token.
#ifndef ZERORL_TOKENIZER_INTERNAL_ADDED_H_
#define ZERORL_TOKENIZER_INTERNAL_ADDED_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"

namespace zerorl::tokenizer::internal {

struct AddedToken {
  std::string content;
  int32_t id = -1;
  bool single_word = false;  // match only where the text has no word character around it
  bool lstrip = false;       // the match takes the whitespace before it
  bool rstrip = false;       // the match takes the whitespace after it
  bool normalized = true;    // matched in normalized text (else in the raw text)
  bool special = false;      // dropped by skip_special_tokens
};

// A set of added tokens and a byte trie to find them.
class AddedTokenMatcher {
 public:
  AddedTokenMatcher();
  // `token.content` must be non-empty. A content added twice keeps the later token.
  void Add(const AddedToken& token);
  bool empty() const { return tokens_.empty(); }

  // Cuts `text` into plain text and matched tokens, in order: `on_text` gets each non-empty
  // stretch of plain text, `on_token` each matched token id.
  void Split(std::string_view text, absl::FunctionRef<void(std::string_view)> on_text,
             absl::FunctionRef<void(int32_t)> on_token) const;

 private:
  struct Node {
    std::vector<std::pair<unsigned char, int32_t>> children;  // byte -> node index
    int32_t token = -1;  // index into tokens_ when a token ends here
  };
  // Longest token starting at text[at]: its index, and its length in *length; -1 if none.
  int32_t LongestAt(std::string_view text, size_t at, size_t* length) const;

  std::vector<AddedToken> tokens_;
  std::vector<Node> nodes_;  // nodes_[0] is the root
  bool first_byte_[256] = {};
  int num_first_bytes_ = 0;
  unsigned char only_first_byte_ = 0;  // when num_first_bytes_ == 1
};

}  // namespace zerorl::tokenizer::internal

#endif  // ZERORL_TOKENIZER_INTERNAL_ADDED_H_
