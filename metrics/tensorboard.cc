#include "metrics/tensorboard.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/crc32c.h"
#include "metrics/sink.h"

namespace zerorl::metrics {
namespace {

// Protobuf wire types.
constexpr uint32_t kVarint = 0;
constexpr uint32_t kFixed64 = 1;
constexpr uint32_t kLengthDelimited = 2;
constexpr uint32_t kFixed32 = 5;

void PutVarint(uint64_t value, std::string* out) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>((value & 0x7F) | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

void PutTag(uint32_t field, uint32_t wire_type, std::string* out) {
  PutVarint((field << 3) | wire_type, out);
}

void PutFixed32(uint32_t value, std::string* out) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

void PutFixed64(uint64_t value, std::string* out) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

void PutBytes(uint32_t field, std::string_view bytes, std::string* out) {
  PutTag(field, kLengthDelimited, out);
  PutVarint(bytes.size(), out);
  out->append(bytes.data(), bytes.size());
}

void PutWallTime(double wall_time, std::string* out) {
  uint64_t bits;
  std::memcpy(&bits, &wall_time, sizeof(bits));
  PutTag(1, kFixed64, out);  // Event.wall_time
  PutFixed64(bits, out);
}

absl::Status FileError(const std::string& path, const char* what, int err) {
  std::string message = path + ": " + what + ": " + std::strerror(err);
  if (err == ENOENT || err == ENOTDIR) return absl::NotFoundError(message);
  if (err == EACCES || err == EPERM || err == EROFS) return absl::PermissionDeniedError(message);
  return absl::UnavailableError(message);
}

// mkdir -p.
absl::Status MakeDirs(const std::string& dir) {
  for (size_t slash = dir.find('/', 1);; slash = dir.find('/', slash + 1)) {
    std::string prefix = dir.substr(0, slash);
    if (!prefix.empty() && ::mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST) {
      return FileError(prefix, "mkdir", errno);
    }
    if (slash == std::string::npos) return absl::OkStatus();
  }
}

std::string HostName() {
  char name[256] = {};
  if (::gethostname(name, sizeof(name) - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

}  // namespace

uint32_t MaskedCrc32c(const void* data, size_t size) {
  uint32_t crc = core::Crc32c(data, size);
  return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

std::string FrameTfRecord(std::string_view data) {
  std::string header;
  PutFixed64(data.size(), &header);
  std::string record = header;
  PutFixed32(MaskedCrc32c(header.data(), header.size()), &record);
  record.append(data.data(), data.size());
  PutFixed32(MaskedCrc32c(data.data(), data.size()), &record);
  return record;
}

std::string EncodeFileVersionEvent(double wall_time, std::string_view file_version) {
  std::string event;
  PutWallTime(wall_time, &event);
  PutBytes(3, file_version, &event);  // Event.file_version
  return event;
}

std::string EncodeScalarEvent(double wall_time, int64_t step,
                              const std::vector<std::pair<std::string, float>>& scalars) {
  std::string summary;
  for (const auto& [tag, value] : scalars) {
    std::string entry;
    PutBytes(1, tag, &entry);  // Summary.Value.tag
    uint32_t bits;
    std::memcpy(&bits, &value, sizeof(bits));
    PutTag(2, kFixed32, &entry);  // Summary.Value.simple_value
    PutFixed32(bits, &entry);
    PutBytes(1, entry, &summary);  // Summary.value (repeated)
  }
  std::string event;
  PutWallTime(wall_time, &event);
  PutTag(2, kVarint, &event);  // Event.step
  PutVarint(static_cast<uint64_t>(step), &event);
  PutBytes(5, summary, &event);  // Event.summary
  return event;
}

absl::StatusOr<std::unique_ptr<TensorBoardWriter>> TensorBoardWriter::Open(const std::string& dir) {
  absl::Status made = MakeDirs(dir);
  if (!made.ok()) return made;
  const double now = UnixTimeSeconds();
  const std::string base = dir + "/events.out.tfevents." +
                           std::to_string(static_cast<int64_t>(now)) + "." + HostName();
  std::string path = base;
  int fd = -1;
  for (int n = 1; n <= 1000; ++n) {
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0 || errno != EEXIST) break;
    path = base + "." + std::to_string(n);
  }
  if (fd < 0) return FileError(path, "open", errno);
  std::unique_ptr<TensorBoardWriter> writer(new TensorBoardWriter(path, fd));
  absl::Status first = writer->WriteRecord(EncodeFileVersionEvent(now, "brain.Event:2"));
  if (!first.ok()) return first;
  return writer;
}

TensorBoardWriter::~TensorBoardWriter() { ::close(fd_); }

absl::Status TensorBoardWriter::WriteScalars(
    int64_t step, const std::vector<std::pair<std::string, float>>& scalars) {
  return WriteRecord(EncodeScalarEvent(UnixTimeSeconds(), step, scalars));
}

absl::Status TensorBoardWriter::WriteRecord(std::string_view data) {
  const std::string record = FrameTfRecord(data);
  off_t start = ::lseek(fd_, 0, SEEK_END);
  size_t written = 0;
  while (written < record.size()) {
    ssize_t n = ::write(fd_, record.data() + written, record.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = n < 0 ? errno : ENOSPC;
      if (written > 0 && start >= 0) {
        int ignored = ::ftruncate(fd_, start);  // take the partial record back
        (void)ignored;
      }
      return FileError(path_, "write", err);
    }
    written += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

}  // namespace zerorl::metrics
