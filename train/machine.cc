#include "train/machine.h"

#include <ATen/Parallel.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/cpu_features.h"
#include "learner/flops.h"

namespace zerorl::train {

std::string MachineSetup::Summary() const {
  std::string line = absl::StrCat(precision.reason, "; intra-op threads ", threads, " of ",
                                  usable_cpus, " usable CPUs");
  if (!emulated_bf16_cost.empty()) absl::StrAppend(&line, "; ", emulated_bf16_cost);
  return line;
}

absl::StatusOr<MachineSetup> ApplyMachineSetup(config::Config* config, config::ProcessRole role) {
  MachineSetup machine;
  machine.precision = config::ResolvePrecision(config, core::HostCpu());
  if (machine.precision.emulated_bf16 && !core::HostCpu().capped_by.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "bf16 (model.dtype or learner.compute_dtype) cannot run under ", core::HostCpu().capped_by,
        ": LibTorch's bf16 matmul asks the real CPU, and oneDNN refuses the capped instruction "
        "set; use fp32 or auto under this cap"));
  }
  machine.usable_cpus = core::UsableCpus();
  machine.threads = config::IntraOpThreads(*config, role, machine.usable_cpus);
  at::set_num_threads(machine.threads);
  if (machine.precision.emulated_bf16) {
    // Small products: the point is the ratio, and bf16 here may run at 1-3 GFLOP/s.
    const double bf16 = learner::MeasureMatmulPeakFlops(torch::kCPU, torch::kBFloat16, 5.0);
    const double fp32 = learner::MeasureMatmulPeakFlops(torch::kCPU, torch::kFloat, 5.0);
    machine.emulated_bf16_cost = absl::StrFormat(
        "bf16 asked for on a CPU without bf16 instructions: a bf16 matmul ran at %.1f GFLOP/s, "
        "fp32 at %.1f GFLOP/s (%.0fx slower); \"auto\" or \"fp32\" would use fp32",
        bf16 / 1e9, fp32 / 1e9, fp32 / bf16);
  }
  return machine;
}

}  // namespace zerorl::train
