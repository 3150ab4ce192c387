#include "datasets/internal/presets.h"

#include <utility>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/json.h"
#include "core/status.h"
#include "datasets/answers.h"
#include "rapidjson/document.h"
#include "rapidjson/error/en.h"

namespace zerorl::datasets::internal {

namespace {

using rapidjson::Value;

config::FieldMapConfig Keys(const char* id, const char* prompt, const char* messages,
                    const char* answer, const char* solution, const char* tests,
                    const char* entry_point, const char* test_setup, const char* level,
                    const char* subject) {
  return {id, prompt, messages, answer, solution, tests, entry_point, test_setup, level, subject};
}

const std::vector<Preset>& Presets() {
  static const std::vector<Preset> kPresets = {
      {"gsm8k", Keys("", "question", "", "answer", "answer", "", "", "", "", ""),
       AnswerRule::kGsm8k, false, false, false},
      {"math", Keys("unique_id|idx", "problem", "", "answer", "solution", "", "", "", "level",
                    "subject|type"),
       AnswerRule::kFieldOrBoxed, false, false, false},
      {"math500", Keys("unique_id|idx", "problem", "", "answer", "solution", "", "", "",
                       "level", "subject|type"),
       AnswerRule::kFieldOrBoxed, false, false, false},
      {"humaneval", Keys("task_id", "prompt", "", "", "canonical_solution", "test",
                         "entry_point", "", "", ""),
       AnswerRule::kNone, true, true, false},
      {"mbpp", Keys("task_id", "text", "", "", "code", "test_list", "", "test_setup_code", "",
                    ""),
       AnswerRule::kNone, true, false, true},
      {"generic", Keys("id", "prompt", "messages", "answer", "solution", "tests", "entry_point",
                       "test_setup", "level", "subject"),
       AnswerRule::kFieldOrBoxed, false, false, false},
  };
  return kPresets;
}

absl::Status Bad(std::string why) { return absl::InvalidArgumentError(std::move(why)); }

const char* TypeName(const Value& v) {
  if (v.IsString()) return "a string";
  if (v.IsNumber()) return "a number";
  if (v.IsBool()) return "a boolean";
  if (v.IsNull()) return "null";
  if (v.IsArray()) return "a list";
  return "an object";
}

// "a|b" -> "\"a\" (or \"b\")".
std::string KeyText(const std::string& keys) {
  std::vector<std::string> parts = absl::StrSplit(keys, '|');
  std::string text = "\"" + parts[0] + "\"";
  if (parts.size() > 1) {
    text += " (or \"" + absl::StrJoin(parts.begin() + 1, parts.end(), "\", \"") + "\")";
  }
  return text;
}

// The first of the "a|b" keys that `row` has with a non-null value; *used names it.
const Value* Find(const Value& row, const std::string& keys, std::string* used) {
  if (keys.empty()) return nullptr;
  for (absl::string_view key : absl::StrSplit(keys, '|')) {
    auto it = row.FindMember(Value(rapidjson::StringRef(key.data(), key.size())));
    if (it != row.MemberEnd() && !it->value.IsNull()) {
      *used = std::string(key);
      return &it->value;
    }
  }
  return nullptr;
}

bool IsBlank(const std::string& s) { return s.find_first_not_of(" \t\r\n") == std::string::npos; }

// A text field; numbers are taken as their JSON text when `numbers` is set. Absent (or
// null) is an error only when `required`.
absl::Status ReadText(const Value& row, const std::string& keys, bool required, bool numbers,
                      std::string* out) {
  std::string used;
  const Value* v = Find(row, keys, &used);
  if (v == nullptr) {
    return required ? Bad("missing field " + KeyText(keys)) : absl::OkStatus();
  }
  if (v->IsString()) {
    out->assign(v->GetString(), v->GetStringLength());
  } else if (numbers && v->IsNumber()) {
    *out = core::JsonToString(*v);
  } else {
    return Bad("field \"" + used + "\" must be a string" + (numbers ? " or a number" : "") +
               ", got " + TypeName(*v));
  }
  return absl::OkStatus();
}

// `messages`: [{role, content}]. The last user turn is the prompt, earlier non-system turns
// are history, the first system turn is the system prompt, and an assistant turn after the
// prompt is the reference solution.
absl::Status ReadMessages(const Value& v, const std::string& key, Problem* p) {
  if (!v.IsArray()) return Bad("field \"" + key + "\" must be a list, got " + TypeName(v));
  std::vector<ChatTurn> turns;
  for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
    const Value& m = v[i];
    std::string where = "\"" + key + "\"[" + std::to_string(i) + "]";
    if (!m.IsObject()) return Bad(where + " must be an object, got " + TypeName(m));
    ChatTurn turn;
    auto role = m.FindMember("role");
    auto content = m.FindMember("content");
    if (role == m.MemberEnd() || !role->value.IsString()) {
      return Bad(where + ".role must be a string");
    }
    if (content == m.MemberEnd() || !content->value.IsString()) {
      return Bad(where + ".content must be a string");
    }
    turn.role.assign(role->value.GetString(), role->value.GetStringLength());
    turn.content.assign(content->value.GetString(), content->value.GetStringLength());
    turns.push_back(std::move(turn));
  }
  int last_user = -1;
  for (size_t i = 0; i < turns.size(); ++i) {
    if (turns[i].role == "user") last_user = static_cast<int>(i);
  }
  if (last_user < 0) return Bad("field \"" + key + "\" has no user turn");
  for (int i = 0; i < static_cast<int>(turns.size()); ++i) {
    ChatTurn& turn = turns[i];
    if (turn.role == "system") {
      if (p->system_prompt.empty()) p->system_prompt = std::move(turn.content);
    } else if (i < last_user) {
      p->history.push_back(std::move(turn));
    } else if (i == last_user) {
      p->prompt = std::move(turn.content);
    } else if (turn.role == "assistant" && p->solution.empty()) {
      p->solution = std::move(turn.content);
    }
  }
  return absl::OkStatus();
}

absl::Status ReadTests(const Value& row, const std::string& keys, CodeTests* tests,
                       bool* present) {
  std::string used;
  const Value* v = Find(row, keys, &used);
  *present = v != nullptr;
  if (v == nullptr) return absl::OkStatus();
  if (v->IsString()) {
    tests->program.assign(v->GetString(), v->GetStringLength());
    if (IsBlank(tests->program)) return Bad("empty tests (field \"" + used + "\")");
    return absl::OkStatus();
  }
  if (!v->IsArray()) {
    return Bad("field \"" + used + "\" must be a string or a list of strings, got " +
               TypeName(*v));
  }
  for (rapidjson::SizeType i = 0; i < v->Size(); ++i) {
    if (!(*v)[i].IsString()) {
      return Bad("field \"" + used + "\"[" + std::to_string(i) + "] must be a string, got " +
                 TypeName((*v)[i]));
    }
    tests->asserts.emplace_back((*v)[i].GetString(), (*v)[i].GetStringLength());
  }
  if (tests->asserts.empty()) return Bad("empty tests (field \"" + used + "\" is [])");
  return absl::OkStatus();
}

// An integer, "Level N", or "Level ?" (unknown: 0).
absl::Status ReadLevel(const Value& row, const std::string& keys, int* level) {
  std::string used;
  const Value* v = Find(row, keys, &used);
  if (v == nullptr) return absl::OkStatus();
  if (v->IsInt()) {
    *level = v->GetInt();
    return absl::OkStatus();
  }
  if (v->IsString()) {
    std::string s(v->GetString(), v->GetStringLength());
    if (s.rfind("Level ", 0) == 0) s = s.substr(6);
    if (s == "?") return absl::OkStatus();
    if (!s.empty() && s.size() <= 3 && s.find_first_not_of("0123456789") == std::string::npos) {
      *level = std::stoi(s);
      return absl::OkStatus();
    }
  }
  return Bad("field \"" + used + "\" must be an integer or \"Level N\", got " +
             (v->IsString() ? "\"" + std::string(v->GetString()) + "\"" : TypeName(*v)));
}

absl::Status ReadId(const Value& row, const std::string& keys, const std::string& name,
                    std::string* id) {
  std::string used;
  const Value* v = Find(row, keys, &used);
  if (v == nullptr) return absl::OkStatus();
  if (v->IsString() && v->GetStringLength() > 0) {
    id->assign(v->GetString(), v->GetStringLength());
  } else if (v->IsInt64()) {
    *id = name + "/" + std::to_string(v->GetInt64());
  } else {
    return Bad("field \"" + used + "\" must be a non-empty string or an integer, got " +
               TypeName(*v));
  }
  return absl::OkStatus();
}

std::string NormalizeNewlines(std::string text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
    out += text[i];
  }
  return out;
}

absl::Status ReadAnswer(const Value& row, const Preset& preset, const config::FieldMapConfig& keys,
                        bool has_tests, Problem* p) {
  if (preset.answer_rule == AnswerRule::kNone) return absl::OkStatus();
  if (preset.answer_rule == AnswerRule::kGsm8k) {
    std::string text;
    RETURN_IF_ERROR(ReadText(row, keys.answer, true, false, &text));
    std::optional<std::string> answer = Gsm8kFinalAnswer(text);
    if (!answer) return Bad("field " + KeyText(keys.answer) + " has no \"#### N\" final answer");
    p->answer = *std::move(answer);
    return absl::OkStatus();
  }
  // kFieldOrBoxed: a row with tests needs no answer (generic code problems).
  std::string used;
  bool has_field = Find(row, keys.answer, &used) != nullptr;
  if (has_field) {
    RETURN_IF_ERROR(ReadText(row, keys.answer, true, true, &p->answer));
    if (IsBlank(p->answer)) return Bad("empty answer (field \"" + used + "\")");
    return absl::OkStatus();
  }
  if (has_tests) return absl::OkStatus();
  if (!p->solution.empty()) {
    std::optional<std::string> boxed = LastBoxed(p->solution);
    if (!boxed || IsBlank(*boxed)) {
      return Bad("no field " + KeyText(keys.answer) + " and no \\boxed{} answer in field " +
                 KeyText(keys.solution));
    }
    p->answer = *std::move(boxed);
    return absl::OkStatus();
  }
  return Bad("missing field " + KeyText(keys.answer) +
             (keys.solution.empty() ? "" : " (and no " + KeyText(keys.solution) + ")"));
}

}  // namespace

const Preset* FindJsonlPreset(const std::string& name) {
  for (const Preset& p : Presets()) {
    if (name == p.name) return &p;
  }
  return nullptr;
}

absl::StatusOr<RowParser> RowParser::Create(const config::DatasetConfig& config) {
  const Preset* preset = FindJsonlPreset(config.preset);
  if (preset == nullptr) {
    return absl::InvalidArgumentError("preset \"" + config.preset + "\" reads no JSONL file");
  }
  RowParser parser;
  parser.preset_ = preset;
  parser.keys_ = preset->keys;
  const config::FieldMapConfig& o = config.fields;
  auto use = [](std::string& key, const std::string& override_key) {
    if (!override_key.empty()) key = override_key;
  };
  use(parser.keys_.id, o.id);
  use(parser.keys_.prompt, o.prompt);
  use(parser.keys_.messages, o.messages);
  use(parser.keys_.answer, o.answer);
  use(parser.keys_.solution, o.solution);
  use(parser.keys_.tests, o.tests);
  use(parser.keys_.entry_point, o.entry_point);
  use(parser.keys_.test_setup, o.test_setup);
  use(parser.keys_.level, o.level);
  use(parser.keys_.subject, o.subject);
  parser.name_ = config.Name();
  parser.path_ = config.path;
  std::string stem = config.path.substr(config.path.find_last_of('/') + 1);
  parser.stem_ = stem.substr(0, stem.find('.'));
  parser.system_prompt_ = config.system_prompt;
  parser.instruction_ = config.instruction;
  return parser;
}

absl::StatusOr<Problem> RowParser::Parse(std::string_view line, int64_t line_number) const {
  rapidjson::Document doc;
  // Iterative: a hostile "[[[[..." line cannot exhaust the stack.
  doc.Parse<rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag>(line.data(),
                                                                                  line.size());
  if (doc.HasParseError()) {
    return Bad("bad JSON at column " + std::to_string(doc.GetErrorOffset() + 1) + ": " +
               rapidjson::GetParseError_En(doc.GetParseError()));
  }
  if (!doc.IsObject()) return Bad(std::string("not a JSON object (got ") + TypeName(doc) + ")");
  const Preset& preset = *preset_;
  Problem p;
  p.dataset = name_;
  p.source_path = path_;
  p.source_line = line_number;
  p.id = name_ + "/" + stem_ + "/" + std::to_string(line_number - 1);
  RETURN_IF_ERROR(ReadId(doc, keys_.id, name_, &p.id));
  std::string used;
  const Value* messages = Find(doc, keys_.messages, &used);
  if (Find(doc, keys_.prompt, &used) == nullptr && messages != nullptr) {
    RETURN_IF_ERROR(ReadMessages(*messages, used, &p));
    if (IsBlank(p.prompt)) return Bad("empty prompt (the last user turn of \"" + used + "\")");
  } else {
    RETURN_IF_ERROR(ReadText(doc, keys_.prompt, true, false, &p.prompt));
    if (IsBlank(p.prompt)) return Bad("empty prompt (field " + KeyText(keys_.prompt) + ")");
  }
  if (!system_prompt_.empty()) p.system_prompt = system_prompt_;
  p.instruction = instruction_;

  CodeTests tests;
  bool has_tests = false;
  RETURN_IF_ERROR(ReadTests(doc, keys_.tests, &tests, &has_tests));
  if (preset.needs_tests && !has_tests) return Bad("missing field " + KeyText(keys_.tests));
  RETURN_IF_ERROR(ReadText(doc, keys_.entry_point, preset.needs_entry_point, false,
                           &tests.entry_point));
  RETURN_IF_ERROR(ReadText(doc, keys_.test_setup, false, false, &tests.setup));
  if (has_tests) {
    p.kind = TaskKind::kCode;
    if (preset.tests_in_prompt && !tests.asserts.empty()) {
      p.prompt += "\nYour code should pass these tests:\n" + absl::StrJoin(tests.asserts, "\n");
    }
    p.tests = std::move(tests);
  }
  std::string solution;
  RETURN_IF_ERROR(ReadText(doc, keys_.solution, false, false, &solution));
  if (!solution.empty()) p.solution = NormalizeNewlines(std::move(solution));
  RETURN_IF_ERROR(ReadAnswer(doc, preset, keys_, has_tests, &p));
  RETURN_IF_ERROR(ReadLevel(doc, keys_.level, &p.level));
  RETURN_IF_ERROR(ReadText(doc, keys_.subject, false, false, &p.subject));
  return p;
}

}  // namespace zerorl::datasets::internal
