// Codecs of the small messages, WeightUpdate, and the dispatch. PromptBatch, Rollouts and
// ScoredGroups are in messages_batches.cc.
#include "wire/messages.h"

#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "core/crc32c.h"
#include "core/status.h"
#include "wire/internal/message_codecs.h"

namespace zerorl::wire {
namespace {

constexpr size_t kMaxRoutingIdBytes = 255;  // ZeroMQ's limit on a routing id

const char* const kWorkerKindNames[] = {"rollout", "reward"};

// Reads an object of string -> T members; `read_value` returns false for a value of the
// wrong type, described by `expected`. Repeated names are refused.
template <typename T, typename ReadValue>
absl::Status ReadMap(JsonFields& fields, const char* key, const char* expected,
                     ReadValue read_value, std::map<std::string, T>* out) {
  const rapidjson::Value* object = nullptr;
  RETURN_IF_ERROR(fields.Object(key, &object, kMaxMapEntries));
  for (auto it = object->MemberBegin(); it != object->MemberEnd(); ++it) {
    std::string name(it->name.GetString(), it->name.GetStringLength());
    T value{};
    const bool ok = read_value(it->value, &value);
    if (!ok || !out->emplace(name, std::move(value)).second) {
      return Invalid(absl::StrCat(fields.Path(key), ".", Quote(name)),
                     ok ? "appears more than once" : expected);
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Frames> EncodeBody(const Hello& m) {
  RETURN_IF_ERROR(
      CheckCount(MessageType::kHello, "capabilities", m.capabilities.size(), kMaxMapEntries));
  HeaderWriter w(MessageType::kHello);
  w.PutString("kind", WorkerKindName(m.kind));
  w.PutString("worker_id", m.worker_id);
  w.PutInt("pid", m.pid);
  w.PutString("hostname", m.hostname);
  w.PutInt("slots", m.slots);
  w.PutInt("policy_version", m.policy_version);
  w.Key("capabilities");
  w.StartObject();
  for (const auto& [name, value] : m.capabilities) {
    w.String(name, "capabilities key");
    w.String(value, "capabilities." + name);
  }
  w.EndObject();
  return w.Finish({});
}

absl::Status DecodeBody(const Frames& frames, JsonFields& top, Hello* m) {
  RETURN_IF_ERROR(ExpectFrames(frames, 1));
  std::string kind;
  RETURN_IF_ERROR(top.String("kind", &kind));
  if (kind == kWorkerKindNames[0]) {
    m->kind = WorkerKind::kRollout;
  } else if (kind == kWorkerKindNames[1]) {
    m->kind = WorkerKind::kReward;
  } else {
    return Invalid("kind", "must be \"rollout\" or \"reward\"");
  }
  RETURN_IF_ERROR(top.String("worker_id", &m->worker_id, kMaxRoutingIdBytes));
  if (m->worker_id.empty()) return Invalid("worker_id", "must not be empty");
  RETURN_IF_ERROR(top.Int64("pid", &m->pid, 0, INT64_MAX));
  RETURN_IF_ERROR(top.String("hostname", &m->hostname, kMaxNameBytes));
  RETURN_IF_ERROR(top.Int32("slots", &m->slots, 1, static_cast<int32_t>(kMaxItems)));
  RETURN_IF_ERROR(top.Int64("policy_version", &m->policy_version, kNoPolicyVersion, INT64_MAX));
  auto read_string = [](const rapidjson::Value& v, std::string* out) {
    if (v.IsString()) out->assign(v.GetString(), v.GetStringLength());
    return v.IsString();
  };
  RETURN_IF_ERROR(
      ReadMap<std::string>(top, "capabilities", "must be a string", read_string, &m->capabilities));
  return top.Finish();
}

absl::StatusOr<Frames> EncodeBody(const Heartbeat& m) {
  HeaderWriter w(MessageType::kHeartbeat);
  w.PutInt("policy_version", m.policy_version);
  return w.Finish({});
}

absl::Status DecodeBody(const Frames& frames, JsonFields& top, Heartbeat* m) {
  RETURN_IF_ERROR(ExpectFrames(frames, 1));
  RETURN_IF_ERROR(top.Int64("policy_version", &m->policy_version, kNoPolicyVersion, INT64_MAX));
  return top.Finish();
}

absl::StatusOr<Frames> EncodeBody(const WeightUpdate& m) {
  RETURN_IF_ERROR(
      CheckCount(MessageType::kWeightUpdate, "pieces", m.pieces.size(), kMaxFrames - 1));
  HeaderWriter w(MessageType::kWeightUpdate);
  w.PutInt("version", m.version);
  w.PutUint("chunk_index", m.chunk_index);
  w.PutUint("chunk_count", m.chunk_count);
  w.Key("pieces");
  w.StartArray();
  Frames payload;
  payload.reserve(m.pieces.size());
  for (const TensorPiece& piece : m.pieces) {
    w.StartObject();
    w.Key("name");
    w.String(piece.name, "pieces[].name");
    w.Key("dtype");
    w.String(config::DTypeName(piece.dtype), "pieces[].dtype");
    w.Key("shape");
    w.StartArray();
    for (int64_t dim : piece.shape) w.Int64(dim);
    w.EndArray();
    w.PutUint("offset", piece.offset);
    w.PutUint("crc32c", core::Crc32c(piece.data.data(), piece.data.size()));
    w.EndObject();
    payload.push_back(piece.data);  // shares the owner: no copy
  }
  w.EndArray();
  return w.Finish(std::move(payload));
}

namespace {

// Reads one piece's header and checks its bytes against shape, dtype and checksum.
absl::Status DecodePiece(const rapidjson::Value& value, size_t index, const Frame& frame,
                         TensorPiece* piece) {
  ASSIGN_OR_RETURN(JsonFields f, JsonFields::Of(value, "pieces", index));
  RETURN_IF_ERROR(f.String("name", &piece->name, kMaxNameBytes));
  if (piece->name.empty()) return Invalid(f.Path("name"), "must not be empty");
  std::string dtype;
  RETURN_IF_ERROR(f.String("dtype", &dtype, kMaxNameBytes));
  if (!ParseDTypeName(dtype, &piece->dtype)) {
    return Invalid(f.Path("dtype"), "must be \"bf16\", \"fp32\" or \"fp16\"");
  }
  const rapidjson::Value* shape = nullptr;
  RETURN_IF_ERROR(f.Array("shape", &shape, kMaxTensorRank));
  uint64_t bytes = DTypeSize(piece->dtype);
  piece->shape.clear();
  for (size_t d = 0; d < shape->Size(); ++d) {
    const rapidjson::Value& dim = (*shape)[d];
    if (!dim.IsInt64() || dim.GetInt64() < 0) {
      return Invalid(absl::StrCat(f.Path("shape"), "[", d, "]"), "must be an integer >= 0");
    }
    piece->shape.push_back(dim.GetInt64());
    if (MulOverflows(bytes, static_cast<uint64_t>(dim.GetInt64()), &bytes) ||
        bytes > kMaxTensorBytes) {
      return Invalid(f.Path("shape"),
                     absl::StrCat("tensor is over the limit of ", kMaxTensorBytes, " bytes"));
    }
  }
  RETURN_IF_ERROR(f.Uint64("offset", &piece->offset, bytes));
  uint32_t crc = 0;
  RETURN_IF_ERROR(f.Uint32("crc32c", &crc));
  RETURN_IF_ERROR(f.Finish());
  uint64_t element = DTypeSize(piece->dtype);
  if (piece->offset % element != 0 || frame.size() % element != 0) {
    return Invalid(f.Path("offset"),
                   absl::StrCat("offset ", piece->offset, " and size ", frame.size(),
                                " must be multiples of ", element, " (", dtype, ")"));
  }
  if (frame.size() > bytes - piece->offset) {
    return Invalid(f.Path("offset"), absl::StrCat("bytes [", piece->offset, ", +", frame.size(),
                                                  ") run past the tensor's ", bytes, " bytes"));
  }
  uint32_t actual = core::Crc32c(frame.data(), frame.size());
  if (actual != crc) {
    return absl::DataLossError(absl::StrCat(f.Path(""), " (", Quote(piece->name), " at byte ",
                                            piece->offset, "): CRC-32C mismatch, header says ", crc,
                                            ", data gives ", actual));
  }
  piece->data = frame;  // shares the received message: no copy
  return absl::OkStatus();
}

}  // namespace

absl::Status DecodeBody(const Frames& frames, JsonFields& top, WeightUpdate* m) {
  RETURN_IF_ERROR(top.Int64("version", &m->version, 0, INT64_MAX));
  RETURN_IF_ERROR(top.Uint32("chunk_count", &m->chunk_count, kMaxWeightChunks));
  if (m->chunk_count == 0) return Invalid("chunk_count", "must be >= 1");
  RETURN_IF_ERROR(top.Uint32("chunk_index", &m->chunk_index, m->chunk_count - 1));
  const rapidjson::Value* pieces = nullptr;
  RETURN_IF_ERROR(top.Array("pieces", &pieces, kMaxFrames - 1));
  RETURN_IF_ERROR(ExpectFrames(frames, pieces->Size() + 1));
  RETURN_IF_ERROR(top.Finish());
  m->pieces.resize(pieces->Size());
  for (size_t i = 0; i < pieces->Size(); ++i) {
    RETURN_IF_ERROR(DecodePiece((*pieces)[i], i, frames[i + 1], &m->pieces[i]));
  }
  return absl::OkStatus();
}

absl::StatusOr<Frames> EncodeBody(const Metrics& m) {
  RETURN_IF_ERROR(CheckCount(MessageType::kMetrics, "values", m.values.size(), kMaxMapEntries));
  HeaderWriter w(MessageType::kMetrics);
  w.Key("values");
  w.StartObject();
  for (const auto& [name, value] : m.values) {
    w.String(name, "values key");
    w.Double(value);
  }
  w.EndObject();
  return w.Finish({});
}

absl::Status DecodeBody(const Frames& frames, JsonFields& top, Metrics* m) {
  RETURN_IF_ERROR(ExpectFrames(frames, 1));
  auto read_number = [](const rapidjson::Value& v, double* out) {
    if (!v.IsNumber()) return false;
    // One NaN: "-NaN" parses with the sign bit set but is written back as "NaN".
    *out = std::isnan(v.GetDouble()) ? std::numeric_limits<double>::quiet_NaN() : v.GetDouble();
    return true;
  };
  RETURN_IF_ERROR(ReadMap<double>(top, "values", "must be a number", read_number, &m->values));
  return top.Finish();
}

absl::StatusOr<Frames> EncodeBody(const Shutdown& m) {
  HeaderWriter w(MessageType::kShutdown);
  w.PutString("reason", m.reason);
  return w.Finish({});
}

absl::Status DecodeBody(const Frames& frames, JsonFields& top, Shutdown* m) {
  RETURN_IF_ERROR(ExpectFrames(frames, 1));
  RETURN_IF_ERROR(top.String("reason", &m->reason));
  return top.Finish();
}

absl::Status ExpectFrames(const Frames& frames, size_t count) {
  if (frames.size() == count) return absl::OkStatus();
  return Invalid("message", absl::StrCat("has ", frames.size(), " frames, expected ", count));
}

Message MakeMessage(MessageType type) {
  switch (type) {
    case MessageType::kHello: return Hello{};
    case MessageType::kHeartbeat: return Heartbeat{};
    case MessageType::kPromptBatch: return PromptBatch{};
    case MessageType::kRollouts: return Rollouts{};
    case MessageType::kScoredGroups: return ScoredGroups{};
    case MessageType::kWeightUpdate: return WeightUpdate{};
    case MessageType::kMetrics: return Metrics{};
    case MessageType::kShutdown: return Shutdown{};
  }
  return Shutdown{};
}

const char* WorkerKindName(WorkerKind kind) {
  return wire::kWorkerKindNames[static_cast<int>(kind)];
}

bool ParseDTypeName(std::string_view name, config::DType* dtype) {
  for (config::DType d :
       {config::DType::kBFloat16, config::DType::kFloat32, config::DType::kFloat16}) {
    if (name == config::DTypeName(d)) {
      *dtype = d;
      return true;
    }
  }
  return false;
}

size_t DTypeSize(config::DType dtype) { return dtype == config::DType::kFloat32 ? 4 : 2; }

absl::StatusOr<Frames> Encode(const Message& message) {
  return std::visit([](const auto& m) { return wire::EncodeBody(m); }, message);
}

absl::StatusOr<Message> Decode(const Frames& frames) {
  ASSIGN_OR_RETURN(wire::Header header, wire::ParseHeader(frames));
  ASSIGN_OR_RETURN(wire::JsonFields top, wire::JsonFields::Of(header.doc, ""));
  top.Skip("protocol");
  top.Skip("type");
  top.Skip("frame_bytes");
  Message message = wire::MakeMessage(header.type);
  absl::Status status =
      std::visit([&](auto& m) { return wire::DecodeBody(frames, top, &m); }, message);
  if (!status.ok()) return core::Annotate(status, std::string(MessageTypeName(header.type)));
  return message;
}

namespace internal {
absl::Status WrongType(MessageType expected, MessageType got) {
  return absl::InvalidArgumentError(
      absl::StrCat("expected a ", std::string(MessageTypeName(expected)), " message, got ",
                   std::string(MessageTypeName(got))));
}
}  // namespace internal

}  // namespace zerorl::wire
