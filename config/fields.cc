#include "config/fields.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace zerorl::config {
namespace {

size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1] ? 1u : 0u)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

const char* TypeName(const rapidjson::Value& v) {
  switch (v.GetType()) {
    case rapidjson::kNullType: return "null";
    case rapidjson::kFalseType:
    case rapidjson::kTrueType: return "a boolean";
    case rapidjson::kObjectType: return "an object";
    case rapidjson::kArrayType: return "a list";
    case rapidjson::kStringType: return "a string";
    case rapidjson::kNumberType: return v.IsInt64() || v.IsUint64() ? "an integer" : "a number";
  }
  return "?";
}

}  // namespace

std::string ConfigError::ToString() const {
  return (where.empty() ? "" : where + ": ") + key_path + ": " + message;
}

std::string SuggestKey(const std::string& key, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = std::numeric_limits<size_t>::max();
  for (const std::string& c : candidates) {
    size_t d = EditDistance(key, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  // Close enough to be a typo: at most a third of the key, and at least one edit allowed.
  size_t limit = std::max<size_t>(2, key.size() / 3);
  return best_distance <= limit ? best : "";
}

Fields::Fields(const rapidjson::Value* object, std::string path,
               const std::map<std::string, core::JsonOrigin>* origins,
               std::vector<ConfigError>* errors)
    : in_(object), path_(std::move(path)), origins_(origins), errors_(errors) {}

Fields::Fields(rapidjson::Value* out, rapidjson::Document::AllocatorType* allocator)
    : out_(out), allocator_(allocator) {}

std::string Fields::Where(const std::string& full_path) const {
  if (origins_ == nullptr) return "";
  auto it = origins_->find(full_path);
  return it == origins_->end() ? "" : it->second.ToString();
}

void Fields::Error(const std::string& key, const std::string& message) {
  std::string full = core::JoinKeyPath(path_, key);
  errors_->push_back({full, Where(full), message});
}

const rapidjson::Value* Fields::Find(const char* key, FieldFlag flag) {
  claimed_.push_back(key);
  const rapidjson::Value* v = nullptr;
  if (in_ != nullptr && in_->IsObject()) {
    auto it = in_->FindMember(key);
    if (it != in_->MemberEnd()) v = &it->value;
  }
  // A required key is required of an object that is written; an absent section takes the
  // struct's defaults whole.
  if (v == nullptr && flag == FieldFlag::kRequired && in_ != nullptr) {
    std::string where = Where(path_);
    errors_->push_back({core::JoinKeyPath(path_, key), where, "required key is missing"});
  }
  return v;
}

void Fields::ReportUnknownKeys() {
  if (in_ == nullptr || !in_->IsObject()) return;
  for (auto it = in_->MemberBegin(); it != in_->MemberEnd(); ++it) {
    std::string key = it->name.GetString();
    if (std::find(claimed_.begin(), claimed_.end(), key) != claimed_.end()) continue;
    std::string hint = SuggestKey(key, claimed_);
    std::string known;
    for (const auto& c : claimed_) known += (known.empty() ? "" : ", ") + c;
    Error(key, "unknown key" + (hint.empty() ? "" : " (did you mean \"" + hint + "\"?)") +
                   "; known keys here: " + known);
  }
}

template <typename T>
NumberCheck<T> Fields::Number(const char* key, T& value, FieldFlag flag) {
  if (!reading()) {
    rapidjson::Value v;
    if constexpr (std::is_floating_point_v<T>) {
      v.SetDouble(value);
    } else {
      v.SetInt64(value);
    }
    out_->AddMember(rapidjson::Value(key, *allocator_), v, *allocator_);
    return NumberCheck<T>(this, key, &value, false);
  }
  const rapidjson::Value* v = Find(key, flag);
  if (v == nullptr) return NumberCheck<T>(this, key, &value, false);
  if constexpr (std::is_floating_point_v<T>) {
    if (!v->IsNumber()) {
      Error(key, std::string("must be a number, got ") + TypeName(*v));
      return NumberCheck<T>(this, key, &value, false);
    }
    value = static_cast<T>(v->GetDouble());
  } else {
    if (!(v->IsInt64() &&
          v->GetInt64() >= static_cast<int64_t>(std::numeric_limits<T>::min()) &&
          v->GetInt64() <= static_cast<int64_t>(std::numeric_limits<T>::max()))) {
      std::string got = v->IsNumber() ? "a number that is not a whole " +
                                            std::to_string(sizeof(T) * 8) + "-bit integer"
                                      : TypeName(*v);
      Error(key, "must be an integer, got " + got);
      return NumberCheck<T>(this, key, &value, false);
    }
    value = static_cast<T>(v->GetInt64());
  }
  return NumberCheck<T>(this, key, &value, true);
}

NumberCheck<int64_t> Fields::Int(const char* key, int64_t& value, FieldFlag flag) {
  return Number(key, value, flag);
}
NumberCheck<int> Fields::Int(const char* key, int& value, FieldFlag flag) {
  return Number(key, value, flag);
}
NumberCheck<double> Fields::Double(const char* key, double& value, FieldFlag flag) {
  return Number(key, value, flag);
}

void Fields::Bool(const char* key, bool& value, FieldFlag flag) {
  if (!reading()) {
    out_->AddMember(rapidjson::Value(key, *allocator_), rapidjson::Value(value), *allocator_);
    return;
  }
  const rapidjson::Value* v = Find(key, flag);
  if (v == nullptr) return;
  if (!v->IsBool()) {
    Error(key, std::string("must be true or false, got ") + TypeName(*v));
    return;
  }
  value = v->GetBool();
}

void Fields::String(const char* key, std::string& value, FieldFlag flag) {
  if (!reading()) {
    out_->AddMember(rapidjson::Value(key, *allocator_), rapidjson::Value(value, *allocator_),
                    *allocator_);
    return;
  }
  const rapidjson::Value* v = Find(key, flag);
  if (v == nullptr) return;
  if (!v->IsString()) {
    Error(key, std::string("must be a string, got ") + TypeName(*v));
    return;
  }
  value.assign(v->GetString(), v->GetStringLength());
}

void Fields::StringList(const char* key, std::vector<std::string>& value) {
  if (!reading()) {
    rapidjson::Value list(rapidjson::kArrayType);
    for (const auto& s : value) list.PushBack(rapidjson::Value(s, *allocator_), *allocator_);
    out_->AddMember(rapidjson::Value(key, *allocator_), list, *allocator_);
    return;
  }
  const rapidjson::Value* v = Find(key, FieldFlag::kOptional);
  if (v == nullptr) return;
  // A single string is accepted as a list of one, as TRL does for `stop`.
  if (v->IsString()) {
    value = {std::string(v->GetString(), v->GetStringLength())};
    return;
  }
  if (!v->IsArray()) {
    Error(key, std::string("must be a list of strings, got ") + TypeName(*v));
    return;
  }
  std::vector<std::string> parsed;
  for (rapidjson::SizeType i = 0; i < v->Size(); ++i) {
    if (!(*v)[i].IsString()) {
      Error(core::IndexKeyPath(key, i), std::string("must be a string, got ") + TypeName((*v)[i]));
      return;
    }
    parsed.emplace_back((*v)[i].GetString(), (*v)[i].GetStringLength());
  }
  value = std::move(parsed);
}

void Fields::DoubleList(const char* key, std::vector<double>& value, size_t exact_size) {
  if (!reading()) {
    rapidjson::Value list(rapidjson::kArrayType);
    for (double d : value) list.PushBack(rapidjson::Value(d), *allocator_);
    out_->AddMember(rapidjson::Value(key, *allocator_), list, *allocator_);
    return;
  }
  const rapidjson::Value* v = Find(key, FieldFlag::kOptional);
  if (v == nullptr) return;
  if (!v->IsArray()) {
    Error(key, std::string("must be a list of numbers, got ") + TypeName(*v));
    return;
  }
  if (exact_size != 0 && v->Size() != exact_size) {
    Error(key, "must have exactly " + std::to_string(exact_size) + " numbers, got " +
                   std::to_string(v->Size()));
    return;
  }
  std::vector<double> parsed;
  for (rapidjson::SizeType i = 0; i < v->Size(); ++i) {
    if (!(*v)[i].IsNumber()) {
      Error(core::IndexKeyPath(key, i), std::string("must be a number, got ") + TypeName((*v)[i]));
      return;
    }
    parsed.push_back((*v)[i].GetDouble());
  }
  value = std::move(parsed);
}

}  // namespace zerorl::config
