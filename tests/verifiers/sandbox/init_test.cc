// The box's init program: embedded, executed from a memfd, and failing with a Status that
// names the step when its setup is damaged or the kernel will not execute it.
#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <memory>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/verifiers/sandbox/sandbox_testing.h"
#include "verifiers/sandbox/internal/box.h"
#include "verifiers/sandbox/internal/init_image.h"
#include "verifiers/sandbox/sandbox.h"

namespace zerorl::sandbox {
namespace {

using ::testing::HasSubstr;
using ::zerorl::testing::IsOk;
using ::zerorl::testing::StatusIs;

TEST(SandboxInitTest, TheEmbeddedProgramIsAnElfExecutable) {
  ASSERT_GT(InitProgramSize(), 4096u);
  EXPECT_EQ(std::memcmp(InitProgramBytes(), "\x7f" "ELF", 4), 0);
}

TEST(SandboxInitTest, ADamagedSetupIsASetupErrorNamingTheSection) {
  absl::StatusOr<std::unique_ptr<Sandbox>> sandbox = Sandbox::Create(testing::TestOptions());
  ASSERT_THAT(sandbox, IsOk());
  SandboxShared& shared = (*sandbox)->shared();
  const char garbage[] = "ZBS1 and then nothing that decodes";
  absl::StatusOr<OwnedFd> damaged = SealedMemfd("damaged", garbage, sizeof(garbage), false);
  ASSERT_THAT(damaged, IsOk());
  OwnedFd good = std::move(shared.setup);
  shared.setup = std::move(*damaged);
  absl::StatusOr<std::unique_ptr<Box>> box = Box::Start(shared);
  absl::Status ready = box.ok() ? (*box)->AwaitReady() : box.status();
  shared.setup = std::move(good);
  EXPECT_THAT(
      ready,
      StatusIs(absl::StatusCode::kInternal,
               "sandbox setup failed while reading the box's setup (identity): Bad message"));
  EXPECT_FALSE(box.ok() && (*box)->usable());
  RunResult after = testing::MustRun(**sandbox, "python", "print('still fine')");
  EXPECT_EQ(after.stdout_data, "still fine\n");
}

// vm.memfd_noexec is per PID namespace (Linux 6.3+): a child in a new one may forbid
// executable memfds for itself alone, and Sandbox::Create must then say what is wrong.
TEST(SandboxInitTest, RefusedExecutableMemfdNamesTheSysctl) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to set vm.memfd_noexec";
  if (::access("/proc/sys/vm/memfd_noexec", W_OK) != 0) {
    GTEST_SKIP() << "no vm.memfd_noexec on this kernel (before 6.3): nothing to refuse";
  }
  int out[2];
  ASSERT_EQ(::pipe(out), 0);
  pid_t child = ::fork();
  if (child == 0) {
    ::close(out[0]);
    if (::unshare(CLONE_NEWPID) != 0) ::_exit(2);
    pid_t inner = ::fork();  // PID 1 of the new PID namespace
    if (inner == 0) {
      int fd = ::open("/proc/sys/vm/memfd_noexec", O_WRONLY);
      if (fd < 0 || ::write(fd, "2", 1) != 1) ::_exit(3);
      ::close(fd);
      absl::StatusOr<std::unique_ptr<Sandbox>> sandbox = Sandbox::Create(testing::TestOptions());
      std::string text = sandbox.ok() ? "created" : sandbox.status().ToString();
      ::write(out[1], text.data(), text.size());
      ::_exit(0);
    }
    int status = 0;
    ::waitpid(inner, &status, 0);
    ::_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 4);
  }
  ::close(out[1]);
  std::string text;
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(out[0], buffer, sizeof(buffer))) > 0) text.append(buffer, n);
  ::close(out[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_THAT(text, HasSubstr("FAILED_PRECONDITION"));
  EXPECT_THAT(text, HasSubstr("vm.memfd_noexec = 2"));
}

}  // namespace
}  // namespace zerorl::sandbox
