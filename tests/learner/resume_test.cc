// Kill-and-resume: 6 steps straight == 3 steps in a child process that is then SIGKILLed
// (while it trains and checkpoints on), + 3 steps resumed from its step-3 checkpoint in a
// fresh learner. fp32 on the CPU: the weights must be identical, bit for bit.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include <torch/torch.h>

#include "gtest/gtest.h"
#include "learner/checkpoint.h"
#include "tests/learner/learner_test_util.h"
#include "tests/testing/test_support.h"

extern char** environ;

namespace zerorl::learner {
namespace {

namespace fs = std::filesystem;

// Waits up to `timeout_s` for `path` to exist.
bool WaitFor(const fs::path& path, double timeout_s) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (std::chrono::steady_clock::now() < deadline) {
    if (fs::exists(path)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

class ThreadsGuard {
 public:
  explicit ThreadsGuard(int n) : previous_(at::get_num_threads()) { at::set_num_threads(n); }
  ~ThreadsGuard() { at::set_num_threads(previous_); }

 private:
  int previous_;
};

TEST(ResumeTest, KilledRunResumesBitForBit) {
  const std::string child = zerorl::testing::BinaryDir() + "/tests/learner/learner_resume_child";
  ASSERT_TRUE(fs::exists(child)) << child;
  zerorl::testing::TempDir tmp;
  const std::string checkpoints = tmp.Path("checkpoints");

  std::vector<std::string> args = {child, checkpoints};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  ASSERT_EQ(posix_spawn(&pid, child.c_str(), nullptr, nullptr, argv.data(), environ), 0);
  // Let it get past step 3 and into later saves, then kill it wherever it is.
  bool reached = WaitFor(fs::path(checkpoints) / "step-5", 300);
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(reached) << "the child never wrote step-5";
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

  ThreadsGuard threads(1);
  auto straight = testing::ResumeRecipeLearner();
  ASSERT_TRUE(straight);
  torch::manual_seed(testing::kResumeRecipeSeed);
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(straight->Step(testing::ResumeRecipeBatch(straight->policy_version())).ok());
  }

  auto resumed = testing::ResumeRecipeLearner();
  ASSERT_TRUE(resumed);
  torch::manual_seed(999);  // whatever the generator holds now is overwritten by the checkpoint
  auto state = LoadCheckpoint(checkpoints + "/step-3", resumed.get());
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->step, 3);
  EXPECT_EQ(state->policy_version, 3);
  EXPECT_EQ(state->dataset_cursor_json, "{\"next_batch\":3}");
  EXPECT_EQ(resumed->num_updates(), 6);  // mu = 2
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(resumed->Step(testing::ResumeRecipeBatch(resumed->policy_version())).ok());
  }
  auto a = straight->ExportWeights(torch::kFloat);
  auto b = resumed->ExportWeights(torch::kFloat);
  for (const auto& [name, t] : a) EXPECT_TRUE(torch::equal(t, b.at(name))) << name;

  // Wherever the kill landed, every step folder that exists is complete.
  for (const auto& entry : fs::directory_iterator(checkpoints)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("step-", 0) != 0) continue;
    auto probe = testing::ResumeRecipeLearner();
    EXPECT_TRUE(LoadCheckpoint(entry.path().string(), probe.get()).ok()) << name;
  }
}

}  // namespace
}  // namespace zerorl::learner
