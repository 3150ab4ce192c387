// `zerorl tokenize --tokenizer PATH [--add-special-tokens] [--decode]`: JSON lines in,
// JSON lines out, one output line per input line, in order.
//   encode: {"text": str}   -> {"ids": [int, ...]}
//   decode: {"ids": [int]}  -> {"text": str}
// A line that cannot be handled (not JSON, missing field, wrong type, id out of range) gets
// {"error": "line N: why"} in its place and the rest go on; the exit code is 0 unless the
// tokenizer cannot be loaded (2, with a one-line reason on stderr).
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "cli/command.h"
#include "core/json.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"
#include "tokenizer/tokenizer.h"

namespace zerorl::cli {
namespace {

struct TokenizeArgs {
  std::string tokenizer;
  bool add_special_tokens = false;
  bool decode = false;
};

std::string OneLine(std::string_view message) {
  std::string line(message);
  for (char& c : line) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return line;
}

// {"KEY": VALUE} with VALUE written by `write`.
template <typename Fn>
std::string JsonObject(const char* key, Fn&& write) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();
  writer.Key(key);
  write(writer);
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string ErrorLine(int64_t line_number, const std::string& why) {
  std::string message = OneLine(absl::StrCat("line ", line_number, ": ", why));
  return JsonObject("error", [&](auto& w) {
    w.String(message.data(), static_cast<rapidjson::SizeType>(message.size()));
  });
}

// The member `key` of the line's JSON object, or an error naming what is wrong.
absl::StatusOr<const rapidjson::Value*> Field(const absl::StatusOr<rapidjson::Document>& doc,
                                              const char* key) {
  if (!doc.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("not JSON: ", doc.status().message()));
  }
  if (!doc->IsObject()) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected a JSON object like {\"", key, "\": ...}"));
  }
  auto it = doc->FindMember(key);
  if (it == doc->MemberEnd()) {
    return absl::InvalidArgumentError(absl::StrCat("missing field \"", key, "\""));
  }
  return &it->value;
}

std::string EncodeLine(const tokenizer::Tokenizer& tok, const tokenizer::EncodeOptions& options,
                       const std::string& line, int64_t line_number) {
  absl::StatusOr<rapidjson::Document> doc = core::ParseJson(line);
  absl::StatusOr<const rapidjson::Value*> text = Field(doc, "text");
  if (!text.ok()) return ErrorLine(line_number, std::string(text.status().message()));
  if (!(*text)->IsString()) return ErrorLine(line_number, "\"text\" must be a string");
  std::vector<int32_t> ids =
      tok.Encode(std::string_view((*text)->GetString(), (*text)->GetStringLength()), options);
  return JsonObject("ids", [&](auto& w) {
    w.StartArray();
    for (int32_t id : ids) w.Int(id);
    w.EndArray();
  });
}

std::string DecodeLine(const tokenizer::Tokenizer& tok, const std::string& line,
                       int64_t line_number) {
  absl::StatusOr<rapidjson::Document> doc = core::ParseJson(line);
  absl::StatusOr<const rapidjson::Value*> ids_value = Field(doc, "ids");
  if (!ids_value.ok()) return ErrorLine(line_number, std::string(ids_value.status().message()));
  const rapidjson::Value& array = **ids_value;
  if (!array.IsArray()) return ErrorLine(line_number, "\"ids\" must be an array of integers");
  std::vector<int32_t> ids;
  ids.reserve(array.Size());
  for (rapidjson::SizeType i = 0; i < array.Size(); ++i) {
    if (!array[i].IsInt()) {
      return ErrorLine(line_number, absl::StrCat("ids[", i, "] is not an integer token id"));
    }
    ids.push_back(array[i].GetInt());
  }
  absl::StatusOr<std::string> text = tok.Decode(ids);
  if (!text.ok()) return ErrorLine(line_number, std::string(text.status().message()));
  return JsonObject("text", [&](auto& w) {
    w.String(text->data(), static_cast<rapidjson::SizeType>(text->size()));
  });
}

int RunTokenize(const TokenizeArgs& args) {
  absl::StatusOr<tokenizer::Tokenizer> tok = tokenizer::Tokenizer::Load(args.tokenizer);
  if (!tok.ok()) {
    std::cerr << "zerorl tokenize: " << OneLine(std::string(tok.status().message())) << "\n";
    return kExitBadInput;
  }
  tokenizer::EncodeOptions options;
  options.add_special_tokens = args.add_special_tokens;
  std::ios::sync_with_stdio(false);
  std::string line;
  int64_t line_number = 0;
  while (std::getline(std::cin, line)) {
    ++line_number;
    // One line out per line in, flushed, so that a caller may feed it line by line.
    std::cout << (args.decode ? DecodeLine(*tok, line, line_number)
                              : EncodeLine(*tok, options, line, line_number))
              << std::endl;
  }
  return kExitOk;
}

}  // namespace

void AddTokenizeCommand(CLI::App& app, CommandMain* run) {
  auto args = std::make_shared<TokenizeArgs>();
  CLI::App* cmd = app.add_subcommand(
      "tokenize",
      "encode JSON lines {\"text\": str} to {\"ids\": [...]} (or decode {\"ids\": [...]} to "
      "{\"text\": str}) with a Hugging Face tokenizer; stdin to stdout, one line per line");
  cmd->add_option("--tokenizer", args->tokenizer,
                  "folder with tokenizer.json (+ tokenizer_config.json), or a tokenizer.json")
      ->required();
  CLI::Option* decode = cmd->add_flag("--decode", args->decode,
                                      "read {\"ids\": [...]} lines and write {\"text\": str}");
  cmd->add_flag("--add-special-tokens", args->add_special_tokens,
                "add the tokens transformers adds around a text (e.g. DeepSeek's BOS)")
      ->excludes(decode);
  cmd->callback([run, args] { *run = [args] { return RunTokenize(*args); }; });
}

}  // namespace zerorl::cli
