// JSON text in and out, for config files, wire headers and JSONL outputs.
//
// ParseJsonWithPositions() accepts comments and trailing commas (config files are written by
// people) and records the line of every object member and array element by path
// ("rollout.sampling.temperature", "data.eval[1].path"), so that later checks can say where
// a bad value came from. Duplicate keys in one object are refused: silently keeping one of
// two values is how a config ends up not meaning what its author thinks.
#ifndef ZERORL_CORE_JSON_H_
#define ZERORL_CORE_JSON_H_

#include <map>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "rapidjson/document.h"

namespace zerorl::core {

// Where a JSON value came from: a file and 1-based line, or a command-line override.
struct JsonOrigin {
  std::string source;  // file path, or e.g. "--set rollout.sampling.n=4"
  int line = 0;        // 1-based; 0 when the source has no lines (a --set)

  // "configs/a.json:12" or "--set rollout.sampling.n=4".
  std::string ToString() const;
};

struct PositionedJson {
  rapidjson::Document doc;
  std::map<std::string, JsonOrigin> origins;  // key path -> where it was written
};

// Parses `text`; `source` names it in errors. On a syntax error the status (kInvalidArgument)
// reads "SOURCE:LINE:COLUMN: <what RapidJSON found>".
absl::StatusOr<PositionedJson> ParseJsonWithPositions(std::string_view text,
                                                      const std::string& source);

// Strict RFC 8259 parse (no comments), for wire headers and JSONL lines.
absl::StatusOr<rapidjson::Document> ParseJson(std::string_view text);

// Serialises a value; `pretty` indents with two spaces.
std::string JsonToString(const rapidjson::Value& value, bool pretty = false);

// Whole file into a string; kNotFound / kPermissionDenied style errors name the path.
absl::StatusOr<std::string> ReadFile(const std::string& path);
// Writes via a temporary file and rename(2), so readers never see a half-written file.
absl::Status WriteFileAtomic(const std::string& path, std::string_view contents);

// Appends a path component: JoinKeyPath("a.b", "c") == "a.b.c", JoinKeyPath("", "c") == "c".
std::string JoinKeyPath(const std::string& parent, const std::string& key);
std::string IndexKeyPath(const std::string& parent, size_t index);  // "a.b[3]"

}  // namespace zerorl::core

#endif  // ZERORL_CORE_JSON_H_
