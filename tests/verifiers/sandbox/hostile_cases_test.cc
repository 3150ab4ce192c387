// Every program of ../shared/data/verifier/sandbox_hostile.jsonl (from Piston's,
// SandboxFusion's, veRL's and NeMo-Skills' own sandbox tests), each with what our sandbox
// guarantees for it, checked together with the host. Where the original sandbox allowed
// something we refuse (SandboxFusion lets programs write /mnt and reach the internet), the
// expectation says so. A case with no expectation here fails the test: new fixture lines
// cannot be skipped silently.
#include <fstream>
#include <functional>
#include <future>
#include <map>

#include "absl/strings/str_cat.h"
#include "core/json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_support.h"
#include "tests/verifiers/sandbox/sandbox_testing.h"
#include "verifiers/sandbox/judge.h"
#include "verifiers/sandbox/pool.h"

namespace zerorl::sandbox {
namespace {

using testing::FastLimits;
using ::testing::HasSubstr;
using testing::HostSnapshot;
using testing::MustRun;
using ::testing::Not;
using testing::PathExists;
using testing::SharedSandbox;
using ::zerorl::testing::IsOk;

struct HostileCase {
  std::string language;
  std::string code;
  std::string source;
  std::string category;
};

std::vector<HostileCase> LoadCases() {
  std::vector<HostileCase> cases;
  std::ifstream in(zerorl::testing::TestDataPath("verifier/sandbox_hostile.jsonl"));
  for (std::string line; std::getline(in, line);) {
    absl::StatusOr<rapidjson::Document> doc = core::ParseJson(line);
    EXPECT_THAT(doc, IsOk());
    if (!doc.ok()) continue;
    cases.push_back({(*doc)["language"].GetString(), (*doc)["code"].GetString(),
                     (*doc)["source"].GetString(), (*doc)["category"].GetString()});
  }
  return cases;
}

Limits With(std::function<void(Limits&)> change) {
  Limits limits = FastLimits();
  change(limits);
  return limits;
}

RunResult Run(const HostileCase& c, const Limits& limits = FastLimits(),
              const std::string& stdin_data = "", bool loopback = false) {
  return MustRun(SharedSandbox(loopback), c.language, c.code, limits, stdin_data);
}

JudgeResult MustJudge(const JudgeRequest& request) {
  absl::StatusOr<JudgeResult> result = Judge(SharedSandbox(), request);
  EXPECT_THAT(result, IsOk());
  return result.ok() ? *result : JudgeResult{};
}

// Runs the case `copies` times at once through a pool.
std::vector<RunResult> RunConcurrently(const HostileCase& c, int copies, bool loopback,
                                       const Limits& limits) {
  absl::StatusOr<std::unique_ptr<SandboxPool>> pool =
      SandboxPool::Create(testing::TestOptions(loopback), copies);
  EXPECT_THAT(pool, IsOk());
  std::vector<RunResult> results;
  if (!pool.ok()) return results;
  std::vector<std::future<absl::StatusOr<RunResult>>> futures;
  for (int i = 0; i < copies; ++i) {
    RunRequest request;
    request.language = c.language;
    request.code = c.code;
    request.limits = limits;
    futures.push_back((*pool)->SubmitRun(request));
  }
  for (auto& future : futures) {
    absl::StatusOr<RunResult> r = future.get();
    EXPECT_THAT(r, IsOk());
    results.push_back(r.ok() ? *r : RunResult{});
  }
  return results;
}

void ExpectStatus(const RunResult& r, RunStatus status) {
  EXPECT_EQ(RunStatusName(r.status), std::string(RunStatusName(status)))
      << "stdout: " << r.stdout_data.substr(0, 300) << "\nstderr: " << r.stderr_data.substr(0, 600);
}

void LoopbackServer(const HostileCase& c) {
  Limits limits = With([](Limits& l) { l.wall_time_ms = l.cpu_time_ms = 8000; });
  RunResult closed = Run(c, limits);  // default: no IP sockets at all
  ExpectStatus(closed, RunStatus::kRuntimeError);
  EXPECT_THAT(closed.stdout_data, Not(HasSubstr("Test Passed")));
  RunResult open = Run(c, limits, "", /*loopback=*/true);  // a private loopback: it works
  ExpectStatus(open, RunStatus::kOk);
  EXPECT_THAT(open.stdout_data, HasSubstr("Test Passed"));
}

void EarlyExitHack(const HostileCase& c) {
  JudgeRequest request;
  request.language = c.language;
  request.code = c.code;
  request.limits = FastLimits();
  if (c.language == "python") {
    request.test_programs = {"assert True"};  // would pass, if it ran
  } else {
    request.tests = {{"", "tests ran\n"}};
  }
  JudgeResult r = MustJudge(request);
  EXPECT_FALSE(r.passed);
  ASSERT_EQ(r.results.size(), 1u);
  EXPECT_EQ(r.results[0].status, TestStatus::kFailed) << r.results[0].detail;
}

using Check = std::function<void(const HostileCase&)>;

// Expectations by source (the upstream test each program comes from).
std::map<std::string, Check> Expectations() {
  std::map<std::string, Check> e;
  e["engineer-man/piston:tests/fork.py"] = [](const HostileCase& c) {
    RunResult r = Run(c, With([](Limits& l) { l.wall_time_ms = 1500; l.max_processes = 64; }));
    ExpectStatus(r, RunStatus::kTimeLimit);
  };
  e["engineer-man/piston:tests/network.py"] = [](const HostileCase& c) {
    RunResult r = Run(c);
    ExpectStatus(r, RunStatus::kRuntimeError);
    EXPECT_THAT(r.stderr_data, HasSubstr("urllib.error.URLError"));
    EXPECT_EQ(r.stdout_data, "");
  };
  e["engineer-man/piston:tests/runaway_output.py"] = [](const HostileCase& c) {
    RunResult r = Run(c, With([](Limits& l) { l.stdout_limit_bytes = 1024; }));
    ExpectStatus(r, RunStatus::kOutputLimit);
    EXPECT_EQ(r.stdout_data.size(), 1024u);
  };
  e["engineer-man/piston:tests/fallocate.py"] = [](const HostileCase& c) {
    // It builds its 218 MB string in memory first (Piston runs without a memory limit).
    RunResult r = Run(c, With([](Limits& l) {
      l.file_size_mib = 10;
      l.work_dir_mib = 64;
      l.memory_mib = 512;
    }));
    ExpectStatus(r, RunStatus::kRuntimeError);
    EXPECT_THAT(r.stderr_data, HasSubstr("File too large"));
  };
  e["engineer-man/piston:tests/file_persistance.py"] = [](const HostileCase& c) {
    Run(c);
    RunResult second = Run(c);
    EXPECT_THAT(second.stdout_data, Not(HasSubstr("exists")));
    for (const char* path : {"/dev/shm/bean", "/run/lock/bean", "/tmp/bean", "/var/tmp/bean"}) {
      EXPECT_FALSE(PathExists(path)) << path;
    }
  };
  e["engineer-man/piston:tests/multi_request.py"] = [](const HostileCase& c) {
    if (::access("/usr/bin/java", X_OK) != 0) {
      std::cout << "no /usr/bin/java: the Java case is skipped\n";
      return;
    }
    Limits limits = With([](Limits& l) {
      l.wall_time_ms = l.cpu_time_ms = 30000;
      l.memory_mib = 512;
    });
    for (const RunResult& r : RunConcurrently(c, 5, false, limits)) {
      ExpectStatus(r, RunStatus::kOk);
      EXPECT_EQ(r.stdout_data, "Request #0");
    }
  };
  std::string isolation = "bytedance/SandboxFusion:sandbox/tests/runners/test_isolation.py:";
  e[isolation + "test_isolation_network_server_127"] = LoopbackServer;
  e[isolation + "test_isolation_network_server_localhost"] = LoopbackServer;
  e[isolation + "test_isolation_network_server_port_conflict"] = [](const HostileCase& c) {
    Limits limits = With([](Limits& l) { l.wall_time_ms = l.cpu_time_ms = 8000; });
    for (const RunResult& r : RunConcurrently(c, 2, /*loopback=*/true, limits)) {
      ExpectStatus(r, RunStatus::kOk);
      EXPECT_THAT(r.stdout_data, HasSubstr("Test Passed"));  // same port, two boxes
    }
  };
  e[isolation + "test_isolation_network_external_access"] = [](const HostileCase& c) {
    for (bool loopback : {false, true}) {  // upstream allows egress; we never do
      RunResult r = Run(c, With([](Limits& l) { l.wall_time_ms = l.cpu_time_ms = 8000; }), "",
                        loopback);
      ExpectStatus(r, RunStatus::kRuntimeError);
      EXPECT_THAT(r.stdout_data, Not(HasSubstr("successful")));
    }
  };
  std::string runners = "bytedance/SandboxFusion:sandbox/tests/runners/";
  e[runners + "test_python.py:test_python_timeout"] = [](const HostileCase& c) {
    ExpectStatus(Run(c, With([](Limits& l) { l.wall_time_ms = 100; })), RunStatus::kTimeLimit);
  };
  e[runners + "test_python.py:test_python_assertion_error"] = [](const HostileCase& c) {
    RunResult r = Run(c);
    ExpectStatus(r, RunStatus::kRuntimeError);
    EXPECT_THAT(r.stderr_data, HasSubstr("AssertionError"));
  };
  e[runners + "test_python.py:test_python_syntax_error"] = [](const HostileCase& c) {
    RunResult r = Run(c);
    ExpectStatus(r, RunStatus::kRuntimeError);
    EXPECT_THAT(r.stderr_data, HasSubstr("SyntaxError: invalid syntax"));
  };
  e[runners + "test_python.py:test_python_file_write"] = [](const HostileCase& c) {
    RunResult r = Run(c);  // a.txt is written in the box; /mnt does not exist there
    ExpectStatus(r, RunStatus::kRuntimeError);
    EXPECT_THAT(r.stderr_data, HasSubstr("No such file or directory: '/mnt/b'"));
    EXPECT_FALSE(PathExists("/mnt/b"));
  };
  e[runners + "test_cpp.py:test_cpp_timeout"] = [](const HostileCase& c) {
    ExpectStatus(Run(c, With([](Limits& l) { l.wall_time_ms = 500; })), RunStatus::kTimeLimit);
  };
  std::string antihack = "bytedance/SandboxFusion:sandbox/tests/datasets/test_antihack.py:";
  e[antihack + "test_apython_expand_code[PY_CODE_0]"] = [](const HostileCase& c) {
    RunResult r = Run(c);
    ExpectStatus(r, RunStatus::kOk);
    EXPECT_EQ(r.stdout_data, "hello\n");
  };
  e[antihack + "test_apython_expand_code[PY_CODE_1]"] = EarlyExitHack;
  e[antihack + "test_apython_expand_code[PY_CODE_2]"] = EarlyExitHack;
  e[antihack + "test_apython_expand_code[PY_CODE_3]"] = EarlyExitHack;
  e[antihack + "test_acpp_expand_code[CPP_CODE_0]"] = [](const HostileCase& c) {
    ExpectStatus(Run(c), RunStatus::kOk);
  };
  e[antihack + "test_acpp_expand_code[CPP_CODE_1]"] = EarlyExitHack;
  std::string verl =
      "volcengine/verl:tests/utils/reward_score/reward_score/test_sandbox_fusion_on_cpu.py:";
  e[verl + "test_integration_runtime_timeout"] = [](const HostileCase& c) {
    RunResult r = Run(c, With([](Limits& l) { l.wall_time_ms = 1000; }));
    ExpectStatus(r, RunStatus::kTimeLimit);
    EXPECT_EQ(r.stderr_data, "Sleeping...\n");
  };
  e[verl + "test_integration_runtime_error"] = [](const HostileCase& c) {
    RunResult r = Run(c);
    ExpectStatus(r, RunStatus::kRuntimeError);
    EXPECT_THAT(r.stderr_data, HasSubstr("ValueError: This is a runtime error"));
  };
  e[verl + "test_integration_compile_error"] = [](const HostileCase& c) {
    ExpectStatus(Run(c), RunStatus::kCompileError);
  };
  auto verl_tests = [](const HostileCase& c) {
    JudgeRequest request;
    request.language = c.language;
    request.code = c.code;
    request.tests = {{"input1", "output1\n"}, {"input2", "output2\n"}};
    request.limits = FastLimits();
    return MustJudge(request);
  };
  e[verl + "test_integration_success_wrong_output"] = [verl_tests](const HostileCase& c) {
    JudgeResult r = verl_tests(c);
    ASSERT_EQ(r.results.size(), 2u);
    EXPECT_EQ(r.results[0].status, TestStatus::kFailed);
    EXPECT_EQ(r.results[0].detail, "line 1: expected \"output1\", got \"wrong_output\"");
    EXPECT_EQ(r.results[1].status, TestStatus::kFailed);
    EXPECT_EQ(r.results[1].detail, "line 1: expected \"output2\", got \"wrong_output\"");
  };
  e[verl + "test_integration_success_correct"] = [verl_tests](const HostileCase& c) {
    JudgeResult r = verl_tests(c);
    EXPECT_TRUE(r.passed);
    EXPECT_EQ(r.pass_fraction, 1.0);
  };
  std::string nemo = "NVIDIA/NeMo-Skills:tests/test_code_execution.py:";
  e[nemo + "test_timeout_error"] = [](const HostileCase& c) {
    ExpectStatus(Run(c, With([](Limits& l) { l.wall_time_ms = 1000; })), RunStatus::kTimeLimit);
    RunResult done = Run(c, With([](Limits& l) { l.wall_time_ms = 2000; }));
    ExpectStatus(done, RunStatus::kOk);
    EXPECT_EQ(done.stdout_data, "done\n");
  };
  e[nemo + "test_execution_error"] = [](const HostileCase& c) {
    RunResult r = Run(c);
    ExpectStatus(r, RunStatus::kRuntimeError);
    EXPECT_THAT(r.stderr_data, HasSubstr("ZeroDivisionError: division by zero"));
  };
  e[nemo + "test_syntax_error"] = [](const HostileCase& c) {
    RunResult r = Run(c);
    ExpectStatus(r, RunStatus::kRuntimeError);
    EXPECT_THAT(r.stderr_data, HasSubstr("IndentationError: unexpected indent"));
  };
  e[nemo + "test_std_input"] = [](const HostileCase& c) {
    RunResult r = Run(c, FastLimits(), "new");
    ExpectStatus(r, RunStatus::kOk);
    EXPECT_EQ(r.stdout_data, "something new\n");
  };
  return e;
}

TEST(SandboxHostileCasesTest, EveryFixtureProgramIsContained) {
  ZERORL_REQUIRE_TEST_DATA();
  std::vector<HostileCase> cases = LoadCases();
  ASSERT_EQ(cases.size(), 30u);
  std::map<std::string, Check> expectations = Expectations();
  for (const HostileCase& c : cases) {
    SCOPED_TRACE(c.source);
    auto it = expectations.find(c.source);
    if (it == expectations.end()) {
      ADD_FAILURE() << "no expectation for " << c.source << " (" << c.category << ")";
      continue;
    }
    HostSnapshot host;
    it->second(c);
    host.ExpectUnchanged();
  }
}

}  // namespace
}  // namespace zerorl::sandbox
