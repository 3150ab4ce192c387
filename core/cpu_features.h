// What the processor this process runs on can do, asked once at run time (cpuid, and xgetbv
// for what the kernel saves on a context switch), never assumed from the build machine:
// the shipped binary is compiled for plain x86-64 and picks its fast paths by these answers.
//
//   const CpuFeatures& cpu = HostCpu();
//   if (cpu.native_bf16()) ...                 // bf16 matmuls run in hardware
//   std::cout << cpu.Describe();               // "Intel(R) Xeon(R) ..., avx2 fma avx512 ..."
//
// ZERORL_CPU_ISA=scalar|avx2|avx512|avx512_bf16 caps what HostCpu() reports, so one machine
// can stand in for an older one: ApplyCpuIsaCapToLibraries() then also caps LibTorch's and
// oneDNN's and OpenBLAS's own dispatch (ATEN_CPU_CAPABILITY, ONEDNN_MAX_CPU_ISA,
// OPENBLAS_CORETYPE) before they first run.
#ifndef ZERORL_CORE_CPU_FEATURES_H_
#define ZERORL_CORE_CPU_FEATURES_H_

#include <string>

#include "absl/status/statusor.h"

namespace zerorl::core {

// Instruction-set levels the fused kernels are compiled for, lowest first.
enum class CpuIsa {
  kScalar,      // plain x86-64 (SSE2): every machine
  kAvx2,        // AVX2 + FMA + F16C (Haswell, Zen 1 and later)
  kAvx512,      // AVX-512 F/BW/VL/DQ (Skylake-SP, Zen 4 and later)
  kAvx512Bf16,  // the above + AVX512_BF16 (Cooper Lake, Sapphire Rapids, Zen 4)
};

const char* CpuIsaName(CpuIsa isa);  // "scalar", "avx2", "avx512", "avx512_bf16"
// kInvalidArgument naming the accepted values for anything else.
absl::StatusOr<CpuIsa> ParseCpuIsa(const std::string& name);

struct CpuFeatures {
  std::string vendor;      // "GenuineIntel", "AuthenticAMD"
  std::string model_name;  // the cpuid brand string, e.g. "AMD EPYC 7B13 64-Core Processor"
  // Each flag means the instructions exist and the OS saves their registers.
  bool avx2 = false;
  bool fma = false;
  bool f16c = false;
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512vl = false;
  bool avx512dq = false;
  bool avx512_bf16 = false;
  bool amx_bf16 = false;  // AMX tiles with bf16 (Sapphire Rapids); oneDNN asks the OS for them
  std::string capped_by;  // "ZERORL_CPU_ISA=avx2" when the environment lowered the answers

  // bf16 matrix products in hardware (AVX512_BF16 or AMX): where bf16 is the fast precision.
  bool native_bf16() const { return avx512_bf16 || amx_bf16; }
  CpuIsa best_isa() const;
  // "avx2 fma f16c avx512f avx512bw avx512vl avx512dq avx512_bf16 amx_bf16", or "none".
  std::string FeatureList() const;
  // One line for logs and benchmark headers: "MODEL (FEATURES)[, capped by ...]".
  std::string Describe() const;
};

// The features of this machine as cpuid reports them, ignoring ZERORL_CPU_ISA.
CpuFeatures DetectCpuFeatures();
// `features` with everything above `isa` cleared (AMX always: no level includes it).
CpuFeatures CapCpuFeatures(CpuFeatures features, CpuIsa isa);
// DetectCpuFeatures() capped by ZERORL_CPU_ISA (an unknown value is ignored with a warning on
// stderr), computed once per process.
const CpuFeatures& HostCpu();

// The CPUs this process may run on (its sched_getaffinity mask, which taskset, cgroups'
// cpusets and container limits narrow): what intra-op threads should be sized by, rather
// than the machine's CPU count. At least 1.
int UsableCpus();

// When ZERORL_CPU_ISA is set, sets ATEN_CPU_CAPABILITY, ONEDNN_MAX_CPU_ISA (and
// DNNL_MAX_CPU_ISA) and OPENBLAS_CORETYPE to the same level unless the user set them. OpenBLAS
// reads its variable only when it is loaded, so when this sets it, the process restarts itself
// (execv of /proc/self/exe with `argv`) to come up capped; that happens once, as the restarted
// process finds the variable set. Call first thing in main(), before any LibTorch op.
void ApplyCpuIsaCapToLibraries(char** argv);

}  // namespace zerorl::core

#endif  // ZERORL_CORE_CPU_FEATURES_H_
