// The machinery behind typed configs: one `Describe(Fields&, Section&)` function per config
// section names each key, its type, default (the struct's initial value) and checks, and the
// same description is used both to read a section from JSON and to write it back out.
//
//   void Describe(Fields& f, SamplingConfig& c) {
//     f.Int("n", c.n).AtLeast(1);
//     f.Double("temperature", c.temperature).AtLeast(0.0);
//     f.Enum("schedule", c.schedule, {{"constant", Schedule::kConstant}, ...});
//     f.Object("sampling", c.sampling);          // nested section: Describe(Fields&, T&)
//   }
//
// Reading collects every problem (wrong type, out of range, unknown key with a "did you
// mean", missing required key) instead of stopping at the first, each naming the full key
// path and where it was written. Later issues add keys by adding one line to a Describe().
#ifndef ZERORL_CONFIG_FIELDS_H_
#define ZERORL_CONFIG_FIELDS_H_

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/json.h"
#include "rapidjson/document.h"

namespace zerorl::config {

// One problem found in a config.
struct ConfigError {
  std::string key_path;  // "rollout.sampling.temperature"
  std::string where;     // "configs/a.json:12", "--set ...", or "" for a key that is missing
  std::string message;   // "must be >= 0, got -1"

  std::string ToString() const;  // "configs/a.json:12: rollout.sampling.temperature: must be ..."
};

// Closest candidate within a small edit distance, or "" when none is close.
std::string SuggestKey(const std::string& key, const std::vector<std::string>& candidates);

class Fields;

// Range checks on a number that was just read; they do nothing when writing or when the
// key was absent (defaults are valid by construction).
template <typename T>
class NumberCheck {
 public:
  NumberCheck(Fields* fields, std::string key, const T* value, bool present)
      : fields_(fields), key_(std::move(key)), value_(value), present_(present) {}
  NumberCheck& AtLeast(T min);
  NumberCheck& AtMost(T max);
  NumberCheck& GreaterThan(T min);
  NumberCheck& Between(T min, T max) { return AtLeast(min).AtMost(max); }

 private:
  void Fail(const std::string& message);
  Fields* fields_;
  std::string key_;
  const T* value_;
  bool present_;
};

enum class FieldFlag { kOptional, kRequired };

class Fields {
 public:
  // Reader over `object` (must be a JSON object or null for "all defaults").
  Fields(const rapidjson::Value* object, std::string path,
         const std::map<std::string, core::JsonOrigin>* origins, std::vector<ConfigError>* errors);
  // Writer into `out` (an object value allocated from `allocator`).
  Fields(rapidjson::Value* out, rapidjson::Document::AllocatorType* allocator);

  bool reading() const { return out_ == nullptr; }

  NumberCheck<int64_t> Int(const char* key, int64_t& value, FieldFlag flag = FieldFlag::kOptional);
  NumberCheck<int> Int(const char* key, int& value, FieldFlag flag = FieldFlag::kOptional);
  NumberCheck<double> Double(const char* key, double& value, FieldFlag flag = FieldFlag::kOptional);
  void Bool(const char* key, bool& value, FieldFlag flag = FieldFlag::kOptional);
  void String(const char* key, std::string& value, FieldFlag flag = FieldFlag::kOptional);
  void StringList(const char* key, std::vector<std::string>& value);
  void DoubleList(const char* key, std::vector<double>& value, size_t exact_size = 0);

  // A string from a fixed set, stored as an enum.
  template <typename E>
  void Enum(const char* key, E& value, std::initializer_list<std::pair<const char*, E>> names,
            FieldFlag flag = FieldFlag::kOptional);

  // A nested section: calls Describe(Fields&, T&) on the member.
  template <typename T>
  void Object(const char* key, T& value);
  // A list of sections: each element is described by Describe(Fields&, T&).
  template <typename T>
  void ObjectList(const char* key, std::vector<T>& values);

  // Records a problem with `key` (relative to this object).
  void Error(const std::string& key, const std::string& message);
  // Reading: reports keys in the JSON object that no field claimed. Called by Object().
  void ReportUnknownKeys();

  const std::string& path() const { return path_; }

 private:
  const rapidjson::Value* Find(const char* key, FieldFlag flag);
  std::string Where(const std::string& full_path) const;
  template <typename T>
  NumberCheck<T> Number(const char* key, T& value, FieldFlag flag);

  // Reading state.
  const rapidjson::Value* in_ = nullptr;
  std::string path_;
  const std::map<std::string, core::JsonOrigin>* origins_ = nullptr;
  std::vector<ConfigError>* errors_ = nullptr;
  std::vector<std::string> claimed_;
  // Writing state.
  rapidjson::Value* out_ = nullptr;
  rapidjson::Document::AllocatorType* allocator_ = nullptr;

  template <typename T>
  friend class NumberCheck;
};

// ---- template definitions ----

template <typename T>
NumberCheck<T>& NumberCheck<T>::AtLeast(T min) {
  if (present_ && !(*value_ >= min)) Fail(absl::StrCat("must be >= ", min));
  return *this;
}
template <typename T>
NumberCheck<T>& NumberCheck<T>::AtMost(T max) {
  if (present_ && !(*value_ <= max)) Fail(absl::StrCat("must be <= ", max));
  return *this;
}
template <typename T>
NumberCheck<T>& NumberCheck<T>::GreaterThan(T min) {
  if (present_ && !(*value_ > min)) Fail(absl::StrCat("must be > ", min));
  return *this;
}
template <typename T>
void NumberCheck<T>::Fail(const std::string& message) {
  fields_->Error(key_, absl::StrCat(message, ", got ", *value_));
  present_ = false;  // one range error per key is enough
}

template <typename E>
void Fields::Enum(const char* key, E& value,
                  std::initializer_list<std::pair<const char*, E>> names, FieldFlag flag) {
  if (!reading()) {
    for (const auto& [name, e] : names) {
      if (e == value) {
        std::string text = name;
        String(key, text);
        return;
      }
    }
    return;
  }
  std::string text;
  size_t errors_before = errors_->size();
  String(key, text, flag);
  if (text.empty() || errors_->size() != errors_before) return;
  std::vector<std::string> options;
  for (const auto& [name, e] : names) {
    if (text == name) {
      value = e;
      return;
    }
    options.push_back(name);
  }
  std::string list;
  for (const auto& o : options) list += (list.empty() ? "" : ", ") + o;
  std::string hint = SuggestKey(text, options);
  Error(key, "unknown value \"" + text + "\"" +
                 (hint.empty() ? "" : " (did you mean \"" + hint + "\"?)") + "; one of: " + list);
}

template <typename T>
void Fields::Object(const char* key, T& value) {
  if (!reading()) {
    rapidjson::Value child(rapidjson::kObjectType);
    Fields sub(&child, allocator_);
    Describe(sub, value);
    out_->AddMember(rapidjson::Value(key, *allocator_), child, *allocator_);
    return;
  }
  const rapidjson::Value* v = Find(key, FieldFlag::kOptional);
  if (v != nullptr && !v->IsObject()) {
    Error(key, "must be an object");
    return;
  }
  Fields sub(v, core::JoinKeyPath(path_, key), origins_, errors_);
  Describe(sub, value);
  sub.ReportUnknownKeys();
}

template <typename T>
void Fields::ObjectList(const char* key, std::vector<T>& values) {
  if (!reading()) {
    rapidjson::Value list(rapidjson::kArrayType);
    for (T& element : values) {
      rapidjson::Value child(rapidjson::kObjectType);
      Fields sub(&child, allocator_);
      Describe(sub, element);
      list.PushBack(child, *allocator_);
    }
    out_->AddMember(rapidjson::Value(key, *allocator_), list, *allocator_);
    return;
  }
  const rapidjson::Value* v = Find(key, FieldFlag::kOptional);
  if (v == nullptr) return;
  if (!v->IsArray()) {
    Error(key, "must be a list of objects");
    return;
  }
  std::vector<T> parsed;
  for (rapidjson::SizeType i = 0; i < v->Size(); ++i) {
    std::string element_path = core::IndexKeyPath(core::JoinKeyPath(path_, key), i);
    if (!(*v)[i].IsObject()) {
      errors_->push_back({element_path, Where(element_path), "must be an object"});
      continue;
    }
    T element{};
    Fields sub(&(*v)[i], element_path, origins_, errors_);
    Describe(sub, element);
    sub.ReportUnknownKeys();
    parsed.push_back(std::move(element));
  }
  values = std::move(parsed);
}

}  // namespace zerorl::config

#endif  // ZERORL_CONFIG_FIELDS_H_
