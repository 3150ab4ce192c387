// Frame: the bytes of one part of a multipart message, and whatever keeps them alive.
//
// A Frame is a (pointer, size) view plus a shared owner, so it is cheap to copy and can
// point into memory someone else owns (a received ZeroMQ message, the learner's weight
// snapshot) without copying it:
//
//   Frame a = Frame::FromString(header_json);             // owns its bytes
//   Frame b = Frame::Borrow(ptr, bytes, snapshot_owner);  // zero-copy view
//
// Borrowed memory must stay valid and unchanged while any Frame made from it, or any
// ZeroMQ message the transport made from such a Frame, is alive: the owner is released only
// after the last of them. Sends in wire/transport.h are zero-copy for frames of
// kZeroCopyMinBytes and more.
#ifndef ZERORL_WIRE_FRAME_H_
#define ZERORL_WIRE_FRAME_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace zerorl::wire {

class Frame {
 public:
  Frame() = default;  // empty

  // Takes ownership of `bytes`.
  static Frame FromString(std::string bytes) {
    auto owned = std::make_shared<std::string>(std::move(bytes));
    const uint8_t* data = reinterpret_cast<const uint8_t*>(owned->data());
    size_t size = owned->size();
    return Frame(data, size, std::move(owned));
  }
  // Copies `size` bytes from `data`.
  static Frame Copy(const void* data, size_t size) {
    return FromString(std::string(static_cast<const char*>(data), size));
  }
  // A view of `size` bytes at `data`, kept alive by `owner` (see the contract above).
  static Frame Borrow(const void* data, size_t size, std::shared_ptr<const void> owner) {
    return Frame(static_cast<const uint8_t*>(data), size, std::move(owner));
  }

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::string_view view() const {
    return std::string_view(reinterpret_cast<const char*>(data_), size_);
  }
  const std::shared_ptr<const void>& owner() const { return owner_; }

 private:
  Frame(const uint8_t* data, size_t size, std::shared_ptr<const void> owner)
      : data_(size == 0 ? nullptr : data), size_(size), owner_(std::move(owner)) {}

  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  std::shared_ptr<const void> owner_;
};

using Frames = std::vector<Frame>;

}  // namespace zerorl::wire

#endif  // ZERORL_WIRE_FRAME_H_
