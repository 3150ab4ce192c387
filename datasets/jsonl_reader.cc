#include "datasets/internal/jsonl_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

namespace zerorl::datasets::internal {

namespace {

absl::Status OpenError(const std::string& path, int err) {
  std::string why = path + ": " + std::strerror(err);
  if (err == ENOENT) return absl::NotFoundError(why);
  if (err == EACCES) return absl::PermissionDeniedError(why);
  return absl::FailedPreconditionError(why);
}

}  // namespace

absl::StatusOr<LineReader> LineReader::Open(const std::string& path,
                                            const LineReaderOptions& options) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return OpenError(path, errno);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return OpenError(path, err);
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    return absl::FailedPreconditionError(path + ": is a folder, not a JSONL file");
  }
  return LineReader(fd, path, options, static_cast<uint64_t>(st.st_size));
}

LineReader::LineReader(int fd, std::string path, LineReaderOptions options, uint64_t file_bytes)
    : fd_(fd), path_(std::move(path)), options_(options), file_bytes_(file_bytes) {
  options_.chunk_bytes = std::max<size_t>(options_.chunk_bytes, 1);
  options_.max_line_bytes = std::max<size_t>(options_.max_line_bytes, 1);
  buffer_.resize(options_.chunk_bytes);
}

LineReader::LineReader(LineReader&& other) noexcept { *this = std::move(other); }

LineReader& LineReader::operator=(LineReader&& other) noexcept {
  if (this == &other) return *this;
  if (fd_ >= 0) ::close(fd_);
  fd_ = std::exchange(other.fd_, -1);
  path_ = std::move(other.path_);
  options_ = other.options_;
  file_bytes_ = other.file_bytes_;
  buffer_ = std::move(other.buffer_);
  begin_ = other.begin_;
  end_ = other.end_;
  buffer_offset_ = other.buffer_offset_;
  line_number_ = other.line_number_;
  eof_ = other.eof_;
  return *this;
}

LineReader::~LineReader() {
  if (fd_ >= 0) ::close(fd_);
}

absl::StatusOr<size_t> LineReader::Fill() {
  // Move the pending bytes to the front, then make room for one more chunk.
  if (begin_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    buffer_offset_ += begin_;
    end_ -= begin_;
    begin_ = 0;
  }
  if (buffer_.size() - end_ < options_.chunk_bytes) buffer_.resize(end_ + options_.chunk_bytes);
  while (true) {
    ssize_t n = ::read(fd_, buffer_.data() + end_, options_.chunk_bytes);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return absl::DataLossError(path_ + ": read failed: " + std::strerror(errno));
    end_ += static_cast<size_t>(n);
    if (n == 0) eof_ = true;
    return static_cast<size_t>(n);
  }
}

absl::StatusOr<bool> LineReader::Next(TextLine* line) {
  size_t scanned = begin_;  // bytes before this were already searched for '\n'
  while (true) {
    const char* start = buffer_.data() + begin_;
    const char* newline =
        end_ > scanned
            ? static_cast<const char*>(std::memchr(buffer_.data() + scanned, '\n', end_ - scanned))
            : nullptr;
    size_t pending = end_ - begin_;
    if (newline != nullptr || (eof_ && pending > 0)) {
      size_t length = newline != nullptr ? static_cast<size_t>(newline - start) : pending;
      *line = TextLine{};
      line->number = ++line_number_;
      line->offset = buffer_offset_ + begin_;
      line->has_newline = newline != nullptr;
      size_t text_length = length;
      if (line->has_newline && text_length > 0 && start[text_length - 1] == '\r') --text_length;
      line->length = text_length;
      line->too_long = text_length > options_.max_line_bytes;
      if (!line->too_long) line->text = std::string_view(start, text_length);
      begin_ += length + (line->has_newline ? 1 : 0);
      return true;
    }
    if (eof_) return false;
    if (pending >= options_.max_line_bytes) return SkipLongLine(line);
    scanned = end_;
    size_t before = begin_;
    absl::StatusOr<size_t> got = Fill();
    if (!got.ok()) return got.status();
    scanned -= before;  // Fill() moved the pending bytes to the front
  }
}

absl::StatusOr<bool> LineReader::SkipLongLine(TextLine* line) {
  *line = TextLine{};
  line->number = ++line_number_;
  line->offset = buffer_offset_ + begin_;
  line->too_long = true;
  uint64_t length = 0;
  while (true) {
    const char* start = buffer_.data() + begin_;
    const char* newline =
        end_ > begin_ ? static_cast<const char*>(std::memchr(start, '\n', end_ - begin_))
                      : nullptr;
    if (newline != nullptr) {
      size_t part = static_cast<size_t>(newline - start);
      length += part;
      begin_ += part + 1;
      break;
    }
    length += end_ - begin_;
    begin_ = end_;
    if (eof_) {
      line->has_newline = false;
      break;
    }
    absl::StatusOr<size_t> got = Fill();
    if (!got.ok()) return got.status();
  }
  line->length = length;
  return true;
}

absl::StatusOr<std::string> ReadAt(int fd, const std::string& path, uint64_t offset,
                                   uint64_t length) {
  std::string out(length, '\0');
  size_t done = 0;
  while (done < length) {
    ssize_t n = ::pread(fd, out.data() + done, length - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return absl::DataLossError(path + ": read failed: " + std::strerror(errno));
    if (n == 0) {
      return absl::DataLossError(path + ": file is shorter than when it was indexed (offset " +
                                 std::to_string(offset + done) + "); was it changed?");
    }
    done += static_cast<size_t>(n);
  }
  return out;
}

}  // namespace zerorl::datasets::internal
