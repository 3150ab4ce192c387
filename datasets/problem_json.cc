// Problem <-> one JSON object (samples.jsonl, wire messages).
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/status.h"
#include "datasets/datasets.h"
#include "rapidjson/error/en.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace zerorl::datasets {

namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;
using rapidjson::Value;

void Key(Writer& w, const char* key) { w.Key(key); }
void Str(Writer& w, const char* key, const std::string& value) {
  w.Key(key);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}
void StrList(Writer& w, const char* key, const std::vector<std::string>& values) {
  w.Key(key);
  w.StartArray();
  for (const std::string& v : values) w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
  w.EndArray();
}

absl::Status Bad(const std::string& field, const std::string& why) {
  return absl::InvalidArgumentError("problem JSON: \"" + field + "\" " + why);
}

// Optional string member: absent leaves *out unchanged.
absl::Status GetStr(const Value& obj, const char* key, std::string* out, bool required = false) {
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd()) return required ? Bad(key, "is missing") : absl::OkStatus();
  if (!it->value.IsString()) return Bad(key, "must be a string");
  out->assign(it->value.GetString(), it->value.GetStringLength());
  return absl::OkStatus();
}

absl::Status GetInt(const Value& obj, const char* key, int64_t* out) {
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd()) return absl::OkStatus();
  if (!it->value.IsInt64()) return Bad(key, "must be an integer");
  *out = it->value.GetInt64();
  return absl::OkStatus();
}

absl::Status GetStrList(const Value& obj, const char* key, std::vector<std::string>* out) {
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd()) return absl::OkStatus();
  if (!it->value.IsArray()) return Bad(key, "must be a list of strings");
  for (const Value& v : it->value.GetArray()) {
    if (!v.IsString()) return Bad(key, "must be a list of strings");
    out->emplace_back(v.GetString(), v.GetStringLength());
  }
  return absl::OkStatus();
}

absl::Status ReadKind(const Value& obj, TaskKind* kind) {
  std::string name = "math";
  RETURN_IF_ERROR(GetStr(obj, "kind", &name));
  for (TaskKind k : {TaskKind::kMath, TaskKind::kCode, TaskKind::kCountdown}) {
    if (name == TaskKindName(k)) {
      *kind = k;
      return absl::OkStatus();
    }
  }
  return Bad("kind", "must be math, code or countdown, got \"" + name + "\"");
}

absl::Status ReadHistory(const Value& obj, std::vector<ChatTurn>* history) {
  auto it = obj.FindMember("history");
  if (it == obj.MemberEnd()) return absl::OkStatus();
  if (!it->value.IsArray()) return Bad("history", "must be a list");
  for (const Value& turn : it->value.GetArray()) {
    if (!turn.IsObject()) return Bad("history", "entries must be objects");
    ChatTurn t;
    RETURN_IF_ERROR(GetStr(turn, "role", &t.role, true));
    RETURN_IF_ERROR(GetStr(turn, "content", &t.content, true));
    history->push_back(std::move(t));
  }
  return absl::OkStatus();
}

absl::Status ReadTests(const Value& obj, std::optional<CodeTests>* tests) {
  auto it = obj.FindMember("tests");
  if (it == obj.MemberEnd() || it->value.IsNull()) return absl::OkStatus();
  if (!it->value.IsObject()) return Bad("tests", "must be an object");
  CodeTests t;
  RETURN_IF_ERROR(GetStr(it->value, "program", &t.program));
  RETURN_IF_ERROR(GetStr(it->value, "entry_point", &t.entry_point));
  RETURN_IF_ERROR(GetStrList(it->value, "asserts", &t.asserts));
  RETURN_IF_ERROR(GetStr(it->value, "setup", &t.setup));
  *tests = std::move(t);
  return absl::OkStatus();
}

absl::Status ReadCountdown(const Value& obj, std::optional<CountdownTask>* countdown) {
  auto it = obj.FindMember("countdown");
  if (it == obj.MemberEnd() || it->value.IsNull()) return absl::OkStatus();
  const Value& c = it->value;
  if (!c.IsObject()) return Bad("countdown", "must be an object");
  CountdownTask task;
  auto numbers = c.FindMember("numbers");
  if (numbers == c.MemberEnd() || !numbers->value.IsArray()) {
    return Bad("countdown.numbers", "must be a list of integers");
  }
  for (const Value& n : numbers->value.GetArray()) {
    if (!n.IsInt64()) return Bad("countdown.numbers", "must be a list of integers");
    task.numbers.push_back(n.GetInt64());
  }
  auto target = c.FindMember("target");
  if (target == c.MemberEnd() || !target->value.IsInt64()) {
    return Bad("countdown.target", "must be an integer");
  }
  task.target = target->value.GetInt64();
  *countdown = std::move(task);
  return absl::OkStatus();
}

}  // namespace

std::string ProblemToJson(const Problem& p) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  Str(w, "id", p.id);
  Str(w, "dataset", p.dataset);
  Str(w, "kind", TaskKindName(p.kind));
  Str(w, "prompt", p.prompt);
  Key(w, "history");
  w.StartArray();
  for (const ChatTurn& t : p.history) {
    w.StartObject();
    Str(w, "role", t.role);
    Str(w, "content", t.content);
    w.EndObject();
  }
  w.EndArray();
  Str(w, "answer", p.answer);
  Str(w, "solution", p.solution);
  Key(w, "tests");
  if (p.tests) {
    w.StartObject();
    Str(w, "program", p.tests->program);
    Str(w, "entry_point", p.tests->entry_point);
    StrList(w, "asserts", p.tests->asserts);
    Str(w, "setup", p.tests->setup);
    w.EndObject();
  } else {
    w.Null();
  }
  Key(w, "countdown");
  if (p.countdown) {
    w.StartObject();
    Key(w, "numbers");
    w.StartArray();
    for (int64_t n : p.countdown->numbers) w.Int64(n);
    w.EndArray();
    Key(w, "target");
    w.Int64(p.countdown->target);
    w.EndObject();
  } else {
    w.Null();
  }
  Str(w, "system_prompt", p.system_prompt);
  Str(w, "instruction", p.instruction);
  Key(w, "level");
  w.Int(p.level);
  Str(w, "subject", p.subject);
  Str(w, "source_path", p.source_path);
  Key(w, "source_line");
  w.Int64(p.source_line);
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

absl::StatusOr<Problem> ProblemFromJson(std::string_view json) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag>(json.data(),
                                                                                  json.size());
  if (doc.HasParseError()) {
    return absl::InvalidArgumentError(
        absl::StrCat("problem JSON: bad JSON at offset ", doc.GetErrorOffset(), ": ",
                     rapidjson::GetParseError_En(doc.GetParseError())));
  }
  if (!doc.IsObject()) return absl::InvalidArgumentError("problem JSON: not an object");
  Problem p;
  RETURN_IF_ERROR(GetStr(doc, "id", &p.id, true));
  RETURN_IF_ERROR(GetStr(doc, "dataset", &p.dataset));
  RETURN_IF_ERROR(ReadKind(doc, &p.kind));
  RETURN_IF_ERROR(GetStr(doc, "prompt", &p.prompt, true));
  RETURN_IF_ERROR(ReadHistory(doc, &p.history));
  RETURN_IF_ERROR(GetStr(doc, "answer", &p.answer));
  RETURN_IF_ERROR(GetStr(doc, "solution", &p.solution));
  RETURN_IF_ERROR(ReadTests(doc, &p.tests));
  RETURN_IF_ERROR(ReadCountdown(doc, &p.countdown));
  RETURN_IF_ERROR(GetStr(doc, "system_prompt", &p.system_prompt));
  RETURN_IF_ERROR(GetStr(doc, "instruction", &p.instruction));
  int64_t level = 0;
  RETURN_IF_ERROR(GetInt(doc, "level", &level));
  p.level = static_cast<int>(level);
  RETURN_IF_ERROR(GetStr(doc, "subject", &p.subject));
  RETURN_IF_ERROR(GetStr(doc, "source_path", &p.source_path));
  RETURN_IF_ERROR(GetInt(doc, "source_line", &p.source_line));
  return p;
}

bool operator==(const Problem& a, const Problem& b) {
  auto same_tests = [](const std::optional<CodeTests>& x, const std::optional<CodeTests>& y) {
    if (x.has_value() != y.has_value()) return false;
    return !x || (x->program == y->program && x->entry_point == y->entry_point &&
                  x->asserts == y->asserts && x->setup == y->setup);
  };
  auto same_countdown = [](const std::optional<CountdownTask>& x,
                           const std::optional<CountdownTask>& y) {
    if (x.has_value() != y.has_value()) return false;
    return !x || (x->numbers == y->numbers && x->target == y->target);
  };
  auto same_history = [](const std::vector<ChatTurn>& x, const std::vector<ChatTurn>& y) {
    if (x.size() != y.size()) return false;
    for (size_t i = 0; i < x.size(); ++i) {
      if (x[i].role != y[i].role || x[i].content != y[i].content) return false;
    }
    return true;
  };
  return a.id == b.id && a.dataset == b.dataset && a.kind == b.kind && a.prompt == b.prompt &&
         same_history(a.history, b.history) && a.answer == b.answer &&
         a.solution == b.solution && same_tests(a.tests, b.tests) &&
         same_countdown(a.countdown, b.countdown) && a.system_prompt == b.system_prompt &&
         a.instruction == b.instruction && a.level == b.level && a.subject == b.subject &&
         a.source_path == b.source_path && a.source_line == b.source_line;
}

}  // namespace zerorl::datasets
