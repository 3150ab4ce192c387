#include "reward/offline_scoring.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "core/json.h"
#include "core/status.h"
#include "datasets/datasets.h"
#include "metrics/sink.h"

namespace zerorl::reward {
namespace {

using rapidjson::Value;

absl::Status Bad(int64_t line, const std::string& why) {
  return absl::InvalidArgumentError(absl::StrCat("line ", line, ": ", why));
}

// Tests in any of the accepted forms, as the problem object's "tests".
absl::StatusOr<Value> TestsObject(const Value& tests, const Value* entry_point,
                                  rapidjson::Document::AllocatorType& a) {
  Value out(rapidjson::kObjectType);
  if (tests.IsString()) {
    out.AddMember("program", Value(tests, a), a);
    if (entry_point != nullptr) {
      if (!entry_point->IsString()) return absl::InvalidArgumentError("\"entry_point\" must be a string");
      out.AddMember("entry_point", Value(*entry_point, a), a);
    }
    return out;
  }
  if (tests.IsArray()) {
    for (const Value& t : tests.GetArray()) {
      if (!t.IsString()) return absl::InvalidArgumentError("\"tests\" as a list must hold strings (assert lines)");
    }
    out.AddMember("asserts", Value(tests, a), a);
    return out;
  }
  if (tests.IsObject()) return Value(tests, a);
  return absl::InvalidArgumentError(
      "\"tests\" must be a program (string), a list of assert lines, or an object");
}

std::string AnswerText(const Value& answer) {
  if (answer.IsString()) return std::string(answer.GetString(), answer.GetStringLength());
  return core::JsonToString(answer);  // a number
}

}  // namespace

absl::StatusOr<ScoreLine> ParseScoreLine(std::string_view text, int64_t line,
                                         const ScoreLineOptions& options) {
  absl::StatusOr<rapidjson::Document> parsed = core::ParseJson(text);
  if (!parsed.ok()) return Bad(line, std::string(parsed.status().message()));
  rapidjson::Document& doc = *parsed;
  if (!doc.IsObject()) return Bad(line, "not a JSON object");
  auto& a = doc.GetAllocator();
  auto find = [&](const char* key) -> const Value* {
    auto it = doc.FindMember(key);
    return it == doc.MemberEnd() || it->value.IsNull() ? nullptr : &it->value;
  };
  ScoreLine out;
  const Value* prompt = find("prompt");
  if (prompt == nullptr || !prompt->IsString()) return Bad(line, "\"prompt\" must be a string");
  out.prompt.text.assign(prompt->GetString(), prompt->GetStringLength());
  const Value* completion = find(options.completion_key.c_str());
  if (completion == nullptr || !completion->IsString()) {
    return Bad(line, "\"" + options.completion_key + "\" must be a string");
  }
  out.completion.assign(completion->GetString(), completion->GetStringLength());
  if (const Value* answer = find("answer")) {
    if (!answer->IsString() && !answer->IsNumber()) return Bad(line, "\"answer\" must be a string or a number");
    out.prompt.answer = AnswerText(*answer);
  }
  if (const Value* n = find("num_tokens")) {
    if (!n->IsInt64() || n->GetInt64() < 0) return Bad(line, "\"num_tokens\" must be an integer >= 0");
    out.num_tokens = n->GetInt64();
  }
  if (const Value* id = find("id")) {
    if (!id->IsString() && !id->IsNumber()) return Bad(line, "\"id\" must be a string or a number");
    out.id = core::JsonToString(*id);
  }

  // The problem: `metadata`, or else the line itself, completed with the line's own keys.
  Value problem(rapidjson::kObjectType);
  if (const Value* metadata = find("metadata")) {
    if (!metadata->IsObject()) return Bad(line, "\"metadata\" must be an object");
    problem.CopyFrom(*metadata, a);
  } else {
    problem.CopyFrom(doc, a);
  }
  auto set = [&](const char* key, Value value) {
    problem.RemoveMember(key);
    problem.AddMember(Value(key, a), value, a);
  };
  if (!problem.HasMember("id") || !problem["id"].IsString()) {
    const Value* id = problem.HasMember("id") ? &problem["id"] : find("id");
    std::string problem_id = id == nullptr || id->IsNull() ? absl::StrCat("line-", line)
                             : id->IsString() ? std::string(id->GetString(), id->GetStringLength())
                                              : core::JsonToString(*id);
    set("id", Value(problem_id, a));
  }
  if (!problem.HasMember("prompt")) set("prompt", Value(*prompt, a));
  if (!out.prompt.answer.empty()) set("answer", Value(out.prompt.answer, a));
  if (const Value* tests = find("tests")) {
    absl::StatusOr<Value> object = TestsObject(*tests, find("entry_point"), a);
    if (!object.ok()) return Bad(line, std::string(object.status().message()));
    set("tests", *std::move(object));
  }
  if (const Value* countdown = find("countdown")) set("countdown", Value(*countdown, a));
  if (const Value* kind = find("kind")) {
    set("kind", Value(*kind, a));
  } else if (!problem.HasMember("kind")) {
    const char* inferred = problem.HasMember("tests") && !problem["tests"].IsNull() ? "code"
                           : problem.HasMember("countdown") && !problem["countdown"].IsNull()
                               ? "countdown"
                               : "math";
    set("kind", Value(inferred, a));
  }
  out.prompt.metadata = core::JsonToString(problem);
  absl::StatusOr<datasets::Problem> check = datasets::ProblemFromJson(out.prompt.metadata);
  if (!check.ok()) return Bad(line, std::string(check.status().message()));
  if (out.prompt.answer.empty()) out.prompt.answer = check->answer;
  return out;
}

std::string ScoredLineJson(int64_t line, const std::string& id,
                           const std::vector<std::string>& functions, const SampleReward& reward) {
  metrics::MetricsRow row;
  row.Add("line", line);
  if (!id.empty()) {
    absl::StatusOr<rapidjson::Document> parsed = core::ParseJson(id);
    if (parsed.ok() && parsed->IsString()) row.Add("id", std::string(parsed->GetString()));
    if (parsed.ok() && parsed->IsInt64()) row.Add("id", parsed->GetInt64());
    if (parsed.ok() && parsed->IsNumber() && !parsed->IsInt64()) row.Add("id", parsed->GetDouble());
  }
  row.Add("total", reward.total);
  metrics::MetricsRow scores;
  for (size_t f = 0; f < functions.size() && f < reward.scores.size(); ++f) {
    const wire::FunctionScore& s = reward.scores[f];
    metrics::MetricsRow score;
    score.Add("value", s.mark == wire::ScoreMark::kOk ? s.value : std::nan(""));
    score.Add("mark", wire::ScoreMarkName(s.mark));
    score.Add("detail", s.detail);
    scores.Add(functions[f], std::move(score));
  }
  row.Add("scores", std::move(scores));
  return row.ToJson();
}

std::string ErrorLineJson(int64_t line, const std::string& message) {
  metrics::MetricsRow row;
  row.Add("line", line);
  row.Add("error", message);
  return row.ToJson();
}

}  // namespace zerorl::reward
