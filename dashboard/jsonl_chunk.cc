#include "dashboard/jsonl_chunk.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/json.h"
#include "core/status.h"

namespace zerorl::dashboard {
namespace {

absl::Status FileError(const std::string& path, const char* what, int err) {
  std::string message = path + ": " + what + ": " + std::strerror(err);
  if (err == ENOENT || err == ENOTDIR) return absl::NotFoundError(message);
  if (err == EACCES || err == EPERM) return absl::PermissionDeniedError(message);
  return absl::UnavailableError(message);
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

// Appends up to `want` bytes read at `at`; returns how many were read (0 at the end).
absl::StatusOr<size_t> ReadAt(int fd, const std::string& path, uint64_t at, size_t want,
                              std::string* out) {
  size_t old = out->size();
  out->resize(old + want);
  for (;;) {
    ssize_t n = ::pread(fd, out->data() + old, want, static_cast<off_t>(at));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return FileError(path, "read", errno);
    out->resize(old + static_cast<size_t>(n));
    return static_cast<size_t>(n);
  }
}

void SplitLines(const std::string& text, JsonlChunk* chunk) {
  size_t start = 0;
  for (size_t end = text.find('\n'); end != std::string::npos; end = text.find('\n', start)) {
    std::string_view line(text.data() + start, end - start);
    uint64_t line_offset = chunk->offset + start;
    start = end + 1;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    absl::StatusOr<rapidjson::Document> doc = core::ParseJson(line);
    std::string why;
    if (!doc.ok()) {
      why = std::string(doc.status().message());
    } else if (!doc->IsObject()) {
      why = "not a JSON object";
    }
    if (why.empty()) {
      chunk->lines.emplace_back(line);
      continue;
    }
    if (chunk->malformed++ == 0) chunk->first_error = absl::StrCat("byte ", line_offset, ": ", why);
  }
}

}  // namespace

absl::StatusOr<JsonlChunk> ReadJsonlChunk(const std::string& path, uint64_t offset,
                                          uint64_t max_bytes) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return FileError(path, "open", errno);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return FileError(path, "stat", errno);
  JsonlChunk chunk;
  chunk.file_size = static_cast<uint64_t>(st.st_size);
  if (offset > chunk.file_size) {
    offset = 0;
    chunk.reset = true;
  }
  chunk.offset = offset;
  const size_t block = static_cast<size_t>(std::max<uint64_t>(max_bytes, 4096));
  std::string text;
  // Read a block; while it holds no newline and the file goes on, read more (one long line).
  for (uint64_t at = offset; at < chunk.file_size;) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(block, chunk.file_size - at));
    ASSIGN_OR_RETURN(size_t got, ReadAt(fd.get(), path, at, want, &text));
    if (got == 0) break;
    at += got;
    if (text.find('\n') != std::string::npos) break;
  }
  size_t last_newline = text.rfind('\n');
  if (last_newline == std::string::npos) {
    chunk.next_offset = offset;  // no complete line yet
    return chunk;
  }
  text.resize(last_newline + 1);
  chunk.next_offset = offset + text.size();
  SplitLines(text, &chunk);
  return chunk;
}

}  // namespace zerorl::dashboard
