#include "verifiers/sandbox/json.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace zerorl::sandbox {
namespace {

using ::testing::HasSubstr;
using ::zerorl::testing::IsOk;
using ::zerorl::testing::StatusIs;

absl::StatusOr<ParsedJudgeRequest> Parse(const std::string& json) {
  return ParseJudgeRequest(json, Limits{});
}

std::string ErrorOf(const std::string& json) {
  absl::StatusOr<ParsedJudgeRequest> parsed = Parse(json);
  EXPECT_THAT(parsed, StatusIs(absl::StatusCode::kInvalidArgument));
  return std::string(parsed.status().message());
}

TEST(SandboxJsonTest, ReadsStdinStdoutTests) {
  absl::StatusOr<ParsedJudgeRequest> p = Parse(
      R"({"id": {"task": 7}, "language": "cpp", "code": "int main(){}",)"
      R"( "tests": [{"stdin": "1\n", "expected_stdout": "2\n"}, {"expected_stdout": ""}],)"
      R"( "float_tolerance": 1e-6, "time_limit_ms": 1500, "memory_mib": 128})");
  ASSERT_THAT(p, IsOk());
  EXPECT_EQ(p->id_json, "{\"task\":7}");
  EXPECT_EQ(p->request.language, "cpp");
  ASSERT_EQ(p->request.tests.size(), 2u);
  EXPECT_EQ(p->request.tests[0].stdin_data, "1\n");
  EXPECT_EQ(p->request.tests[0].expected_stdout, "2\n");
  EXPECT_EQ(p->request.tests[1].stdin_data, "");
  EXPECT_DOUBLE_EQ(p->request.float_tolerance, 1e-6);
  EXPECT_EQ(p->request.limits.cpu_time_ms, 1500);
  EXPECT_EQ(p->request.limits.wall_time_ms, 1500);
  EXPECT_EQ(p->request.limits.memory_mib, 128);
}

TEST(SandboxJsonTest, ReadsTestCodeAsOneOrManyPrograms) {
  absl::StatusOr<ParsedJudgeRequest> one = Parse(
      R"({"language": "python", "code": "x", "test_code": "assert x", "entry_point": "f"})");
  ASSERT_THAT(one, IsOk());
  EXPECT_EQ(one->request.test_programs, std::vector<std::string>{"assert x"});
  EXPECT_EQ(one->request.entry_point, "f");
  EXPECT_EQ(one->id_json, "");
  absl::StatusOr<ParsedJudgeRequest> many =
      Parse(R"({"language": "python", "code": "x", "test_code": ["a", "b"]})");
  ASSERT_THAT(many, IsOk());
  EXPECT_EQ(many->request.test_programs, (std::vector<std::string>{"a", "b"}));
}

TEST(SandboxJsonTest, RefusesWhatItCannotJudge) {
  EXPECT_THAT(ErrorOf("[1]"), HasSubstr("must be a JSON object"));
  EXPECT_EQ(ErrorOf(R"({"code": "x", "tests": []})"), "\"language\": missing");
  EXPECT_EQ(ErrorOf(R"({"language": 3, "code": "x", "tests": []})"),
            "\"language\": must be a string");
  EXPECT_THAT(ErrorOf(R"({"language": "python", "code": "x", "tests": [], "tset_code": ""})"),
              HasSubstr("unknown key \"tset_code\"; known keys: "));
  EXPECT_EQ(ErrorOf(R"({"language": "python", "code": "x"})"),
            "give exactly one of \"tests\" and \"test_code\"");
  EXPECT_EQ(ErrorOf(R"({"language": "python", "code": "x", "tests": [], "test_code": ""})"),
            "give exactly one of \"tests\" and \"test_code\"");
  EXPECT_EQ(ErrorOf(R"({"language": "python", "code": "x", "tests": {}})"),
            "\"tests\": must be a list of {\"stdin\", \"expected_stdout\"}");
  EXPECT_EQ(ErrorOf(R"({"language": "python", "code": "x", "tests": [{"stdin": ""}, 3]})"),
            "\"tests[0].expected_stdout\": missing");
  EXPECT_THAT(ErrorOf(R"({"language": "python", "code": "x", "tests": [{"expected_output": ""}]})"),
              HasSubstr("tests[0].unknown key \"expected_output\""));
  EXPECT_EQ(ErrorOf(R"({"language": "python", "code": "x", "test_code": [1]})"),
            "\"test_code[0]\": must be a string");
  EXPECT_EQ(ErrorOf(R"({"language": "python", "code": "x", "test_code": "", "time_limit_ms": -1})"),
            "\"time_limit_ms\": must be a positive integer");
  EXPECT_EQ(ErrorOf(R"({"language": "python", "code": "x", "test_code": "", "memory_mib": 1.5})"),
            "\"memory_mib\": must be a positive integer");
  EXPECT_EQ(ErrorOf(R"({"language": "python", "code": "x", "tests": [], "float_tolerance": "0"})"),
            "\"float_tolerance\": must be a number >= 0");
}

TEST(SandboxJsonTest, RunResultHasExactlyTheContractKeys) {
  RunResult r;
  r.status = RunStatus::kTimeLimit;
  r.exit_code = 0;
  r.signal = 9;
  r.stdout_data = "out\n";
  r.stderr_data = std::string("bad \xff byte", 10);
  r.wall_ms = 1000.12345;
  r.cpu_ms = 2.5;
  r.max_rss_kib = 8000;
  EXPECT_EQ(RunResultToJson(r),
            "{\"status\":\"time_limit\",\"exit_code\":0,\"signal\":9,\"stdout\":\"out\\n\","
            "\"stderr\":\"bad \xEF\xBF\xBD byte\",\"wall_ms\":1000.123,\"cpu_ms\":2.5,"
            "\"max_rss_kib\":8000}");
}

TEST(SandboxJsonTest, JudgeResultAndErrorLines) {
  JudgeResult result;
  result.passed = false;
  result.pass_fraction = 0.5;
  TestResult passed;
  passed.status = TestStatus::kPassed;
  TestResult failed;
  failed.status = TestStatus::kFailed;
  failed.detail = "line 1: expected \"1\", got \"2\"";
  result.results = {passed, failed};
  EXPECT_EQ(JudgeResultToJson(result, "7"),
            "{\"id\":7,\"passed\":false,\"pass_fraction\":0.5,\"results\":["
            "{\"status\":\"passed\",\"detail\":\"\",\"exit_code\":0,\"signal\":0,\"wall_ms\":0.0,"
            "\"cpu_ms\":0.0,\"max_rss_kib\":0},"
            "{\"status\":\"failed\",\"detail\":\"line 1: expected \\\"1\\\", got \\\"2\\\"\","
            "\"exit_code\":0,\"signal\":0,\"wall_ms\":0.0,\"cpu_ms\":0.0,\"max_rss_kib\":0}]}");
  EXPECT_EQ(JudgeErrorToJson(absl::InvalidArgumentError("bad"), ""),
            "{\"passed\":false,\"pass_fraction\":0,\"results\":[],\"error\":\"bad\"}");
}

}  // namespace
}  // namespace zerorl::sandbox
