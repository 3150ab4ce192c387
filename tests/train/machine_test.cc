#include "train/machine.h"

#include <ATen/Parallel.h>

#include "core/cpu_features.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace zerorl::train {
namespace {

using ::testing::HasSubstr;

TEST(MachineSetupTest, ComputesOnEveryUsableCpuByDefault) {
  config::Config config;  // model.threads 0, sync mode
  MachineSetup machine = ApplyMachineSetup(&config, config::ProcessRole::kLearner).value();
  EXPECT_EQ(machine.usable_cpus, core::UsableCpus());
  EXPECT_EQ(machine.threads, core::UsableCpus());
  EXPECT_EQ(at::get_num_threads(), core::UsableCpus())
      << "LibTorch's own guess is not what the process computes on";
  EXPECT_THAT(machine.Summary(), HasSubstr("intra-op threads " + std::to_string(machine.threads) +
                                           " of " + std::to_string(machine.usable_cpus)));
}

TEST(MachineSetupTest, ExplicitThreadsAreSet) {
  config::Config config;
  config.model.threads = 1;
  ASSERT_TRUE(ApplyMachineSetup(&config, config::ProcessRole::kRollout).ok());
  EXPECT_EQ(at::get_num_threads(), 1);
  config.model.threads = 0;
  ASSERT_TRUE(ApplyMachineSetup(&config, config::ProcessRole::kAlone).ok());
  EXPECT_EQ(at::get_num_threads(), core::UsableCpus());
}

TEST(MachineSetupTest, AutoPrecisionFollowsThisCpu) {
  config::Config config;
  MachineSetup machine = ApplyMachineSetup(&config, config::ProcessRole::kAlone).value();
  const config::DType expected =
      core::HostCpu().native_bf16() ? config::DType::kBFloat16 : config::DType::kFloat32;
  EXPECT_EQ(config.model.dtype, expected);
  EXPECT_EQ(config.learner.compute_dtype, expected);
  EXPECT_TRUE(machine.emulated_bf16_cost.empty());
  EXPECT_THAT(machine.Summary(), HasSubstr(core::HostCpu().Describe()));
}

TEST(MachineSetupTest, Bf16WithoutBf16InstructionsReportsItsMeasuredCost) {
  if (core::HostCpu().native_bf16() || !core::HostCpu().capped_by.empty()) {
    GTEST_SKIP() << "needs a CPU without bf16 instructions; this one: "
                 << core::HostCpu().Describe();
  }
  config::Config config;
  config.model.dtype = config::DType::kBFloat16;
  MachineSetup machine = ApplyMachineSetup(&config, config::ProcessRole::kAlone).value();
  EXPECT_THAT(machine.emulated_bf16_cost, HasSubstr("GFLOP/s"));
  EXPECT_THAT(machine.emulated_bf16_cost, HasSubstr("x slower"));
}

TEST(MachineSetupTest, Bf16UnderAnIsaCapWithoutBf16IsRefused) {
  if (core::HostCpu().capped_by.empty() || core::HostCpu().native_bf16()) {
    GTEST_SKIP() << "needs ZERORL_CPU_ISA=avx2 (or lower); this CPU: "
                 << core::HostCpu().Describe();
  }
  config::Config config;
  config.model.dtype = config::DType::kBFloat16;
  absl::StatusOr<MachineSetup> machine = ApplyMachineSetup(&config, config::ProcessRole::kAlone);
  EXPECT_EQ(machine.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(machine.status().message()), HasSubstr("use fp32 or auto"));
}

}  // namespace
}  // namespace zerorl::train
