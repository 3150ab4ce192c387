// Weight updates in chunks: the learner splits a version's tensors into WeightUpdate
// messages of about kWeightChunkBytes each (a tensor larger than that is cut into byte
// ranges); a worker feeds the chunks it receives to a WeightAssembler and takes the complete
// tensors once every chunk has arrived.
//
//   // learner (publisher): no tensor bytes are copied
//   ASSIGN_OR_RETURN(std::vector<WeightUpdate> chunks, SplitWeights(version, tensors));
//   for (const WeightUpdate& chunk : chunks) { ASSIGN_OR_RETURN(Frames f, Encode(chunk)); ... }
//
//   // worker: copy each tensor straight into its parameter, no intermediate buffer
//   WeightAssembler assembler;
//   ASSIGN_OR_RETURN(bool complete, assembler.Add(chunk));
//   if (complete) {
//     ASSIGN_OR_RETURN(std::vector<ReceivedTensor> weights, assembler.Take());
//     for (const ReceivedTensor& w : weights) w.CopyTo(ParameterBytes(w.name));
//   }
#ifndef ZERORL_WIRE_WEIGHT_SYNC_H_
#define ZERORL_WIRE_WEIGHT_SYNC_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "wire/messages.h"

namespace zerorl::wire {

struct NamedTensor {
  std::string name;
  config::DType dtype = config::DType::kBFloat16;
  std::vector<int64_t> shape;
  Frame data;  // [prod(shape)] elements of dtype, raw little-endian, contiguous
};

// A tensor as it arrived: its bytes in the pieces they came in, sorted by offset, covering
// every byte exactly once.
struct ReceivedTensor {
  std::string name;
  config::DType dtype = config::DType::kBFloat16;
  std::vector<int64_t> shape;
  uint64_t bytes = 0;                             // numel * dtype size
  std::vector<std::pair<uint64_t, Frame>> pieces;  // (byte offset, bytes)

  // Copies all `bytes` into `destination` (e.g. a contiguous CPU parameter's storage).
  void CopyTo(void* destination) const;
  // The bytes as one Frame: the piece itself when there is one (no copy), else a new buffer.
  Frame Contiguous() const;
};

// Splits `tensors` (names unique, data.size() == numel * dtype size) into chunks of policy
// `version`. Each chunk carries at most `chunk_bytes` of tensor data (> 0, rounded down to
// a multiple of 4); pieces borrow the tensors' memory, which must stay unchanged until the
// chunks and the frames encoded from them are gone. Zero tensors give one empty chunk, so
// a receiver still learns the version. kInvalidArgument on a malformed tensor.
absl::StatusOr<std::vector<WeightUpdate>> SplitWeights(int64_t version,
                                                       const std::vector<NamedTensor>& tensors,
                                                       size_t chunk_bytes = kWeightChunkBytes);

// Collects the chunks of one version. One assembler belongs to one thread.
class WeightAssembler {
 public:
  // Adds a decoded chunk. Returns true when its version is now complete, false while chunks
  // are missing. A chunk of a newer version discards an incomplete older one; a chunk of an
  // older version than the one being assembled, or a chunk index seen before, is ignored
  // (false). kInvalidArgument when the chunk contradicts what came before (another
  // chunk_count, another shape or dtype for a tensor, overlapping bytes) or, once all chunks
  // are in, when a tensor is not fully covered; the assembly is then dropped.
  absl::StatusOr<bool> Add(const WeightUpdate& chunk);

  // The complete version's tensors, in the order they were split, and resets the
  // assembler. Nothing is copied: the pieces share the received frames.
  // kFailedPrecondition while incomplete.
  absl::StatusOr<std::vector<ReceivedTensor>> Take();

  // The version being assembled, or kNoPolicyVersion when none.
  int64_t version() const { return version_; }
  size_t chunks_received() const { return chunks_received_; }
  bool complete() const;

 private:
  struct Entry {
    ReceivedTensor tensor;             // pieces empty until Take()
    uint64_t covered = 0;              // bytes received so far
    std::map<uint64_t, Frame> pieces;  // by byte offset
    uint64_t order = 0;                // (chunk index << 32) | piece index of first sight
  };

  void Reset(int64_t version, uint32_t chunk_count);
  absl::Status AddPiece(const TensorPiece& piece, uint64_t order);

  int64_t version_ = kNoPolicyVersion;
  uint32_t chunk_count_ = 0;
  std::vector<bool> chunk_seen_;  // [chunk_count_]
  size_t chunks_received_ = 0;
  std::map<std::string, Entry> entries_;
};

}  // namespace zerorl::wire

#endif  // ZERORL_WIRE_WEIGHT_SYNC_H_
