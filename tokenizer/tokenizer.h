// A Hugging Face tokenizer (tokenizer.json + tokenizer_config.json) for byte-level BPE models:
// Qwen2/2.5/3, Llama 3, DeepSeek-V3/R1 and their distills. Encode gives the ids Hugging Face's
// Rust `tokenizers` gives, and `add_special_tokens` follows transformers for each file (a
// Llama-class tokenizer_config with add_bos_token prepends BOS; otherwise the tokenizer.json
// post-processor decides).
//
//   ASSIGN_OR_RETURN(Tokenizer tok, Tokenizer::Load("models/Qwen3-0.6B"));
//   std::vector<int32_t> ids = tok.Encode("<|im_start|>user\nhi<|im_end|>");
//   ASSIGN_OR_RETURN(std::string text, tok.Decode(ids));
//
// Supported pieces of tokenizer.json (anything else is refused at load with the field named):
//   model:         BPE (merges as "a b" strings or ["a", "b"] pairs, ignore_merges)
//   normalizer:    null, NFC, NFD, NFKC, NFKD, Sequence of those
//   pre_tokenizer: ByteLevel (required), Split (regex or string; every behavior; invert),
//                  Digits, Sequence of those
//   post_processor: null, ByteLevel, TemplateProcessing, BertProcessing, RobertaProcessing,
//                  Sequence of those
//   decoder:       ByteLevel (or null)
// Text is UTF-8; invalid bytes in the input to Encode are read as U+FFFD, as Rust's
// String::from_utf8_lossy does. Unicode is seen as Hugging Face's tokenizers 0.23 sees it:
// regex categories (\p{L}, ...) as in Unicode 16.0, and the normalizers' combining marks as
// in Unicode 9.0 (see tokenizer/internal/unicode.h).
//
// A Tokenizer is a cheap handle (copies share the loaded tables) and every method is const
// and safe to call from several threads at once.
#ifndef ZERORL_TOKENIZER_TOKENIZER_H_
#define ZERORL_TOKENIZER_TOKENIZER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace zerorl::tokenizer {

namespace internal {
struct TokenizerImpl;
}  // namespace internal

struct EncodeOptions {
  // Add the tokens transformers adds around a text (DeepSeek-V3: BOS in front; Qwen and these
  // Llama 3 files: nothing). Chat templates already render their BOS as text, so prompts
  // rendered with one should be encoded with false (see PromptTemplate::add_special_tokens).
  bool add_special_tokens = false;
};

struct DecodeOptions {
  // Leave out added tokens marked "special": true (<|im_end|>, BOS, EOS, ...). Added tokens
  // that are not special (Qwen's <think>) are always kept.
  bool skip_special_tokens = false;
};

// Ids of the tokens the rest of zerorl needs by role; -1 where the tokenizer has none.
struct SpecialTokenIds {
  int32_t bos = -1;          // tokenizer_config bos_token
  int32_t eos = -1;          // tokenizer_config eos_token (Qwen3: <|im_end|>)
  int32_t pad = -1;          // tokenizer_config pad_token
  int32_t think_begin = -1;  // "<think>" when it is a single token
  int32_t think_end = -1;    // "</think>" when it is a single token
};

class Tokenizer {
 public:
  // `path` is a folder holding tokenizer.json (and, if present, tokenizer_config.json), or
  // the path of a tokenizer.json (tokenizer_config.json is then read from beside it when it
  // exists). Errors: kNotFound for a missing file; kInvalidArgument naming the file and the
  // field for malformed or unsupported content.
  static absl::StatusOr<Tokenizer> Load(const std::string& path);

  // The same from JSON text in memory; `config_json` may be empty (no tokenizer_config).
  // `source` names the tokenizer.json in errors (the config is named source's
  // "tokenizer_config.json").
  static absl::StatusOr<Tokenizer> FromJson(std::string_view tokenizer_json,
                                            std::string_view config_json,
                                            const std::string& source);

  // The ids of `text`. Added tokens written in the text (e.g. "<|im_start|>") are matched
  // before anything else, as Hugging Face does (split_special_tokens = false).
  std::vector<int32_t> Encode(std::string_view text, const EncodeOptions& options = {}) const;
  // Appends the ids of `text` to `*ids`.
  void EncodeTo(std::string_view text, const EncodeOptions& options,
                std::vector<int32_t>* ids) const;
  // Encode for every text, in order. `num_threads` > 1 splits the texts across that many
  // threads (each with its own word cache); the result is the same.
  std::vector<std::vector<int32_t>> EncodeBatch(absl::Span<const std::string> texts,
                                                const EncodeOptions& options = {},
                                                int num_threads = 1) const;

  // The text of `ids`: each token's bytes joined, invalid UTF-8 replaced by U+FFFD (as
  // Hugging Face decodes with clean_up_tokenization_spaces off). kOutOfRange naming the
  // position when an id is not a token id; nothing else fails.
  absl::StatusOr<std::string> Decode(absl::Span<const int32_t> ids,
                                     const DecodeOptions& options = {}) const;

  // The raw bytes one token stands for (byte-level decoded; may be part of a UTF-8
  // character). Empty for an id that is not a token. See DecodeStream for text.
  std::string_view TokenBytes(int32_t id) const;

  // Vocabulary spelling (byte-level alphabet, "Ġthe" for " the") <-> id, added tokens
  // included. nullopt when unknown.
  std::optional<int32_t> TokenToId(std::string_view token) const;
  std::optional<std::string> IdToToken(int32_t id) const;

  bool IsValidId(int32_t id) const;
  // True for added tokens marked "special" (the ones skip_special_tokens drops).
  bool IsSpecial(int32_t id) const;
  // One past the largest token id (added tokens included). Ids below it may still be
  // holes; see IsValidId. The model's embedding is often larger (padded).
  int32_t vocab_size() const;
  const SpecialTokenIds& special_ids() const;
  // The ids add_special_tokens puts before / after a text.
  absl::Span<const int32_t> prefix_ids() const;
  absl::Span<const int32_t> suffix_ids() const;
  // Where the tokenizer was loaded from (for messages).
  const std::string& source() const;

 private:
  explicit Tokenizer(std::shared_ptr<const internal::TokenizerImpl> impl);
  std::shared_ptr<const internal::TokenizerImpl> impl_;
  friend class DecodeStream;
};

// Turns ids into text one token at a time, for stop strings and streaming: a byte-level
// token may end in the middle of a UTF-8 character, so bytes are held back until the
// character is complete. Concatenating every Step() and then Finish() gives exactly
// Decode(all ids).
//
//   DecodeStream stream(tok);
//   for (int32_t id : sampled) { ASSIGN_OR_RETURN(std::string piece, stream.Step(id)); ... }
//   std::string tail = stream.Finish();
class DecodeStream {
 public:
  // `tokenizer` is copied (a cheap handle).
  explicit DecodeStream(const Tokenizer& tokenizer, const DecodeOptions& options = {});

  // The text completed by `id` (often "" while a character is incomplete). kOutOfRange when
  // `id` is not a token id; the stream is then unchanged.
  absl::StatusOr<std::string> Step(int32_t id);
  // Flushes bytes still held back (an incomplete character becomes U+FFFD) and resets.
  std::string Finish();
  // Bytes held back, waiting for the rest of a character (0 to 3).
  size_t pending_bytes() const { return pending_.size(); }

 private:
  Tokenizer tokenizer_;
  DecodeOptions options_;
  std::string pending_;
};

}  // namespace zerorl::tokenizer

#endif  // ZERORL_TOKENIZER_TOKENIZER_H_
