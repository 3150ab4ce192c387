// Sandbox::Run: what a program sees inside the box and how each limit ends it.
#include <unistd.h>

#include <csignal>
#include <iostream>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/verifiers/sandbox/sandbox_testing.h"
#include "verifiers/sandbox/sandbox.h"

namespace zerorl::sandbox {
namespace {

using testing::FastLimits;
using ::testing::HasSubstr;
using testing::MustRun;
using testing::RunPython;
using testing::SharedSandbox;
using ::testing::StartsWith;
using ::zerorl::testing::StatusIs;

TEST(SandboxRunTest, PythonReadsStdinAndWritesStdout) {
  RunResult r = RunPython("import sys\nprint(sys.stdin.read()[::-1])", FastLimits(), "abc");
  EXPECT_EQ(r.status, RunStatus::kOk) << r.stderr_data;
  EXPECT_EQ(r.stdout_data, "cba\n");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_GT(r.wall_ms, 0);
  EXPECT_GT(r.max_rss_kib, 0);
}

TEST(SandboxRunTest, NonZeroExitIsRuntimeError) {
  RunResult r = RunPython("import sys\nsys.stderr.write('bad\\n')\nsys.exit(3)");
  EXPECT_EQ(r.status, RunStatus::kRuntimeError);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.stderr_data, "bad\n");
}

TEST(SandboxRunTest, DeathBySignalIsRuntimeErrorWithTheSignal) {
  RunResult r = RunPython("import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)");
  EXPECT_EQ(r.status, RunStatus::kRuntimeError);
  EXPECT_EQ(r.signal, SIGSEGV);
}

TEST(SandboxRunTest, CppCompilesThenRuns) {
  RunResult r = MustRun(SharedSandbox(), "cpp",
                        "#include <iostream>\nint main() { long a, b; std::cin >> a >> b;"
                        " std::cout << a + b << '\\n'; }",
                        FastLimits(), "40 2\n");
  EXPECT_EQ(r.status, RunStatus::kOk) << r.stderr_data;
  EXPECT_EQ(r.stdout_data, "42\n");
}

TEST(SandboxRunTest, CppCompileErrorCarriesTheDiagnostics) {
  RunResult r = MustRun(SharedSandbox(), "c++", "int main() { return undefined_name; }");
  EXPECT_EQ(r.status, RunStatus::kCompileError);
  EXPECT_THAT(r.stderr_data, HasSubstr("undefined_name"));
  EXPECT_THAT(r.stderr_data, HasSubstr("was not declared in this scope"));
}

TEST(SandboxRunTest, JavaRunsTheSingleFileLauncher) {
  if (::access("/usr/bin/java", X_OK) != 0) GTEST_SKIP() << "no /usr/bin/java on this machine";
  Limits limits = FastLimits();
  limits.wall_time_ms = limits.cpu_time_ms = 20000;
  limits.memory_mib = 512;
  RunResult r = MustRun(SharedSandbox(), "java",
                        "public class Hi { public static void main(String[] a) {"
                        " System.out.println(new java.util.Scanner(System.in).nextInt() * 2); } }",
                        limits, "21\n");
  EXPECT_EQ(r.status, RunStatus::kOk) << r.stderr_data;
  EXPECT_EQ(r.stdout_data, "42\n");
}

TEST(SandboxRunTest, EnvironmentIsOnlyPathHomeTmpdirAndLocale) {
  RunResult r = RunPython("import os\nprint(sorted(os.environ.items()))");
  EXPECT_EQ(r.stdout_data,
            "[('HOME', '/tmp'), ('LANG', 'C.UTF-8'), ('LC_ALL', 'C.UTF-8'), "
            "('PATH', '/usr/local/bin:/usr/bin:/bin'), ('TMPDIR', '/tmp')]\n");
}

TEST(SandboxRunTest, RunsUnprivilegedWithoutCapabilitiesUnderSeccomp) {
  RunResult r = RunPython(
      "import os\n"
      "print(os.getuid(), os.getgid(), os.getgroups(), os.getcwd())\n"
      "for line in open('/proc/self/status'):\n"
      "    if line.split(':')[0] in ('CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb',\n"
      "                              'NoNewPrivs', 'Seccomp'):\n"
      "        print(line.strip())\n");
  EXPECT_EQ(r.status, RunStatus::kOk) << r.stderr_data;
  std::string expected_groups = ::geteuid() == 0 ? "[]" : "";  // as non-root: overflow gids
  EXPECT_THAT(r.stdout_data, StartsWith("1000 1000 " + expected_groups));
  EXPECT_THAT(r.stdout_data, HasSubstr(" /tmp\n"));
  for (const char* cap : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"}) {
    EXPECT_THAT(r.stdout_data, HasSubstr(std::string(cap) + ":\t0000000000000000")) << cap;
  }
  EXPECT_THAT(r.stdout_data, HasSubstr("NoNewPrivs:\t1"));
  EXPECT_THAT(r.stdout_data, HasSubstr("Seccomp:\t2"));
}

TEST(SandboxRunTest, SeesOnlyItsOwnRootProcessesAndHostname) {
  RunResult r = RunPython(
      "import os, socket\n"
      "print(sorted(os.listdir('/')))\n"
      "print(sorted(os.listdir('/etc')))\n"
      "print(sorted(os.listdir('/dev')))\n"
      "pids = sorted(int(p) for p in os.listdir('/proc') if p.isdigit())\n"
      "print(pids == [1, os.getpid()], pids)\n"
      "print(socket.gethostname())\n"
      "print(open('/etc/passwd').read().count('\\n'))\n");
  ASSERT_EQ(r.status, RunStatus::kOk) << r.stderr_data;
  std::vector<std::string> lines = absl::StrSplit(r.stdout_data, '\n');
  ASSERT_GE(lines.size(), 6u);
  for (const char* name : {"'usr'", "'tmp'", "'proc'", "'dev'", "'etc'"}) {
    EXPECT_THAT(lines[0], HasSubstr(name));
  }
  for (const char* absent : {"'root'", "'home'", "'work'", "'sys'", "'mnt'", "'run'", "'opt'"}) {
    EXPECT_THAT(lines[0], ::testing::Not(HasSubstr(absent))) << absent;
  }
  EXPECT_THAT(lines[1], ::testing::Not(HasSubstr("shadow")));
  EXPECT_EQ(lines[2], "['fd', 'null', 'random', 'shm', 'stderr', 'stdin', 'stdout', 'urandom', "
                      "'zero']");
  EXPECT_THAT(lines[3], StartsWith("True "));  // init and the program: nothing of the host
  EXPECT_EQ(lines[4], "sandbox");
  EXPECT_EQ(lines[5], "3");
}

TEST(SandboxRunTest, OnlyTheWorkDirectoryIsWritable) {
  RunResult r = RunPython(
      "import os\n"
      "open('/tmp/ok', 'w').write('x')\n"
      "print(os.path.getsize('/tmp/ok'))\n"
      "for path in ('/x', '/etc/x', '/usr/x', '/dev/x', '/proc/x', '/var/x', '/bin/x'):\n"
      "    try:\n"
      "        open(path, 'w')\n"
      "        print(path, 'WRITABLE')\n"
      "    except OSError as e:\n"
      "        print(path, e.errno)\n");
  ASSERT_EQ(r.status, RunStatus::kOk) << r.stderr_data;
  EXPECT_THAT(r.stdout_data, StartsWith("1\n"));
  EXPECT_THAT(r.stdout_data, ::testing::Not(HasSubstr("WRITABLE")));
}

TEST(SandboxRunTest, IpSocketsAreRefused) {
  RunResult r = RunPython(
      "import socket\n"
      "for family in (socket.AF_INET, socket.AF_INET6, socket.AF_NETLINK, socket.AF_PACKET):\n"
      "    try:\n"
      "        socket.socket(family, socket.SOCK_DGRAM)\n"
      "        print('OPENED')\n"
      "    except OSError as e:\n"
      "        print(e.errno)\n"
      "a, b = socket.socketpair()\n"
      "a.send(b'unix ok')\n"
      "print(b.recv(10).decode())\n");
  ASSERT_EQ(r.status, RunStatus::kOk) << r.stderr_data;
  EXPECT_EQ(r.stdout_data, "1\n1\n1\n1\nunix ok\n");  // EPERM four times; AF_UNIX works
}

TEST(SandboxRunTest, WallTimeLimitEndsASleeper) {
  Limits limits = FastLimits();
  limits.wall_time_ms = 400;
  RunResult r = RunPython("import time\nprint('start', flush=True)\ntime.sleep(30)", limits);
  EXPECT_EQ(r.status, RunStatus::kTimeLimit);
  EXPECT_EQ(r.signal, SIGKILL);
  EXPECT_EQ(r.stdout_data, "start\n");
  EXPECT_GE(r.wall_ms, 400);
  EXPECT_LT(r.wall_ms, 3000);
  EXPECT_LT(r.cpu_ms, 400);
}

TEST(SandboxRunTest, CpuTimeLimitEndsABusyLoop) {
  Limits limits = FastLimits();
  limits.cpu_time_ms = 500;
  limits.wall_time_ms = 5000;
  RunResult r = RunPython("while True:\n    pass\n", limits);
  EXPECT_EQ(r.status, RunStatus::kTimeLimit);
  EXPECT_GE(r.cpu_ms, 500);
  EXPECT_LT(r.cpu_ms, 900);  // measured while it runs, not only at RLIMIT_CPU's whole second
}

TEST(SandboxRunTest, MemoryLimitEndsAnAllocator) {
  Limits limits = FastLimits();
  limits.memory_mib = 64;
  RunResult r = RunPython("a = []\nwhile True:\n    a.append(' ' * 10**6)\n", limits);
  EXPECT_EQ(r.status, RunStatus::kMemoryLimit) << r.stderr_data;
  EXPECT_LT(r.max_rss_kib, 80 << 10);
}

// Under a memory cgroup the program, not the box's init, is the OOM killer's first choice;
// init keeps the score it was started with.
TEST(SandboxRunTest, TheProgramNotInitIsTheOomVictim) {
  if (SharedSandbox().environment().memory_mode == MemoryLimitMode::kRlimitAs) {
    GTEST_SKIP() << "no memory cgroup here: memory is bounded by RLIMIT_AS";
  }
  RunResult r = RunPython(
      "print(open('/proc/self/oom_score_adj').read().strip(),"
      " open('/proc/1/oom_score_adj').read().strip())\n");
  ASSERT_EQ(r.status, RunStatus::kOk) << r.stderr_data;
  std::string own = testing::ReadText("/proc/self/oom_score_adj");
  EXPECT_EQ(r.stdout_data, "1000 " + own);
}

TEST(SandboxRunTest, StdoutPastItsLimitIsCutAndReported) {
  Limits limits = FastLimits();
  limits.stdout_limit_bytes = 1000;
  RunResult r = RunPython("while True:\n    print('x' * 99)\n", limits);
  EXPECT_EQ(r.status, RunStatus::kOutputLimit);
  EXPECT_TRUE(r.stdout_truncated);
  EXPECT_EQ(r.stdout_data.size(), 1000u);
  EXPECT_EQ(r.stdout_data.substr(0, 100), std::string(99, 'x') + "\n");
}

TEST(SandboxRunTest, StderrPastItsLimitIsCutAndReported) {
  Limits limits = FastLimits();
  limits.stderr_limit_bytes = 500;
  RunResult r = RunPython("import sys\nwhile True:\n    sys.stderr.write('e' * 100)\n", limits);
  EXPECT_EQ(r.status, RunStatus::kOutputLimit);
  EXPECT_TRUE(r.stderr_truncated);
  EXPECT_FALSE(r.stdout_truncated);
  EXPECT_EQ(r.stderr_data, std::string(500, 'e'));
}

TEST(SandboxRunTest, FileSizeOpenFilesAndCoreLimitsAreSet) {
  Limits limits = FastLimits();
  limits.file_size_mib = 1;
  limits.max_open_files = 50;
  RunResult r = RunPython(
      "import resource, os\n"
      "print(resource.getrlimit(resource.RLIMIT_CORE))\n"
      "try:\n"
      "    open('/tmp/big', 'wb').write(b'x' * (2 << 20))\n"
      "except OSError as e:\n"
      "    print('write', e.errno, os.path.getsize('/tmp/big'))\n"
      "files = []\n"
      "try:\n"
      "    while True:\n"
      "        files.append(open('/dev/null'))\n"
      "except OSError as e:\n"
      "    print('open', e.errno, len(files) + 3 <= 50)\n",
      limits);
  ASSERT_EQ(r.status, RunStatus::kOk) << r.stderr_data;
  EXPECT_EQ(r.stdout_data, "(0, 0)\nwrite 27 1048576\nopen 24 True\n");  // EFBIG, EMFILE
}

TEST(SandboxRunTest, NothingPersistsFromOneRunToTheNext) {
  RunResult first = RunPython("open('/tmp/left-behind', 'w').write('x')\nprint('wrote')");
  ASSERT_EQ(first.stdout_data, "wrote\n");
  RunResult second = RunPython("import os\nprint(os.path.exists('/tmp/left-behind'))");
  EXPECT_EQ(second.stdout_data, "False\n");
}

TEST(SandboxRunTest, BinaryOutputAndLargeStdinPassThrough) {
  std::string input(3 << 20, 'a');
  RunResult r = RunPython(
      "import sys\ndata = sys.stdin.buffer.read()\n"
      "sys.stdout.buffer.write(bytes([0, 255, 10]) + str(len(data)).encode())\n",
      FastLimits(), input);
  ASSERT_EQ(r.status, RunStatus::kOk) << r.stderr_data;
  EXPECT_EQ(r.stdout_data, std::string("\0\xff\n", 3) + std::to_string(input.size()));
}

TEST(SandboxRunTest, UnknownLanguageIsInvalidArgument) {
  RunRequest request;
  request.language = "cobol";
  absl::StatusOr<RunResult> r = SharedSandbox().Run(request);
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kInvalidArgument,
                          HasSubstr("unknown language \"cobol\"; known: cpp, java, python")));
}

TEST(SandboxRunTest, NonPositiveLimitIsInvalidArgument) {
  RunRequest request;
  request.language = "python";
  request.limits.memory_mib = 0;
  absl::StatusOr<RunResult> r = SharedSandbox().Run(request);
  EXPECT_THAT(r,
              StatusIs(absl::StatusCode::kInvalidArgument, "limit memory_mib must be > 0, got 0"));
}

TEST(SandboxRunTest, EnvironmentSaysHowLimitsAreEnforced) {
  const SandboxEnvironment& env = SharedSandbox().environment();
  EXPECT_EQ(env.running_as_root, ::geteuid() == 0);
  EXPECT_NE(env.outer_uid, 0u);
  std::cout << "sandbox environment: " << env.ToString() << "\n";
}

}  // namespace
}  // namespace zerorl::sandbox
