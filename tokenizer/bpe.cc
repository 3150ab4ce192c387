#include "tokenizer/internal/bpe.h"

#include <algorithm>

#include "tokenizer/internal/unicode.h"

namespace zerorl::tokenizer::internal {
namespace {

// Min-heap order: lowest rank first, then leftmost position (Hugging Face's Merge order).
struct LaterCandidate {
  bool operator()(const BpeScratch::Candidate& a, const BpeScratch::Candidate& b) const {
    if (a.rank != b.rank) return a.rank > b.rank;
    return a.pos > b.pos;
  }
};

}  // namespace

bool WordCache::Lookup(std::string_view word, std::vector<int32_t>* ids) const {
  auto it = map_.find(ToAbsl(word));
  if (it == map_.end()) return false;
  const int32_t* begin = pool_.data() + it->second.first;
  ids->insert(ids->end(), begin, begin + it->second.second);
  return true;
}

void WordCache::Insert(std::string_view word, const int32_t* ids, size_t num_ids) {
  if (map_.size() >= max_entries_) {
    map_.clear();
    pool_.clear();
  }
  auto [it, inserted] = map_.try_emplace(ToAbsl(word), static_cast<uint32_t>(pool_.size()),
                                         static_cast<uint32_t>(num_ids));
  if (inserted) pool_.insert(pool_.end(), ids, ids + num_ids);
}

BpeModel::BpeModel() { std::fill(std::begin(byte_ids_), std::end(byte_ids_), -1); }

void BpeModel::AddMerge(int32_t left_id, int32_t right_id, int32_t rank, int32_t merged_id) {
  merges_[PairKey(left_id, right_id)] = Merge{rank, merged_id};
}

void BpeModel::SetIgnoreMerges(absl::flat_hash_map<std::string, int32_t> whole_words) {
  ignore_merges_ = true;
  whole_words_ = std::move(whole_words);
}

void BpeModel::Encode(std::string_view word, WordCache* cache, BpeScratch* scratch,
                      std::vector<int32_t>* ids) const {
  if (ignore_merges_) {
    auto it = whole_words_.find(ToAbsl(word));
    if (it != whole_words_.end()) {
      ids->push_back(it->second);
      return;
    }
  }
  if (word.size() == 1) {
    int32_t id = byte_ids_[static_cast<unsigned char>(word[0])];
    if (id >= 0) ids->push_back(id);
    return;
  }
  bool cacheable = cache != nullptr && word.size() <= kMaxCachedBytes;
  if (cacheable && cache->Lookup(word, ids)) return;
  size_t first = ids->size();
  MergeWord(word, scratch, ids);
  if (cacheable) cache->Insert(word, ids->data() + first, ids->size() - first);
}

void BpeModel::MergeWord(std::string_view word, BpeScratch* scratch,
                         std::vector<int32_t>* ids) const {
  std::vector<BpeScratch::Symbol>& symbols = scratch->symbols;
  std::vector<BpeScratch::Candidate>& heap = scratch->heap;
  symbols.clear();
  heap.clear();
  for (unsigned char b : word) {
    int32_t id = byte_ids_[b];
    if (id < 0) continue;
    int32_t index = static_cast<int32_t>(symbols.size());
    symbols.push_back({id, index - 1, index + 1, true});
  }
  if (symbols.empty()) return;
  symbols.back().next = -1;
  const int32_t n = static_cast<int32_t>(symbols.size());
  for (int32_t i = 0; i + 1 < n; ++i) {
    if (const Merge* m = FindMerge(symbols[i].id, symbols[i + 1].id)) {
      heap.push_back({m->rank, i, m->merged_id});
    }
  }
  std::make_heap(heap.begin(), heap.end(), LaterCandidate());
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), LaterCandidate());
    BpeScratch::Candidate top = heap.back();
    heap.pop_back();
    BpeScratch::Symbol& left = symbols[top.pos];
    if (!left.alive || left.next < 0) continue;
    BpeScratch::Symbol& right = symbols[left.next];
    const Merge* m = FindMerge(left.id, right.id);
    if (m == nullptr || m->merged_id != top.merged_id) continue;  // stale candidate
    // Merge `right` into `left`, then queue the two pairs the new symbol forms.
    left.id = top.merged_id;
    right.alive = false;
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = top.pos;
    if (left.prev >= 0) {
      if (const Merge* p = FindMerge(symbols[left.prev].id, left.id)) {
        heap.push_back({p->rank, left.prev, p->merged_id});
        std::push_heap(heap.begin(), heap.end(), LaterCandidate());
      }
    }
    if (left.next >= 0) {
      if (const Merge* q = FindMerge(left.id, symbols[left.next].id)) {
        heap.push_back({q->rank, top.pos, q->merged_id});
        std::push_heap(heap.begin(), heap.end(), LaterCandidate());
      }
    }
  }
  for (int32_t i = 0; i >= 0; i = symbols[i].next) ids->push_back(symbols[i].id);
}

}  // namespace zerorl::tokenizer::internal
