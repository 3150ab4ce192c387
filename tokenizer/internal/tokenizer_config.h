// tokenizer_config.json, the transformers side of a Hugging Face tokenizer (private to
// model/): which tokens play BOS/EOS/PAD, whether transformers adds BOS/EOS around a text,
// and added tokens that tokenizer.json may lack.
#ifndef ZERORL_TOKENIZER_INTERNAL_TOKENIZER_CONFIG_H_
#define ZERORL_TOKENIZER_INTERNAL_TOKENIZER_CONFIG_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "tokenizer/internal/added.h"

namespace zerorl::tokenizer::internal {

struct TokenizerConfigFile {
  bool present = false;         // false when there is no tokenizer_config.json
  std::string tokenizer_class;  // "Qwen2Tokenizer", "LlamaTokenizerFast", ...
  std::optional<std::string> bos_token, eos_token, pad_token;  // token contents
  std::optional<bool> add_bos_token, add_eos_token;
  std::optional<bool> add_prefix_space;
  std::vector<AddedToken> added_tokens;  // added_tokens_decoder

  // Whether transformers builds this class's BOS/EOS template from add_bos_token /
  // add_eos_token (LlamaTokenizerFast and its relatives) instead of using the
  // tokenizer.json post-processor.
  bool TemplateFromFlags() const;
  bool AddBos() const;  // with the class's default when the key is absent
  bool AddEos() const;
};

// Parses the file's text; `source` names it in errors. Empty text gives present = false.
absl::StatusOr<TokenizerConfigFile> ParseTokenizerConfig(std::string_view text,
                                                         const std::string& source);

}  // namespace zerorl::tokenizer::internal

#endif  // ZERORL_TOKENIZER_INTERNAL_TOKENIZER_CONFIG_H_
