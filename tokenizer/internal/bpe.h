// Byte-level BPE over raw bytes (private to model/). A pre-token's bytes start as one
// symbol per byte (the id of that byte's alphabet character) and the adjacent pair with the
// lowest merge rank is merged, leftmost first, until no pair has a merge: the algorithm of
// Hugging Face's BPE model, run on ids so that no byte-level string is ever built.
//
// A WordCache remembers the ids of pre-tokens already seen; it belongs to one thread.
#ifndef ZERORL_TOKENIZER_INTERNAL_BPE_H_
#define ZERORL_TOKENIZER_INTERNAL_BPE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace zerorl::tokenizer::internal {

// Ids of recently encoded pre-tokens. Not thread-safe: one per encoding thread.
class WordCache {
 public:
  explicit WordCache(size_t max_entries = 1 << 18) : max_entries_(max_entries) {}
  // Appends the cached ids of `word` to `*ids`; false when `word` is not cached.
  bool Lookup(std::string_view word, std::vector<int32_t>* ids) const;
  // Remembers `ids` for `word`; forgets everything when full.
  void Insert(std::string_view word, const int32_t* ids, size_t num_ids);
  size_t size() const { return map_.size(); }

 private:
  size_t max_entries_;
  absl::flat_hash_map<std::string, std::pair<uint32_t, uint32_t>> map_;  // -> pool span
  std::vector<int32_t> pool_;
};

// Scratch buffers reused across calls (one per encoding thread).
struct BpeScratch {
  struct Symbol {
    int32_t id;
    int32_t prev;  // index of the previous live symbol, -1 at the front
    int32_t next;  // index of the next live symbol, -1 at the end
    bool alive;
  };
  struct Candidate {  // a pair that may merge: symbols[pos] with its next live symbol
    int32_t rank;
    int32_t pos;
    int32_t merged_id;
  };
  std::vector<Symbol> symbols;
  std::vector<Candidate> heap;
};

class BpeModel {
 public:
  // Pre-tokens longer than this are never cached.
  static constexpr size_t kMaxCachedBytes = 128;

  BpeModel();

  // Setup, done once by the loader.
  void SetByteId(unsigned char byte, int32_t id) { byte_ids_[byte] = id; }
  // Records merge number `rank` of `left_id` and `right_id` into `merged_id`. A pair given
  // twice keeps the later rank, as Hugging Face's loader does.
  void AddMerge(int32_t left_id, int32_t right_id, int32_t rank, int32_t merged_id);
  // ignore_merges: a pre-token that is itself a vocabulary entry is that one token.
  void SetIgnoreMerges(absl::flat_hash_map<std::string, int32_t> whole_words);
  size_t num_merges() const { return merges_.size(); }

  // Appends the ids of one pre-token (raw bytes, non-empty) to `*ids`. Bytes without an
  // alphabet entry in the vocabulary are dropped, as Hugging Face does without unk_token.
  void Encode(std::string_view word, WordCache* cache, BpeScratch* scratch,
              std::vector<int32_t>* ids) const;

 private:
  struct Merge {
    int32_t rank;
    int32_t merged_id;
  };
  static uint64_t PairKey(int32_t left, int32_t right) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) |
           static_cast<uint32_t>(right);
  }
  const Merge* FindMerge(int32_t left, int32_t right) const {
    auto it = merges_.find(PairKey(left, right));
    return it == merges_.end() ? nullptr : &it->second;
  }
  void MergeWord(std::string_view word, BpeScratch* scratch, std::vector<int32_t>* ids) const;

  int32_t byte_ids_[256];  // -1: that byte's character is not in the vocabulary
  absl::flat_hash_map<uint64_t, Merge> merges_;
  bool ignore_merges_ = false;
  absl::flat_hash_map<std::string, int32_t> whole_words_;  // raw bytes -> id (ignore_merges)
};

}  // namespace zerorl::tokenizer::internal

#endif  // ZERORL_TOKENIZER_INTERNAL_BPE_H_
