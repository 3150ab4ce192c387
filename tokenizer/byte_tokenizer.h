// A byte-level tokenizer that zerorl makes itself, for runs that need no download (the
// quickstart): Hugging Face tokenizer.json + tokenizer_config.json text with one token per
// byte (GPT-2's byte-to-unicode alphabet, no merges) followed by added tokens. The files load
// in zerorl's Tokenizer and in Hugging Face `tokenizers`/transformers unchanged.
//
// Ids: 0..255 are the bytes 0x00..0xFF; then `<|endoftext|>` (EOS and pad, special), then
// each of `extra_tokens` in order (not special: they stay in decoded text, like Qwen's
// <think>). The quickstart uses {"<think>", "</think>", "<answer>", "</answer>"} so each tag
// is one token for a small model.
#ifndef ZERORL_TOKENIZER_BYTE_TOKENIZER_H_
#define ZERORL_TOKENIZER_BYTE_TOKENIZER_H_

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace zerorl::model {

struct ByteTokenizerFiles {
  std::string tokenizer_json;
  std::string tokenizer_config_json;
  int vocab_size = 0;  // 256 + 1 + extra_tokens.size()
};

ByteTokenizerFiles MakeByteTokenizer(const std::vector<std::string>& extra_tokens);

// Writes tokenizer.json and tokenizer_config.json into `dir` (which must exist).
absl::Status WriteByteTokenizer(const std::string& dir, const ByteTokenizerFiles& files);

}  // namespace zerorl::model

#endif  // ZERORL_TOKENIZER_BYTE_TOKENIZER_H_
