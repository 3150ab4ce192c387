// Judge: stdin/stdout tests, assertion programs, and the exit(0) reward hack.
#include "verifiers/sandbox/judge.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/verifiers/sandbox/sandbox_testing.h"

namespace zerorl::sandbox {
namespace {

using testing::FastLimits;
using ::testing::HasSubstr;
using testing::SharedSandbox;
using ::zerorl::testing::IsOk;
using ::zerorl::testing::StatusIs;

JudgeResult MustJudge(const JudgeRequest& request) {
  absl::StatusOr<JudgeResult> result = Judge(SharedSandbox(), request);
  EXPECT_THAT(result, IsOk());
  return result.ok() ? *result : JudgeResult{};
}

JudgeRequest IoRequest(const std::string& language, const std::string& code,
                       std::vector<IoTest> tests) {
  JudgeRequest request;
  request.language = language;
  request.code = code;
  request.tests = std::move(tests);
  request.limits = FastLimits();
  return request;
}

JudgeRequest AssertRequest(const std::string& code, std::vector<std::string> programs,
                           const std::string& entry_point = "") {
  JudgeRequest request;
  request.language = "python";
  request.code = code;
  request.test_programs = std::move(programs);
  request.entry_point = entry_point;
  request.limits = FastLimits();
  return request;
}

TEST(SandboxJudgeTest, StdinStdoutTestsPassOrShowTheFirstDifference) {
  JudgeResult r = MustJudge(IoRequest("python", "a, b = map(int, input().split())\nprint(a + b)",
                                      {{"1 2\n", "3\n"}, {"2 2", "5"}, {"10 5\n", "15  \n\n"}}));
  ASSERT_EQ(r.results.size(), 3u);
  EXPECT_EQ(r.results[0].status, TestStatus::kPassed);
  EXPECT_EQ(r.results[1].status, TestStatus::kFailed);
  EXPECT_EQ(r.results[1].detail, "line 1: expected \"5\", got \"4\"");
  EXPECT_EQ(r.results[2].status, TestStatus::kPassed);  // trailing whitespace and lines
  EXPECT_FALSE(r.passed);
  EXPECT_DOUBLE_EQ(r.pass_fraction, 2.0 / 3.0);
}

TEST(SandboxJudgeTest, FloatToleranceAcceptsCloseNumbersOnly) {
  JudgeRequest request = IoRequest("python", "print(1 / 3, 'x')", {{"", "0.333333 x\n"}});
  EXPECT_FALSE(MustJudge(request).passed);
  request.float_tolerance = 1e-6;
  EXPECT_TRUE(MustJudge(request).passed);
  request.tests = {{"", "0.3334 x\n"}};
  EXPECT_FALSE(MustJudge(request).passed);
}

TEST(SandboxJudgeTest, CppIsCompiledOnceForAllTests) {
  JudgeResult r = MustJudge(IoRequest(
      "cpp", "#include <cstdio>\nint main() { int n; std::scanf(\"%d\", &n); std::printf(\"%d\\n\", n * n); }",
      {{"3", "9"}, {"4", "16"}, {"5", "26"}}));
  ASSERT_EQ(r.results.size(), 3u);
  EXPECT_EQ(r.results[0].status, TestStatus::kPassed);
  EXPECT_EQ(r.results[1].status, TestStatus::kPassed);
  EXPECT_EQ(r.results[2].status, TestStatus::kFailed);
  EXPECT_EQ(r.results[2].detail, "line 1: expected \"26\", got \"25\"");
}

TEST(SandboxJudgeTest, CompileErrorMarksEveryTest) {
  JudgeResult r = MustJudge(IoRequest("cpp", "a=b", {{"", "x"}, {"", "y"}}));
  ASSERT_EQ(r.results.size(), 2u);
  for (const TestResult& test : r.results) {
    EXPECT_EQ(test.status, TestStatus::kCompileError);
    EXPECT_THAT(test.detail, HasSubstr("error"));
  }
  EXPECT_THAT(r.compile_output, HasSubstr("does not name a type"));
  EXPECT_EQ(r.pass_fraction, 0);
}

TEST(SandboxJudgeTest, RuntimeErrorsTimeLimitsAndMemoryLimitsArePerTest) {
  JudgeRequest request = IoRequest(
      "python",
      "import sys, time\nn = int(input())\n"
      "if n == 1: print(1 // 0)\n"
      "if n == 2: time.sleep(60)\n"
      "if n == 3: x = [0] * (10 ** 9)\n"
      "print(n)\n",
      {{"0", "0"}, {"1", "1"}, {"2", "2"}, {"3", "3"}, {"4", "4"}});
  request.limits.wall_time_ms = 1000;
  request.limits.memory_mib = 128;
  JudgeResult r = MustJudge(request);
  ASSERT_EQ(r.results.size(), 5u);
  EXPECT_EQ(r.results[0].status, TestStatus::kPassed);
  EXPECT_EQ(r.results[1].status, TestStatus::kRuntimeError);
  EXPECT_THAT(r.results[1].detail, HasSubstr("ZeroDivisionError: integer division or modulo by zero"));
  EXPECT_EQ(r.results[2].status, TestStatus::kTimeLimit);
  EXPECT_EQ(r.results[3].status, TestStatus::kMemoryLimit);
  EXPECT_EQ(r.results[4].status, TestStatus::kPassed);  // the box goes on after each
  EXPECT_DOUBLE_EQ(r.pass_fraction, 0.4);
}

TEST(SandboxJudgeTest, AssertionProgramsRunAfterTheSolution) {
  JudgeResult r = MustJudge(AssertRequest(
      "def add(a, b):\n    return a + b\n",
      {"def check(candidate):\n    assert candidate(1, 2) == 3\n"}, "add"));
  EXPECT_TRUE(r.passed);
  ASSERT_EQ(r.results.size(), 1u);
  EXPECT_EQ(r.results[0].status, TestStatus::kPassed);
}

TEST(SandboxJudgeTest, FailedAssertIsFailedAndNamesTheAssert) {
  JudgeResult r = MustJudge(AssertRequest("def add(a, b):\n    return a - b\n",
                                          {"assert add(1, 1) == 0\nassert add(2, 2) == 4\n"}));
  ASSERT_EQ(r.results.size(), 1u);
  EXPECT_EQ(r.results[0].status, TestStatus::kFailed);
  EXPECT_EQ(r.results[0].detail,
            "File \"tests.py\", line 2, in <module> | assert add(2, 2) == 4 | AssertionError");
}

TEST(SandboxJudgeTest, ExceptionInTheSolutionIsRuntimeError) {
  JudgeResult r = MustJudge(AssertRequest("def f(x):\n    return x / 0\n", {"assert f(1) == 1"}));
  ASSERT_EQ(r.results.size(), 1u);
  EXPECT_EQ(r.results[0].status, TestStatus::kRuntimeError);
  EXPECT_THAT(r.results[0].detail, HasSubstr("ZeroDivisionError: division by zero"));
}

TEST(SandboxJudgeTest, EachTestProgramIsOneTest) {
  JudgeResult r = MustJudge(AssertRequest("def sq(x):\n    return x * x if x < 3 else 0\n",
                                          {"assert sq(1) == 1", "assert sq(2) == 4",
                                           "assert sq(3) == 9", "assert sq(4) == 16"}));
  EXPECT_DOUBLE_EQ(r.pass_fraction, 0.5);
}

TEST(SandboxJudgeTest, SolutionIsImportableAsModuleSolution) {
  JudgeResult r = MustJudge(AssertRequest(
      "def longest(xs):\n    return max(xs)\n",
      {"from solution import longest\n\ndef test_longest():\n    assert longest([1, 5, 2]) == 5\n"
       "\ntest_longest()\n"}));
  EXPECT_TRUE(r.passed) << r.results[0].detail;
}

// The exit(0) reward hack in its forms: each would "pass" a harness that trusts the exit
// code. The tests themselves would pass if they ran (`assert True`).
TEST(SandboxJudgeTest, ExitingBeforeTheTestsDoesNotPass) {
  const char* hacks[] = {
      "exit(0)",
      "import os\nos._exit(0)",
      "import sys\nsys.exit(0)",
      "raise SystemExit(0)",
      "quit()",
      "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)",
      "import sys\nprint('All tests passed')\nsys.stdout.flush()\nimport os\nos._exit(0)",
      "import atexit, os\natexit.register(lambda: os._exit(0))\nraise SystemExit(0)",
      "import os, threading\nthreading.Thread(target=lambda: os._exit(0)).start()\n"
      "import time\ntime.sleep(5)",
  };
  for (const char* hack : hacks) {
    JudgeResult r = MustJudge(AssertRequest(hack, {"assert True"}));
    ASSERT_EQ(r.results.size(), 1u) << hack;
    EXPECT_FALSE(r.passed) << hack;
    EXPECT_NE(r.results[0].status, TestStatus::kPassed) << hack;
  }
  EXPECT_TRUE(MustJudge(AssertRequest("x = 1", {"assert x == 1"})).passed);  // the control
}

TEST(SandboxJudgeTest, ForgedCompletionMarkersDoNotPass) {
  const char* forgeries[] = {
      // Write something on every descriptor, then leave.
      "import os\nfor fd in range(3, 256):\n    try:\n        os.write(fd, b'0' * 32)\n"
      "    except OSError:\n        pass\nos._exit(0)",
      // Point stdout at the marker pipe and print.
      "import os\nos.dup2(3, 1)\nprint('f' * 32, flush=True)\nos._exit(0)",
      // Try to read the payload (closed before the solution runs) and replay it.
      "import os\ntry:\n    data = os.read(4, 4096)\nexcept OSError:\n    data = b''\n"
      "os.write(3, data[:32])\nos._exit(0)",
  };
  for (const char* forgery : forgeries) {
    JudgeResult r = MustJudge(AssertRequest(forgery, {"assert True"}));
    ASSERT_EQ(r.results.size(), 1u) << forgery;
    EXPECT_EQ(r.results[0].status, TestStatus::kFailed) << forgery;
  }
}

TEST(SandboxJudgeTest, ClosingStdoutAndStderrDoesNotBreakAnHonestRun) {
  JudgeResult r = MustJudge(AssertRequest(
      "import os\nos.close(1)\nos.close(2)\ndef f():\n    return 7\n", {"assert f() == 7"}));
  EXPECT_TRUE(r.passed) << r.results[0].detail;
}

TEST(SandboxJudgeTest, TheSolutionCannotReadTheTests) {
  // The token is split in the solution so that only the tests contain it whole.
  JudgeResult r = MustJudge(AssertRequest(
      "import os\n"
      "token = 'SECRET-' + 'TOKEN-42'\n"
      "places = ['/proc/self/cmdline', '/proc/self/environ']\n"
      "places += [os.path.join('/tmp', f) for f in os.listdir('/tmp')]\n"
      "places += ['/proc/self/fd/' + fd for fd in os.listdir('/proc/self/fd')]\n"
      "seen = []\n"
      "for place in places:\n"
      "    try:\n"
      "        if token.encode() in open(place, 'rb').read(1 << 20):\n"
      "            seen.append(place)\n"
      "    except OSError:\n"
      "        pass\n",
      {"# SECRET-TOKEN-42\nassert seen == [], seen\n"}));
  EXPECT_TRUE(r.passed) << r.results[0].detail;
}

// A box whose init dies under it (here: killed from the host) gives no verdict at all,
// rather than a "failed" that would be scored.
TEST(SandboxJudgeTest, ABoxKilledFromOutsideGivesAnErrorNotAVerdict) {
  if (::geteuid() != 0) GTEST_SKIP() << "finds the box's init by its host uid, which needs root";
  const Sandbox& sandbox = SharedSandbox();  // made (and probed) before the killer starts
  std::atomic<bool> killed{false};
  std::thread killer([&] {
    for (int i = 0; i < 500 && !killed; ++i) {
      ::usleep(10000);
      for (const std::string& process : testing::ProcessesOfUid(testing::TestOuterId())) {
        if (process.find("python3") != std::string::npos) continue;  // init is a fork of us
        ::kill(std::stoi(process), SIGKILL);
        killed = true;
      }
    }
  });
  JudgeRequest request = IoRequest("python", "import time\ntime.sleep(2)\n", {{"", ""}});
  absl::StatusOr<JudgeResult> result = Judge(sandbox, request);
  killer.join();
  ASSERT_TRUE(killed);
  EXPECT_THAT(result, StatusIs(absl::StatusCode::kInternal,
                               HasSubstr("init")));  // before or during the test
}

TEST(SandboxJudgeTest, BadRequestsAreInvalidArgument) {
  auto code_of = [](const JudgeRequest& request) { return Judge(SharedSandbox(), request).status(); };
  JudgeRequest neither = AssertRequest("x = 1", {});
  EXPECT_THAT(
      code_of(neither),
      StatusIs(
          absl::StatusCode::kInvalidArgument,
          "give either stdin/stdout tests or assertion test programs, not both and not neither"));
  JudgeRequest both = AssertRequest("x = 1", {"assert True"});
  both.tests = {{"", ""}};
  EXPECT_THAT(code_of(both), StatusIs(absl::StatusCode::kInvalidArgument));
  JudgeRequest entry = AssertRequest("x = 1", {"assert True"}, "not an identifier");
  EXPECT_THAT(code_of(entry),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "entry_point \"not an identifier\" is not a Python identifier"));
  JudgeRequest cpp = AssertRequest("int main() {}", {"assert True"});
  cpp.language = "cpp";
  EXPECT_THAT(
      code_of(cpp),
      StatusIs(absl::StatusCode::kInvalidArgument,
               "assertion test programs are not supported for cpp; use stdin/stdout tests"));
  JudgeRequest tolerance = IoRequest("python", "print(1)", {{"", "1"}});
  tolerance.float_tolerance = -1;
  EXPECT_THAT(code_of(tolerance),
              StatusIs(absl::StatusCode::kInvalidArgument, "float_tolerance must be >= 0"));
}

}  // namespace
}  // namespace zerorl::sandbox
