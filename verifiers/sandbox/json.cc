#include "verifiers/sandbox/json.h"

#include <cmath>
#include <set>

#include "absl/strings/str_cat.h"
#include "core/json.h"
#include "core/status.h"
#include "rapidjson/document.h"

namespace zerorl::sandbox {
namespace {

using rapidjson::Value;

// Programs may print any bytes; JSON strings must be UTF-8. Invalid sequences become U+FFFD.
std::string ValidUtf8(absl::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  size_t i = 0;
  while (i < bytes.size()) {
    unsigned char c = static_cast<unsigned char>(bytes[i]);
    size_t length = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    bool ok = length > 0 && i + length <= bytes.size();
    for (size_t k = 1; ok && k < length; ++k) {
      ok = (static_cast<unsigned char>(bytes[i + k]) & 0xC0) == 0x80;
    }
    if (ok && length > 1) {
      // Reject overlong forms, surrogates and code points past U+10FFFF.
      unsigned char d = static_cast<unsigned char>(bytes[i + 1]);
      ok = !(length == 2 && c < 0xC2) && !(length == 3 && c == 0xE0 && d < 0xA0) &&
           !(length == 3 && c == 0xED && d >= 0xA0) && !(length == 4 && c == 0xF0 && d < 0x90) &&
           !(length == 4 && (c > 0xF4 || (c == 0xF4 && d >= 0x90)));
    }
    if (ok) {
      out.append(bytes.data() + i, length);
      i += length;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

class Writer {
 public:
  Writer() : doc_(rapidjson::kObjectType) {}
  Value& root() { return doc_; }
  Value Str(absl::string_view text) {
    std::string valid = ValidUtf8(text);
    return Value(valid.c_str(), static_cast<rapidjson::SizeType>(valid.size()), alloc());
  }
  void Add(Value& object, const char* key, Value value) {
    object.AddMember(Value(key, alloc()), value, alloc());
  }
  void AddId(const std::string& id_json) {
    if (id_json.empty()) return;
    absl::StatusOr<rapidjson::Document> id = core::ParseJson(id_json);
    if (!id.ok()) return;
    Value copy(*id, alloc());
    Add(doc_, "id", std::move(copy));
  }
  static Value Number(double value) { return Value(std::round(value * 1000) / 1000); }
  rapidjson::Document::AllocatorType& alloc() { return doc_.GetAllocator(); }
  std::string Text() { return core::JsonToString(doc_); }

 private:
  rapidjson::Document doc_;
};

absl::Status Bad(const std::string& key, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat("\"", key, "\": ", what));
}

absl::Status CheckKeys(const Value& object, const std::set<std::string>& known,
                       const std::string& where) {
  for (auto it = object.MemberBegin(); it != object.MemberEnd(); ++it) {
    std::string key = it->name.GetString();
    if (known.count(key) == 0) {
      std::string list;
      for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
      return absl::InvalidArgumentError(
          absl::StrCat(where, "unknown key \"", key, "\"; known keys: ", list));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> StringMember(const Value& object, const char* key, bool required,
                                         const std::string& where) {
  auto it = object.FindMember(key);
  if (it == object.MemberEnd()) {
    if (required) return Bad(where + key, "missing");
    return std::string();
  }
  if (!it->value.IsString()) return Bad(where + key, "must be a string");
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

absl::Status ParseTests(const Value& tests, JudgeRequest* request) {
  if (!tests.IsArray()) return Bad("tests", "must be a list of {\"stdin\", \"expected_stdout\"}");
  for (rapidjson::SizeType i = 0; i < tests.Size(); ++i) {
    std::string where = absl::StrCat("tests[", i, "].");
    if (!tests[i].IsObject()) return Bad(absl::StrCat("tests[", i, "]"), "must be an object");
    RETURN_IF_ERROR(CheckKeys(tests[i], {"stdin", "expected_stdout"}, where));
    IoTest test;
    ASSIGN_OR_RETURN(test.stdin_data, StringMember(tests[i], "stdin", false, where));
    ASSIGN_OR_RETURN(test.expected_stdout, StringMember(tests[i], "expected_stdout", true, where));
    request->tests.push_back(std::move(test));
  }
  return absl::OkStatus();
}

absl::Status ParseTestCode(const Value& code, JudgeRequest* request) {
  if (code.IsString()) {
    request->test_programs.emplace_back(code.GetString(), code.GetStringLength());
    return absl::OkStatus();
  }
  if (!code.IsArray()) return Bad("test_code", "must be a string or a list of strings");
  for (rapidjson::SizeType i = 0; i < code.Size(); ++i) {
    if (!code[i].IsString()) return Bad(absl::StrCat("test_code[", i, "]"), "must be a string");
    request->test_programs.emplace_back(code[i].GetString(), code[i].GetStringLength());
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> PositiveInt(const Value& value, const char* key) {
  if (!value.IsInt64() || value.GetInt64() <= 0) return Bad(key, "must be a positive integer");
  return value.GetInt64();
}

absl::Status ParseOptions(const Value& object, JudgeRequest* request) {
  auto it = object.FindMember("float_tolerance");
  if (it != object.MemberEnd()) {
    if (!it->value.IsNumber() || it->value.GetDouble() < 0) {
      return Bad("float_tolerance", "must be a number >= 0");
    }
    request->float_tolerance = it->value.GetDouble();
  }
  it = object.FindMember("time_limit_ms");
  if (it != object.MemberEnd()) {
    ASSIGN_OR_RETURN(int64_t ms, PositiveInt(it->value, "time_limit_ms"));
    request->limits.cpu_time_ms = request->limits.wall_time_ms = ms;
  }
  it = object.FindMember("memory_mib");
  if (it != object.MemberEnd()) {
    ASSIGN_OR_RETURN(request->limits.memory_mib, PositiveInt(it->value, "memory_mib"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ParsedJudgeRequest> ParseJudgeRequest(absl::string_view json,
                                                     const Limits& defaults) {
  ASSIGN_OR_RETURN(rapidjson::Document doc,
                   core::ParseJson(std::string_view(json.data(), json.size())));
  if (!doc.IsObject()) return absl::InvalidArgumentError("a judge request must be a JSON object");
  RETURN_IF_ERROR(CheckKeys(doc,
                            {"id", "language", "code", "tests", "test_code", "entry_point",
                             "float_tolerance", "time_limit_ms", "memory_mib"},
                            ""));
  ParsedJudgeRequest parsed;
  JudgeRequest& request = parsed.request;
  request.limits = defaults;
  ASSIGN_OR_RETURN(request.language, StringMember(doc, "language", true, ""));
  ASSIGN_OR_RETURN(request.code, StringMember(doc, "code", true, ""));
  ASSIGN_OR_RETURN(request.entry_point, StringMember(doc, "entry_point", false, ""));
  bool has_tests = doc.HasMember("tests"), has_code = doc.HasMember("test_code");
  if (has_tests == has_code) {
    return absl::InvalidArgumentError("give exactly one of \"tests\" and \"test_code\"");
  }
  if (has_tests) RETURN_IF_ERROR(ParseTests(doc["tests"], &request));
  if (has_code) RETURN_IF_ERROR(ParseTestCode(doc["test_code"], &request));
  RETURN_IF_ERROR(ParseOptions(doc, &request));
  if (doc.HasMember("id")) parsed.id_json = core::JsonToString(doc["id"]);
  return parsed;
}

std::string JudgeResultToJson(const JudgeResult& result, const std::string& id_json) {
  Writer w;
  w.AddId(id_json);
  w.Add(w.root(), "passed", Value(result.passed));
  w.Add(w.root(), "pass_fraction", Writer::Number(result.pass_fraction));
  Value tests(rapidjson::kArrayType);
  for (const TestResult& test : result.results) {
    Value t(rapidjson::kObjectType);
    w.Add(t, "status", w.Str(TestStatusName(test.status)));
    w.Add(t, "detail", w.Str(test.detail));
    w.Add(t, "exit_code", Value(test.exit_code));
    w.Add(t, "signal", Value(test.signal));
    w.Add(t, "wall_ms", Writer::Number(test.wall_ms));
    w.Add(t, "cpu_ms", Writer::Number(test.cpu_ms));
    w.Add(t, "max_rss_kib", Value(static_cast<int64_t>(test.max_rss_kib)));
    tests.PushBack(t, w.alloc());
  }
  w.Add(w.root(), "results", std::move(tests));
  if (!result.compile_output.empty()) {
    w.Add(w.root(), "compile_output", w.Str(result.compile_output));
  }
  return w.Text();
}

std::string JudgeErrorToJson(const absl::Status& status, const std::string& id_json) {
  Writer w;
  w.AddId(id_json);
  w.Add(w.root(), "passed", Value(false));
  w.Add(w.root(), "pass_fraction", Value(0));
  w.Add(w.root(), "results", Value(rapidjson::kArrayType));
  w.Add(w.root(), "error", w.Str(status.message()));
  return w.Text();
}

std::string RunResultToJson(const RunResult& result) {
  Writer w;
  w.Add(w.root(), "status", w.Str(RunStatusName(result.status)));
  w.Add(w.root(), "exit_code", Value(result.exit_code));
  w.Add(w.root(), "signal", Value(result.signal));
  w.Add(w.root(), "stdout", w.Str(result.stdout_data));
  w.Add(w.root(), "stderr", w.Str(result.status == RunStatus::kSandboxError && result.stderr_data.empty()
                                      ? result.error
                                      : result.stderr_data));
  w.Add(w.root(), "wall_ms", Writer::Number(result.wall_ms));
  w.Add(w.root(), "cpu_ms", Writer::Number(result.cpu_ms));
  w.Add(w.root(), "max_rss_kib", Value(static_cast<int64_t>(result.max_rss_kib)));
  return w.Text();
}

}  // namespace zerorl::sandbox
