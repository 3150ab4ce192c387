// `zerorl verify math [--input FILE|-] [--threads N]`: the math checker over JSON lines.
//
// Input, one object a line: {"gold": str, "pred": str, "options": {...}?} (options as in
// ../shared/data/verifier/README.md plus "deadline_ms"). Output, one line per input line,
// in input order: {"verdict": "correct"|"incorrect"|"unverifiable", "gold_answer": str,
// "pred_answer": str, "reason": str}. A line that is not such an object gets
// {"verdict": "unverifiable", "reason": "bad input line N: ..."} and the run goes on.
// Exit code 0 when the input could be read to the end (bad lines included), 2 when the
// input file cannot be opened.
#include <atomic>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cli/command.h"
#include "core/json.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"
#include "verifiers/math/verifier.h"

namespace zerorl::cli {
namespace {

// Lines are verified in blocks so that output order is kept and memory stays bounded.
constexpr size_t kBlockLines = 1024;

struct VerifyArgs {
  std::string input = "-";
  int threads = 1;
};

std::string VerdictJson(const math::MathVerdict& v, bool with_answers) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("verdict");
  w.String(math::MathVerdictName(v.verdict));
  if (with_answers) {
    w.Key("gold_answer");
    w.String(v.gold_answer.data(), static_cast<rapidjson::SizeType>(v.gold_answer.size()));
    w.Key("pred_answer");
    w.String(v.pred_answer.data(), static_cast<rapidjson::SizeType>(v.pred_answer.size()));
  }
  w.Key("reason");
  w.String(v.reason.data(), static_cast<rapidjson::SizeType>(v.reason.size()));
  w.EndObject();
  return buffer.GetString();
}

std::string BadLine(size_t line_number, const std::string& why) {
  math::MathVerdict v;
  v.reason = "bad input line " + std::to_string(line_number) + ": " + why;
  return VerdictJson(v, /*with_answers=*/false);
}

// One input line to one output line; never fails.
std::string VerifyLine(const std::string& line, size_t line_number) {
  if (line.find_first_not_of(" \t\r") == std::string::npos) return BadLine(line_number, "empty line");
  absl::StatusOr<rapidjson::Document> doc = core::ParseJson(line);
  if (!doc.ok()) return BadLine(line_number, "not JSON (" + std::string(doc.status().message()) + ")");
  if (!doc->IsObject()) return BadLine(line_number, "expected a JSON object");
  std::string fields[2];
  const char* names[2] = {"gold", "pred"};
  for (int i = 0; i < 2; ++i) {
    auto it = doc->FindMember(names[i]);
    if (it == doc->MemberEnd()) return BadLine(line_number, std::string("missing \"") + names[i] + "\"");
    if (!it->value.IsString()) return BadLine(line_number, std::string("\"") + names[i] + "\" must be a string");
    fields[i].assign(it->value.GetString(), it->value.GetStringLength());
  }
  for (const auto& m : doc->GetObject()) {
    std::string key(m.name.GetString(), m.name.GetStringLength());
    if (key != "gold" && key != "pred" && key != "options") {
      return BadLine(line_number, "unknown field \"" + key + "\" (fields: gold, pred, options)");
    }
  }
  math::MathOptions options;
  auto opts = doc->FindMember("options");
  if (opts != doc->MemberEnd()) {
    absl::Status s = math::MathOptionsFromJson(opts->value, &options);
    if (!s.ok()) return BadLine(line_number, std::string(s.message()));
  }
  return VerdictJson(math::VerifyMath(fields[0], fields[1], options), /*with_answers=*/true);
}

void VerifyBlock(const std::vector<std::string>& lines, size_t first_line_number, int threads,
                 std::vector<std::string>* out) {
  out->assign(lines.size(), std::string());
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < lines.size(); i = next++) (*out)[i] = VerifyLine(lines[i], first_line_number + i);
  };
  int n = std::max(1, std::min<int>(threads, static_cast<int>(lines.size())));
  std::vector<std::thread> pool;
  for (int t = 1; t < n; ++t) pool.emplace_back(work);
  work();
  for (auto& th : pool) th.join();
}

int RunVerifyMath(const VerifyArgs& args) {
  std::ifstream file;
  std::istream* in = &std::cin;
  if (args.input != "-") {
    file.open(args.input);
    if (!file) {
      return ReportError("verify math", absl::NotFoundError("cannot open --input " + args.input));
    }
    in = &file;
  }
  std::ios::sync_with_stdio(false);
  std::vector<std::string> lines, results;
  size_t line_number = 0;
  std::string line;
  bool more = true;
  while (more) {
    lines.clear();
    while (lines.size() < kBlockLines && (more = static_cast<bool>(std::getline(*in, line)))) {
      lines.push_back(std::move(line));
    }
    VerifyBlock(lines, line_number + 1, args.threads, &results);
    line_number += lines.size();
    for (const std::string& r : results) std::cout << r << '\n';
    std::cout.flush();
  }
  if (in->bad()) return ReportError("verify math", absl::DataLossError("reading " + args.input + " failed"));
  return kExitOk;
}

}  // namespace

void AddVerifyCommand(CLI::App& app, CommandMain* run) {
  CLI::App* verify = app.add_subcommand("verify", "check answers with zerorl's verifiers");
  verify->require_subcommand(1);
  auto args = std::make_shared<VerifyArgs>();
  CLI::App* math = verify->add_subcommand(
      "math",
      "math answers: reads JSON lines {\"gold\", \"pred\", \"options\"?} and writes one line per input, "
      "in order: {\"verdict\", \"gold_answer\", \"pred_answer\", \"reason\"}");
  math->add_option("--input", args->input, "JSON-lines file, or - for stdin (default)");
  math->add_option("--threads", args->threads, "verifier threads (default 1)")->check(CLI::Range(1, 256));
  math->callback([run, args] { *run = [args] { return RunVerifyMath(*args); }; });
}

}  // namespace zerorl::cli
