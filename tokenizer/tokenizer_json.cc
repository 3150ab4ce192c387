#include "tokenizer/internal/tokenizer_json.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "rapidjson/error/en.h"
#include "tokenizer/internal/unicode.h"

namespace zerorl::tokenizer::internal {

absl::StatusOr<rapidjson::Document> ParseJsonFile(std::string_view text,
                                                  const std::string& source) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(text.data(), text.size());
  if (!doc.HasParseError()) return doc;
  size_t offset = std::min(doc.GetErrorOffset(), text.size());
  size_t line = 1, column = 1;
  for (size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return absl::InvalidArgumentError(absl::StrCat(source, ":", line, ":", column, ": ",
                                                 rapidjson::GetParseError_En(doc.GetParseError())));
}

const char* JsonTypeName(const rapidjson::Value& value) {
  switch (value.GetType()) {
    case rapidjson::kNullType:
      return "null";
    case rapidjson::kFalseType:
    case rapidjson::kTrueType:
      return "a boolean";
    case rapidjson::kObjectType:
      return "an object";
    case rapidjson::kArrayType:
      return "an array";
    case rapidjson::kStringType:
      return "a string";
    case rapidjson::kNumberType:
      return "a number";
  }
  return "a value";
}

absl::Status JsonFields::Fail(std::string_view field, std::string_view what) const {
  return absl::InvalidArgumentError(absl::StrCat(source_, ": ", ToAbsl(field), ": ", ToAbsl(what)));
}

const rapidjson::Value* JsonFields::Find(const rapidjson::Value& obj, const char* key,
                                         bool null_is_absent) {
  if (!obj.IsObject()) return nullptr;
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd()) return nullptr;
  if (null_is_absent && it->value.IsNull()) return nullptr;
  return &it->value;
}

absl::StatusOr<std::string> JsonFields::String(const rapidjson::Value& obj, const char* key,
                                               std::string_view field,
                                               std::optional<std::string> fallback) const {
  const rapidjson::Value* value = Find(obj, key);
  if (value == nullptr) {
    if (fallback) return *fallback;
    return Fail(field, "missing (expected a string)");
  }
  if (!value->IsString()) {
    return Fail(field, absl::StrCat("expected a string, got ", JsonTypeName(*value)));
  }
  return std::string(value->GetString(), value->GetStringLength());
}

absl::StatusOr<bool> JsonFields::Bool(const rapidjson::Value& obj, const char* key,
                                      std::string_view field, std::optional<bool> fallback) const {
  const rapidjson::Value* value = Find(obj, key);
  if (value == nullptr) {
    if (fallback) return *fallback;
    return Fail(field, "missing (expected true or false)");
  }
  if (!value->IsBool()) {
    return Fail(field, absl::StrCat("expected true or false, got ", JsonTypeName(*value)));
  }
  return value->GetBool();
}

absl::StatusOr<int32_t> JsonFields::Id(const rapidjson::Value& value,
                                       std::string_view field) const {
  if (!value.IsInt64() || value.GetInt64() < 0 ||
      value.GetInt64() > std::numeric_limits<int32_t>::max()) {
    return Fail(field, absl::StrCat("expected a token id (an integer >= 0), got ",
                                    value.IsNumber() ? "another number" : JsonTypeName(value)));
  }
  return static_cast<int32_t>(value.GetInt64());
}

absl::Status JsonFields::ExpectObject(const rapidjson::Value& value, std::string_view field) const {
  if (value.IsObject()) return absl::OkStatus();
  return Fail(field, absl::StrCat("expected an object, got ", JsonTypeName(value)));
}

absl::Status JsonFields::ExpectArray(const rapidjson::Value& value, std::string_view field) const {
  if (value.IsArray()) return absl::OkStatus();
  return Fail(field, absl::StrCat("expected an array, got ", JsonTypeName(value)));
}

}  // namespace zerorl::tokenizer::internal
