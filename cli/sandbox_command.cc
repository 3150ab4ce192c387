// `zerorl sandbox run|judge`: run one program in the code sandbox, or judge JSON lines of
// programs against their tests (verifiers/sandbox/sandbox.h, verifiers/sandbox/judge.h).
//
//   zerorl sandbox run --lang python|cpp [--stdin FILE] [--time-limit-ms N] [--memory-mib N] FILE
//     prints one JSON object (status, exit_code, signal, stdout, stderr, wall_ms, cpu_ms,
//     max_rss_kib) and exits 0 whatever the program did; 1 when the sandbox could not run
//     it, 2 for bad usage.
//   zerorl sandbox judge [--input FILE|-] [--workers N]
//     reads judge requests (verifiers/sandbox/json.h), one JSON object a line, and writes one line per
//     request, in order: {"passed", "pass_fraction", "results"}. A bad line gets a line with
//     "error" and makes the exit code 2; a request the sandbox failed on, 1.
#include <deque>
#include <fstream>
#include <future>
#include <iostream>
#include <memory>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "cli/command.h"
#include "core/json.h"
#include "verifiers/sandbox/json.h"
#include "verifiers/sandbox/languages.h"
#include "verifiers/sandbox/pool.h"
#include "verifiers/sandbox/sandbox.h"

namespace zerorl::cli {
namespace {

using sandbox::JudgeResult;
using sandbox::SandboxPool;

struct RunArgs {
  std::string language;
  std::string file;
  std::string stdin_file;
  int64_t time_limit_ms = 0;
  int64_t memory_mib = 0;
};

struct JudgeArgs {
  std::string input = "-";
  int workers = 0;
};

int RunProgram(const RunArgs& args) {
  constexpr char kName[] = "sandbox run";
  absl::StatusOr<std::string> code = core::ReadFile(args.file);
  if (!code.ok()) return ReportError(kName, code.status());
  sandbox::RunRequest request;
  request.language = args.language;
  request.code = *code;
  if (!args.stdin_file.empty()) {
    absl::StatusOr<std::string> input = core::ReadFile(args.stdin_file);
    if (!input.ok()) return ReportError(kName, input.status());
    request.stdin_data = *input;
  }
  if (args.time_limit_ms > 0) {
    request.limits.cpu_time_ms = request.limits.wall_time_ms = args.time_limit_ms;
  }
  if (args.memory_mib > 0) request.limits.memory_mib = args.memory_mib;
  absl::StatusOr<std::unique_ptr<sandbox::Sandbox>> box =
      sandbox::Sandbox::Create(sandbox::SandboxOptions{});
  if (!box.ok()) return ReportError(kName, box.status());
  absl::StatusOr<sandbox::RunResult> result = (*box)->Run(request);
  if (!result.ok()) return ReportError(kName, result.status());
  std::cout << sandbox::RunResultToJson(*result) << std::endl;
  if (result->status == sandbox::RunStatus::kSandboxError) {
    std::cerr << "zerorl " << kName << ": " << result->error << "\n";
    return kExitRuntimeError;
  }
  return kExitOk;
}

// One input line on its way: either its result is coming from the pool, or it was refused
// before it got there.
struct Pending {
  std::string id_json;
  std::future<absl::StatusOr<JudgeResult>> result;
  absl::Status refused;
};

int JudgeLines(const JudgeArgs& args) {
  constexpr char kName[] = "sandbox judge";
  std::ifstream file;
  if (args.input != "-") {
    file.open(args.input);
    if (!file) {
      return ReportError(kName, absl::NotFoundError("cannot open --input " + args.input));
    }
  }
  std::istream& in = args.input == "-" ? std::cin : file;
  absl::StatusOr<std::unique_ptr<SandboxPool>> pool =
      SandboxPool::Create(sandbox::SandboxOptions{}, args.workers);
  if (!pool.ok()) return ReportError(kName, pool.status());
  const size_t max_in_flight = 4 * static_cast<size_t>((*pool)->num_workers());
  bool bad_input = false, sandbox_failed = false;
  std::deque<Pending> pending;
  // Writes finished results in input order; with `all`, waits for every one.
  auto flush = [&](bool all) {
    while (!pending.empty() && (all || pending.size() >= max_in_flight)) {
      Pending& next = pending.front();
      if (!next.refused.ok()) {
        std::cout << sandbox::JudgeErrorToJson(next.refused, next.id_json) << "\n";
      } else {
        absl::StatusOr<JudgeResult> result = next.result.get();
        if (result.ok()) {
          std::cout << sandbox::JudgeResultToJson(*result, next.id_json) << "\n";
        } else {
          bool input_error = result.status().code() == absl::StatusCode::kInvalidArgument;
          (input_error ? bad_input : sandbox_failed) = true;
          std::cerr << "zerorl " << kName << ": " << result.status().message() << "\n";
          std::cout << sandbox::JudgeErrorToJson(result.status(), next.id_json) << "\n";
        }
      }
      std::cout.flush();
      pending.pop_front();
    }
  };
  int line_number = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    absl::StatusOr<sandbox::ParsedJudgeRequest> parsed =
        sandbox::ParseJudgeRequest(line, sandbox::Limits{});
    Pending next;
    if (!parsed.ok()) {
      bad_input = true;
      next.refused = absl::InvalidArgumentError(
          absl::StrCat(args.input == "-" ? "<stdin>" : args.input, ":", line_number, ": ",
                       parsed.status().message()));
      std::cerr << "zerorl " << kName << ": " << next.refused.message() << "\n";
    } else {
      next.id_json = parsed->id_json;
      next.result = (*pool)->SubmitJudge(std::move(parsed->request));
    }
    pending.push_back(std::move(next));
    flush(false);
  }
  flush(true);
  if (sandbox_failed) return kExitRuntimeError;
  return bad_input ? kExitBadInput : kExitOk;
}

}  // namespace

void AddSandboxCommand(CLI::App& app, CommandMain* run) {
  CLI::App* command = app.add_subcommand("sandbox", "run or judge programs in the code sandbox");
  command->require_subcommand(1);

  auto run_args = std::make_shared<RunArgs>();
  CLI::App* run_command = command->add_subcommand(
      "run", "run one program; prints a JSON object with its status, output, time and memory");
  run_command->add_option("--lang", run_args->language, "language: " + sandbox::LanguageNames())
      ->required();
  run_command->add_option("--stdin", run_args->stdin_file, "file to give the program on stdin");
  run_command->add_option("--time-limit-ms", run_args->time_limit_ms,
                          "CPU and wall time limit (default 10000)")
      ->check(CLI::PositiveNumber);
  run_command->add_option("--memory-mib", run_args->memory_mib, "memory limit (default 512)")
      ->check(CLI::PositiveNumber);
  run_command->add_option("file", run_args->file, "the program's source file")->required();
  run_command->callback([run, run_args] { *run = [run_args] { return RunProgram(*run_args); }; });

  auto judge_args = std::make_shared<JudgeArgs>();
  CLI::App* judge_command = command->add_subcommand(
      "judge", "judge JSON lines {language, code, tests | test_code, entry_point}; one result "
               "line per input line, in order");
  judge_command->add_option("--input", judge_args->input, "JSON lines file, or - for stdin");
  judge_command->add_option("--workers", judge_args->workers,
                            "sandboxes at once (default: one per CPU)")
      ->check(CLI::NonNegativeNumber);
  judge_command->callback(
      [run, judge_args] { *run = [judge_args] { return JudgeLines(*judge_args); }; });
}

}  // namespace zerorl::cli
