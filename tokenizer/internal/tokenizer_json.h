// Reading tokenizer.json / tokenizer_config.json fields with errors that name the file and
// the field (private to model/):
//
//   JsonFields f("models/q/tokenizer.json");
//   ASSIGN_OR_RETURN(bool invert, f.Bool(split, "invert", "pre_tokenizer.invert", false));
//   // error: "models/q/tokenizer.json: pre_tokenizer.invert: expected true or false"
#ifndef ZERORL_TOKENIZER_INTERNAL_TOKENIZER_JSON_H_
#define ZERORL_TOKENIZER_INTERNAL_TOKENIZER_JSON_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "rapidjson/document.h"

namespace zerorl::tokenizer::internal {

// Strict JSON (UTF-8 validated); a syntax error reads "SOURCE:LINE:COLUMN: what".
absl::StatusOr<rapidjson::Document> ParseJsonFile(std::string_view text, const std::string& source);

// "object" / "array" / "string" / ... for messages.
const char* JsonTypeName(const rapidjson::Value& value);

class JsonFields {
 public:
  explicit JsonFields(std::string source) : source_(std::move(source)) {}
  const std::string& source() const { return source_; }

  // kInvalidArgument "SOURCE: FIELD: WHAT".
  absl::Status Fail(std::string_view field, std::string_view what) const;

  // The member `key` of object `obj`, or nullptr when absent (or null, if `null_is_absent`).
  static const rapidjson::Value* Find(const rapidjson::Value& obj, const char* key,
                                      bool null_is_absent = true);
  // Typed members; `field` is the full path used in errors. Absent members give `fallback`
  // (or an error "missing" when there is none).
  absl::StatusOr<std::string> String(const rapidjson::Value& obj, const char* key,
                                     std::string_view field,
                                     std::optional<std::string> fallback = std::nullopt) const;
  absl::StatusOr<bool> Bool(const rapidjson::Value& obj, const char* key, std::string_view field,
                            std::optional<bool> fallback = std::nullopt) const;
  // A token id: an integer in [0, 2^31).
  absl::StatusOr<int32_t> Id(const rapidjson::Value& value, std::string_view field) const;
  // Requires `value` to be an object / array.
  absl::Status ExpectObject(const rapidjson::Value& value, std::string_view field) const;
  absl::Status ExpectArray(const rapidjson::Value& value, std::string_view field) const;

 private:
  std::string source_;
};

}  // namespace zerorl::tokenizer::internal

#endif  // ZERORL_TOKENIZER_INTERNAL_TOKENIZER_JSON_H_
