#include "verifiers/sandbox/pool.h"

#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/verifiers/sandbox/sandbox_testing.h"
#include "verifiers/sandbox/internal/box.h"

namespace zerorl::sandbox {
namespace {

using testing::FastLimits;
using testing::TestOptions;
using ::zerorl::testing::IsOk;
using ::zerorl::testing::StatusIs;

std::unique_ptr<SandboxPool> MakePool(int workers) {
  absl::StatusOr<std::unique_ptr<SandboxPool>> pool = SandboxPool::Create(TestOptions(), workers);
  EXPECT_THAT(pool, IsOk());
  return pool.ok() ? std::move(*pool) : nullptr;
}

JudgeRequest Doubler(int n) {
  JudgeRequest request;
  request.language = "python";
  request.code = "print(int(input()) * 2)";
  request.tests = {{absl::StrCat(n), absl::StrCat(2 * n)}};
  request.limits = FastLimits();
  return request;
}

TEST(SandboxPoolTest, ManyThreadsShareOnePool) {
  std::unique_ptr<SandboxPool> pool = MakePool(2);
  ASSERT_NE(pool, nullptr);
  std::vector<std::thread> threads;
  std::vector<int> passed(6, 0);
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 3; ++i) {
        JudgeRequest request = Doubler(t * 10 + i);
        if (i == 2) request.tests[0].expected_stdout = "wrong";
        absl::StatusOr<JudgeResult> result = pool->Judge(request);
        if (result.ok() && result->passed == (i != 2)) ++passed[t];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(passed, std::vector<int>(6, 3));
}

TEST(SandboxPoolTest, AtMostNumWorkersRunAtOnceTheRestWait) {
  std::unique_ptr<SandboxPool> pool = MakePool(2);
  ASSERT_NE(pool, nullptr);
  EXPECT_EQ(pool->num_workers(), 2);
  RunRequest sleeper;
  sleeper.language = "python";
  sleeper.code = "import time\ntime.sleep(0.5)\nprint('done')";
  sleeper.limits = FastLimits();
  std::vector<std::future<absl::StatusOr<RunResult>>> futures;
  for (int i = 0; i < 6; ++i) futures.push_back(pool->SubmitRun(sleeper));
  EXPECT_GE(pool->queued(), 4u);  // two workers can have taken two
  for (auto& future : futures) {
    absl::StatusOr<RunResult> r = future.get();
    ASSERT_THAT(r, IsOk());
    EXPECT_EQ(r->stdout_data, "done\n");
  }
  EXPECT_EQ(pool->queued(), 0u);
}

TEST(SandboxPoolTest, EachWorkerKeepsAWarmBox) {
  std::unique_ptr<SandboxPool> pool = MakePool(3);
  ASSERT_NE(pool, nullptr);
  RunRequest sleeper;
  sleeper.language = "python";
  sleeper.code = "import time\ntime.sleep(0.3)\n";
  sleeper.limits = FastLimits();
  std::vector<std::future<absl::StatusOr<RunResult>>> futures;
  for (int i = 0; i < 3; ++i) futures.push_back(pool->SubmitRun(sleeper));  // three at once
  for (auto& future : futures) ASSERT_TRUE(future.get().ok());
  EXPECT_EQ(pool->sandbox().shared().warm_boxes->idle(), 3u);
}

TEST(SandboxPoolTest, DestructionFinishesQueuedWork) {
  std::vector<std::future<absl::StatusOr<JudgeResult>>> futures;
  {
    std::unique_ptr<SandboxPool> pool = MakePool(1);
    ASSERT_NE(pool, nullptr);
    for (int i = 0; i < 3; ++i) futures.push_back(pool->SubmitJudge(Doubler(i)));
  }
  for (auto& future : futures) {
    absl::StatusOr<JudgeResult> r = future.get();
    ASSERT_THAT(r, IsOk());
    EXPECT_TRUE(r->passed);
  }
}

TEST(SandboxPoolTest, BadRequestsComeBackAsTheirStatus) {
  std::unique_ptr<SandboxPool> pool = MakePool(1);
  ASSERT_NE(pool, nullptr);
  JudgeRequest request = Doubler(1);
  request.language = "brainfuck";
  EXPECT_THAT(pool->Judge(request), StatusIs(absl::StatusCode::kInvalidArgument));
  RunRequest run;
  run.language = "python";
  run.limits.wall_time_ms = -5;
  EXPECT_THAT(pool->Run(run), StatusIs(absl::StatusCode::kInvalidArgument,
                                       "limit wall_time_ms must be > 0, got -5"));
}

TEST(SandboxPoolTest, WorkerCountDefaultsToTheCpus) {
  std::unique_ptr<SandboxPool> pool = MakePool(0);
  ASSERT_NE(pool, nullptr);
  EXPECT_EQ(pool->num_workers(), AvailableCpus());
  EXPECT_THAT(SandboxPool::Create(TestOptions(), -1), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace zerorl::sandbox
