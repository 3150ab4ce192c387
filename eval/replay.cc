#include "eval/replay.h"

#include <fstream>
#include <map>

#include "absl/strings/str_cat.h"
#include "core/json.h"

namespace zerorl::eval {
namespace {

absl::Status Bad(const std::string& source, int64_t line, const std::string& why) {
  return absl::InvalidArgumentError(absl::StrCat(source, ":", line, ": ", why));
}

// Fills *out from one element of "completions"; "" or the reason it is unusable.
std::string ReadCompletion(const rapidjson::Value& v, size_t i, Completion* out) {
  std::string where = absl::StrCat("completions[", i, "]");
  if (v.IsString()) {
    out->text.assign(v.GetString(), v.GetStringLength());
    return "";
  }
  if (!v.IsObject()) return where + " must be a string or an object with \"text\"";
  auto text = v.FindMember("text");
  if (text == v.MemberEnd() || !text->value.IsString()) {
    return where + ".text: missing or not a string";
  }
  out->text.assign(text->value.GetString(), text->value.GetStringLength());
  auto tokens = v.FindMember("num_tokens");
  if (tokens != v.MemberEnd()) {
    if (!tokens->value.IsInt64() || tokens->value.GetInt64() < 0) {
      return where + ".num_tokens: must be an integer >= 0";
    }
    out->num_tokens = tokens->value.GetInt64();
  }
  auto finish = v.FindMember("finish_reason");
  if (finish != v.MemberEnd()) {
    std::string reason = finish->value.IsString() ? finish->value.GetString() : "";
    if (reason != "stop" && reason != "length" && reason != "abort") {
      return where + ".finish_reason: must be \"stop\", \"length\" or \"abort\"";
    }
    out->finish_reason = reason;
  }
  return "";
}

}  // namespace

absl::StatusOr<ReplayLine> ParseReplayLine(std::string_view text, int64_t line_number,
                                           const std::string& source) {
  absl::StatusOr<rapidjson::Document> doc = core::ParseJson(text);
  if (!doc.ok()) return Bad(source, line_number, absl::StrCat("not JSON: ", std::string(doc.status().message())));
  if (!doc->IsObject()) {
    return Bad(source, line_number, "expected an object {\"id\" or \"index\", \"completions\": [...]}");
  }
  ReplayLine line;
  line.line_number = line_number;
  auto id = doc->FindMember("id");
  auto index = doc->FindMember("index");
  if ((id == doc->MemberEnd()) == (index == doc->MemberEnd())) {
    return Bad(source, line_number, "give exactly one of \"id\" and \"index\"");
  }
  if (id != doc->MemberEnd()) {
    if (id->value.IsString()) {
      line.id.assign(id->value.GetString(), id->value.GetStringLength());
    } else if (id->value.IsInt64()) {
      line.id = std::to_string(id->value.GetInt64());
    } else {
      return Bad(source, line_number, "\"id\" must be a string or an integer");
    }
    if (line.id.empty()) return Bad(source, line_number, "\"id\" is empty");
  } else {
    if (!index->value.IsInt64() || index->value.GetInt64() < 0) {
      return Bad(source, line_number, "\"index\" must be an integer >= 0");
    }
    line.index = index->value.GetInt64();
  }
  auto completions = doc->FindMember("completions");
  if (completions == doc->MemberEnd() || !completions->value.IsArray()) {
    return Bad(source, line_number, "missing \"completions\": a list of strings");
  }
  if (completions->value.Empty()) return Bad(source, line_number, "\"completions\" is empty");
  for (rapidjson::SizeType i = 0; i < completions->value.Size(); ++i) {
    Completion c;
    std::string why = ReadCompletion(completions->value[i], i, &c);
    if (!why.empty()) return Bad(source, line_number, why);
    line.completions.push_back(std::move(c));
  }
  return line;
}

absl::StatusOr<std::vector<ReplayLine>> ReadReplayFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("--completions ", path, ": cannot open"));
  std::vector<ReplayLine> lines;
  std::string text;
  int64_t number = 0;
  while (std::getline(in, text)) {
    ++number;
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    absl::StatusOr<ReplayLine> line = ParseReplayLine(text, number, path);
    if (!line.ok()) return line.status();
    lines.push_back(*std::move(line));
  }
  if (lines.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("--completions ", path, ": no lines"));
  }
  return lines;
}

absl::StatusOr<std::vector<size_t>> MatchReplay(const std::vector<ReplayLine>& lines,
                                                const std::vector<datasets::Problem>& problems,
                                                const std::string& source) {
  std::map<std::string, size_t> by_id;
  for (size_t i = 0; i < problems.size(); ++i) by_id.emplace(problems[i].id, i);
  std::vector<size_t> out;
  std::map<size_t, int64_t> seen;  // problem -> line
  for (const ReplayLine& line : lines) {
    size_t problem = 0;
    if (line.index >= 0) {
      if (static_cast<size_t>(line.index) >= problems.size()) {
        return Bad(source, line.line_number,
                   absl::StrCat("\"index\" ", line.index, " is past the dataset's ",
                                problems.size(), " problems"));
      }
      problem = static_cast<size_t>(line.index);
    } else {
      auto it = by_id.find(line.id);
      // A bare number names "<dataset>/<n>" when the dataset numbers its ids that way.
      if (it == by_id.end() && !problems.empty()) {
        it = by_id.find(problems[0].dataset + "/" + line.id);
      }
      if (it == by_id.end()) {
        return Bad(source, line.line_number,
                   absl::StrCat("id \"", line.id, "\" is not in the dataset"));
      }
      problem = it->second;
    }
    auto [it, fresh] = seen.emplace(problem, line.line_number);
    if (!fresh) {
      return Bad(source, line.line_number,
                 absl::StrCat("problem ", problems[problem].id, " was already given on line ",
                              it->second));
    }
    out.push_back(problem);
  }
  return out;
}

}  // namespace zerorl::eval
