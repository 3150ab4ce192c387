// Reading a growing JSON Lines file in pieces, for a page that polls: each call starts where
// the last one stopped (a byte offset) and ends at the last complete line, so a line still
// being written is left for the next call and no line is read twice.
//
//   JsonlChunk chunk = ReadJsonlChunk(path, offset, 4 << 20).value();
//   // chunk.lines: the well-formed JSON objects; chunk.next_offset: where to start next.
#ifndef ZERORL_DASHBOARD_JSONL_CHUNK_H_
#define ZERORL_DASHBOARD_JSONL_CHUNK_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace zerorl::dashboard {

struct JsonlChunk {
  uint64_t offset = 0;       // where this chunk starts (the caller's offset)
  uint64_t next_offset = 0;  // just past the last complete line read
  uint64_t file_size = 0;    // the file's size when read; next_offset < file_size: more to read
  std::vector<std::string> lines;  // each a well-formed JSON object, without the newline
  int64_t malformed = 0;           // complete lines that are not a JSON object: skipped
  std::string first_error;         // "byte 1234: <why>" for the first malformed line, or ""
  bool reset = false;              // the file shrank below `offset`: read again from 0
};

// Complete lines of `path` from byte `offset`, at most about `max_bytes` of them (at least one
// line however long it is). Blank lines are skipped and not counted. An offset past the end
// (the file was truncated or replaced) returns the lines from 0 with reset set.
// kNotFound / kPermissionDenied / kUnavailable name the path.
absl::StatusOr<JsonlChunk> ReadJsonlChunk(const std::string& path, uint64_t offset,
                                          uint64_t max_bytes);

}  // namespace zerorl::dashboard

#endif  // ZERORL_DASHBOARD_JSONL_CHUNK_H_
