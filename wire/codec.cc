#include "wire/internal/codec.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "core/status.h"
#include "rapidjson/error/en.h"

namespace zerorl::wire {
namespace {

constexpr unsigned kHeaderParseFlags = rapidjson::kParseIterativeFlag |  // no recursion
                                       rapidjson::kParseValidateEncodingFlag |
                                       rapidjson::kParseNanAndInfFlag |
                                       rapidjson::kParseFullPrecisionFlag;  // doubles exact

// "a string", "an array", or the number itself: what an error says it got.
std::string Describe(const rapidjson::Value& v) {
  if (v.IsNull()) return "null";
  if (v.IsBool()) return "a boolean";
  if (v.IsObject()) return "an object";
  if (v.IsArray()) return "an array";
  if (v.IsString()) return "a string";
  if (v.IsUint64()) return std::to_string(v.GetUint64());
  if (v.IsInt64()) return std::to_string(v.GetInt64());
  return absl::StrCat(v.GetDouble());
}

}  // namespace

std::string Quote(absl::string_view text) {
  std::string out = "'";
  for (size_t i = 0; i < text.size() && i < 64; ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    out.push_back(c < 0x20 || c == 0x7F ? '?' : static_cast<char>(c));
  }
  if (text.size() > 64) out += "...";
  return out + "'";
}

absl::Status Invalid(absl::string_view what, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(what, ": ", message));
}

absl::Status CheckCount(MessageType type, absl::string_view what, size_t count, size_t max) {
  if (count <= max) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("encoding ", std::string(MessageTypeName(type)),
                                                 ": ", count, " ", what, ", over the limit of ",
                                                 max));
}

HeaderWriter::HeaderWriter(MessageType type) : type_(type), writer_(buffer_) {
  writer_.StartObject();
  writer_.Key("protocol");
  writer_.Uint(kProtocolVersion);
  writer_.Key("type");
  std::string_view name = MessageTypeName(type);
  writer_.String(name.data(), static_cast<rapidjson::SizeType>(name.size()));
}

void HeaderWriter::String(absl::string_view value, absl::string_view what) {
  if (!writer_.String(value.data(), static_cast<rapidjson::SizeType>(value.size()))) {
    Fail(absl::StrCat(what, ": not valid UTF-8 (send bytes in a frame instead)"));
  }
}

void HeaderWriter::Fail(std::string message) {
  if (error_.empty()) error_ = std::move(message);
}

absl::StatusOr<Frames> HeaderWriter::Finish(Frames payload) {
  writer_.Key("frame_bytes");
  writer_.StartArray();
  for (const Frame& frame : payload) writer_.Uint64(frame.size());
  writer_.EndArray();
  writer_.EndObject();
  std::string type_name(MessageTypeName(type_));
  if (!error_.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("encoding ", type_name, ": ", error_));
  }
  if (buffer_.GetSize() > kMaxHeaderBytes) {
    return absl::InvalidArgumentError(absl::StrCat("encoding ", type_name, ": header has ",
                                                   buffer_.GetSize(), " bytes, over the limit of ",
                                                   kMaxHeaderBytes, "; send smaller batches"));
  }
  if (payload.size() + 1 > kMaxFrames) {
    return absl::InvalidArgumentError(absl::StrCat("encoding ", type_name, ": ", payload.size() + 1,
                                                   " frames, over the limit of ", kMaxFrames));
  }
  Frames frames;
  frames.reserve(payload.size() + 1);
  frames.push_back(Frame::FromString(std::string(buffer_.GetString(), buffer_.GetSize())));
  for (Frame& frame : payload) frames.push_back(std::move(frame));
  return frames;
}

absl::StatusOr<Header> ParseHeader(const Frames& frames) {
  if (frames.empty()) return absl::InvalidArgumentError("empty message (no frames)");
  if (frames.size() > kMaxFrames) {
    return Invalid("message",
                   absl::StrCat(frames.size(), " frames, over the limit of ", kMaxFrames));
  }
  const Frame& head = frames[0];
  if (head.size() > kMaxHeaderBytes) {
    return Invalid("header",
                   absl::StrCat(head.size(), " bytes, over the limit of ", kMaxHeaderBytes));
  }
  Header header;
  header.doc.Parse<kHeaderParseFlags>(reinterpret_cast<const char*>(head.data()), head.size());
  if (header.doc.HasParseError()) {
    return Invalid("header", absl::StrCat("not JSON (",
                                          rapidjson::GetParseError_En(header.doc.GetParseError()),
                                          " at byte ", header.doc.GetErrorOffset(), ")"));
  }
  if (!header.doc.IsObject()) {
    return Invalid("header", "must be a JSON object, got " + Describe(header.doc));
  }
  auto protocol = header.doc.FindMember("protocol");
  if (protocol == header.doc.MemberEnd() || !protocol->value.IsUint()) {
    return Invalid("header", "no \"protocol\" version (not a zerorl peer?)");
  }
  if (protocol->value.GetUint() != kProtocolVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat("peer speaks zerorl protocol version ", protocol->value.GetUint(),
                     ", this process speaks version ", kProtocolVersion,
                     ": run the same zerorl build on every node"));
  }
  auto type = header.doc.FindMember("type");
  if (type == header.doc.MemberEnd() || !type->value.IsString()) {
    return Invalid("header", "no \"type\" string");
  }
  std::string_view type_name(type->value.GetString(), type->value.GetStringLength());
  if (!ParseMessageType(type_name, &header.type)) {
    return Invalid("header", "unknown message type " +
                                 Quote(absl::string_view(type_name.data(), type_name.size())));
  }
  auto sizes = header.doc.FindMember("frame_bytes");
  if (sizes == header.doc.MemberEnd() || !sizes->value.IsArray()) {
    return Invalid("header", "no \"frame_bytes\" array");
  }
  const rapidjson::Value& table = sizes->value;
  if (table.Size() != frames.size() - 1) {
    return Invalid("header", absl::StrCat("frame_bytes lists ", table.Size(),
                                          " frames after the header, the message has ",
                                          frames.size() - 1, " (truncated?)"));
  }
  for (size_t i = 0; i < table.Size(); ++i) {
    if (!table[i].IsUint64() || table[i].GetUint64() != frames[i + 1].size()) {
      return Invalid("header", absl::StrCat("frame ", i + 1, " has ", frames[i + 1].size(),
                                            " bytes, frame_bytes says ", Describe(table[i])));
    }
  }
  return header;
}

absl::StatusOr<JsonFields> JsonFields::Of(const rapidjson::Value& value, absl::string_view path,
                                          size_t index) {
  JsonFields fields(value, path, index);
  if (!value.IsObject()) return fields.Error("", "must be a JSON object, got " + Describe(value));
  return fields;
}

std::string JsonFields::Path(absl::string_view key) const {
  std::string path = path_;
  if (index_ != kNoIndex) absl::StrAppend(&path, "[", index_, "]");
  if (!key.empty()) absl::StrAppend(&path, path.empty() ? "" : ".", key);
  return path;
}

absl::Status JsonFields::Error(absl::string_view key, absl::string_view what) const {
  std::string path = Path(key);
  if (path.empty()) return absl::InvalidArgumentError(std::string(what));
  return Invalid(path, what);
}

absl::StatusOr<const rapidjson::Value*> JsonFields::Find(const char* key) {
  auto it = object_->FindMember(key);
  if (it == object_->MemberEnd()) return Error(key, "missing");
  read_.push_back(key);
  return &it->value;
}

void JsonFields::Skip(const char* key) { read_.push_back(key); }

absl::Status JsonFields::Uint64(const char* key, uint64_t* out, uint64_t max) {
  ASSIGN_OR_RETURN(const rapidjson::Value* v, Find(key));
  if (!v->IsUint64() || v->GetUint64() > max) {
    return Error(key, absl::StrCat("must be an integer in [0, ", max, "], got ", Describe(*v)));
  }
  *out = v->GetUint64();
  return absl::OkStatus();
}

absl::Status JsonFields::Uint32(const char* key, uint32_t* out, uint32_t max) {
  uint64_t wide = 0;
  RETURN_IF_ERROR(Uint64(key, &wide, max));
  *out = static_cast<uint32_t>(wide);
  return absl::OkStatus();
}

absl::Status JsonFields::Int64(const char* key, int64_t* out, int64_t min, int64_t max) {
  ASSIGN_OR_RETURN(const rapidjson::Value* v, Find(key));
  if (!v->IsInt64() || v->GetInt64() < min || v->GetInt64() > max) {
    return Error(key,
                 absl::StrCat("must be an integer in [", min, ", ", max, "], got ", Describe(*v)));
  }
  *out = v->GetInt64();
  return absl::OkStatus();
}

absl::Status JsonFields::Int32(const char* key, int32_t* out, int32_t min, int32_t max) {
  int64_t wide = 0;
  RETURN_IF_ERROR(Int64(key, &wide, min, max));
  *out = static_cast<int32_t>(wide);
  return absl::OkStatus();
}

absl::Status JsonFields::Int(const char* key, int* out, int min, int max) {
  int64_t wide = 0;
  RETURN_IF_ERROR(Int64(key, &wide, min, max));
  *out = static_cast<int>(wide);
  return absl::OkStatus();
}

absl::Status JsonFields::Double(const char* key, double* out) {
  ASSIGN_OR_RETURN(const rapidjson::Value* v, Find(key));
  if (!v->IsNumber()) return Error(key, "must be a number, got " + Describe(*v));
  *out = v->GetDouble();
  return absl::OkStatus();
}

absl::Status JsonFields::FiniteDouble(const char* key, double* out, double min, double max) {
  double value = 0;
  RETURN_IF_ERROR(Double(key, &value));
  if (!std::isfinite(value) || value < min || value > max) {
    return Error(key,
                 absl::StrCat("must be a finite number in [", min, ", ", max, "], got ", value));
  }
  *out = value;
  return absl::OkStatus();
}

absl::Status JsonFields::String(const char* key, std::string* out, size_t max_bytes) {
  ASSIGN_OR_RETURN(const rapidjson::Value* v, Find(key));
  if (!v->IsString()) return Error(key, "must be a string, got " + Describe(*v));
  if (v->GetStringLength() > max_bytes) {
    return Error(
        key, absl::StrCat("has ", v->GetStringLength(), " bytes, over the limit of ", max_bytes));
  }
  out->assign(v->GetString(), v->GetStringLength());
  return absl::OkStatus();
}

absl::Status JsonFields::Array(const char* key, const rapidjson::Value** out, size_t max_size) {
  ASSIGN_OR_RETURN(const rapidjson::Value* v, Find(key));
  if (!v->IsArray()) return Error(key, "must be an array, got " + Describe(*v));
  if (v->Size() > max_size) {
    return Error(key, absl::StrCat("has ", v->Size(), " elements, over the limit of ", max_size));
  }
  *out = v;
  return absl::OkStatus();
}

absl::Status JsonFields::Object(const char* key, const rapidjson::Value** out, size_t max_members) {
  ASSIGN_OR_RETURN(const rapidjson::Value* v, Find(key));
  if (!v->IsObject()) return Error(key, "must be an object, got " + Describe(*v));
  if (v->MemberCount() > max_members) {
    return Error(
        key, absl::StrCat("has ", v->MemberCount(), " members, over the limit of ", max_members));
  }
  *out = v;
  return absl::OkStatus();
}

absl::Status JsonFields::Finish() const {
  if (object_->MemberCount() == read_.size()) return absl::OkStatus();
  std::vector<absl::string_view> seen;
  for (auto it = object_->MemberBegin(); it != object_->MemberEnd(); ++it) {
    absl::string_view name(it->name.GetString(), it->name.GetStringLength());
    if (std::find(read_.begin(), read_.end(), name) == read_.end()) {
      return Error("", "unknown key " + Quote(name));
    }
    if (std::find(seen.begin(), seen.end(), name) != seen.end()) {
      return Error("", "key " + Quote(name) + " appears more than once");
    }
    seen.push_back(name);
  }
  return absl::OkStatus();
}

absl::Status ReadUint64Array(const rapidjson::Value& array, absl::string_view path,
                             std::vector<uint64_t>* out) {
  out->clear();
  out->reserve(array.Size());
  for (size_t i = 0; i < array.Size(); ++i) {
    if (!array[i].IsUint64()) {
      return Invalid(absl::StrCat(path, "[", i, "]"),
                     "must be an unsigned integer, got " + Describe(array[i]));
    }
    out->push_back(array[i].GetUint64());
  }
  return absl::OkStatus();
}

absl::Status ReadStringArray(const rapidjson::Value& array, absl::string_view path,
                             size_t max_bytes, std::vector<std::string>* out) {
  out->clear();
  out->reserve(array.Size());
  for (size_t i = 0; i < array.Size(); ++i) {
    if (!array[i].IsString() || array[i].GetStringLength() > max_bytes) {
      return Invalid(absl::StrCat(path, "[", i, "]"),
                     absl::StrCat("must be a string of at most ", max_bytes, " bytes, got ",
                                  Describe(array[i])));
    }
    out->emplace_back(array[i].GetString(), array[i].GetStringLength());
  }
  return absl::OkStatus();
}

absl::Status FrameCursor::Check(const std::vector<uint64_t>& lengths) const {
  uint64_t total = 0;
  for (uint64_t length : lengths) {
    if (AddOverflows(total, length, &total)) {
      return Invalid(what_, "the header's lengths overflow 64 bits");
    }
  }
  uint64_t bytes = 0;
  if (MulOverflows(total, element_size_, &bytes) || bytes != frame_.size()) {
    return Invalid(what_, absl::StrCat("the header's lengths add up to ", total, " x ",
                                       element_size_, " bytes, the frame has ", frame_.size()));
  }
  return absl::OkStatus();
}

}  // namespace zerorl::wire
