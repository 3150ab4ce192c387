// safetensors: Hugging Face's tensor file format, read through mmap and written atomically.
//
// A file is an 8-byte little-endian header length N, N bytes of JSON, then raw little-endian
// tensor data. The JSON maps each tensor name to {"dtype", "shape", "data_offsets": [begin,
// end)} (offsets relative to the end of the header) plus an optional "__metadata__" object of
// strings. A checkpoint too big for one file is split into shards named by
// "model.safetensors.index.json" ({"metadata": {...}, "weight_map": {name: file}}).
//
//   ASSIGN_OR_RETURN(SafetensorsCheckpoint ckpt, ReadSafetensors(model_dir));
//   const torch::Tensor& w = ckpt.tensors.at("model.norm.weight");  // view of the mapping
//   RETURN_IF_ERROR(WriteSafetensors(out_dir + "/model.safetensors", tensors));
//
// Reading validates the whole header before any tensor is touched, so a malformed file is
// refused with kInvalidArgument naming the file and the problem, never read out of bounds.
// Tensors are CPU views of a read-only private mapping (zero-copy; a misaligned tensor is
// copied). Each view keeps the mapping alive; writing into one faults: clone() first.
#ifndef ZERORL_MODEL_SAFETENSORS_H_
#define ZERORL_MODEL_SAFETENSORS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <torch/types.h>

#include "absl/status/statusor.h"

namespace zerorl::model {

// Name -> tensor, sorted by name (the order safetensors stores them in).
using TensorMap = std::map<std::string, torch::Tensor>;

// One tensor's header entry.
struct SafetensorsEntry {
  std::string name;
  std::string dtype;           // safetensors name: "F32", "BF16", "F16", "I64", ...
  std::vector<int64_t> shape;  // may be empty (a scalar)
  uint64_t begin = 0;          // byte offsets into the data section, [begin, end)
  uint64_t end = 0;
};

// The largest header accepted (Hugging Face's own limit).
inline constexpr uint64_t kSafetensorsMaxHeaderBytes = 100'000'000;

// One mapped .safetensors file.
class SafetensorsFile {
 public:
  // Maps `path` read-only and validates its header: the length fits in the file and under
  // kSafetensorsMaxHeaderBytes, the JSON parses to an object, every dtype is known, every
  // shape matches its byte span, no two tensors overlap and none runs past the end of the
  // file. kNotFound if the file is missing; kInvalidArgument "PATH: problem" if malformed.
  static absl::StatusOr<SafetensorsFile> Open(const std::string& path);

  const std::string& path() const { return path_; }
  const std::vector<SafetensorsEntry>& entries() const { return entries_; }  // by name
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  // The entry named `name`, or nullptr.
  const SafetensorsEntry* Find(const std::string& name) const;
  // A CPU tensor of the entry's dtype and shape over the mapped bytes. kNotFound if absent.
  absl::StatusOr<torch::Tensor> Tensor(const std::string& name) const;
  // Every tensor, by name.
  TensorMap Tensors() const;

 private:
  struct Mapping;
  SafetensorsFile() = default;
  torch::Tensor View(const SafetensorsEntry& entry) const;

  std::string path_;
  std::shared_ptr<const Mapping> mapping_;  // shared with every tensor view
  uint64_t data_offset_ = 0;                // 8 + header length
  std::vector<SafetensorsEntry> entries_;
  std::map<std::string, std::string> metadata_;
};

// Every tensor of a checkpoint.
struct SafetensorsCheckpoint {
  TensorMap tensors;                           // CPU views, by name
  std::map<std::string, std::string> metadata;  // "__metadata__" of the (first) file
  std::vector<std::string> files;               // the files read, in order
};

// Reads `path`: a .safetensors file; a folder holding model.safetensors.index.json (every
// shard it names, each opened once) or model.safetensors; or an index .json file itself.
// Errors name the file: kNotFound for a missing folder/file/shard, kInvalidArgument for a
// malformed file or index (a tensor listed in the index but absent from its shard, a shard
// tensor the index does not list or maps elsewhere, a tensor in two shards, a shard path that
// leaves the folder).
absl::StatusOr<SafetensorsCheckpoint> ReadSafetensors(const std::string& path);

// The safetensors dtype name of `dtype` ("F32", "BF16", ...), or "" if it has none.
std::string SafetensorsDtypeName(torch::ScalarType dtype);

// Writes `tensors` (any device; each is copied to contiguous CPU memory one at a time) to
// `path` the way Hugging Face's safetensors does: compact JSON header with "__metadata__"
// first, tensors in name order and contiguous, the header padded with spaces to a multiple of
// 8 bytes. Written to a temporary file and renamed, so readers never see half a file.
// kInvalidArgument for a dtype safetensors lacks; kUnavailable for I/O errors.
absl::Status WriteSafetensors(const std::string& path, const TensorMap& tensors,
                              const std::map<std::string, std::string>& metadata = {
                                  {"format", "pt"}});

// Writes `tensors` into folder `dir` (created if missing) as Hugging Face's save_pretrained
// does: one "model.safetensors" when the data fits in `max_shard_bytes`, else shards
// "model-00001-of-0000N.safetensors" of at most that size (a bigger tensor gets a shard of
// its own) plus "model.safetensors.index.json". Returns the file names written.
absl::StatusOr<std::vector<std::string>> WriteSafetensorsSharded(
    const std::string& dir, const TensorMap& tensors, uint64_t max_shard_bytes,
    const std::map<std::string, std::string>& metadata = {{"format", "pt"}});

}  // namespace zerorl::model

#endif  // ZERORL_MODEL_SAFETENSORS_H_
