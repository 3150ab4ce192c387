// Warm boxes: a box is reused across runs, and a run in a reused box sees nothing of the one
// before it (no file, process, SysV IPC object, abstract socket), nor can a program change
// the box's init for the runs after it.
#include <unistd.h>

#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/verifiers/sandbox/sandbox_testing.h"
#include "verifiers/sandbox/internal/box.h"
#include "verifiers/sandbox/sandbox.h"

namespace zerorl::sandbox {
namespace {

using ::testing::HasSubstr;
using testing::FastLimits;
using testing::MustRun;
using ::zerorl::testing::IsOk;
using ::zerorl::testing::StatusIs;

std::unique_ptr<Sandbox> MakeSandbox(int warm_boxes) {
  SandboxOptions options = testing::TestOptions();
  options.warm_boxes = warm_boxes;
  absl::StatusOr<std::unique_ptr<Sandbox>> sandbox = Sandbox::Create(options);
  EXPECT_THAT(sandbox, IsOk());
  return sandbox.ok() ? std::move(*sandbox) : nullptr;
}

// Prints the box's network namespace (the same in a reused box) and IPC namespace.
constexpr char kNamespaces[] =
    "import os\n"
    "print(os.readlink('/proc/self/ns/net'), os.readlink('/proc/self/ns/ipc'))\n";

// Leaves behind everything a run could: a file, a daemon, SysV shared memory, a semaphore
// set and a message queue, and an abstract unix socket held by the daemon.
constexpr char kLitter[] =
    "import ctypes, os, socket, time\n"
    "libc = ctypes.CDLL(None, use_errno=True)\n"
    "open('/tmp/left-behind', 'w').write('x')\n"
    "ids = (libc.shmget(4242, 4096, 0o1600), libc.semget(4242, 1, 0o1600),\n"
    "       libc.msgget(4242, 0o1600))\n"
    "print('ipc', all(i >= 0 for i in ids))\n"
    "if os.fork() == 0:\n"
    "    os.setsid()\n"
    "    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)\n"
    "    s.bind('\\0zerorl-reuse')\n"
    "    s.listen(1)\n"
    "    time.sleep(60)\n"
    "    os._exit(0)\n"
    "time.sleep(0.2)\n"
    "print('litter done')\n";

// Looks for each of them.
constexpr char kSearch[] =
    "import ctypes, os, socket\n"
    "libc = ctypes.CDLL(None, use_errno=True)\n"
    "print(sorted(os.listdir('/tmp')))\n"
    "print(sorted(int(p) for p in os.listdir('/proc') if p.isdigit()) == [1, os.getpid()])\n"
    "print([libc.shmget(4242, 0, 0), libc.semget(4242, 0, 0), libc.msgget(4242, 0)])\n"
    "for kind in ('shm', 'sem', 'msg'):\n"
    "    print(kind, len(open('/proc/sysvipc/' + kind).read().splitlines()))\n"
    "s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)\n"
    "try:\n"
    "    s.connect('\\0zerorl-reuse')\n"
    "    print('CONNECTED')\n"
    "except OSError as e:\n"
    "    print('connect errno', e.errno)\n";

TEST(SandboxReuseTest, ASecondRunInAReusedBoxSeesNothingOfTheFirst) {
  std::unique_ptr<Sandbox> sandbox = MakeSandbox(1);
  ASSERT_NE(sandbox, nullptr);
  testing::HostSnapshot host;
  RunResult first = MustRun(*sandbox, "python", std::string(kNamespaces) + kLitter);
  ASSERT_EQ(first.status, RunStatus::kOk) << first.stderr_data;
  std::vector<std::string> first_lines = absl::StrSplit(first.stdout_data, '\n');
  ASSERT_EQ(first_lines.size(), 4u) << first.stdout_data;
  EXPECT_EQ(first_lines[1], "ipc True");
  EXPECT_EQ(sandbox->shared().warm_boxes->idle(), 1u);

  RunResult second = MustRun(*sandbox, "python", std::string(kNamespaces) + kSearch);
  ASSERT_EQ(second.status, RunStatus::kOk) << second.stderr_data;
  std::vector<std::string> lines = absl::StrSplit(second.stdout_data, '\n');
  ASSERT_EQ(lines.size(), 9u) << second.stdout_data;
  std::vector<std::string> first_ns = absl::StrSplit(first_lines[0], ' ');
  std::vector<std::string> second_ns = absl::StrSplit(lines[0], ' ');
  ASSERT_EQ(first_ns.size(), 2u);
  ASSERT_EQ(second_ns.size(), 2u);
  EXPECT_EQ(second_ns[0], first_ns[0]) << "the box was not reused";
  EXPECT_NE(second_ns[1], first_ns[1]) << "the IPC namespace was not renewed";
  EXPECT_EQ(lines[1], "['main.py']");
  EXPECT_EQ(lines[2], "True");  // init and this program, no daemon
  EXPECT_EQ(lines[3], "[-1, -1, -1]");
  EXPECT_EQ(lines[4], "shm 1");  // the header line only
  EXPECT_EQ(lines[5], "sem 1");
  EXPECT_EQ(lines[6], "msg 1");
  EXPECT_EQ(lines[7], "connect errno 111");  // ECONNREFUSED: nobody holds the name
  host.ExpectUnchanged();
}

// Tries to lower init's priority and limits and pin it to one CPU (init shares the program's
// uid); then changes its own priority, which is allowed.
constexpr char kChangeInit[] =
    "import os, resource\n"
    "def attempt(name, call):\n"
    "    try:\n"
    "        call()\n"
    "        print(name, 'CHANGED')\n"
    "    except OSError as e:\n"
    "        print(name, e.errno)\n"
    "attempt('nice', lambda: os.setpriority(os.PRIO_PROCESS, 1, 19))\n"
    "attempt('nice_group', lambda: os.setpriority(os.PRIO_PGRP, 0, 19))\n"
    "attempt('nice_user', lambda: os.setpriority(os.PRIO_USER, 0, 19))\n"
    "attempt('prlimit', lambda: resource.prlimit(1, resource.RLIMIT_NOFILE, (8, 8)))\n"
    "attempt('affinity', lambda: os.sched_setaffinity(1, {0}))\n"
    "os.setpriority(os.PRIO_PROCESS, 0, 5)\n"
    "print('own nice', os.getpriority(os.PRIO_PROCESS, 0))\n";

TEST(SandboxReuseTest, AProgramCannotChangeInitForTheRunsAfterIt) {
  std::unique_ptr<Sandbox> sandbox = MakeSandbox(1);
  ASSERT_NE(sandbox, nullptr);
  RunResult attack = MustRun(*sandbox, "python", kChangeInit);
  ASSERT_EQ(attack.status, RunStatus::kOk) << attack.stderr_data;
  EXPECT_EQ(attack.stdout_data,
            "nice 1\nnice_group 1\nnice_user 1\nprlimit 1\naffinity 1\nown nice 5\n");  // EPERM
  RunResult after = MustRun(*sandbox, "python",
                            "import os, resource\n"
                            "print(os.getpriority(os.PRIO_PROCESS, 0),"
                            " resource.getrlimit(resource.RLIMIT_NOFILE))\n");
  EXPECT_EQ(after.stdout_data, absl::StrCat("0 (", FastLimits().max_open_files, ", ",
                                            FastLimits().max_open_files, ")\n"));
  EXPECT_EQ(sandbox->shared().warm_boxes->idle(), 1u);
}

std::string NetNamespace(const RunResult& run) {
  return run.stdout_data.substr(0, run.stdout_data.find(' '));
}

// A box's init dies with the thread that made it, so only that thread gets it back.
TEST(SandboxReuseTest, ABoxIsReusedOnlyByTheThreadThatMadeIt) {
  std::unique_ptr<Sandbox> sandbox = MakeSandbox(2);
  ASSERT_NE(sandbox, nullptr);
  RunResult mine = MustRun(*sandbox, "python", kNamespaces);
  RunResult other;
  std::thread([&] { other = MustRun(*sandbox, "python", kNamespaces); }).join();
  ASSERT_FALSE(NetNamespace(other).empty());
  EXPECT_NE(NetNamespace(other), NetNamespace(mine));
  RunResult again = MustRun(*sandbox, "python", kNamespaces);
  EXPECT_EQ(NetNamespace(again), NetNamespace(mine));
  // The other thread's box died with it (its init may take a moment to go) and is dropped
  // when a box is next kept.
  for (int i = 0; i < 50 && sandbox->shared().warm_boxes->idle() > 1; ++i) {
    ::usleep(20000);
    MustRun(*sandbox, "python", "pass");
  }
  EXPECT_EQ(sandbox->shared().warm_boxes->idle(), 1u);
}

TEST(SandboxReuseTest, WithoutWarmBoxesEveryRunGetsANewBox) {
  std::unique_ptr<Sandbox> sandbox = MakeSandbox(0);
  ASSERT_NE(sandbox, nullptr);
  RunResult first = MustRun(*sandbox, "python", kNamespaces);
  RunResult second = MustRun(*sandbox, "python", kNamespaces);
  ASSERT_FALSE(first.stdout_data.empty());
  EXPECT_NE(NetNamespace(first), NetNamespace(second));
  EXPECT_EQ(sandbox->shared().warm_boxes->idle(), 0u);
}

TEST(SandboxReuseTest, AJobStoppedByACompileErrorEndsCleanlyAndTheBoxIsReused) {
  std::unique_ptr<Sandbox> sandbox = MakeSandbox(1);
  ASSERT_NE(sandbox, nullptr);
  RunResult bad = MustRun(*sandbox, "cpp", "int main() { return undefined_name; }");
  EXPECT_EQ(bad.status, RunStatus::kCompileError);  // the program's step never ran
  EXPECT_EQ(sandbox->shared().warm_boxes->idle(), 1u);
  RunResult next = MustRun(*sandbox, "python", "import os\nprint(sorted(os.listdir('/tmp')))");
  EXPECT_EQ(next.stdout_data, "['main.py']\n");  // no main.cpp of the last job
  EXPECT_EQ(sandbox->shared().warm_boxes->idle(), 1u);
}

TEST(SandboxReuseTest, NegativeWarmBoxesIsInvalidArgument) {
  SandboxOptions options = testing::TestOptions();
  options.warm_boxes = -2;
  absl::StatusOr<std::unique_ptr<Sandbox>> sandbox = Sandbox::Create(options);
  EXPECT_THAT(sandbox, StatusIs(absl::StatusCode::kInvalidArgument,
                                "warm_boxes must be -1 (one per CPU) or >= 0, got -2"));
}

}  // namespace
}  // namespace zerorl::sandbox
