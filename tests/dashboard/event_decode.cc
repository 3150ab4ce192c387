#include "tests/dashboard/event_decode.h"

#include <dirent.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "core/json.h"
#include "core/status.h"
#include "metrics/tensorboard.h"
#include "tests/testing/test_support.h"

namespace zerorl::testing {
namespace {

uint64_t LittleEndian(const std::string& bytes, size_t at, int width) {
  uint64_t value = 0;
  for (int i = width - 1; i >= 0; --i) value = (value << 8) | static_cast<uint8_t>(bytes[at + i]);
  return value;
}

// Undoes protoc's C-style string escaping (\n \" \\ \' \NNN octal \xHH).
std::string Unescape(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\' || i + 1 == text.size()) {
      out.push_back(text[i]);
      continue;
    }
    char c = text[++i];
    if (c >= '0' && c <= '7') {
      int value = 0, digits = 0;
      while (digits < 3 && i < text.size() && text[i] >= '0' && text[i] <= '7') {
        value = value * 8 + (text[i++] - '0');
        ++digits;
      }
      --i;
      out.push_back(static_cast<char>(value));
    } else if (c == 'x') {
      int value = 0;
      while (i + 1 < text.size() && std::isxdigit(static_cast<unsigned char>(text[i + 1]))) {
        value = value * 16 + std::stoi(std::string(1, text[++i]), nullptr, 16);
      }
      out.push_back(static_cast<char>(value));
    } else {
      out.push_back(c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c);
    }
  }
  return out;
}

std::string_view Strip(std::string_view text) {
  size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return {};
  return text.substr(begin, text.find_last_not_of(" \t\r\n") - begin + 1);
}

std::string Quoted(std::string_view value) {
  std::string_view v = Strip(value);
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') return Unescape(v.substr(1, v.size() - 2));
  return std::string(v);
}

std::string ProtoPath() { return SourceDir() + "/tests/dashboard/tensorboard_event.proto"; }

}  // namespace

absl::StatusOr<std::vector<std::string>> ReadTfRecords(const std::string& path) {
  ASSIGN_OR_RETURN(std::string bytes, core::ReadFile(path));
  std::vector<std::string> records;
  size_t at = 0;
  while (at < bytes.size()) {
    std::string where = absl::StrCat(path, ": record ", records.size(), " at byte ", at);
    if (bytes.size() - at < 12) return absl::DataLossError(where + ": truncated header");
    uint64_t length = LittleEndian(bytes, at, 8);
    if (LittleEndian(bytes, at + 8, 4) != metrics::MaskedCrc32c(bytes.data() + at, 8)) {
      return absl::DataLossError(where + ": length CRC mismatch");
    }
    if (bytes.size() - at - 12 < length + 4) return absl::DataLossError(where + ": truncated data");
    std::string data = bytes.substr(at + 12, length);
    if (LittleEndian(bytes, at + 12 + length, 4) !=
        metrics::MaskedCrc32c(data.data(), data.size())) {
      return absl::DataLossError(where + ": data CRC mismatch");
    }
    records.push_back(std::move(data));
    at += 12 + length + 4;
  }
  return records;
}

absl::StatusOr<DecodedEvent> DecodeEventWithProtoc(const std::string& data) {
  // The raw decoder first: the bytes are well-formed protobuf without any schema.
  CommandResult raw = RunCommand({kProtoc, "--decode_raw"}, data);
  if (raw.exit_code != 0) {
    return absl::InternalError("protoc --decode_raw failed: " + raw.err + raw.out);
  }
  std::string proto = ProtoPath();
  std::string include = proto.substr(0, proto.rfind('/'));
  CommandResult typed = RunCommand(
      {kProtoc, "-I" + include, "--decode=tensorflow.Event", proto}, data);
  if (typed.exit_code != 0 || !typed.err.empty()) {
    return absl::InternalError("protoc --decode=tensorflow.Event failed: " + typed.err + typed.out);
  }
  DecodedEvent event;
  std::istringstream in(typed.out);
  std::string pending_tag;
  int tags = 0;
  for (std::string line; std::getline(in, line);) {
    std::string_view l = Strip(line);
    size_t colon = l.find(':');
    if (colon == std::string_view::npos) continue;  // "summary {", "value {", "}"
    std::string_view key = l.substr(0, colon);
    std::string value = Quoted(l.substr(colon + 1));
    if (key == "wall_time") {
      event.wall_time = std::strtod(value.c_str(), nullptr);
    } else if (key == "step") {
      event.step = std::strtoll(value.c_str(), nullptr, 10);
    } else if (key == "file_version") {
      event.file_version = value;
    } else if (key == "tag") {
      pending_tag = value;
      ++tags;
    } else if (key == "simple_value") {
      event.scalars.emplace_back(pending_tag, std::strtof(value.c_str(), nullptr));
    } else {
      return absl::InternalError("unexpected field in protoc output: " + typed.out);
    }
  }
  if (tags != static_cast<int>(event.scalars.size())) {
    return absl::InternalError("a Summary.Value without simple_value: " + typed.out);
  }
  return event;
}

absl::StatusOr<std::map<int64_t, std::map<std::string, float>>> DecodeEventDir(
    const std::string& dir) {
  std::map<int64_t, std::map<std::string, float>> scalars;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return absl::NotFoundError(dir + ": " + std::strerror(errno));
  std::vector<std::string> files;
  while (dirent* entry = ::readdir(d)) {
    if (std::strncmp(entry->d_name, "events.out.tfevents.", 20) == 0) files.push_back(entry->d_name);
  }
  ::closedir(d);
  if (files.empty()) return absl::NotFoundError(dir + ": no events.out.tfevents.* file");
  for (const std::string& file : files) {
    ASSIGN_OR_RETURN(std::vector<std::string> records, ReadTfRecords(dir + "/" + file));
    for (size_t i = 0; i < records.size(); ++i) {
      ASSIGN_OR_RETURN(DecodedEvent event, DecodeEventWithProtoc(records[i]));
      if (i == 0) {
        if (event.file_version != "brain.Event:2") {
          return absl::InternalError(file + ": first record is not file_version brain.Event:2");
        }
        continue;
      }
      for (const auto& [tag, value] : event.scalars) scalars[event.step][tag] = value;
    }
  }
  return scalars;
}

}  // namespace zerorl::testing
