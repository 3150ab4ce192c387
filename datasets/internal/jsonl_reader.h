// Internal to datasets/: reads a text file line by line in bounded memory.
//
// The buffer holds one chunk plus the current line and never grows past
// `max_line_bytes + chunk_bytes`; a longer line is consumed without being kept and reported
// as too long, so a file with a corrupt multi-gigabyte "line" costs no more memory than a
// good one. Lines are returned without their "\n" (and without a "\r" before it).
//
//   ASSIGN_OR_RETURN(LineReader reader, LineReader::Open(path));
//   TextLine line;
//   while (true) {
//     ASSIGN_OR_RETURN(bool more, reader.Next(&line));
//     if (!more) break;
//     ... line.text is valid until the next call ...
//   }
#ifndef ZERORL_DATASETS_INTERNAL_JSONL_READER_H_
#define ZERORL_DATASETS_INTERNAL_JSONL_READER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace zerorl::datasets::internal {

struct LineReaderOptions {
  size_t chunk_bytes = 1 << 20;          // bytes per read(2)
  size_t max_line_bytes = 64ull << 20;   // longer lines are reported, not kept
};

struct TextLine {
  std::string_view text;     // without the line ending; empty when too_long
  int64_t number = 0;        // 1-based line number
  uint64_t offset = 0;       // byte offset of the line's first byte in the file
  uint64_t length = 0;       // bytes of the line without its ending (also when too_long)
  bool has_newline = true;   // false for a last line that ends at end of file
  bool too_long = false;     // longer than max_line_bytes
};

class LineReader {
 public:
  // Opens `path` for reading; kNotFound / kPermissionDenied / kFailedPrecondition (a folder)
  // name the path.
  static absl::StatusOr<LineReader> Open(const std::string& path,
                                         const LineReaderOptions& options = {});
  LineReader(LineReader&& other) noexcept;
  LineReader& operator=(LineReader&& other) noexcept;
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;
  ~LineReader();

  // Fills *line with the next line and returns true, or returns false at end of file.
  // An I/O error is kDataLoss naming the path.
  absl::StatusOr<bool> Next(TextLine* line);

  uint64_t file_bytes() const { return file_bytes_; }  // size when opened
  size_t buffer_capacity() const { return buffer_.size(); }  // for memory-bound tests

 private:
  LineReader(int fd, std::string path, LineReaderOptions options, uint64_t file_bytes);
  // Reads more bytes after the pending ones; returns bytes read (0 at end of file).
  absl::StatusOr<size_t> Fill();
  absl::StatusOr<bool> SkipLongLine(TextLine* line);

  int fd_ = -1;
  std::string path_;
  LineReaderOptions options_;
  uint64_t file_bytes_ = 0;
  std::vector<char> buffer_;
  size_t begin_ = 0;             // first pending byte in buffer_
  size_t end_ = 0;               // one past the last pending byte
  uint64_t buffer_offset_ = 0;   // file offset of buffer_[0]
  int64_t line_number_ = 0;
  bool eof_ = false;
};

// Reads `length` bytes at `offset` of an open file descriptor (pread(2), safe from several
// threads); short reads are kDataLoss naming `path`.
absl::StatusOr<std::string> ReadAt(int fd, const std::string& path, uint64_t offset,
                                   uint64_t length);

}  // namespace zerorl::datasets::internal

#endif  // ZERORL_DATASETS_INTERNAL_JSONL_READER_H_
