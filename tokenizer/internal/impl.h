// What a loaded Tokenizer holds (private to tokenizer/): filled by tokenizer/load.cc, used by
// tokenizer.cc. Immutable after loading except the encode state, which a mutex guards.
#ifndef ZERORL_TOKENIZER_INTERNAL_IMPL_H_
#define ZERORL_TOKENIZER_INTERNAL_IMPL_H_

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "tokenizer/internal/added.h"
#include "tokenizer/internal/bpe.h"
#include "tokenizer/internal/pretokenizer.h"
#include "tokenizer/internal/unicode.h"
#include "tokenizer/tokenizer.h"

namespace zerorl::tokenizer::internal {

// Per-thread encoding state: the word cache and BPE scratch buffers.
struct EncodeState {
  explicit EncodeState(size_t cache_entries = 1 << 18) : cache(cache_entries) {}
  WordCache cache;
  BpeScratch scratch;
};

struct TokenizerImpl {
  std::string source;  // the tokenizer.json path (or the name given to FromJson)

  // Id tables, indexed by id (size = vocab_size; holes have valid = false).
  std::vector<std::string> spellings;   // vocabulary spelling ("Ġthe")
  std::vector<uint32_t> bytes_offsets;  // token i's bytes: bytes_pool[offs[i], offs[i+1])
  std::string bytes_pool;
  std::vector<uint8_t> valid;
  std::vector<uint8_t> special;
  absl::flat_hash_map<std::string, int32_t> spelling_to_id;  // added tokens win

  // The encode pipeline, in order.
  AddedTokenMatcher added_raw;         // added tokens with normalized = false
  std::vector<NormalForm> normalizer;  // applied one after another; empty = none
  AddedTokenMatcher added_normalized;  // added tokens with normalized = true
  PreTokenizer pre_tokenizer;
  BpeModel bpe;

  std::vector<int32_t> prefix_ids;  // add_special_tokens
  std::vector<int32_t> suffix_ids;
  SpecialTokenIds special_ids;

  // Encode() takes the shared state when it is free, else uses a fresh one.
  mutable std::mutex state_mu;
  mutable EncodeState state ABSL_GUARDED_BY(state_mu);

  int32_t vocab_size() const { return static_cast<int32_t>(valid.size()); }
  bool IsValidId(int32_t id) const { return id >= 0 && id < vocab_size() && valid[id]; }
  std::string_view Bytes(int32_t id) const {
    return std::string_view(bytes_pool)
        .substr(bytes_offsets[id], bytes_offsets[id + 1] - bytes_offsets[id]);
  }
};

// Builds a TokenizerImpl from the two JSON texts; errors name `source` and the field.
absl::StatusOr<std::shared_ptr<TokenizerImpl>> LoadTokenizerImpl(std::string_view tokenizer_json,
                                                                 std::string_view config_json,
                                                                 const std::string& source,
                                                                 const std::string& config_source);

}  // namespace zerorl::tokenizer::internal

#endif  // ZERORL_TOKENIZER_INTERNAL_IMPL_H_
