#include "core/json.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <vector>

#include "rapidjson/error/en.h"
#include "rapidjson/prettywriter.h"
#include "rapidjson/reader.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace zerorl::core {
namespace {

constexpr unsigned kConfigParseFlags =
    rapidjson::kParseCommentsFlag | rapidjson::kParseTrailingCommasFlag |
    rapidjson::kParseStopWhenDoneFlag | rapidjson::kParseValidateEncodingFlag;

// Maps byte offsets to 1-based (line, column).
class LineIndex {
 public:
  explicit LineIndex(std::string_view text) {
    line_starts_.push_back(0);
    for (size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\n') line_starts_.push_back(i + 1);
    }
  }
  int Line(size_t offset) const {
    auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
    return static_cast<int>(it - line_starts_.begin());
  }
  int Column(size_t offset) const {
    return static_cast<int>(offset - line_starts_[Line(offset) - 1]) + 1;
  }

 private:
  std::vector<size_t> line_starts_;
};

// Forwards SAX events to a Document while recording the path and line of every value.
class PositionRecorder {
 public:
  using Doc = rapidjson::Document;
  PositionRecorder(Doc& doc, const rapidjson::StringStream& stream, const LineIndex& lines,
                   const std::string& source, std::map<std::string, JsonOrigin>& origins)
      : doc_(doc), stream_(stream), lines_(lines), source_(source), origins_(origins) {}

  bool Null() { Value(); return doc_.Null(); }
  bool Bool(bool b) { Value(); return doc_.Bool(b); }
  bool Int(int i) { Value(); return doc_.Int(i); }
  bool Uint(unsigned u) { Value(); return doc_.Uint(u); }
  bool Int64(int64_t i) { Value(); return doc_.Int64(i); }
  bool Uint64(uint64_t u) { Value(); return doc_.Uint64(u); }
  bool Double(double d) { Value(); return doc_.Double(d); }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool copy) {
    Value(); return doc_.RawNumber(s, n, copy);
  }
  bool String(const char* s, rapidjson::SizeType n, bool copy) {
    Value(); return doc_.String(s, n, copy);
  }
  bool StartObject() {
    frames_.push_back({Value(), false, 0, "", {}});
    return doc_.StartObject();
  }
  bool Key(const char* s, rapidjson::SizeType n, bool copy) {
    Frame& frame = frames_.back();
    frame.key.assign(s, n);
    if (!frame.keys.insert(frame.key).second) {
      duplicate_ = JoinKeyPath(frame.path, frame.key);
      duplicate_line_ = lines_.Line(stream_.Tell());
      return false;  // stops the parse; reported by ParseJsonWithPositions
    }
    return doc_.Key(s, n, copy);
  }
  bool EndObject(rapidjson::SizeType n) { frames_.pop_back(); return doc_.EndObject(n); }
  bool StartArray() {
    frames_.push_back({Value(), true, 0, "", {}});
    return doc_.StartArray();
  }
  bool EndArray(rapidjson::SizeType n) { frames_.pop_back(); return doc_.EndArray(n); }

  const std::string& duplicate() const { return duplicate_; }
  int duplicate_line() const { return duplicate_line_; }

 private:
  struct Frame {
    std::string path;
    bool is_array;
    size_t index;
    std::string key;
    std::set<std::string> keys;
  };

  // Records the value that starts now; returns its path.
  std::string Value() {
    if (frames_.empty()) return "";
    Frame& frame = frames_.back();
    std::string path = frame.is_array ? IndexKeyPath(frame.path, frame.index++)
                                      : JoinKeyPath(frame.path, frame.key);
    // The stream is just past the value's first token; the line is where it starts
    // for all practical config layouts.
    origins_[path] = JsonOrigin{source_, lines_.Line(stream_.Tell() == 0 ? 0 : stream_.Tell() - 1)};
    return path;
  }

  Doc& doc_;
  const rapidjson::StringStream& stream_;
  const LineIndex& lines_;
  const std::string& source_;
  std::map<std::string, JsonOrigin>& origins_;
  std::vector<Frame> frames_;
  std::string duplicate_;
  int duplicate_line_ = 0;
};

}  // namespace

std::string JsonOrigin::ToString() const {
  if (line <= 0) return source;
  return source + ":" + std::to_string(line);
}

std::string JoinKeyPath(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

std::string IndexKeyPath(const std::string& parent, size_t index) {
  return parent + "[" + std::to_string(index) + "]";
}

absl::StatusOr<PositionedJson> ParseJsonWithPositions(std::string_view text,
                                                      const std::string& source) {
  // RapidJSON's in-memory stream needs a NUL-terminated buffer.
  std::string buffer(text);
  LineIndex lines(buffer);
  PositionedJson result;
  rapidjson::StringStream stream(buffer.c_str());
  PositionRecorder recorder(result.doc, stream, lines, source, result.origins);
  rapidjson::Reader reader;
  rapidjson::ParseResult parsed;
  auto generate = [&](rapidjson::Document&) {
    parsed = reader.Parse<kConfigParseFlags>(stream, recorder);
    return !parsed.IsError();
  };
  result.doc.Populate(generate);
  if (!recorder.duplicate().empty()) {
    return absl::InvalidArgumentError(source + ":" + std::to_string(recorder.duplicate_line()) +
                                      ": key '" + recorder.duplicate() +
                                      "' appears twice in the same object");
  }
  if (parsed.IsError()) {
    size_t offset = std::min(parsed.Offset(), buffer.size());
    return absl::InvalidArgumentError(
        source + ":" + std::to_string(lines.Line(offset)) + ":" +
        std::to_string(lines.Column(offset)) + ": JSON error: " +
        rapidjson::GetParseError_En(parsed.Code()));
  }
  // Anything but whitespace or comments after the top-level value is an error.
  size_t rest = stream.Tell();
  rapidjson::Document trailing;
  std::string_view tail = std::string_view(buffer).substr(rest);
  if (tail.find_first_not_of(" \t\r\n") != std::string_view::npos) {
    std::string tail_copy(tail);
    trailing.Parse<rapidjson::kParseCommentsFlag>(tail_copy.c_str());
    if (!(trailing.HasParseError() &&
          trailing.GetParseError() == rapidjson::kParseErrorDocumentEmpty)) {
      size_t offset = rest + tail.find_first_not_of(" \t\r\n");
      return absl::InvalidArgumentError(source + ":" + std::to_string(lines.Line(offset)) +
                                        ":" + std::to_string(lines.Column(offset)) +
                                        ": JSON error: text after the end of the document");
    }
  }
  return result;
}

absl::StatusOr<rapidjson::Document> ParseJson(std::string_view text) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(text.data(), text.size());
  if (doc.HasParseError()) {
    return absl::InvalidArgumentError("JSON error at offset " +
                                      std::to_string(doc.GetErrorOffset()) + ": " +
                                      rapidjson::GetParseError_En(doc.GetParseError()));
  }
  return doc;
}

std::string JsonToString(const rapidjson::Value& value, bool pretty) {
  rapidjson::StringBuffer buffer;
  if (pretty) {
    rapidjson::PrettyWriter<rapidjson::StringBuffer> writer(buffer);
    writer.SetIndent(' ', 2);
    writer.SetFormatOptions(rapidjson::kFormatSingleLineArray);
    value.Accept(writer);
  } else {
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    value.Accept(writer);
  }
  return std::string(buffer.GetString(), buffer.GetSize());
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int err = errno;
    std::string why = std::strerror(err);
    if (err == ENOENT) return absl::NotFoundError(path + ": " + why);
    if (err == EACCES) return absl::PermissionDeniedError(path + ": " + why);
    return absl::UnavailableError(path + ": " + why);
  }
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) return absl::DataLossError(path + ": read failed");
  return contents.str();
}

absl::Status WriteFileAtomic(const std::string& path, std::string_view contents) {
  std::string temp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return absl::UnavailableError(temp + ": " + std::strerror(errno));
  size_t written = 0;
  while (written < contents.size()) {
    ssize_t n = ::write(fd, contents.data() + written, contents.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      ::unlink(temp.c_str());
      return absl::UnavailableError(temp + ": write: " + std::strerror(err));
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(temp.c_str());
    return absl::UnavailableError(temp + ": fsync/close: " + std::strerror(errno));
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(temp.c_str());
    return absl::UnavailableError("rename " + temp + " -> " + path + ": " + std::strerror(err));
  }
  return absl::OkStatus();
}

}  // namespace zerorl::core
