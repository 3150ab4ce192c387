// `zerorl train [CONFIG...] [--set K=V] [--resume]` and `zerorl rollout --connect ENDPOINT`.
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <iostream>
#include <memory>

#include "absl/strings/str_format.h"
#include "cli/command.h"
#include "cli/embedded_configs.h"
#include "config/config.h"
#include "core/log.h"
#include "model/dtype.h"
#include "rollout/engine.h"
#include "rollout/worker.h"
#include "train/evaluation.h"
#include "train/machine.h"
#include "train/trainer.h"
#include "wire/worker_link.h"

namespace zerorl::cli {
namespace {

struct TrainArgs {
  ConfigArgs config;
  bool resume = false;
  bool quiet = false;
  std::string worker_binary;
};

// The config files, or the embedded quickstart when none is given.
absl::StatusOr<config::Config> LoadTrainConfig(const ConfigArgs& args) {
  if (!args.files.empty()) return config::LoadConfig(args.files, args.overrides);
  for (const EmbeddedConfig& c : EmbeddedConfigs()) {
    if (std::string(c.name) == "quickstart") {
      return config::LoadConfigFromSources({{"<embedded configs/quickstart.json>", c.text}},
                                   args.overrides);
    }
  }
  return absl::InternalError("the quickstart config is not compiled in");
}

int RunTrain(const TrainArgs& args) {
  absl::StatusOr<config::Config> config = LoadTrainConfig(args.config);
  if (!config.ok()) return ReportError("train", config.status());
  if (args.config.files.empty() && !args.quiet) {
    std::cout << "zerorl train: no config given, running the quickstart "
                 "(configs/quickstart.json, compiled in)\n";
  }
  train::TrainFlags flags;
  flags.resume = args.resume;
  flags.quiet = args.quiet;
  flags.binary = args.worker_binary;
  absl::StatusOr<train::TrainSummary> summary = train::RunTraining(*config, flags);
  if (!summary.ok()) return ReportError("train", summary.status());
  if (!args.quiet) {
    std::cout << "\n";
    for (const auto& [dataset, after] : summary->eval_after) {
      auto before = summary->eval_before.find(dataset);
      std::cout << "held-out accuracy (" << dataset << ", "
                << train::EvalSamplingLabel(config->run) << "): ";
      if (before != summary->eval_before.end()) {
        std::cout << absl::StrFormat("%.1f%% before GRPO -> ", 100 * before->second);
      }
      std::cout << absl::StrFormat("%.1f%% after %d steps (%d s of GRPO)\n", 100 * after,
                                   summary->steps, static_cast<int>(summary->grpo_wall_s));
    }
    std::cout << "run folder: " << summary->run_dir << "\n"
              << "  metrics:  " << summary->run_dir << "/metrics.jsonl\n"
              << "  samples:  " << summary->run_dir << "/samples.jsonl\n"
              << "  summary:  " << summary->run_dir << "/summary.json\n"
              << "  checkpoints: " << summary->run_dir << "/checkpoints/\n"
              << (summary->interrupted ? "(interrupted; continue with --resume)\n" : "");
  }
  return kExitOk;
}

struct RolloutArgs {
  ConfigArgs config;
  std::string connect;
  std::string id;
};

int RunRollout(const RolloutArgs& args) {
  absl::StatusOr<config::Config> config = LoadTrainConfig(args.config);
  if (!config.ok()) return ReportError("rollout", config.status());
  if (config->model.path.empty()) {
    return ReportError("rollout", absl::InvalidArgumentError(
                                      "model.path is empty: give the run folder's config.json "
                                      "(zerorl train fills it in) or a model folder"));
  }
  std::string id = args.id;
  if (id.empty()) {
    char host[128] = {0};
    ::gethostname(host, sizeof(host) - 1);
    id = "rollout-" + std::string(host) + "-" + std::to_string(::getpid());
  }
  core::SetLogTag(id);
  absl::StatusOr<train::MachineSetup> machine =
      train::ApplyMachineSetup(&*config, config::ProcessRole::kRollout);
  if (!machine.ok()) return ReportError("rollout", machine.status());
  ZLOG(INFO) << machine->Summary();
  if (!machine->emulated_bf16_cost.empty()) ZLOG(WARNING) << machine->emulated_bf16_cost;
  model::LoadOptions load;
  load.dtype = model::ScalarTypeOf(config->model.dtype);
  load.device = torch::Device(config->model.device);
  absl::StatusOr<std::unique_ptr<rollout::Engine>> engine =
      rollout::Engine::Load(config->model.path, config->model.tokenizer, load,
                            rollout::EngineOptionsFromConfig(*config), wire::kNoPolicyVersion);
  if (!engine.ok()) return ReportError("rollout", engine.status());
  wire::WorkerLinkOptions link;
  link.endpoint = args.connect;
  link.kind = wire::WorkerKind::kRollout;
  link.worker_id = id;
  link.capabilities = {{"device", config->model.device},
                       {"dtype", config::DTypeName(config->model.dtype)}};
  static std::atomic<bool> stop{false};
  std::signal(SIGTERM, [](int) { stop.store(true); });
  absl::Status ran = rollout::RunRolloutWorker(**engine, link, &stop);
  if (!ran.ok()) return ReportError("rollout", ran);
  return kExitOk;
}

}  // namespace

void AddTrainCommand(CLI::App& app, CommandMain* run) {
  auto args = std::make_shared<TrainArgs>();
  CLI::App* train = app.add_subcommand(
      "train", "run a GRPO training job; with no config, the built-in quickstart");
  AddConfigArgs(train, &args->config, /*positional_files=*/true);
  train->add_flag("--resume", args->resume,
                  "continue the run folder (run.output_dir/run.name) from its last checkpoint");
  train->add_flag("--quiet", args->quiet, "no progress lines");
  train->add_option("--worker-binary", args->worker_binary,
                    "spawn the workers with this executable instead of this one (a wrapper, "
                    "a debug build)");
  train->callback([run, args] { *run = [args] { return RunTrain(*args); }; });
}

void AddRolloutCommand(CLI::App& app, CommandMain* run) {
  auto args = std::make_shared<RolloutArgs>();
  CLI::App* rollout = app.add_subcommand(
      "rollout", "run a rollout worker: generate samples for a controller (zerorl train)");
  AddConfigArgs(rollout, &args->config, /*positional_files=*/false);
  rollout->add_option("--connect", args->connect, "the controller's endpoint (tcp://HOST:PORT)")
      ->required();
  rollout->add_option("--id", args->id, "worker id, unique in the run (default: host and pid)");
  rollout->callback([run, args] { *run = [args] { return RunRollout(*args); }; });
}

}  // namespace zerorl::cli
