// Internal to wire/messages.cc and wire/weight_sync.cc: the pieces every message codec is
// made of. A HeaderWriter writes frame 0; JsonFields reads one JSON object strictly (every
// key required, read exactly once, with range checks); FrameCursor walks a concatenated
// frame whose per-item lengths the header gave. Not a public API.
#ifndef ZERORL_WIRE_INTERNAL_CODEC_H_
#define ZERORL_WIRE_INTERNAL_CODEC_H_

#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rapidjson/document.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"
#include "wire/frame.h"
#include "wire/protocol.h"

namespace zerorl::wire {

// Writes the JSON header of one message. Strings must be UTF-8 and non-finite doubles are
// written as NaN/Infinity (the decoder accepts them); the first problem is kept and
// returned by Finish().
class HeaderWriter {
 public:
  explicit HeaderWriter(MessageType type);

  void Key(const char* key) { writer_.Key(key); }
  void Uint64(uint64_t v) { writer_.Uint64(v); }
  void Int64(int64_t v) { writer_.Int64(v); }
  void Double(double v) { writer_.Double(v); }
  // `what` names the field in the error when `value` is not valid UTF-8.
  void String(absl::string_view value, absl::string_view what);
  // "key": value members.
  void PutUint(const char* key, uint64_t v) {
    Key(key);
    Uint64(v);
  }
  void PutInt(const char* key, int64_t v) {
    Key(key);
    Int64(v);
  }
  void PutDouble(const char* key, double v) {
    Key(key);
    Double(v);
  }
  void PutString(const char* key, absl::string_view v) {
    Key(key);
    String(v, key);
  }
  void StartObject() { writer_.StartObject(); }
  void EndObject() { writer_.EndObject(); }
  void StartArray() { writer_.StartArray(); }
  void EndArray() { writer_.EndArray(); }

  // Records an encoding error (the first one wins).
  void Fail(std::string message);

  // Closes the header with "frame_bytes" for `payload` and returns header + payload.
  absl::StatusOr<Frames> Finish(Frames payload);

 private:
  using Writer =
      rapidjson::Writer<rapidjson::StringBuffer, rapidjson::UTF8<>, rapidjson::UTF8<>,
                        rapidjson::CrtAllocator,
                        rapidjson::kWriteValidateEncodingFlag | rapidjson::kWriteNanAndInfFlag>;
  MessageType type_;
  rapidjson::StringBuffer buffer_;
  Writer writer_;
  std::string error_;
};

// A parsed header: the document, and the message type it declares.
struct Header {
  rapidjson::Document doc;
  MessageType type = MessageType::kHello;
};

// Parses and checks frame 0 and the frame table: size limits, JSON, protocol version,
// type, and "frame_bytes" against the actual sizes of frames 1..N.
absl::StatusOr<Header> ParseHeader(const Frames& frames);

// Strict reader of one JSON object. `path` prefixes field names in errors ("completions"
// and index 3 make "completions[3].tokens"); pass index = kNoIndex for a plain path.
class JsonFields {
 public:
  static constexpr size_t kNoIndex = std::numeric_limits<size_t>::max();

  // Fails (kInvalidArgument) when `value` is not an object.
  static absl::StatusOr<JsonFields> Of(const rapidjson::Value& value, absl::string_view path,
                                       size_t index = kNoIndex);

  absl::Status Uint64(const char* key, uint64_t* out, uint64_t max = UINT64_MAX);
  absl::Status Uint32(const char* key, uint32_t* out, uint32_t max = UINT32_MAX);
  absl::Status Int64(const char* key, int64_t* out, int64_t min, int64_t max);
  absl::Status Int32(const char* key, int32_t* out, int32_t min, int32_t max);
  absl::Status Int(const char* key, int* out, int min, int max);
  // Any JSON number, NaN and infinities included.
  absl::Status Double(const char* key, double* out);
  // A finite number in [min, max].
  absl::Status FiniteDouble(const char* key, double* out, double min, double max);
  absl::Status String(const char* key, std::string* out, size_t max_bytes = kMaxHeaderBytes);
  // An array of at most `max_size` elements; `*out` points into the document.
  absl::Status Array(const char* key, const rapidjson::Value** out, size_t max_size);
  absl::Status Object(const char* key, const rapidjson::Value** out, size_t max_members);
  // Marks `key` as read without reading it (ParseHeader has checked it).
  void Skip(const char* key);

  // Every member was read, none is unknown or repeated.
  absl::Status Finish() const;

  // "completions[3].tokens" for key "tokens".
  std::string Path(absl::string_view key) const;

 private:
  JsonFields(const rapidjson::Value& object, absl::string_view path, size_t index)
      : object_(&object), path_(path), index_(index) {}
  // The member `key`, or an error naming it as missing.
  absl::StatusOr<const rapidjson::Value*> Find(const char* key);
  absl::Status Error(absl::string_view key, absl::string_view what) const;

  const rapidjson::Value* object_;
  std::string path_;
  size_t index_;
  std::vector<absl::string_view> read_;
};

// Elements of type T, one per array element of `array` (already bounded by the caller).
absl::Status ReadUint64Array(const rapidjson::Value& array, absl::string_view path,
                             std::vector<uint64_t>* out);
absl::Status ReadStringArray(const rapidjson::Value& array, absl::string_view path,
                             size_t max_bytes, std::vector<std::string>* out);

// a + b and a * b with overflow reported as false.
inline bool AddOverflows(uint64_t a, uint64_t b, uint64_t* sum) {
  return __builtin_add_overflow(a, b, sum);
}
inline bool MulOverflows(uint64_t a, uint64_t b, uint64_t* product) {
  return __builtin_mul_overflow(a, b, product);
}

// Walks a concatenated frame of fixed-size elements. Check() first proves that the per-item
// lengths add up to exactly the frame's size; Take*() then cannot run past the end.
class FrameCursor {
 public:
  FrameCursor(const Frame& frame, size_t element_size, absl::string_view what)
      : frame_(frame), element_size_(element_size), what_(what) {}

  // `lengths` (in elements) must sum, without overflow, to exactly the frame's size.
  absl::Status Check(const std::vector<uint64_t>& lengths) const;

  template <typename T>
  void TakeArray(uint64_t count, std::vector<T>* out) {
    out->resize(count);
    if (count != 0) std::memcpy(out->data(), frame_.data() + offset_, count * sizeof(T));
    offset_ += count * sizeof(T);
  }
  template <typename T>
  T Take() {
    T value;
    std::memcpy(&value, frame_.data() + offset_, sizeof(T));
    offset_ += sizeof(T);
    return value;
  }
  void TakeString(uint64_t bytes, std::string* out) {
    out->assign(reinterpret_cast<const char*>(frame_.data()) + offset_, bytes);
    offset_ += bytes;
  }

 private:
  const Frame& frame_;
  size_t element_size_;
  absl::string_view what_;
  size_t offset_ = 0;
};

// Appends `count` elements of T to `out` as raw bytes.
template <typename T>
void AppendRaw(const T* data, size_t count, std::string* out) {
  out->append(reinterpret_cast<const char*>(data), count * sizeof(T));
}

// Names, ids and reasons in a header are at most this long.
inline constexpr size_t kMaxNameBytes = 4096;

// A peer-chosen string made safe for an error message: quoted, at most 64 bytes, control
// bytes replaced by '?'.
std::string Quote(absl::string_view text);

// OK when `count` <= `max`, else kInvalidArgument "encoding <type>: <count> <what>, over
// the limit of <max>". Encoders check counts before writing anything.
absl::Status CheckCount(MessageType type, absl::string_view what, size_t count, size_t max);

// kInvalidArgument "<what>: <message>".
absl::Status Invalid(absl::string_view what, absl::string_view message);

}  // namespace zerorl::wire

#endif  // ZERORL_WIRE_INTERNAL_CODEC_H_
