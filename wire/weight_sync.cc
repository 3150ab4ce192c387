#include "wire/weight_sync.h"

#include <algorithm>
#include <cstring>
#include <iterator>
#include <memory>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/status.h"
#include "wire/internal/codec.h"

namespace zerorl::wire {
namespace {

// Bounds a chunk's header: ~1k pieces of at most kMaxNameBytes names stay far below
// kMaxHeaderBytes.
constexpr size_t kMaxPiecesPerChunk = 1024;

// numel * dtype size, or an error naming the tensor.
absl::StatusOr<uint64_t> TensorBytes(const std::string& name, config::DType dtype,
                                     const std::vector<int64_t>& shape) {
  if (shape.size() > kMaxTensorRank) {
    return absl::InvalidArgumentError(absl::StrCat("tensor '", name, "': rank ", shape.size(),
                                                   " is over the limit of ", kMaxTensorRank));
  }
  uint64_t bytes = DTypeSize(dtype);
  for (int64_t dim : shape) {
    if (dim < 0 || wire::MulOverflows(bytes, static_cast<uint64_t>(dim), &bytes) ||
        bytes > kMaxTensorBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("tensor '", name, "': shape [", absl::StrJoin(shape, ", "),
                       "] is invalid or over ", kMaxTensorBytes, " bytes"));
    }
  }
  return bytes;
}

// Accumulates pieces into chunks.
class ChunkBuilder {
 public:
  ChunkBuilder(int64_t version, size_t chunk_bytes) : version_(version), limit_(chunk_bytes) {}

  size_t room() const { return limit_ - used_; }
  bool empty() const { return chunks_.empty() || chunks_.back().pieces.empty(); }

  void Add(TensorPiece piece) {
    if (chunks_.empty() || chunks_.back().pieces.size() == kMaxPiecesPerChunk) NewChunk();
    used_ += piece.data.size();
    chunks_.back().pieces.push_back(std::move(piece));
  }
  void NewChunk() {
    WeightUpdate chunk;
    chunk.version = version_;
    chunks_.push_back(std::move(chunk));
    used_ = 0;
  }
  std::vector<WeightUpdate> Finish() {
    if (chunks_.empty()) NewChunk();
    for (size_t i = 0; i < chunks_.size(); ++i) {
      chunks_[i].chunk_index = static_cast<uint32_t>(i);
      chunks_[i].chunk_count = static_cast<uint32_t>(chunks_.size());
    }
    return std::move(chunks_);
  }
  size_t num_chunks() const { return chunks_.size(); }

 private:
  int64_t version_;
  size_t limit_;
  size_t used_ = 0;
  std::vector<WeightUpdate> chunks_;
};

}  // namespace

absl::StatusOr<std::vector<WeightUpdate>> SplitWeights(int64_t version,
                                                       const std::vector<NamedTensor>& tensors,
                                                       size_t chunk_bytes) {
  chunk_bytes -= chunk_bytes % 4;  // every piece stays a whole number of elements
  if (chunk_bytes == 0) return absl::InvalidArgumentError("chunk_bytes must be >= 4");
  if (version < 0) return absl::InvalidArgumentError("version must be >= 0");
  ChunkBuilder builder(version, chunk_bytes);
  std::set<std::string> names;
  for (const NamedTensor& t : tensors) {
    if (t.name.empty() || t.name.size() > wire::kMaxNameBytes || !names.insert(t.name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("tensor name '", t.name, "' is empty, too long or repeated"));
    }
    ASSIGN_OR_RETURN(uint64_t bytes, TensorBytes(t.name, t.dtype, t.shape));
    if (bytes != t.data.size()) {
      return absl::InvalidArgumentError(absl::StrCat("tensor '", t.name, "': shape and dtype make ",
                                                     bytes, " bytes, data has ", t.data.size()));
    }
    // A tensor that fits in a chunk is never cut: it starts a new chunk if need be.
    if (!builder.empty() && (bytes > builder.room() || bytes > chunk_bytes)) builder.NewChunk();
    uint64_t offset = 0;
    do {
      if (offset != 0) builder.NewChunk();
      uint64_t take = std::min<uint64_t>(bytes - offset, builder.room());
      TensorPiece piece{
          t.name, t.dtype, t.shape, offset,
          Frame::Borrow(take == 0 ? nullptr : t.data.data() + offset, take, t.data.owner())};
      builder.Add(std::move(piece));
      offset += take;
    } while (offset < bytes);
  }
  if (builder.num_chunks() > kMaxWeightChunks) {
    return absl::InvalidArgumentError(absl::StrCat(builder.num_chunks(),
                                                   " chunks, over the limit of ", kMaxWeightChunks,
                                                   "; use bigger chunks"));
  }
  return builder.Finish();
}

void WeightAssembler::Reset(int64_t version, uint32_t chunk_count) {
  version_ = version;
  chunk_count_ = chunk_count;
  chunk_seen_.assign(chunk_count, false);
  chunks_received_ = 0;
  entries_.clear();
}

bool WeightAssembler::complete() const {
  return version_ != kNoPolicyVersion && chunks_received_ == chunk_count_;
}

absl::Status WeightAssembler::AddPiece(const TensorPiece& piece, uint64_t order) {
  auto [it, inserted] = entries_.try_emplace(piece.name);
  Entry& e = it->second;
  const std::string where = absl::StrCat("tensor '", piece.name, "'");
  if (inserted) {
    ASSIGN_OR_RETURN(uint64_t bytes, TensorBytes(piece.name, piece.dtype, piece.shape));
    e.tensor = ReceivedTensor{piece.name, piece.dtype, piece.shape, bytes, {}};
    e.order = order;
  } else if (e.tensor.dtype != piece.dtype || e.tensor.shape != piece.shape) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, ": ", config::DTypeName(piece.dtype), " [", absl::StrJoin(piece.shape, ", "),
        "] here, ", config::DTypeName(e.tensor.dtype), " [", absl::StrJoin(e.tensor.shape, ", "),
        "] in an earlier piece"));
  }
  const uint64_t size = piece.data.size();
  const uint64_t bytes = e.tensor.bytes;
  if (piece.offset > bytes || size > bytes - piece.offset || (size == 0 && bytes != 0)) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": piece [", piece.offset, ", +", size,
                                                   ") is empty or outside its ", bytes,
                                                   " bytes"));
  }
  auto next = e.pieces.lower_bound(piece.offset);
  bool overlaps =
      next != e.pieces.end() && next->first < piece.offset + std::max<uint64_t>(size, 1);
  if (next != e.pieces.begin()) {
    auto prev = std::prev(next);
    overlaps |= prev->first + prev->second.size() > piece.offset;
  }
  if (overlaps) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": piece at byte ", piece.offset, " overlaps one received before"));
  }
  e.pieces.emplace(piece.offset, piece.data);
  e.covered += size;
  return absl::OkStatus();
}

absl::StatusOr<bool> WeightAssembler::Add(const WeightUpdate& chunk) {
  if (version_ != kNoPolicyVersion && chunk.version < version_) return false;  // stale
  if (version_ == kNoPolicyVersion || chunk.version > version_) {
    Reset(chunk.version, chunk.chunk_count);
  }
  absl::Status status = absl::OkStatus();
  if (chunk.chunk_count != chunk_count_ || chunk.chunk_index >= chunk_count_) {
    status = absl::InvalidArgumentError(absl::StrCat(
        "chunk ", chunk.chunk_index, " of ", chunk.chunk_count, " does not fit version ", version_,
        " announced with ", chunk_count_, " chunks"));
  } else if (chunk_seen_[chunk.chunk_index]) {
    return complete();  // a repeat: its bytes were checked the first time
  }
  for (size_t i = 0; status.ok() && i < chunk.pieces.size(); ++i) {
    status = AddPiece(chunk.pieces[i], (uint64_t{chunk.chunk_index} << 32) | i);
  }
  if (status.ok()) {
    chunk_seen_[chunk.chunk_index] = true;
    ++chunks_received_;
    for (auto it = entries_.begin(); complete() && it != entries_.end(); ++it) {
      if (it->second.covered != it->second.tensor.bytes) {
        status = absl::InvalidArgumentError(
            absl::StrCat("tensor '", it->first, "': all ", chunk_count_, " chunks are in but only ",
                         it->second.covered, " of its ", it->second.tensor.bytes, " bytes"));
      }
    }
  }
  if (!status.ok()) {
    int64_t version = version_;
    Reset(kNoPolicyVersion, 0);
    return core::Annotate(status, absl::StrCat("weight version ", version));
  }
  return complete();
}

absl::StatusOr<std::vector<ReceivedTensor>> WeightAssembler::Take() {
  if (!complete()) {
    return absl::FailedPreconditionError(absl::StrCat("weight version ", version_,
                                                      " is incomplete: ", chunks_received_, " of ",
                                                      chunk_count_, " chunks"));
  }
  std::vector<Entry*> ordered;
  for (auto& [name, entry] : entries_) ordered.push_back(&entry);
  std::sort(ordered.begin(), ordered.end(),
            [](const Entry* a, const Entry* b) { return a->order < b->order; });
  std::vector<ReceivedTensor> tensors;
  tensors.reserve(ordered.size());
  for (Entry* e : ordered) {
    e->tensor.pieces.assign(e->pieces.begin(), e->pieces.end());
    tensors.push_back(std::move(e->tensor));
  }
  Reset(kNoPolicyVersion, 0);
  return tensors;
}

void ReceivedTensor::CopyTo(void* destination) const {
  for (const auto& [offset, frame] : pieces) {
    if (frame.size() != 0) {
      std::memcpy(static_cast<uint8_t*>(destination) + offset, frame.data(), frame.size());
    }
  }
}

Frame ReceivedTensor::Contiguous() const {
  if (pieces.size() == 1) return pieces[0].second;
  if (bytes == 0) return Frame();
  // Uninitialised: every byte is written by CopyTo.
  std::shared_ptr<uint8_t> buffer(new uint8_t[bytes], std::default_delete<uint8_t[]>());
  CopyTo(buffer.get());
  return Frame::Borrow(buffer.get(), bytes, buffer);
}

}  // namespace zerorl::wire
