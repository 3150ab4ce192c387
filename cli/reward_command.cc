// `zerorl reward`: the reward worker (--connect), offline scoring of saved completions
// (`reward score`), and the plugin host the worker starts for shared-library plugins
// (`reward plugin-host`, hidden).
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <memory>

#include "absl/strings/str_cat.h"
#include "cli/command.h"
#include "config/config.h"
#include "core/log.h"
#include "reward/offline_scoring.h"
#include "reward/plugin_host.h"
#include "reward/reward.h"
#include "reward/reward_worker.h"

namespace zerorl::cli {
namespace {

std::atomic<bool> g_stop{false};

void OnStopSignal(int) { g_stop.store(true); }

// The plugin host is this binary: `<self> reward plugin-host`.
std::vector<std::string> SelfPluginHost() {
  char path[PATH_MAX] = {0};
  ssize_t n = ::readlink("/proc/self/exe", path, sizeof(path) - 1);
  if (n <= 0) return {};
  return {std::string(path, static_cast<size_t>(n)), "reward", "plugin-host"};
}

absl::StatusOr<std::unique_ptr<reward::RewardPipeline>> MakePipeline(const ConfigArgs& args,
                                                                     config::Config* out) {
  absl::StatusOr<config::Config> config = config::LoadConfig(args.files, args.overrides);
  if (!config.ok()) return config.status();
  reward::RewardPipelineOptions options;
  options.default_max_length = config->rollout.sampling.max_new_tokens;
  options.plugin_host = SelfPluginHost();
  *out = *std::move(config);
  return reward::RewardPipeline::Create(out->reward, options);
}

struct WorkerArgs {
  ConfigArgs config;
  std::string endpoint;
  std::string id;
};

int RunWorker(const WorkerArgs& args) {
  const char* kName = "reward";
  config::Config config;
  absl::StatusOr<std::unique_ptr<reward::RewardPipeline>> pipeline =
      MakePipeline(args.config, &config);
  if (!pipeline.ok()) return ReportError(kName, pipeline.status());
  wire::WorkerLinkOptions link;
  link.endpoint = args.endpoint;
  char host[128] = {0};
  ::gethostname(host, sizeof(host) - 1);
  // Unique across machines too: the controller tells workers apart by this id alone.
  link.worker_id = args.id.empty() ? absl::StrCat("reward-", host, "-", ::getpid()) : args.id;
  core::SetLogTag(link.worker_id);
  struct sigaction action = {};
  action.sa_handler = OnStopSignal;
  // A worker that `zerorl train` spawned inherits SIGINT ignored: a terminal's Ctrl-C reaches
  // the whole process group, and the trainer shuts its workers down itself. Started by hand,
  // Ctrl-C stops it.
  struct sigaction previous = {};
  ::sigaction(SIGINT, nullptr, &previous);
  if (previous.sa_handler != SIG_IGN) ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
  absl::Status done = reward::RunRewardWorker(link, pipeline->get(), &g_stop);
  if (!done.ok()) return ReportError(kName, done);
  return kExitOk;
}

struct ScoreArgs {
  ConfigArgs config;
  std::string input = "-";
  std::string completion_key = "completion";
  int batch = 64;
};

// Scores `lines` (text, line number) and writes one output line each, in order.
void ScoreLines(reward::RewardPipeline& pipeline,
                const std::vector<std::pair<std::string, int64_t>>& lines,
                const reward::ScoreLineOptions& options, reward::BatchRewards* totals,
                int64_t* malformed) {
  reward::RewardBatch batch;
  std::vector<std::string> out(lines.size());
  std::vector<size_t> scored;  // index into lines of batch sample k
  std::vector<std::string> ids;
  for (size_t i = 0; i < lines.size(); ++i) {
    absl::StatusOr<reward::ScoreLine> line =
        reward::ParseScoreLine(lines[i].first, lines[i].second, options);
    if (!line.ok()) {
      out[i] = reward::ErrorLineJson(lines[i].second, std::string(line.status().message()));
      ++*malformed;
      continue;
    }
    batch.samples.push_back({batch.prompts.size(), std::move(line->completion), line->num_tokens});
    batch.prompts.push_back(std::move(line->prompt));
    scored.push_back(i);
    ids.push_back(line->id);
  }
  reward::BatchRewards rewards = pipeline.Score(batch);
  for (size_t k = 0; k < scored.size(); ++k) {
    out[scored[k]] = reward::ScoredLineJson(lines[scored[k]].second, ids[k],
                                            pipeline.function_names(), rewards.samples[k]);
  }
  for (size_t f = 0; f < rewards.functions.size(); ++f) {
    reward::FunctionStats& t = totals->functions[f];
    const reward::FunctionStats& b = rewards.functions[f];
    t.ok += b.ok, t.not_applicable += b.not_applicable, t.errors += b.errors, t.sum += b.sum;
    t.seconds += b.seconds;
  }
  for (const std::string& o : out) std::cout << o << "\n";
  std::cout.flush();
}

void PrintSummary(const reward::RewardPipeline& pipeline, const reward::BatchRewards& totals,
                  int64_t lines, int64_t malformed) {
  std::cerr << "zerorl reward score: " << lines << " lines, " << lines - malformed << " scored, "
            << malformed << " malformed\n";
  std::map<std::string, double> counters = pipeline.Counters();
  for (size_t f = 0; f < totals.functions.size(); ++f) {
    const reward::FunctionStats& s = totals.functions[f];
    const std::string& name = pipeline.function_names()[f];
    std::cerr << "  " << name << ": mean " << std::fixed << std::setprecision(4)
              << (s.ok > 0 ? s.sum / static_cast<double>(s.ok) : 0.0) << " over " << s.ok
              << " ok, " << s.not_applicable << " not applicable, " << s.errors << " errors";
    // The function's own counters (unverifiable golds, plugin crashes, ...).
    const std::string prefix = "reward/" + name + "/";
    for (const auto& [key, value] : counters) {
      if (key.rfind(prefix, 0) != 0) continue;
      std::string what = key.substr(prefix.size());
      if (what == "ok" || what == "not_applicable" || what == "errors" || what == "seconds") continue;
      std::cerr << ", " << what << " " << std::setprecision(0) << value;
    }
    std::cerr << std::setprecision(2) << " (" << s.seconds << " s)\n";
  }
}

int RunScore(const ScoreArgs& args) {
  const char* kName = "reward score";
  config::Config config;
  absl::StatusOr<std::unique_ptr<reward::RewardPipeline>> pipeline =
      MakePipeline(args.config, &config);
  if (!pipeline.ok()) return ReportError(kName, pipeline.status());
  std::ifstream file;
  if (args.input != "-") {
    file.open(args.input);
    if (!file) {
      return ReportError(kName, absl::NotFoundError("cannot open --input " + args.input));
    }
  }
  std::istream& in = args.input == "-" ? std::cin : file;
  reward::ScoreLineOptions options;
  options.completion_key = args.completion_key;
  reward::BatchRewards totals;
  totals.functions.resize((*pipeline)->function_names().size());
  std::vector<std::pair<std::string, int64_t>> lines;
  int64_t number = 0, read = 0, malformed = 0;
  std::string text;
  while (std::getline(in, text)) {
    ++number;
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;  // blank
    lines.emplace_back(std::move(text), number);
    ++read;
    if (lines.size() >= static_cast<size_t>(args.batch)) {
      ScoreLines(**pipeline, lines, options, &totals, &malformed);
      lines.clear();
    }
  }
  if (!lines.empty()) ScoreLines(**pipeline, lines, options, &totals, &malformed);
  PrintSummary(**pipeline, totals, read, malformed);
  if (malformed > 0) {
    std::cerr << "zerorl reward score: " << malformed
              << " malformed lines (their output lines carry \"error\")\n";
    return kExitBadInput;
  }
  return kExitOk;
}

}  // namespace

void AddRewardCommand(CLI::App& app, CommandMain* run) {
  CLI::App* reward = app.add_subcommand(
      "reward",
      "run a reward worker: `zerorl reward --connect ENDPOINT` scores the controller's "
      "rollouts with the config's reward functions; `reward score` scores saved completions");
  reward->require_subcommand(0, 1);
  auto worker = std::make_shared<WorkerArgs>();
  reward->add_option("--connect", worker->endpoint,
                     "the controller's endpoint (tcp://HOST:PORT or ipc://PATH)");
  reward->add_option("--id", worker->id, "worker id, unique in the run (default reward-<host>-<pid>)");
  AddConfigArgs(reward, &worker->config, /*positional_files=*/false);

  auto score_args = std::make_shared<ScoreArgs>();
  CLI::App* score = reward->add_subcommand(
      "score",
      "score JSON lines {\"prompt\", \"completion\", \"answer\"?, \"tests\"?, \"metadata\"?} "
      "with the config's reward functions; one JSON line out per line in (see "
      "reward/offline_scoring.h), a summary on stderr; exit 2 if any line was malformed");
  AddConfigArgs(score, &score_args->config, /*positional_files=*/false);
  score->add_option("--input", score_args->input, "JSON lines file, or - for stdin (default)");
  score->add_option("--completion-key", score_args->completion_key,
                    "the key that holds the completion (default completion; e.g. solution to "
                    "score a dataset's reference solutions from `zerorl data preview`)");
  score->add_option("--batch", score_args->batch, "lines scored together (default 64)")
      ->check(CLI::PositiveNumber);
  score->callback([run, score_args] { *run = [score_args] { return RunScore(*score_args); }; });

  CLI::App* host = reward->add_subcommand(
      "plugin-host", "internal: hosts one shared-library reward plugin on file descriptor 3");
  host->group("");  // hidden from --help
  host->callback([run] { *run = [] { return reward::RunPluginHost(reward::kPluginHostFd); }; });

  reward->callback([run, worker, score, host] {
    if (score->parsed() || host->parsed()) return;
    *run = [worker] {
      if (worker->endpoint.empty()) {
        std::cerr << "zerorl reward: --connect ENDPOINT is required (or a subcommand: score)\n";
        return kExitBadInput;
      }
      return RunWorker(*worker);
    };
  });
}

}  // namespace zerorl::cli
