// Reading one .safetensors file: map, validate the header, hand out views.
#include "model/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"
#include "core/json.h"
#include "core/status.h"
#include "model/internal/safetensors_dtype.h"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "safetensors data is little-endian; views assume a little-endian host");

namespace zerorl::model {

// A read-only private mapping of a whole file; unmapped when the last view is gone.
struct SafetensorsFile::Mapping {
  const uint8_t* data = nullptr;
  uint64_t size = 0;
  ~Mapping() {
    if (data != nullptr) ::munmap(const_cast<uint8_t*>(data), size);
  }
};

namespace {

absl::Status Malformed(const std::string& path, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": malformed safetensors file: ", what));
}

absl::Status ErrnoStatus(const std::string& path, const char* op, int err) {
  std::string message = absl::StrCat(path, ": ", op, ": ", std::strerror(err));
  if (err == ENOENT) return absl::NotFoundError(message);
  if (err == EACCES) return absl::PermissionDeniedError(message);
  return absl::UnavailableError(message);
}

// Maps the file at `path` read-only.
absl::Status MapFile(const std::string& path, uint8_t const** data, uint64_t* size) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(path, "open", errno);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return ErrnoStatus(path, "stat", err);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return absl::InvalidArgumentError(path + ": not a regular file");
  }
  *size = static_cast<uint64_t>(st.st_size);
  if (*size < 8) {
    ::close(fd);
    return Malformed(path, absl::StrCat("file is ", *size,
                                        " bytes, shorter than the 8-byte header length"));
  }
  void* addr = ::mmap(nullptr, *size, PROT_READ, MAP_PRIVATE, fd, 0);
  int err = errno;
  ::close(fd);
  if (addr == MAP_FAILED) return ErrnoStatus(path, "mmap", err);
  *data = static_cast<const uint8_t*>(addr);
  return absl::OkStatus();
}

// Reads a JSON array of non-negative integers that fit in int64.
bool ReadUintArray(const rapidjson::Value& value, std::vector<uint64_t>* out) {
  if (!value.IsArray()) return false;
  out->clear();
  for (const rapidjson::Value& v : value.GetArray()) {
    if (!v.IsUint64() || v.GetUint64() > uint64_t{std::numeric_limits<int64_t>::max()}) {
      return false;
    }
    out->push_back(v.GetUint64());
  }
  return true;
}

absl::Status ParseMetadata(const rapidjson::Value& value, const std::string& path,
                           std::map<std::string, std::string>* metadata) {
  if (!value.IsObject()) return Malformed(path, "\"__metadata__\" is not an object");
  for (const auto& member : value.GetObject()) {
    if (!member.value.IsString()) {
      return Malformed(path, absl::StrCat("\"__metadata__\" value \"", member.name.GetString(),
                                          "\" is not a string"));
    }
    (*metadata)[member.name.GetString()] = member.value.GetString();
  }
  return absl::OkStatus();
}

// Parses one tensor entry and checks it against itself (dtype, shape vs byte span).
absl::StatusOr<SafetensorsEntry> ParseEntry(const std::string& name,
                                           const rapidjson::Value& value,
                                           const std::string& path) {
  std::string where = absl::StrCat("tensor \"", name, "\"");
  if (!value.IsObject()) return Malformed(path, where + " is not an object");
  SafetensorsEntry entry;
  entry.name = name;
  auto dtype = value.FindMember("dtype");
  if (dtype == value.MemberEnd() || !dtype->value.IsString()) {
    return Malformed(path, where + ": \"dtype\" missing or not a string");
  }
  entry.dtype = dtype->value.GetString();
  const SafetensorsDtype* info = FindSafetensorsDtype(entry.dtype);
  if (info == nullptr) {
    return Malformed(path, absl::StrCat(where, ": unknown dtype \"", entry.dtype,
                                        "\" (known: ", KnownSafetensorsDtypes(), ")"));
  }
  std::vector<uint64_t> shape, offsets;
  auto shape_it = value.FindMember("shape");
  if (shape_it == value.MemberEnd() || !ReadUintArray(shape_it->value, &shape)) {
    return Malformed(path, where + ": \"shape\" missing or not an array of non-negative ints");
  }
  auto offsets_it = value.FindMember("data_offsets");
  if (offsets_it == value.MemberEnd() || !ReadUintArray(offsets_it->value, &offsets) ||
      offsets.size() != 2) {
    return Malformed(path, where + ": \"data_offsets\" missing or not [begin, end]");
  }
  entry.begin = offsets[0];
  entry.end = offsets[1];
  if (entry.begin > entry.end) {
    return Malformed(path, absl::StrCat(where, ": data_offsets [", entry.begin, ", ", entry.end,
                                        "] end before they begin"));
  }
  uint64_t bytes = info->size;
  for (uint64_t dim : shape) {
    if (__builtin_mul_overflow(bytes, dim, &bytes)) {
      return Malformed(path, where + ": shape overflows 64 bits");
    }
    entry.shape.push_back(static_cast<int64_t>(dim));
  }
  if (bytes != entry.end - entry.begin) {
    return Malformed(path, absl::StrCat(where, ": shape ", ShapeString(entry.shape), " of ",
                                        entry.dtype, " needs ", bytes,
                                        " bytes but data_offsets span ", entry.end - entry.begin));
  }
  return entry;
}

// Sorted by begin, no entry may start before the previous one ends, and the last must end
// inside the data section.
absl::Status CheckLayout(std::vector<SafetensorsEntry> entries, uint64_t data_size,
                         const std::string& path) {
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  for (size_t i = 1; i < entries.size(); ++i) {
    const SafetensorsEntry& prev = entries[i - 1];
    const SafetensorsEntry& cur = entries[i];
    if (cur.begin < prev.end) {
      return Malformed(path, absl::StrCat("tensors \"", prev.name, "\" [", prev.begin, ", ",
                                          prev.end, ") and \"", cur.name, "\" [", cur.begin,
                                          ", ", cur.end, ") overlap"));
    }
  }
  for (const SafetensorsEntry& entry : entries) {
    if (entry.end > data_size) {
      return Malformed(path, absl::StrCat("tensor \"", entry.name, "\" data_offsets [",
                                          entry.begin, ", ", entry.end,
                                          ") run past the end of the data section (",
                                          data_size, " bytes): file truncated?"));
    }
  }
  return absl::OkStatus();
}

absl::Status ParseHeader(std::string_view json, uint64_t data_size, const std::string& path,
                         std::vector<SafetensorsEntry>* entries,
                         std::map<std::string, std::string>* metadata) {
  absl::StatusOr<rapidjson::Document> doc = core::ParseJson(json);
  if (!doc.ok()) return Malformed(path, absl::StrCat("header ", doc.status().message()));
  if (!doc->IsObject()) return Malformed(path, "header is not a JSON object");
  for (const auto& member : doc->GetObject()) {
    std::string name(member.name.GetString(), member.name.GetStringLength());
    if (name == "__metadata__") {
      RETURN_IF_ERROR(ParseMetadata(member.value, path, metadata));
      continue;
    }
    ASSIGN_OR_RETURN(SafetensorsEntry entry, ParseEntry(name, member.value, path));
    entries->push_back(std::move(entry));
  }
  std::sort(entries->begin(), entries->end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  for (size_t i = 1; i < entries->size(); ++i) {
    if ((*entries)[i].name == (*entries)[i - 1].name) {
      return Malformed(path, absl::StrCat("tensor \"", (*entries)[i].name, "\" appears twice"));
    }
  }
  return CheckLayout(*entries, data_size, path);
}

}  // namespace

absl::StatusOr<SafetensorsFile> SafetensorsFile::Open(const std::string& path) {
  auto mapping = std::make_shared<Mapping>();
  RETURN_IF_ERROR(MapFile(path, &mapping->data, &mapping->size));
  uint64_t header_bytes = 0;
  std::memcpy(&header_bytes, mapping->data, 8);
  if (header_bytes > mapping->size - 8) {
    return Malformed(path, absl::StrCat("header length ", header_bytes,
                                        " runs past the end of the file (", mapping->size,
                                        " bytes)"));
  }
  if (header_bytes > kSafetensorsMaxHeaderBytes) {
    return Malformed(path, absl::StrCat("header length ", header_bytes, " exceeds the limit of ",
                                        kSafetensorsMaxHeaderBytes, " bytes"));
  }
  SafetensorsFile file;
  file.path_ = path;
  file.data_offset_ = 8 + header_bytes;
  std::string_view json(reinterpret_cast<const char*>(mapping->data) + 8, header_bytes);
  RETURN_IF_ERROR(ParseHeader(json, mapping->size - file.data_offset_, path, &file.entries_,
                              &file.metadata_));
  file.mapping_ = std::move(mapping);
  return file;
}

const SafetensorsEntry* SafetensorsFile::Find(const std::string& name) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), name,
                             [](const SafetensorsEntry& e, const std::string& n) {
                               return e.name < n;
                             });
  return it != entries_.end() && it->name == name ? &*it : nullptr;
}

torch::Tensor SafetensorsFile::View(const SafetensorsEntry& entry) const {
  const SafetensorsDtype* info = FindSafetensorsDtype(entry.dtype);
  auto options = torch::TensorOptions().dtype(info->type).device(torch::kCPU);
  uint64_t bytes = entry.end - entry.begin;
  const uint8_t* data = mapping_->data + data_offset_ + entry.begin;
  if (bytes == 0 || reinterpret_cast<uintptr_t>(data) % info->size != 0) {
    torch::Tensor copy = torch::empty(entry.shape, options);
    if (bytes > 0) std::memcpy(copy.data_ptr(), data, bytes);
    return copy;
  }
  std::shared_ptr<const Mapping> keep = mapping_;
  return torch::from_blob(const_cast<uint8_t*>(data), entry.shape,
                          [keep](void*) mutable { keep.reset(); }, options);
}

absl::StatusOr<torch::Tensor> SafetensorsFile::Tensor(const std::string& name) const {
  const SafetensorsEntry* entry = Find(name);
  if (entry == nullptr) return absl::NotFoundError(path_ + ": no tensor named \"" + name + "\"");
  return View(*entry);
}

TensorMap SafetensorsFile::Tensors() const {
  TensorMap tensors;
  for (const SafetensorsEntry& entry : entries_) tensors.emplace(entry.name, View(entry));
  return tensors;
}

}  // namespace zerorl::model
