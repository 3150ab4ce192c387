#include "config/precision.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace zerorl::config {
namespace {

bool IsCuda(const std::string& device) { return device.rfind("cuda", 0) == 0; }

// Which keys were "auto", for the reason line.
std::string AutoKeys(bool model_auto, bool compute_auto) {
  if (model_auto && compute_auto) return "model.dtype and learner.compute_dtype auto";
  if (model_auto) return "model.dtype auto";
  if (compute_auto) return "learner.compute_dtype auto";
  return "both set explicitly";
}

}  // namespace

PrecisionChoice ResolvePrecision(Config* config, const core::CpuFeatures& cpu) {
  PrecisionChoice choice;
  const bool model_auto = config->model.dtype == DType::kAuto;
  const bool compute_auto = config->learner.compute_dtype == DType::kAuto;
  DType fastest = DType::kFloat32;
  std::string why;
  if (IsCuda(config->model.device)) {
    choice.device = absl::StrCat("CUDA (", config->model.device, ")");
    fastest = DType::kBFloat16;
    why = "bf16 tensor cores";
  } else {
    choice.device = absl::StrCat("CPU ", cpu.Describe());
    fastest = cpu.native_bf16() ? DType::kBFloat16 : DType::kFloat32;
    why = cpu.native_bf16() ? (cpu.amx_bf16 ? "AMX bf16 instructions" : "AVX512_BF16 instructions")
                            : "no bf16 instructions";
  }
  if (model_auto) config->model.dtype = fastest;
  if (compute_auto) config->learner.compute_dtype = fastest;
  choice.model_dtype = config->model.dtype;
  choice.compute_dtype = config->learner.compute_dtype;
  choice.emulated_bf16 = !IsCuda(config->model.device) && !cpu.native_bf16() &&
                         (choice.model_dtype == DType::kBFloat16 ||
                          choice.compute_dtype == DType::kBFloat16);
  choice.reason = absl::StrCat(
      choice.device, ": ", why, " -> model ", DTypeName(choice.model_dtype), ", learner ",
      DTypeName(choice.compute_dtype), " (", AutoKeys(model_auto, compute_auto), ")");
  return choice;
}

int LearnerRanksOnThisMachine(const Config& config) {
  return config.cluster.learner_master.empty() ? std::max(1, config.cluster.learner_ranks) : 1;
}

int IntraOpThreads(const Config& config, ProcessRole role, int usable_cpus) {
  if (config.model.threads > 0) return config.model.threads;
  const int cpus = std::max(1, usable_cpus);
  const bool async = config.run.mode == RunMode::kAsync;
  // Workers started elsewhere (cluster.spawn false) do not share this machine's CPUs.
  const bool shared = config.cluster.spawn;
  const int learner_share = async && shared ? std::max(1, cpus / 2) : cpus;
  switch (role) {
    case ProcessRole::kAlone:
      return cpus;
    case ProcessRole::kLearner:
      // The learner ranks on this machine compute at the same time: they split its share.
      return std::max(1, learner_share / LearnerRanksOnThisMachine(config));
    case ProcessRole::kRollout: {
      if (!shared) return cpus;
      // Sync: the rollout workers generate while the learner waits, and together.
      const int rollout_share = async ? std::max(1, cpus - learner_share) : cpus;
      return std::max(1, rollout_share / std::max(1, config.rollout.workers));
    }
  }
  return cpus;
}

}  // namespace zerorl::config
