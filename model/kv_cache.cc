#include "model/kv_cache.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace zerorl::model {

KvCache::KvCache(const ModelArchConfig& config, const KvCacheOptions& options,
                 const torch::TensorOptions& tensor_options) {
  TORCH_CHECK(options.num_slots > 0 && options.capacity > 0,
              "KvCache: num_slots and capacity must be positive");
  std::vector<int64_t> shape = {config.num_hidden_layers, options.num_slots,
                                config.num_key_value_heads, options.capacity, config.head_dim};
  keys_ = torch::zeros(shape, tensor_options);
  values_ = torch::zeros(shape, tensor_options);
}

void KvCache::CopyPrefix(int64_t src, const std::vector<int64_t>& dst, int64_t length) {
  TORCH_CHECK(src >= 0 && src < num_slots(), "CopyPrefix: source slot ", src, " out of range");
  TORCH_CHECK(length >= 0 && length <= capacity(), "CopyPrefix: length ", length,
              " outside [0, ", capacity(), "]");
  if (length == 0) return;
  torch::Tensor src_keys = keys_.select(1, src).narrow(2, 0, length);
  torch::Tensor src_values = values_.select(1, src).narrow(2, 0, length);
  for (int64_t slot : dst) {
    TORCH_CHECK(slot >= 0 && slot < num_slots() && slot != src, "CopyPrefix: bad target slot ",
                slot);
    keys_.select(1, slot).narrow(2, 0, length).copy_(src_keys);
    values_.select(1, slot).narrow(2, 0, length).copy_(src_values);
  }
}

int64_t KvCache::BytesPerToken(const ModelArchConfig& config, torch::ScalarType dtype) {
  return 2 * config.num_hidden_layers * config.num_key_value_heads * config.head_dim *
         static_cast<int64_t>(c10::elementSize(dtype));
}

absl::Status CheckKvBatch(const KvBatch& batch, const KvCache& cache) {
  int64_t rows = batch.rows();
  if (!batch.tokens.defined() || batch.tokens.dim() != 2 || batch.tokens.size(0) != rows ||
      rows == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("KvBatch: tokens must be [B, T] with B = slots.size() = ", rows, " > 0"));
  }
  if (batch.tokens.scalar_type() != torch::kLong) {
    return absl::InvalidArgumentError("KvBatch: tokens must be int64");
  }
  int64_t width = batch.tokens.size(1);
  if (static_cast<int64_t>(batch.start.size()) != rows ||
      static_cast<int64_t>(batch.num_new.size()) != rows ||
      (!batch.num_logits.empty() && static_cast<int64_t>(batch.num_logits.size()) != rows)) {
    return absl::InvalidArgumentError(
        "KvBatch: slots, start, num_new (and num_logits when set) must have one entry per row");
  }
  std::vector<int64_t> sorted = batch.slots;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t b = 0; b < rows; ++b) {
    std::string row = absl::StrCat("KvBatch row ", b, ": ");
    if (batch.slots[b] < 0 || batch.slots[b] >= cache.num_slots()) {
      return absl::InvalidArgumentError(absl::StrCat(row, "slot ", batch.slots[b],
                                                     " outside [0, ", cache.num_slots(), ")"));
    }
    if (b > 0 && sorted[b] == sorted[b - 1]) {
      return absl::InvalidArgumentError(absl::StrCat("KvBatch: slot ", sorted[b], " used twice"));
    }
    if (batch.num_new[b] < 1 || batch.num_new[b] > width) {
      return absl::InvalidArgumentError(
          absl::StrCat(row, "num_new ", batch.num_new[b], " outside [1, ", width, "]"));
    }
    if (batch.start[b] < 0 || batch.start[b] + batch.num_new[b] > cache.capacity()) {
      return absl::InvalidArgumentError(
          absl::StrCat(row, "start ", batch.start[b], " + num_new ", batch.num_new[b],
                       " exceeds the slot capacity ", cache.capacity()));
    }
    int64_t logits = batch.num_logits.empty() ? 1 : batch.num_logits[b];
    if (logits < 0 || logits > batch.num_new[b]) {
      return absl::InvalidArgumentError(
          absl::StrCat(row, "num_logits ", logits, " outside [0, num_new]"));
    }
  }
  return absl::OkStatus();
}

}  // namespace zerorl::model
