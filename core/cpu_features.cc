#include "core/cpu_features.h"

#include <sched.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace zerorl::core {
namespace {

constexpr const char* kIsaNames[] = {"scalar", "avx2", "avx512", "avx512_bf16"};

#if defined(__x86_64__)
struct Regs {
  uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0;
};

Regs Cpuid(uint32_t leaf, uint32_t subleaf) {
  Regs r;
  if (!__get_cpuid_count(leaf, subleaf, &r.eax, &r.ebx, &r.ecx, &r.edx)) return Regs{};
  return r;
}

bool Bit(uint32_t value, int bit) { return (value >> bit) & 1u; }

// XCR0: which register files the OS saves. Read only when cpuid says OSXSAVE.
uint64_t ReadXcr0() {
  uint32_t eax = 0, edx = 0;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<uint64_t>(edx) << 32) | eax;
}

std::string BrandString() {
  if (Cpuid(0x80000000u, 0).eax < 0x80000004u) return "";
  char brand[49] = {};
  for (uint32_t i = 0; i < 3; ++i) {
    Regs r = Cpuid(0x80000002u + i, 0);
    std::memcpy(brand + 16 * i, &r, 16);
  }
  return std::string(absl::StripAsciiWhitespace(brand));
}
#endif

}  // namespace

const char* CpuIsaName(CpuIsa isa) { return kIsaNames[static_cast<int>(isa)]; }

absl::StatusOr<CpuIsa> ParseCpuIsa(const std::string& name) {
  for (int i = 0; i < 4; ++i) {
    if (name == kIsaNames[i]) return static_cast<CpuIsa>(i);
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown instruction set \"", name,
                                                 "\"; expected scalar, avx2, avx512 or avx512_bf16"));
}

CpuIsa CpuFeatures::best_isa() const {
  if (avx512f && avx512bw && avx512vl && avx512dq && avx2 && fma && f16c) {
    return avx512_bf16 ? CpuIsa::kAvx512Bf16 : CpuIsa::kAvx512;
  }
  if (avx2 && fma && f16c) return CpuIsa::kAvx2;
  return CpuIsa::kScalar;
}

std::string CpuFeatures::FeatureList() const {
  std::vector<const char*> names;
  const std::pair<bool, const char*> flags[] = {
      {avx2, "avx2"},         {fma, "fma"},           {f16c, "f16c"},
      {avx512f, "avx512f"},   {avx512bw, "avx512bw"}, {avx512vl, "avx512vl"},
      {avx512dq, "avx512dq"}, {avx512_bf16, "avx512_bf16"}, {amx_bf16, "amx_bf16"}};
  for (const auto& [on, name] : flags) {
    if (on) names.push_back(name);
  }
  return names.empty() ? "none" : absl::StrJoin(names, " ");
}

std::string CpuFeatures::Describe() const {
  std::string line = absl::StrCat(model_name.empty() ? "unknown x86-64 CPU" : model_name, " (",
                                  FeatureList(), ")");
  if (!capped_by.empty()) absl::StrAppend(&line, ", capped by ", capped_by);
  return line;
}

CpuFeatures DetectCpuFeatures() {
  CpuFeatures f;
#if defined(__x86_64__)
  Regs vendor = Cpuid(0, 0);
  char name[13] = {};
  std::memcpy(name, &vendor.ebx, 4);
  std::memcpy(name + 4, &vendor.edx, 4);
  std::memcpy(name + 8, &vendor.ecx, 4);
  f.vendor = name;
  f.model_name = BrandString();
  const uint32_t max_leaf = vendor.eax;
  Regs leaf1 = Cpuid(1, 0);
  const bool osxsave = Bit(leaf1.ecx, 27);
  const uint64_t xcr0 = osxsave ? ReadXcr0() : 0;
  const bool os_avx = (xcr0 & 0x6) == 0x6;             // XMM and YMM state
  const bool os_avx512 = os_avx && (xcr0 & 0xE0) == 0xE0;  // opmask, ZMM halves
  const bool os_amx = (xcr0 & 0x60000) == 0x60000;      // XTILECFG, XTILEDATA
  const bool avx = os_avx && Bit(leaf1.ecx, 28);
  f.fma = avx && Bit(leaf1.ecx, 12);
  f.f16c = avx && Bit(leaf1.ecx, 29);
  if (max_leaf >= 7) {
    Regs leaf7 = Cpuid(7, 0);
    f.avx2 = avx && Bit(leaf7.ebx, 5);
    f.avx512f = os_avx512 && Bit(leaf7.ebx, 16);
    f.avx512dq = f.avx512f && Bit(leaf7.ebx, 17);
    f.avx512bw = f.avx512f && Bit(leaf7.ebx, 30);
    f.avx512vl = f.avx512f && Bit(leaf7.ebx, 31);
    f.amx_bf16 = os_amx && Bit(leaf7.edx, 22) && Bit(leaf7.edx, 24);
    if (leaf7.eax >= 1) f.avx512_bf16 = f.avx512f && Bit(Cpuid(7, 1).eax, 5);
  }
#endif
  return f;
}

CpuFeatures CapCpuFeatures(CpuFeatures f, CpuIsa isa) {
  f.amx_bf16 = false;  // no level keeps AMX: the libraries are capped below it too
  if (isa < CpuIsa::kAvx512Bf16) f.avx512_bf16 = false;
  if (isa < CpuIsa::kAvx512) f.avx512f = f.avx512bw = f.avx512vl = f.avx512dq = false;
  if (isa < CpuIsa::kAvx2) f.avx2 = f.fma = f.f16c = false;
  return f;
}

const CpuFeatures& HostCpu() {
  static const CpuFeatures* const features = [] {
    auto* f = new CpuFeatures(DetectCpuFeatures());
    const char* cap = std::getenv("ZERORL_CPU_ISA");
    if (cap != nullptr && *cap != '\0') {
      absl::StatusOr<CpuIsa> isa = ParseCpuIsa(cap);
      if (!isa.ok()) {
        std::fprintf(stderr, "zerorl: ZERORL_CPU_ISA ignored: %s\n",
                     std::string(isa.status().message()).c_str());
      } else {
        *f = CapCpuFeatures(*f, *isa);
        f->capped_by = absl::StrCat("ZERORL_CPU_ISA=", cap);
      }
    }
    return f;
  }();
  return *features;
}

int UsableCpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return 1;
  return std::max(1, CPU_COUNT(&set));
}

void ApplyCpuIsaCapToLibraries(char** argv) {
  const char* cap = std::getenv("ZERORL_CPU_ISA");
  if (cap == nullptr || *cap == '\0') return;
  absl::StatusOr<CpuIsa> isa = ParseCpuIsa(cap);
  if (!isa.ok()) return;  // HostCpu() says why
  // LibTorch's kernel levels and oneDNN's ISA names for the same ceiling.
  static constexpr const char* kAten[] = {"default", "avx2", "avx512", "avx512"};
  static constexpr const char* kOneDnn[] = {"SSE41", "AVX2", "AVX512_CORE", "AVX512_CORE_BF16"};
  // OpenBLAS (LibTorch's fp32 GEMM on Debian) picks its kernels by cpuid too.
  static constexpr const char* kOpenBlas[] = {"Prescott", "Haswell", "SkylakeX", "Cooperlake"};
  const int level = static_cast<int>(*isa);
  setenv("ATEN_CPU_CAPABILITY", kAten[level], /*overwrite=*/0);
  setenv("ONEDNN_MAX_CPU_ISA", kOneDnn[level], /*overwrite=*/0);
  setenv("DNNL_MAX_CPU_ISA", kOneDnn[level], /*overwrite=*/0);
  // LibTorch and oneDNN read theirs at first use, but OpenBLAS read OPENBLAS_CORETYPE when it
  // was loaded, before main(): without a restart its fp32 GEMM would keep this CPU's widest
  // kernels (measured here: 265 GFLOP/s under an AVX2 cap on AVX-512 cores, 179 with it).
  // The restarted process finds the variable set and goes on.
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr) return;
  setenv("OPENBLAS_CORETYPE", kOpenBlas[level], /*overwrite=*/1);
  if (argv != nullptr && argv[0] != nullptr) {
    execv("/proc/self/exe", argv);
    std::fprintf(stderr, "warning: ZERORL_CPU_ISA=%s: could not restart with OPENBLAS_CORETYPE=%s "
                 "(%s); LibTorch's fp32 GEMM keeps this CPU's own kernels\n",
                 cap, kOpenBlas[level], std::strerror(errno));
  }
}

}  // namespace zerorl::core
