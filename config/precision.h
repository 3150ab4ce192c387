// Precision and threads by what the machine can do. `model.dtype` and
// `learner.compute_dtype` default to "auto": bf16 where the device multiplies bf16 natively
// (CUDA; CPUs with AVX512_BF16 or AMX), fp32 elsewhere (an AVX2 CPU computes bf16 through a
// generic path some 20x slower than fp32). `model.threads: 0` means "the CPUs this process
// may run on", shared between the processes of a run that compute at the same time.
//
//   PrecisionChoice choice = ResolvePrecision(&config, core::HostCpu());
//   std::cout << choice.reason << "\n";  // "CPU AMD EPYC ... (avx2 fma f16c): ... -> fp32"
//   int threads = IntraOpThreads(config, ProcessRole::kLearner, core::UsableCpus());
#ifndef ZERORL_CONFIG_PRECISION_H_
#define ZERORL_CONFIG_PRECISION_H_

#include <string>

#include "config/config.h"
#include "core/cpu_features.h"

namespace zerorl::config {

struct PrecisionChoice {
  DType model_dtype = DType::kFloat32;    // model.dtype after resolution
  DType compute_dtype = DType::kFloat32;  // learner.compute_dtype after resolution
  std::string device;  // "CPU Intel(R) Xeon(R) ... (avx2 ...)" or "CUDA (cuda:0)"
  // One line for the log and summary.json: the device, why, and the choice, e.g.
  // "CPU AMD EPYC 7B13 (avx2 fma f16c): no bf16 instructions -> fp32 (model.dtype auto, ...)".
  std::string reason;
  // An explicit bf16 (model or compute) on a CPU without bf16 instructions: allowed, but the
  // caller should warn with the measured cost (it runs on a slow generic path).
  bool emulated_bf16 = false;
};

// Replaces kAuto in config->model.dtype and config->learner.compute_dtype by the precision
// `cpu` (for device "cpu") or CUDA computes fastest; explicit values are kept. Never fails:
// every device has a precision it can run.
PrecisionChoice ResolvePrecision(Config* config, const core::CpuFeatures& cpu);

// Which process of a run asks: their compute overlaps differently.
enum class ProcessRole {
  kLearner,  // a learner rank (rank 0 also runs the controller thread, which is mostly idle)
  kRollout,  // a rollout worker
  kAlone,    // a command that computes by itself (generate, eval, sft, bench)
};

// The intra-op threads a process of `role` should use when `usable_cpus` CPUs are in its
// affinity mask: model.threads when set (> 0); otherwise every usable CPU, except in async
// mode (run.mode "async", rollout and learner computing at the same time) where the learner
// and the spawned rollout workers split them. The learner's share is split again between the
// learner ranks on this machine (LearnerRanksOnThisMachine), which compute together. Always
// >= 1.
int IntraOpThreads(const Config& config, ProcessRole role, int usable_cpus);

// cluster.learner_ranks when `zerorl train` starts every rank on this machine
// (cluster.learner_master empty); 1 when ranks are started by hand, one per machine.
int LearnerRanksOnThisMachine(const Config& config);

}  // namespace zerorl::config

#endif  // ZERORL_CONFIG_PRECISION_H_
