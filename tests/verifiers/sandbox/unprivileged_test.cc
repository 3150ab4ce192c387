// The sandbox as an unprivileged user: no cgroups to write, only the caller's own uid to map,
// rlimits for memory and processes. SandboxAsUserTest runs directly when the tests run as a
// normal user; as root, SandboxUnprivilegedTest re-runs this binary as uid/gid 65534 with
// only those tests selected.
#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_support.h"
#include "tests/verifiers/sandbox/sandbox_testing.h"

namespace zerorl::sandbox {
namespace {

using testing::FastLimits;
using ::testing::HasSubstr;
using ::zerorl::testing::IsOk;

constexpr uid_t kNobody = 65534;

#define SKIP_WHEN_ROOT()                                                                   \
  do {                                                                                     \
    if (::geteuid() == 0) {                                                                \
      GTEST_SKIP() << "running as root: SandboxUnprivilegedTest re-runs this as uid 65534"; \
    }                                                                                      \
  } while (0)

const Sandbox& UserSandbox() {
  static std::unique_ptr<Sandbox> sandbox = [] {
    absl::StatusOr<std::unique_ptr<Sandbox>> made = Sandbox::Create(SandboxOptions{});
    if (!made.ok()) {
      ADD_FAILURE() << made.status();
      std::abort();
    }
    return std::move(*made);
  }();
  return *sandbox;
}

RunResult RunAsUser(const std::string& code, const Limits& limits = FastLimits()) {
  return testing::MustRun(UserSandbox(), "python", code, limits);
}

TEST(SandboxAsUserTest, BuildsBoxesWithTheCallersOwnIdMapped) {
  SKIP_WHEN_ROOT();
  const SandboxEnvironment& env = UserSandbox().environment();
  EXPECT_FALSE(env.running_as_root);
  EXPECT_EQ(env.outer_uid, ::geteuid());
  std::cout << "as uid " << ::geteuid() << ": " << env.ToString() << "\n";
  RunResult r = RunAsUser(
      "import os\nprint(os.getuid(), open('/proc/self/uid_map').read().split())\n"
      "print(open('/proc/self/status').read().count('CapEff:\\t0000000000000000'))\n");
  EXPECT_EQ(r.status, RunStatus::kOk) << r.stderr_data;
  EXPECT_EQ(r.stdout_data, absl::StrCat("1000 ['1000', '", ::geteuid(), "', '1']\n1\n"));
}

TEST(SandboxAsUserTest, CompilesAndJudges) {
  SKIP_WHEN_ROOT();
  RunResult cpp = testing::MustRun(UserSandbox(), "cpp",
                                   "#include <cstdio>\nint main() { std::puts(\"hi\"); }");
  EXPECT_EQ(cpp.status, RunStatus::kOk) << cpp.stderr_data;
  JudgeRequest request;
  request.language = "python";
  request.code = "def f(x):\n    return x + 1\n";
  request.test_programs = {"assert f(1) == 2", "exit(0)"};
  request.limits = FastLimits();
  absl::StatusOr<JudgeResult> verdict = Judge(UserSandbox(), request);
  ASSERT_THAT(verdict, IsOk());
  EXPECT_DOUBLE_EQ(verdict->pass_fraction, 0.5);
}

TEST(SandboxAsUserTest, RlimitsBoundMemoryProcessesAndTime) {
  SKIP_WHEN_ROOT();
  Limits limits = FastLimits();
  limits.memory_mib = 128;
  limits.wall_time_ms = 1500;
  EXPECT_EQ(RunAsUser("a = []\nwhile True:\n    a.append(bytearray(1 << 20))\n", limits).status,
            RunStatus::kMemoryLimit);
  RunResult bomb = RunAsUser(
      "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n",
      limits);
  EXPECT_EQ(bomb.status, RunStatus::kTimeLimit);
  EXPECT_EQ(RunAsUser("while True:\n    pass\n", limits).status, RunStatus::kTimeLimit);
}

TEST(SandboxAsUserTest, TheBoxIsAsClosedAsForRoot) {
  SKIP_WHEN_ROOT();
  RunResult r = RunAsUser(
      "import os, socket\n"
      "for path in ('/etc/shadow', '/x', '/usr/x'):\n"
      "    try:\n"
      "        open(path, 'w')\n"
      "        print(path, 'OPENED')\n"
      "    except OSError as e:\n"
      "        print(path, e.errno)\n"
      "try:\n"
      "    socket.socket(socket.AF_INET)\n"
      "except OSError as e:\n"
      "    print('socket', e.errno)\n"
      "print(sorted(int(p) for p in os.listdir('/proc') if p.isdigit()) == [1, os.getpid()])\n");
  EXPECT_EQ(r.status, RunStatus::kOk) << r.stderr_data;
  EXPECT_EQ(r.stdout_data, "/etc/shadow 30\n/x 30\n/usr/x 30\nsocket 1\nTrue\n");  // EROFS
}

// As root: run the tests above as uid/gid 65534, without supplementary groups.
TEST(SandboxUnprivilegedTest, PassesEveryCheckAsUid65534) {
  if (::geteuid() != 0) GTEST_SKIP() << "not root: SandboxAsUserTest ran these directly";
  char exe[4096];
  ssize_t n = ::readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  ASSERT_GT(n, 0);
  exe[n] = '\0';
  int out[2];
  ASSERT_EQ(::pipe(out), 0);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out[1], 1);
    ::dup2(out[1], 2);
    if (::setgroups(0, nullptr) != 0 || ::setresgid(kNobody, kNobody, kNobody) != 0 ||
        ::setresuid(kNobody, kNobody, kNobody) != 0) {
      std::perror("dropping privileges");
      ::_exit(2);
    }
    ::execl(exe, exe, "--gtest_filter=SandboxAsUserTest.*", static_cast<char*>(nullptr));
    std::perror("exec");
    ::_exit(2);
  }
  ::close(out[1]);
  std::string output;
  char buffer[4096];
  while ((n = ::read(out[0], buffer, sizeof(buffer))) > 0) output.append(buffer, n);
  ::close(out[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << output;
  EXPECT_THAT(output, HasSubstr("[  PASSED  ] 4 tests."));
  EXPECT_THAT(output, ::testing::Not(HasSubstr("SKIPPED")));
  std::cout << output;
}

}  // namespace
}  // namespace zerorl::sandbox
