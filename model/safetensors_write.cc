// Writing .safetensors files (single and sharded) and the dtype table.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/json.h"
#include "core/status.h"
#include "model/internal/safetensors_dtype.h"
#include "model/safetensors.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace zerorl::model {
namespace {

constexpr SafetensorsDtype kDtypes[] = {
    {"F64", torch::kDouble, 8}, {"F32", torch::kFloat, 4}, {"F16", torch::kHalf, 2},
    {"BF16", torch::kBFloat16, 2}, {"I64", torch::kLong, 8}, {"I32", torch::kInt, 4},
    {"I16", torch::kShort, 2}, {"I8", torch::kChar, 1}, {"U8", torch::kByte, 1},
    {"BOOL", torch::kBool, 1},
};

// The compact JSON header, padded with spaces to a multiple of 8 bytes.
std::string BuildHeader(const TensorMap& tensors,
                        const std::map<std::string, std::string>& metadata) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();
  if (!metadata.empty()) {
    writer.Key("__metadata__");
    writer.StartObject();
    for (const auto& [key, value] : metadata) {
      writer.Key(key.data(), key.size());
      writer.String(value.data(), value.size());
    }
    writer.EndObject();
  }
  uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    uint64_t bytes = tensor.numel() * tensor.element_size();
    writer.Key(name.data(), name.size());
    writer.StartObject();
    writer.Key("dtype");
    writer.String(FindSafetensorsDtype(tensor.scalar_type())->name);
    writer.Key("shape");
    writer.StartArray();
    for (int64_t dim : tensor.sizes()) writer.Uint64(dim);
    writer.EndArray();
    writer.Key("data_offsets");
    writer.StartArray();
    writer.Uint64(offset);
    writer.Uint64(offset + bytes);
    writer.EndArray();
    writer.EndObject();
    offset += bytes;
  }
  writer.EndObject();
  std::string header(buffer.GetString(), buffer.GetSize());
  header.append((8 - header.size() % 8) % 8, ' ');
  return header;
}

// Writes all of [data, data + size) to `fd`.
bool WriteAll(int fd, const void* data, size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, p, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

absl::Status WriteBody(int fd, const std::string& header, const TensorMap& tensors,
                       const std::string& temp) {
  uint64_t length = header.size();
  if (!WriteAll(fd, &length, 8) || !WriteAll(fd, header.data(), header.size())) {
    return absl::UnavailableError(absl::StrCat(temp, ": write: ", std::strerror(errno)));
  }
  for (const auto& [name, tensor] : tensors) {
    torch::Tensor cpu = tensor.detach().to(torch::kCPU).contiguous();
    if (!WriteAll(fd, cpu.data_ptr(), cpu.numel() * cpu.element_size())) {
      return absl::UnavailableError(
          absl::StrCat(temp, ": write \"", name, "\": ", std::strerror(errno)));
    }
  }
  if (::fsync(fd) != 0) {
    return absl::UnavailableError(absl::StrCat(temp, ": fsync: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace

const SafetensorsDtype* FindSafetensorsDtype(const std::string& name) {
  for (const SafetensorsDtype& d : kDtypes) {
    if (name == d.name) return &d;
  }
  return nullptr;
}

const SafetensorsDtype* FindSafetensorsDtype(torch::ScalarType type) {
  for (const SafetensorsDtype& d : kDtypes) {
    if (type == d.type) return &d;
  }
  return nullptr;
}

std::string KnownSafetensorsDtypes() {
  std::string out;
  for (const SafetensorsDtype& d : kDtypes) absl::StrAppend(&out, out.empty() ? "" : ", ", d.name);
  return out;
}

std::string ShapeString(const std::vector<int64_t>& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) absl::StrAppend(&out, i ? ", " : "", shape[i]);
  return out + "]";
}

std::string SafetensorsDtypeName(torch::ScalarType dtype) {
  const SafetensorsDtype* d = FindSafetensorsDtype(dtype);
  return d == nullptr ? "" : d->name;
}

absl::Status WriteSafetensors(const std::string& path, const TensorMap& tensors,
                              const std::map<std::string, std::string>& metadata) {
  for (const auto& [name, tensor] : tensors) {
    if (!tensor.defined() || FindSafetensorsDtype(tensor.scalar_type()) == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": tensor \"", name, "\" has dtype ",
                       tensor.defined() ? c10::toString(tensor.scalar_type()) : "undefined",
                       ", which safetensors cannot store here (", KnownSafetensorsDtypes(), ")"));
    }
  }
  std::string header = BuildHeader(tensors, metadata);
  std::string temp = absl::StrCat(path, ".tmp.", ::getpid());
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return absl::UnavailableError(absl::StrCat(temp, ": ", std::strerror(errno)));
  absl::Status status = WriteBody(fd, header, tensors, temp);
  if (::close(fd) != 0 && status.ok()) {
    status = absl::UnavailableError(absl::StrCat(temp, ": close: ", std::strerror(errno)));
  }
  if (status.ok() && ::rename(temp.c_str(), path.c_str()) != 0) {
    status = absl::UnavailableError(
        absl::StrCat("rename ", temp, " -> ", path, ": ", std::strerror(errno)));
  }
  if (!status.ok()) ::unlink(temp.c_str());
  return status;
}

absl::StatusOr<std::vector<std::string>> WriteSafetensorsSharded(
    const std::string& dir, const TensorMap& tensors, uint64_t max_shard_bytes,
    const std::map<std::string, std::string>& metadata) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::UnavailableError(absl::StrCat(dir, ": mkdir: ", ec.message()));
  // Name order, a new shard whenever the next tensor would overflow a non-empty one.
  std::vector<TensorMap> shards(1);
  uint64_t shard_bytes = 0, total_bytes = 0;
  for (const auto& [name, tensor] : tensors) {
    uint64_t bytes = tensor.numel() * tensor.element_size();
    if (!shards.back().empty() && shard_bytes + bytes > max_shard_bytes) {
      shards.emplace_back();
      shard_bytes = 0;
    }
    shards.back().emplace(name, tensor);
    shard_bytes += bytes;
    total_bytes += bytes;
  }
  const std::string index_name = "model.safetensors.index.json";
  if (shards.size() == 1) {
    RETURN_IF_ERROR(WriteSafetensors(dir + "/model.safetensors", tensors, metadata));
    std::filesystem::remove(dir + "/" + index_name, ec);  // a stale index would win on read
    return std::vector<std::string>{"model.safetensors"};
  }
  std::vector<std::string> files;
  rapidjson::Document index(rapidjson::kObjectType);
  auto& alloc = index.GetAllocator();
  rapidjson::Value index_metadata(rapidjson::kObjectType), weight_map(rapidjson::kObjectType);
  index_metadata.AddMember("total_size", total_bytes, alloc);
  for (size_t i = 0; i < shards.size(); ++i) {
    std::string file = absl::StrFormat("model-%05d-of-%05d.safetensors", i + 1, shards.size());
    RETURN_IF_ERROR(WriteSafetensors(dir + "/" + file, shards[i], metadata));
    for (const auto& entry : shards[i]) {
      weight_map.AddMember(rapidjson::Value(entry.first.c_str(), alloc),
                           rapidjson::Value(file.c_str(), alloc), alloc);
    }
    files.push_back(file);
  }
  index.AddMember("metadata", index_metadata, alloc);
  index.AddMember("weight_map", weight_map, alloc);
  RETURN_IF_ERROR(
      core::WriteFileAtomic(dir + "/" + index_name, core::JsonToString(index, true) + "\n"));
  std::filesystem::remove(dir + "/model.safetensors", ec);
  files.push_back(index_name);
  return files;
}

}  // namespace zerorl::model
