// `zerorl sandbox run|judge` end to end, and rllm's code-reward cases
// (../shared/data/verifier/code_judge_cases.jsonl) judged through `zerorl sandbox judge`.
#include <fstream>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rapidjson/document.h"
#include "tests/testing/test_support.h"

namespace zerorl::cli {
namespace {

using ::testing::HasSubstr;
using testing::RunCommand;
using testing::TempDir;
using testing::ZerorlBinary;

rapidjson::Document Json(const std::string& text) {
  absl::StatusOr<rapidjson::Document> doc = core::ParseJson(text);
  EXPECT_TRUE(doc.ok()) << doc.status() << " in: " << text;
  return doc.ok() ? std::move(*doc) : rapidjson::Document();
}

std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, '\n', absl::SkipEmpty());
}

TEST(SandboxCliTest, RunPrintsTheContractObject) {
  TempDir dir;
  std::string program = dir.WriteFile("p.py", "import sys\nprint(sys.stdin.read().upper())\n");
  std::string input = dir.WriteFile("in.txt", "hello");
  testing::CommandResult r = RunCommand(
      {ZerorlBinary(), "sandbox", "run", "--lang", "python", "--stdin", input, program});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  rapidjson::Document doc = Json(r.out);
  ASSERT_TRUE(doc.IsObject());
  std::vector<std::string> keys;
  for (auto it = doc.MemberBegin(); it != doc.MemberEnd(); ++it) keys.push_back(it->name.GetString());
  EXPECT_EQ(keys, (std::vector<std::string>{"status", "exit_code", "signal", "stdout", "stderr",
                                            "wall_ms", "cpu_ms", "max_rss_kib"}));
  EXPECT_STREQ(doc["status"].GetString(), "ok");
  EXPECT_STREQ(doc["stdout"].GetString(), "HELLO\n");
  EXPECT_EQ(doc["exit_code"].GetInt(), 0);
  EXPECT_GT(doc["wall_ms"].GetDouble(), 0);
}

TEST(SandboxCliTest, RunExitsZeroWhateverTheProgramDid) {
  TempDir dir;
  std::string loop = dir.WriteFile("loop.py", "while True:\n    pass\n");
  testing::CommandResult r = RunCommand(
      {ZerorlBinary(), "sandbox", "run", "--lang", "python", "--time-limit-ms", "300", loop});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_STREQ(Json(r.out)["status"].GetString(), "time_limit");
  std::string hog = dir.WriteFile("hog.py", "a = []\nwhile True:\n    a.append(bytearray(1 << 20))\n");
  r = RunCommand({ZerorlBinary(), "sandbox", "run", "--lang", "python", "--memory-mib", "64", hog});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_STREQ(Json(r.out)["status"].GetString(), "memory_limit");
  std::string bad = dir.WriteFile("bad.cpp", "int main() { return x; }\n");
  r = RunCommand({ZerorlBinary(), "sandbox", "run", "--lang", "cpp", bad});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  rapidjson::Document doc = Json(r.out);
  EXPECT_STREQ(doc["status"].GetString(), "compile_error");
  EXPECT_THAT(doc["stderr"].GetString(), HasSubstr("was not declared in this scope"));
}

TEST(SandboxCliTest, RunRefusesBadUsageWithExitCodeTwo) {
  TempDir dir;
  std::string program = dir.WriteFile("p.py", "print(1)\n");
  testing::CommandResult r =
      RunCommand({ZerorlBinary(), "sandbox", "run", "--lang", "fortran", program});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("zerorl sandbox run: unknown language \"fortran\"; known: cpp, "
                               "java, python"));
  r = RunCommand({ZerorlBinary(), "sandbox", "run", "--lang", "python", dir.Path("missing.py")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("missing.py"));
  r = RunCommand({ZerorlBinary(), "sandbox", "run", program});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--lang is required"));
}

TEST(SandboxCliTest, JudgeWritesOneLinePerInputInOrder) {
  std::string input = absl::StrCat(
      R"J({"id": 1, "language": "python", "code": "print(int(input()) + 1)",)J",
      R"J( "tests": [{"stdin": "1", "expected_stdout": "2"}, {"stdin": "5", "expected_stdout": "7"}]})J",
      "\n\n",
      R"J({"id": "two", "language": "python", "code": "def f(x):\n    return 2 * x\n",)J",
      R"J( "test_code": "def check(candidate):\n    assert candidate(3) == 6\n", "entry_point": "f"})J",
      "\n",
      R"J({"id": 3, "language": "python", "code": "exit(0)", "test_code": "assert True"})J", "\n",
      R"J({"id": 4, "language": "cpp", "code": "#include <cstdio>\nint main() { std::puts(\"hi\"); }",)J",
      R"J( "tests": [{"stdin": "", "expected_stdout": "hi\n"}]})J", "\n");
  testing::CommandResult r =
      RunCommand({ZerorlBinary(), "sandbox", "judge", "--workers", "2"}, input);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 4u) << r.out;
  rapidjson::Document first = Json(lines[0]);
  EXPECT_EQ(first["id"].GetInt(), 1);
  EXPECT_FALSE(first["passed"].GetBool());
  EXPECT_DOUBLE_EQ(first["pass_fraction"].GetDouble(), 0.5);
  EXPECT_STREQ(first["results"][1]["status"].GetString(), "failed");
  EXPECT_STREQ(first["results"][1]["detail"].GetString(), "line 1: expected \"7\", got \"6\"");
  EXPECT_TRUE(Json(lines[1])["passed"].GetBool());
  EXPECT_STREQ(Json(lines[1])["id"].GetString(), "two");
  EXPECT_FALSE(Json(lines[2])["passed"].GetBool());  // the exit(0) hack
  EXPECT_TRUE(Json(lines[3])["passed"].GetBool());
}

TEST(SandboxCliTest, JudgeAnswersABadLineInPlaceAndExitsTwo) {
  TempDir dir;
  std::string input = dir.WriteFile(
      "in.jsonl", absl::StrCat(R"J({"language": "python", "code": "print(1)", "tests": [{"stdin": "", "expected_stdout": "1"}]})J",
                               "\n{not json\n",
                               R"J({"language": "python", "code": "x", "test_code": "", "expected": 1})J",
                               "\n"));
  testing::CommandResult r = RunCommand({ZerorlBinary(), "sandbox", "judge", "--input", input});
  EXPECT_EQ(r.exit_code, 2);
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 3u) << r.out;
  EXPECT_TRUE(Json(lines[0])["passed"].GetBool());
  EXPECT_THAT(Json(lines[1])["error"].GetString(), HasSubstr(input + ":2: "));
  EXPECT_THAT(Json(lines[2])["error"].GetString(), HasSubstr(":3: unknown key \"expected\""));
  EXPECT_THAT(r.err, HasSubstr(input + ":2: "));
}

// ---- rllm's code-reward cases, converted to judge requests the way rllm reads them ----

// rllm takes the last fenced block (```python ... ```) of the answer; none means no code.
std::string LastFencedBlock(const std::string& response) {
  std::string code;
  size_t at = 0;
  for (;;) {
    size_t open = response.find("```", at);
    if (open == std::string::npos) break;
    size_t body = response.find('\n', open);
    if (body == std::string::npos) break;
    size_t close = response.find("```", body);
    if (close == std::string::npos) break;
    code = std::string(absl::StripAsciiWhitespace(response.substr(body + 1, close - body - 1)));
    at = close + 3;
  }
  return code;
}

// A Python string literal (JSON string syntax is valid Python).
std::string PyString(const std::string& text) {
  rapidjson::Value value(text.c_str(), static_cast<rapidjson::SizeType>(text.size()));
  return core::JsonToString(value);
}

// The imports LeetCode's prompts give a solution ("class Solution" uses List, ...).
constexpr char kLeetCodeImports[] =
    "from typing import *\nfrom collections import *\nfrom functools import *\n"
    "from itertools import *\nfrom heapq import *\nfrom bisect import *\nimport math\n";

void AddIoTest(rapidjson::Value& tests, const std::string& in, const std::string& out,
               rapidjson::Document::AllocatorType& a) {
  rapidjson::Value test(rapidjson::kObjectType);
  test.AddMember("stdin", rapidjson::Value(in.c_str(), a), a);
  test.AddMember("expected_stdout", rapidjson::Value(out.c_str(), a), a);
  tests.PushBack(test, a);
}

// One judge request line for a case, or "" when the case is not a sandbox test (SWE-bench).
std::string ToJudgeLine(const rapidjson::Value& c) {
  std::string source = c["data_source"].GetString();
  if (source == "swebench") return "";
  std::string code = LastFencedBlock(c["model_response"].GetString());
  const rapidjson::Value& tests = c["tests"];
  rapidjson::Document request(rapidjson::kObjectType);
  auto& a = request.GetAllocator();
  request.AddMember("language", "python", a);
  std::string test_code;
  rapidjson::Value io(rapidjson::kArrayType);
  if (source == "code_contests" || source == "taco") {
    // rllm zips inputs with outputs: pairs past the shorter list are dropped (the quirk).
    for (rapidjson::SizeType i = 0; i < std::min(tests["inputs"].Size(), tests["outputs"].Size()); ++i) {
      AddIoTest(io, tests["inputs"][i].GetString(), tests["outputs"][i].GetString(), a);
    }
  } else if (source == "codeforces") {
    for (const auto& t : tests.GetArray()) AddIoTest(io, t["input"].GetString(), t["output"].GetString(), a);
  } else if (source == "kodcode") {
    test_code = tests.GetString();  // a pytest file: call each test_ function
    for (absl::string_view line : absl::StrSplit(tests.GetString(), '\n')) {
      if (absl::StartsWith(line, "def test_")) {
        absl::StrAppend(&test_code, "\n", line.substr(4, line.find('(') - 4), "()");
      }
    }
  } else if (source == "leetcode") {
    code = absl::StrCat(kLeetCodeImports, code);
    test_code = tests["functional"].GetString();
  } else if (source == "livecodebench") {
    for (const auto& t : tests.GetArray()) {
      if (std::string(t["testtype"].GetString()) == "stdin") {
        AddIoTest(io, t["input"].GetString(), t["output"].GetString(), a);
        continue;
      }
      // Functional: one JSON argument per input line, the output is JSON too.
      absl::StrAppend(&test_code, "import json\n_args = [json.loads(l) for l in ",
                      PyString(t["input"].GetString()), ".split('\\n')]\n",
                      "assert Solution().", t["metadata"]["func_name"].GetString(),
                      "(*_args) == json.loads(", PyString(t["output"].GetString()), ")\n");
    }
    if (!test_code.empty()) code = absl::StrCat(kLeetCodeImports, code);
  } else {
    ADD_FAILURE() << "unknown data_source " << source;
    return "";
  }
  request.AddMember("code", rapidjson::Value(code.c_str(), a), a);
  if (test_code.empty()) {
    request.AddMember("tests", io, a);
  } else {
    request.AddMember("test_code", rapidjson::Value(test_code.c_str(), a), a);
  }
  return core::JsonToString(request);
}

TEST(SandboxCliTest, CodeJudgeCasesGiveTheirExpectedResults) {
  ZERORL_REQUIRE_TEST_DATA();
  std::ifstream in(testing::TestDataPath("verifier/code_judge_cases.jsonl"));
  std::string input;
  std::vector<bool> expected;
  std::vector<std::string> sources;
  int skipped = 0;
  for (std::string line; std::getline(in, line);) {
    rapidjson::Document c = Json(line);
    std::string request = ToJudgeLine(c);
    if (request.empty()) {
      ++skipped;  // SWE-bench: a repository patch, not a program with tests
      continue;
    }
    absl::StrAppend(&input, request, "\n");
    expected.push_back(c["expected_is_correct"].GetBool());
    sources.push_back(c["source"].GetString());
  }
  ASSERT_EQ(expected.size(), 10u);
  EXPECT_EQ(skipped, 1);
  testing::CommandResult r = RunCommand({ZerorlBinary(), "sandbox", "judge", "--workers", "2"}, input);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), expected.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    EXPECT_EQ(Json(lines[i])["passed"].GetBool(), expected[i]) << sources[i] << "\n" << lines[i];
  }
}

}  // namespace
}  // namespace zerorl::cli
