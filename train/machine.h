// The machine-dependent choices a process makes once, before it loads a model: the precision
// ("auto" resolved by config/precision.h), the intra-op threads (from the CPUs this process
// may use, shared with the run's other processes), and what the CPU is, so that every log,
// summary.json and benchmark says where its numbers came from.
//
//   ASSIGN_OR_RETURN(MachineSetup machine, ApplyMachineSetup(&config, ProcessRole::kRollout));
//   ZLOG(INFO) << machine.Summary();
#ifndef ZERORL_TRAIN_MACHINE_H_
#define ZERORL_TRAIN_MACHINE_H_

#include <string>

#include "absl/status/statusor.h"

#include "config/config.h"
#include "config/precision.h"

namespace zerorl::train {

struct MachineSetup {
  config::PrecisionChoice precision;
  int threads = 1;      // intra-op threads set for this process
  int usable_cpus = 1;  // CPUs in this process's affinity mask
  // When bf16 runs without bf16 instructions: the measured cost, e.g. "bf16 matmul 2.1
  // GFLOP/s vs fp32 97.4 GFLOP/s (46x slower)"; empty otherwise.
  std::string emulated_bf16_cost;

  // "CPU Intel(R) Xeon(R) ... (avx2 ... amx_bf16): AMX bf16 instructions -> model bf16,
  // learner bf16 (...); intra-op threads 2 of 2 usable CPUs".
  std::string Summary() const;
};

// Resolves config->model.dtype / learner.compute_dtype "auto" in place, sets LibTorch's
// intra-op threads (at::set_num_threads) for a process of `role`, and, when bf16 is asked for
// on a CPU without bf16 instructions, measures what it costs. Call once per process before
// any model is loaded. kFailedPrecondition for bf16 under a ZERORL_CPU_ISA cap without bf16:
// LibTorch's bf16 matmul asks the real CPU and would hand oneDNN work its cap refuses.
absl::StatusOr<MachineSetup> ApplyMachineSetup(config::Config* config, config::ProcessRole role);

}  // namespace zerorl::train

#endif  // ZERORL_TRAIN_MACHINE_H_
