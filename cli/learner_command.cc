// `zerorl learner --rank R --world-size N --master HOST:PORT --config runs/NAME/config.json`:
// learner rank R (1..N-1) of a run whose rank 0 is `zerorl train` (learner/ranks.h). The
// flags default to torchrun's environment: RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT,
// LOCAL_RANK (which GPU a CUDA rank uses).
#include <cstdlib>
#include <memory>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cli/command.h"
#include "config/config.h"
#include "core/log.h"
#include "distributed/group.h"
#include "learner/ranks.h"
#include "train/machine.h"

namespace zerorl::cli {
namespace {

struct LearnerArgs {
  ConfigArgs config;
  int rank = -1;
  int world_size = -1;
  std::string master;
  int local_rank = -1;
  double connect_timeout_s = 60.0;
};

// The flag's value, else the environment variable's (-1 when neither is set or it is not
// a number).
int FlagOrEnv(int flag, const char* env) {
  if (flag >= 0) return flag;
  const char* value = std::getenv(env);
  int parsed = -1;
  return value != nullptr && absl::SimpleAtoi(value, &parsed) ? parsed : -1;
}

// The learner-rank settings from the flags and torchrun's environment, checked.
absl::Status Resolve(LearnerArgs* a, std::string* host, int* port) {
  a->rank = FlagOrEnv(a->rank, "RANK");
  a->world_size = FlagOrEnv(a->world_size, "WORLD_SIZE");
  a->local_rank = std::max(0, FlagOrEnv(a->local_rank, "LOCAL_RANK"));
  if (a->master.empty() && std::getenv("MASTER_ADDR") != nullptr) {
    const char* p = std::getenv("MASTER_PORT");
    a->master = absl::StrCat(std::getenv("MASTER_ADDR"), ":", p != nullptr ? p : "");
  }
  if (a->rank < 0) return absl::InvalidArgumentError("--rank (or RANK) is required");
  if (a->world_size < 0) return absl::InvalidArgumentError("--world-size (or WORLD_SIZE) is required");
  if (a->master.empty()) {
    return absl::InvalidArgumentError("--master HOST:PORT (or MASTER_ADDR and MASTER_PORT) is required");
  }
  if (a->world_size < 2) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--world-size must be >= 2 (rank 0 is `zerorl train`), got ", a->world_size));
  }
  if (a->rank < 1 || a->rank >= a->world_size) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--rank ", a->rank, " is out of range for --world-size ", a->world_size,
        ": zerorl learner runs ranks 1..", a->world_size - 1, " (rank 0 is `zerorl train`)"));
  }
  if (!config::SplitHostPort(a->master, host, port)) {
    return absl::InvalidArgumentError("--master must be HOST:PORT, got \"" + a->master + "\"");
  }
  if (a->config.files.empty()) {
    return absl::InvalidArgumentError(
        "--config is required: the run's config.json (zerorl train writes it in the run folder)");
  }
  return absl::OkStatus();
}

int RunLearner(LearnerArgs args) {
  std::string host;
  int port = 0;
  absl::Status resolved = Resolve(&args, &host, &port);
  if (!resolved.ok()) return ReportError("learner", resolved);
  absl::StatusOr<config::Config> config = config::LoadConfig(args.config.files, args.config.overrides);
  if (!config.ok()) return ReportError("learner", config.status());
  if (config->cluster.learner_ranks != args.world_size) {
    return ReportError("learner", absl::InvalidArgumentError(absl::StrCat(
                                      "--world-size ", args.world_size,
                                      " does not match cluster.learner_ranks ",
                                      config->cluster.learner_ranks, " in ", args.config.files[0])));
  }
  core::SetLogTag(absl::StrCat("learner-rank-", args.rank));
  absl::StatusOr<train::MachineSetup> machine =
      train::ApplyMachineSetup(&*config, config::ProcessRole::kLearner);
  if (!machine.ok()) return ReportError("learner", machine.status());
  ZLOG(INFO) << machine->Summary();
  torch::Device device(config->model.device);
  if (device.is_cuda()) device = torch::Device(torch::kCUDA, args.local_rank);
  distributed::GroupOptions o;
  o.rank = args.rank;
  o.world_size = args.world_size;
  o.master_host = host;
  o.master_port = port;
  o.timeout = std::chrono::milliseconds(
      static_cast<int64_t>(config->learner.collective_timeout_s * 1000));
  o.connect_timeout = std::chrono::milliseconds(static_cast<int64_t>(args.connect_timeout_s * 1000));
  o.device = device;
  o.master_key = "--master";
  o.world_size_key = "--world-size";
  absl::StatusOr<std::shared_ptr<distributed::Group>> group = distributed::Group::Create(o);
  if (!group.ok()) return ReportError("learner", group.status());
  ZLOG(INFO) << "learner rank " << args.rank << "/" << args.world_size << " joined "
             << (*group)->master() << " on " << device.str();
  absl::Status served = learner::ServeLearnerRank(*group, device);
  if (!served.ok()) return ReportError("learner", served);
  ZLOG(INFO) << "rank 0 ended the run";
  return kExitOk;
}

}  // namespace

void AddLearnerCommand(CLI::App& app, CommandMain* run) {
  auto args = std::make_shared<LearnerArgs>();
  CLI::App* learner = app.add_subcommand(
      "learner", "run learner rank R (1..N-1) of a `zerorl train` run with N learner ranks");
  AddConfigArgs(learner, &args->config, /*positional_files=*/false);
  learner->add_option("--rank", args->rank, "this rank, 1..N-1 (default: $RANK)");
  learner->add_option("--world-size", args->world_size,
                      "N, the run's cluster.learner_ranks (default: $WORLD_SIZE)");
  learner->add_option("--master", args->master,
                      "rank 0's HOST:PORT, its cluster.learner_master (default: "
                      "$MASTER_ADDR:$MASTER_PORT)");
  learner->add_option("--local-rank", args->local_rank,
                      "the GPU a CUDA rank uses, cuda:LOCAL_RANK (default: $LOCAL_RANK or 0)");
  learner->add_option("--connect-timeout", args->connect_timeout_s,
                      "seconds to reach rank 0 and for every rank to join (default 60)");
  learner->callback([run, args] { *run = [args] { return RunLearner(*args); }; });
}

}  // namespace zerorl::cli
