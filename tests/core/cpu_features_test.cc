#include "core/cpu_features.h"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_support.h"

namespace zerorl::core {
namespace {

using ::testing::HasSubstr;
using ::zerorl::testing::IsOk;
using ::zerorl::testing::StatusIs;

// The kernel's own reading of cpuid, from /proc/cpuinfo: the first "flags" and "model name".
struct ProcCpuinfo {
  std::set<std::string> flags;
  std::string model_name;
};

ProcCpuinfo ReadProcCpuinfo() {
  ProcCpuinfo info;
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string key = line.substr(0, line.find_first_of(" \t"));
    std::string value = colon + 2 <= line.size() ? line.substr(colon + 2) : "";
    if (key == "flags" && info.flags.empty()) {
      std::istringstream words(value);
      for (std::string w; words >> w;) info.flags.insert(w);
    } else if (key == "model" && line.rfind("model name", 0) == 0 && info.model_name.empty()) {
      info.model_name = value;
    }
  }
  return info;
}

TEST(CpuFeaturesTest, AgreesWithTheKernelsCpuinfo) {
  ProcCpuinfo proc = ReadProcCpuinfo();
  if (proc.flags.empty()) GTEST_SKIP() << "/proc/cpuinfo has no flags line on this machine";
  CpuFeatures f = DetectCpuFeatures();
  EXPECT_EQ(f.avx2, proc.flags.count("avx2") == 1);
  EXPECT_EQ(f.fma, proc.flags.count("fma") == 1);
  EXPECT_EQ(f.f16c, proc.flags.count("f16c") == 1);
  EXPECT_EQ(f.avx512f, proc.flags.count("avx512f") == 1);
  EXPECT_EQ(f.avx512bw, proc.flags.count("avx512bw") == 1);
  EXPECT_EQ(f.avx512vl, proc.flags.count("avx512vl") == 1);
  EXPECT_EQ(f.avx512dq, proc.flags.count("avx512dq") == 1);
  EXPECT_EQ(f.avx512_bf16, proc.flags.count("avx512_bf16") == 1);
  EXPECT_EQ(f.amx_bf16, proc.flags.count("amx_bf16") == 1 && proc.flags.count("amx_tile") == 1);
  EXPECT_EQ(f.model_name, proc.model_name);
  std::cout << "this CPU: " << f.Describe() << ", best kernel level " << CpuIsaName(f.best_isa())
            << "\n";
}

TEST(CpuFeaturesTest, BestIsaNeedsTheWholeLevel) {
  CpuFeatures f;
  EXPECT_EQ(f.best_isa(), CpuIsa::kScalar);
  f.avx2 = f.fma = true;
  EXPECT_EQ(f.best_isa(), CpuIsa::kScalar) << "AVX2 without F16C is not the avx2 level";
  f.f16c = true;
  EXPECT_EQ(f.best_isa(), CpuIsa::kAvx2);
  f.avx512f = f.avx512bw = f.avx512vl = true;
  EXPECT_EQ(f.best_isa(), CpuIsa::kAvx2) << "AVX-512 without DQ";
  f.avx512dq = true;
  EXPECT_EQ(f.best_isa(), CpuIsa::kAvx512);
  f.avx512_bf16 = true;
  EXPECT_EQ(f.best_isa(), CpuIsa::kAvx512Bf16);
  EXPECT_TRUE(f.native_bf16());
}

TEST(CpuFeaturesTest, CapClearsEverythingAboveTheLevel) {
  CpuFeatures f;
  f.avx2 = f.fma = f.f16c = f.avx512f = f.avx512bw = f.avx512vl = f.avx512dq = true;
  f.avx512_bf16 = f.amx_bf16 = true;
  CpuFeatures avx2 = CapCpuFeatures(f, CpuIsa::kAvx2);
  EXPECT_EQ(avx2.best_isa(), CpuIsa::kAvx2);
  EXPECT_FALSE(avx2.native_bf16());
  EXPECT_EQ(avx2.FeatureList(), "avx2 fma f16c");
  EXPECT_EQ(CapCpuFeatures(f, CpuIsa::kScalar).FeatureList(), "none");
  CpuFeatures bf16 = CapCpuFeatures(f, CpuIsa::kAvx512Bf16);
  EXPECT_TRUE(bf16.avx512_bf16);
  EXPECT_FALSE(bf16.amx_bf16) << "no level keeps AMX";
}

TEST(CpuFeaturesTest, ParseCpuIsaNamesTheLevels) {
  for (CpuIsa isa : {CpuIsa::kScalar, CpuIsa::kAvx2, CpuIsa::kAvx512, CpuIsa::kAvx512Bf16}) {
    absl::StatusOr<CpuIsa> parsed = ParseCpuIsa(CpuIsaName(isa));
    ASSERT_THAT(parsed, IsOk());
    EXPECT_EQ(*parsed, isa);
  }
  absl::StatusOr<CpuIsa> bad = ParseCpuIsa("sse9");
  EXPECT_THAT(bad, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("avx512_bf16")));
}

TEST(CpuFeaturesTest, DescribeNamesModelFeaturesAndCap) {
  CpuFeatures f;
  f.model_name = "AMD EPYC 7B13 64-Core Processor";
  f.avx2 = f.fma = f.f16c = true;
  EXPECT_EQ(f.Describe(), "AMD EPYC 7B13 64-Core Processor (avx2 fma f16c)");
  f.capped_by = "ZERORL_CPU_ISA=avx2";
  EXPECT_EQ(f.Describe(),
            "AMD EPYC 7B13 64-Core Processor (avx2 fma f16c), capped by ZERORL_CPU_ISA=avx2");
}

// What the libraries see after the cap: the child's output, and how often it started.
struct CapRun {
  std::string output;
  int starts = 0;
};

CapRun RunCapChild(const std::string& environment) {
  zerorl::testing::TempDir dir;
  const std::string starts_path = dir.path() + "/starts";
  const std::string command = "env -u ZERORL_CPU_ISA -u ATEN_CPU_CAPABILITY -u ONEDNN_MAX_CPU_ISA "
                              "-u DNNL_MAX_CPU_ISA -u OPENBLAS_CORETYPE " + environment + " " +
                              zerorl::testing::BinaryDir() + "/tests/core/core_cpu_isa_cap_child " +
                              starts_path;
  CapRun run;
  if (FILE* pipe = popen(command.c_str(), "r")) {
    char buffer[256];
    while (std::fgets(buffer, sizeof(buffer), pipe) != nullptr) run.output += buffer;
    pclose(pipe);
  }
  std::ifstream starts(starts_path);
  std::string line;
  while (std::getline(starts, line)) ++run.starts;
  return run;
}

TEST(CpuIsaCapTest, CapsEveryLibraryAndRestartsOnceForOpenBlas) {
  CapRun run = RunCapChild("ZERORL_CPU_ISA=avx2");
  EXPECT_EQ(run.starts, 2) << "OpenBLAS reads OPENBLAS_CORETYPE only when it is loaded";
  EXPECT_THAT(run.output, HasSubstr("ATEN_CPU_CAPABILITY=avx2\n"));
  EXPECT_THAT(run.output, HasSubstr("ONEDNN_MAX_CPU_ISA=AVX2\n"));
  EXPECT_THAT(run.output, HasSubstr("OPENBLAS_CORETYPE=Haswell\n"));
}

TEST(CpuIsaCapTest, KeepsWhatTheUserSetAndDoesNotRestartThen) {
  CapRun run = RunCapChild("ZERORL_CPU_ISA=avx2 OPENBLAS_CORETYPE=Zen ATEN_CPU_CAPABILITY=default");
  EXPECT_EQ(run.starts, 1);
  EXPECT_THAT(run.output, HasSubstr("ATEN_CPU_CAPABILITY=default\n"));
  EXPECT_THAT(run.output, HasSubstr("ONEDNN_MAX_CPU_ISA=AVX2\n"));
  EXPECT_THAT(run.output, HasSubstr("OPENBLAS_CORETYPE=Zen\n"));
}

TEST(CpuIsaCapTest, NoCapNoChange) {
  CapRun run = RunCapChild("");
  EXPECT_EQ(run.starts, 1);
  EXPECT_THAT(run.output, HasSubstr("ATEN_CPU_CAPABILITY=(unset)\n"));
  EXPECT_THAT(run.output, HasSubstr("OPENBLAS_CORETYPE=(unset)\n"));
}

}  // namespace
}  // namespace zerorl::core
