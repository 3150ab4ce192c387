#include "config/precision.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace zerorl::config {
namespace {

using ::testing::HasSubstr;

core::CpuFeatures Avx2Epyc() {
  core::CpuFeatures f;
  f.model_name = "AMD EPYC 7B13 64-Core Processor";
  f.avx2 = f.fma = f.f16c = true;
  return f;
}

core::CpuFeatures SapphireRapids() {
  core::CpuFeatures f;
  f.model_name = "Intel(R) Xeon(R) Platinum 8480+";
  f.avx2 = f.fma = f.f16c = f.avx512f = f.avx512bw = f.avx512vl = f.avx512dq = true;
  f.avx512_bf16 = f.amx_bf16 = true;
  return f;
}

TEST(PrecisionTest, AutoIsFp32OnACpuWithoutBf16Instructions) {
  Config config;
  PrecisionChoice choice = ResolvePrecision(&config, Avx2Epyc());
  EXPECT_EQ(config.model.dtype, DType::kFloat32);
  EXPECT_EQ(config.learner.compute_dtype, DType::kFloat32);
  EXPECT_EQ(choice.model_dtype, DType::kFloat32);
  EXPECT_FALSE(choice.emulated_bf16);
  EXPECT_EQ(choice.reason,
            "CPU AMD EPYC 7B13 64-Core Processor (avx2 fma f16c): no bf16 instructions -> "
            "model fp32, learner fp32 (model.dtype and learner.compute_dtype auto)");
}

TEST(PrecisionTest, AutoIsBf16WithAmxOrAvx512Bf16) {
  Config config;
  PrecisionChoice choice = ResolvePrecision(&config, SapphireRapids());
  EXPECT_EQ(config.model.dtype, DType::kBFloat16);
  EXPECT_EQ(config.learner.compute_dtype, DType::kBFloat16);
  EXPECT_THAT(choice.reason, HasSubstr("AMX bf16 instructions -> model bf16, learner bf16"));

  core::CpuFeatures cooper_lake = SapphireRapids();
  cooper_lake.amx_bf16 = false;
  Config config2;
  EXPECT_THAT(ResolvePrecision(&config2, cooper_lake).reason,
              HasSubstr("AVX512_BF16 instructions -> model bf16"));
  EXPECT_EQ(config2.model.dtype, DType::kBFloat16);
}

TEST(PrecisionTest, AutoIsBf16OnCudaWhateverTheHostCpu) {
  Config config;
  config.model.device = "cuda:1";
  PrecisionChoice choice = ResolvePrecision(&config, Avx2Epyc());
  EXPECT_EQ(config.model.dtype, DType::kBFloat16);
  EXPECT_EQ(config.learner.compute_dtype, DType::kBFloat16);
  EXPECT_FALSE(choice.emulated_bf16);
  EXPECT_THAT(choice.reason, HasSubstr("CUDA (cuda:1)"));
}

TEST(PrecisionTest, ExplicitValuesAreKeptAndEmulatedBf16IsFlagged) {
  Config config;
  config.model.dtype = DType::kBFloat16;
  PrecisionChoice choice = ResolvePrecision(&config, Avx2Epyc());
  EXPECT_EQ(config.model.dtype, DType::kBFloat16) << "an explicit bf16 is allowed";
  EXPECT_EQ(config.learner.compute_dtype, DType::kFloat32) << "auto beside it still resolves";
  EXPECT_TRUE(choice.emulated_bf16);
  EXPECT_THAT(choice.reason, HasSubstr("(learner.compute_dtype auto)"));

  Config fp32;
  fp32.model.dtype = DType::kFloat32;
  fp32.learner.compute_dtype = DType::kFloat32;
  PrecisionChoice kept = ResolvePrecision(&fp32, SapphireRapids());
  EXPECT_EQ(fp32.model.dtype, DType::kFloat32);
  EXPECT_FALSE(kept.emulated_bf16);
  EXPECT_THAT(kept.reason, HasSubstr("(both set explicitly)"));
}

TEST(PrecisionTest, ResolvedConfigWritesConcreteNames) {
  Config config;
  ResolvePrecision(&config, Avx2Epyc());
  std::string json = ConfigToJson(config);
  EXPECT_THAT(json, HasSubstr("\"dtype\": \"fp32\""));
  EXPECT_THAT(json, HasSubstr("\"compute_dtype\": \"fp32\""));
  EXPECT_THAT(json, ::testing::Not(HasSubstr("\"auto\"")));
}

TEST(IntraOpThreadsTest, ExplicitThreadsWin) {
  Config config;
  config.model.threads = 3;
  EXPECT_EQ(IntraOpThreads(config, ProcessRole::kLearner, 16), 3);
  EXPECT_EQ(IntraOpThreads(config, ProcessRole::kRollout, 16), 3);
}

TEST(IntraOpThreadsTest, SyncModeGivesEveryUsableCpuToWhoeverComputes) {
  Config config;  // sync, spawned workers, one rollout worker
  EXPECT_EQ(IntraOpThreads(config, ProcessRole::kLearner, 2), 2);
  EXPECT_EQ(IntraOpThreads(config, ProcessRole::kRollout, 2), 2);
  EXPECT_EQ(IntraOpThreads(config, ProcessRole::kAlone, 2), 2);
  config.rollout.workers = 2;  // two workers generate at the same time
  EXPECT_EQ(IntraOpThreads(config, ProcessRole::kRollout, 8), 4);
  EXPECT_EQ(IntraOpThreads(config, ProcessRole::kRollout, 1), 1);
}

TEST(IntraOpThreadsTest, AsyncModeSplitsBetweenLearnerAndRollout) {
  Config config;
  config.run.mode = RunMode::kAsync;
  EXPECT_EQ(IntraOpThreads(config, ProcessRole::kLearner, 2), 1);
  EXPECT_EQ(IntraOpThreads(config, ProcessRole::kRollout, 2), 1);
  EXPECT_EQ(IntraOpThreads(config, ProcessRole::kLearner, 7), 3);
  EXPECT_EQ(IntraOpThreads(config, ProcessRole::kRollout, 7), 4);
  EXPECT_EQ(IntraOpThreads(config, ProcessRole::kLearner, 1), 1);
  EXPECT_EQ(IntraOpThreads(config, ProcessRole::kRollout, 1), 1);
}

TEST(IntraOpThreadsTest, LearnerRanksOnOneMachineSplitTheLearnersShare) {
  Config config;
  config.cluster.learner_ranks = 2;
  EXPECT_EQ(LearnerRanksOnThisMachine(config), 2);
  EXPECT_EQ(IntraOpThreads(config, ProcessRole::kLearner, 2), 1);
  EXPECT_EQ(IntraOpThreads(config, ProcessRole::kLearner, 8), 4);
  EXPECT_EQ(IntraOpThreads(config, ProcessRole::kRollout, 8), 8);  // sync: generates alone
  config.cluster.learner_ranks = 3;
  EXPECT_EQ(IntraOpThreads(config, ProcessRole::kLearner, 2), 1);
  config.run.mode = RunMode::kAsync;  // half for the learner ranks, half for the rollout
  config.cluster.learner_ranks = 2;
  EXPECT_EQ(IntraOpThreads(config, ProcessRole::kLearner, 8), 2);
  EXPECT_EQ(IntraOpThreads(config, ProcessRole::kRollout, 8), 4);
}

TEST(IntraOpThreadsTest, LearnerRanksStartedByHandKeepTheirMachine) {
  Config config;
  config.cluster.learner_ranks = 4;
  config.cluster.learner_master = "10.0.0.1:29500";  // one rank per machine
  EXPECT_EQ(LearnerRanksOnThisMachine(config), 1);
  EXPECT_EQ(IntraOpThreads(config, ProcessRole::kLearner, 8), 8);
  config.model.threads = 3;
  EXPECT_EQ(IntraOpThreads(config, ProcessRole::kLearner, 8), 3);
}

TEST(IntraOpThreadsTest, WorkersOnOtherMachinesKeepTheirCpus) {
  Config config;
  config.run.mode = RunMode::kAsync;
  config.cluster.spawn = false;
  EXPECT_EQ(IntraOpThreads(config, ProcessRole::kLearner, 8), 8);
  EXPECT_EQ(IntraOpThreads(config, ProcessRole::kRollout, 8), 8);
}

}  // namespace
}  // namespace zerorl::config
