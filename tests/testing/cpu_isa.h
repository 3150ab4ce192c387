// For tests that run a kernel at every instruction-set level: the levels, a test-name suffix for
// each, and a skip that names what this processor lacks.
//
//   class FooIsaTest : public ::testing::TestWithParam<core::CpuIsa> {};
//   TEST_P(FooIsaTest, Bar) {
//     ZERORL_SKIP_UNLESS_CPU_RUNS(GetParam());  // "this CPU lacks avx512_bf16: ..."
//     ...
//   }
//   INSTANTIATE_TEST_SUITE_P(Levels, FooIsaTest, ::testing::ValuesIn(zerorl::testing::kCpuIsas),
//                            zerorl::testing::CpuIsaTestName);
//
// core::HostCpu() is what decides, so ZERORL_CPU_ISA=avx2 makes an AVX-512 machine skip the
// AVX-512 levels as an AVX2 one would.
#ifndef ZERORL_TESTS_TESTING_CPU_ISA_H_
#define ZERORL_TESTS_TESTING_CPU_ISA_H_

#include <string>
#include <utility>
#include <vector>

#include "core/cpu_features.h"
#include "gtest/gtest.h"

namespace zerorl::testing {

inline constexpr core::CpuIsa kCpuIsas[] = {core::CpuIsa::kScalar, core::CpuIsa::kAvx2,
                                            core::CpuIsa::kAvx512, core::CpuIsa::kAvx512Bf16};

// The features `isa` needs that this processor lacks (space-separated, e.g. "avx512f avx512bw
// avx512vl avx512dq avx512_bf16"); empty when it runs `isa`.
inline std::string MissingCpuFeatures(core::CpuIsa isa) {
  const core::CpuFeatures& cpu = core::HostCpu();
  std::vector<std::pair<bool, const char*>> needed;
  if (isa >= core::CpuIsa::kAvx2) {
    needed.insert(needed.end(), {{cpu.avx2, "avx2"}, {cpu.fma, "fma"}, {cpu.f16c, "f16c"}});
  }
  if (isa >= core::CpuIsa::kAvx512) {
    needed.insert(needed.end(), {{cpu.avx512f, "avx512f"},
                                 {cpu.avx512bw, "avx512bw"},
                                 {cpu.avx512vl, "avx512vl"},
                                 {cpu.avx512dq, "avx512dq"}});
  }
  if (isa >= core::CpuIsa::kAvx512Bf16) needed.push_back({cpu.avx512_bf16, "avx512_bf16"});
  std::string missing;
  for (const auto& [present, name] : needed) {
    if (!present) missing += (missing.empty() ? "" : " ") + std::string(name);
  }
  return missing;
}

inline std::string CpuIsaTestName(const ::testing::TestParamInfo<core::CpuIsa>& info) {
  return core::CpuIsaName(info.param);
}

}  // namespace zerorl::testing

// Skips the current test, naming the missing features, when this processor cannot run `isa`.
#define ZERORL_SKIP_UNLESS_CPU_RUNS(isa)                                                      \
  if (const std::string zerorl_missing = ::zerorl::testing::MissingCpuFeatures(isa);          \
      !zerorl_missing.empty())                                                                \
  GTEST_SKIP() << "this CPU lacks " << zerorl_missing << ": the "                             \
               << ::zerorl::core::CpuIsaName(isa) << " kernels cannot run here ("            \
               << ::zerorl::core::HostCpu().Describe() << ")"

#endif  // ZERORL_TESTS_TESTING_CPU_ISA_H_
