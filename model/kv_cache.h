// KV-cache storage and the batch type of the incremental forward (CausalLM::ForwardCached).
//
// The cache is dumb storage laid out by slot: for every layer, keys and values of shape
// [num_slots, num_key_value_heads, capacity, head_dim] in the generation dtype. A slot holds
// one sequence; which tokens a slot holds, and how many, is the caller's bookkeeping (the
// rollout engine's scheduler and slot allocator): the model only writes where a KvBatch says
// and reads each row's prefix [0, start + num_new). Nothing is evicted or moved implicitly.
//
//   KvCache cache(model->config(), {.num_slots = 8, .capacity = 1024}, model->tensor_options());
//   // Prefill: one row per prompt, logits only for each prompt's last token.
//   KvBatch prefill = {tokens /*[B, T]*/, slots, /*start=*/{0, 0}, /*num_new=*/lengths, {}};
//   torch::Tensor logits = model->ForwardCached(prefill, &cache);   // [B, V] float32
//   // GRPO group: share the prompt of slot 0 with slots 1..7, then decode all 8 together.
//   cache.CopyPrefix(0, {1, 2, 3, 4, 5, 6, 7}, prompt_length);
//   KvBatch step = {next /*[8, 1]*/, {0, ..., 7}, {len, ..., len}, {1, ..., 1}, {}};
//
// Thread-safety: none; one engine thread owns a cache and the model forward that uses it.
#ifndef ZERORL_MODEL_KV_CACHE_H_
#define ZERORL_MODEL_KV_CACHE_H_

#include <cstdint>
#include <vector>

#include <torch/types.h>

#include "absl/status/status.h"
#include "model/hf_config.h"

namespace zerorl::model {

struct KvCacheOptions {
  int64_t num_slots = 1;    // sequences held at once (engine batch size)
  int64_t capacity = 2048;  // tokens per slot: prompt + completion. Memory is
                            // num_slots * capacity * BytesPerToken(); nothing is paged.
};

class KvCache {
 public:
  // Zero-filled storage for `config`'s layers, in `tensor_options`' dtype and device (use the
  // model's: CausalLM::tensor_options()).
  KvCache(const ModelArchConfig& config, const KvCacheOptions& options,
          const torch::TensorOptions& tensor_options);

  int64_t num_layers() const { return keys_.size(0); }
  int64_t num_slots() const { return keys_.size(1); }
  int64_t num_kv_heads() const { return keys_.size(2); }
  int64_t capacity() const { return keys_.size(3); }
  int64_t head_dim() const { return keys_.size(4); }

  // One layer's storage: [num_slots, num_kv_heads, capacity, head_dim] (a view; contiguous).
  torch::Tensor keys(int64_t layer) const { return keys_[layer]; }
  torch::Tensor values(int64_t layer) const { return values_[layer]; }

  // Copies positions [0, length) of slot `src` into each slot in `dst` (all layers), e.g. a
  // prompt prefilled once into the other G-1 slots of its GRPO group. Positions >= length in
  // `dst` keep whatever they held. Slots must be in range and `dst` must not contain `src`
  // (TORCH_CHECK).
  void CopyPrefix(int64_t src, const std::vector<int64_t>& dst, int64_t length);

  int64_t bytes() const { return 2 * keys_.numel() * keys_.element_size(); }
  // Bytes one cached token takes over all layers (keys and values).
  static int64_t BytesPerToken(const ModelArchConfig& config, torch::ScalarType dtype);

 private:
  torch::Tensor keys_;    // [num_layers, num_slots, num_kv_heads, capacity, head_dim]
  torch::Tensor values_;  // [num_layers, num_slots, num_kv_heads, capacity, head_dim]
};

// New tokens for B cache rows (prefill, decode, or a mix), llama.cpp-style plain data. Row b
// appends tokens[b, 0:num_new[b]] to slot slots[b] at positions start[b] ... start[b] +
// num_new[b] - 1 (RoPE positions too) and attends causally over that slot's positions
// [0, start[b] + num_new[b]).
struct KvBatch {
  torch::Tensor tokens;             // [B, T] int64, any device; entries past num_new[b] ignored
  std::vector<int64_t> slots;       // [B] distinct slots in [0, num_slots)
  std::vector<int64_t> start;       // [B] tokens already cached in the slot, >= 0
  std::vector<int64_t> num_new;     // [B] in [1, T]; start + num_new <= capacity
  // [B] in [0, num_new[b]]: how many of the row's last new tokens get logits (1 = next-token
  // logits only, the usual prefill/decode request; num_new[b] = every position, e.g. scoring).
  // Empty means 1 for every row.
  std::vector<int64_t> num_logits;

  int64_t rows() const { return static_cast<int64_t>(slots.size()); }
};

// kInvalidArgument naming the row and field when `batch` does not fit `cache` (sizes, ranges,
// duplicate slots, capacity). ForwardCached checks the same (TORCH_CHECK).
absl::Status CheckKvBatch(const KvBatch& batch, const KvCache& cache);

}  // namespace zerorl::model

#endif  // ZERORL_MODEL_KV_CACHE_H_
