// Golden runs over real datasets: every canonical HumanEval solution and every MBPP
// reference solution passes its own tests through the pool, and a deliberately wrong
// variant of each fails them.
#include <fstream>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_support.h"
#include "tests/verifiers/sandbox/sandbox_testing.h"
#include "verifiers/sandbox/pool.h"

namespace zerorl::sandbox {
namespace {

using ::zerorl::testing::IsOk;

struct Task {
  std::string id;
  JudgeRequest request;
  std::string function;  // the function the tests call
};

// Generous wall time: on a loaded two-core machine a solution may wait for the CPU.
Limits DatasetLimits() {
  Limits limits;
  limits.cpu_time_ms = 10000;
  limits.wall_time_ms = 60000;
  limits.memory_mib = 512;
  return limits;
}

std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

std::vector<Task> HumanEvalTasks() {
  std::vector<Task> tasks;
  for (const std::string& line : ReadLines(zerorl::testing::TestDataPath("humaneval/HumanEval.jsonl"))) {
    absl::StatusOr<rapidjson::Document> doc = core::ParseJson(line);
    EXPECT_THAT(doc, IsOk());
    if (!doc.ok()) continue;
    Task task;
    task.id = (*doc)["task_id"].GetString();
    task.function = (*doc)["entry_point"].GetString();
    task.request.language = "python";
    task.request.code = absl::StrCat((*doc)["prompt"].GetString(),
                                     (*doc)["canonical_solution"].GetString());
    task.request.test_programs = {(*doc)["test"].GetString()};
    task.request.entry_point = task.function;
    task.request.limits = DatasetLimits();
    tasks.push_back(std::move(task));
  }
  return tasks;
}

bool IsWordChar(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Does `text` call `name` (the name as a whole word, then optional spaces, then "(")?
bool Calls(const std::string& text, const std::string& name) {
  for (size_t at = text.find(name); at != std::string::npos; at = text.find(name, at + 1)) {
    if (at > 0 && IsWordChar(text[at - 1])) continue;
    size_t after = at + name.size();
    while (after < text.size() && text[after] == ' ') ++after;
    if (after < text.size() && text[after] == '(') return true;
  }
  return false;
}

// The first function the reference code defines ("def NAME(") that the asserts call.
std::string CalledFunction(const std::string& code, const std::string& tests) {
  for (size_t at = code.find("def "); at != std::string::npos; at = code.find("def ", at + 1)) {
    if (at > 0 && IsWordChar(code[at - 1])) continue;
    size_t begin = at + 4, end = begin;
    while (end < code.size() && IsWordChar(code[end])) ++end;
    std::string name = code.substr(begin, end - begin);
    if (!name.empty() && Calls(tests, name)) return name;
  }
  return "";
}

std::vector<Task> MbppTasks() {
  std::vector<Task> tasks;
  for (const std::string& line : ReadLines(zerorl::testing::TestDataPath("mbpp/mbpp.jsonl"))) {
    absl::StatusOr<rapidjson::Document> doc = core::ParseJson(line);
    EXPECT_THAT(doc, IsOk());
    if (!doc.ok()) continue;
    Task task;
    task.id = absl::StrCat("mbpp/", (*doc)["task_id"].GetInt());
    std::string tests = absl::StrCat((*doc)["test_setup_code"].GetString(), "\n");
    for (const auto& assert_line : (*doc)["test_list"].GetArray()) {
      absl::StrAppend(&tests, assert_line.GetString(), "\n");
    }
    task.request.language = "python";
    task.request.code = (*doc)["code"].GetString();
    task.request.test_programs = {tests};
    task.request.limits = DatasetLimits();
    task.function = CalledFunction(task.request.code, tests);
    tasks.push_back(std::move(task));
  }
  return tasks;
}

// Replaces the tested function with one returning a value that equals nothing and cannot
// be used as a truth value.
JudgeRequest WrongVariant(const Task& task) {
  JudgeRequest wrong = task.request;
  absl::StrAppend(&wrong.code,
                  "\n\nclass _ZerorlWrong:\n"
                  "    def __eq__(self, other):\n        return False\n"
                  "    def __ne__(self, other):\n        return True\n"
                  "    def __bool__(self):\n        raise AssertionError('wrong variant')\n"
                  "    __hash__ = object.__hash__\n\n"
                  "def ", task.function, "(*args, **kwargs):\n    return _ZerorlWrong()\n");
  return wrong;
}

// Judges every task through one pool; returns the ids whose verdict was not `want_pass`.
std::vector<std::string> Mismatches(const std::vector<Task>& tasks, bool wrong_variant,
                                    bool want_pass) {
  absl::StatusOr<std::unique_ptr<SandboxPool>> pool =
      SandboxPool::Create(testing::TestOptions(), 0);
  EXPECT_THAT(pool, IsOk());
  if (!pool.ok()) return {"no pool"};
  std::vector<std::future<absl::StatusOr<JudgeResult>>> verdicts;
  for (const Task& task : tasks) {
    verdicts.push_back((*pool)->SubmitJudge(wrong_variant ? WrongVariant(task) : task.request));
  }
  std::vector<std::string> mismatches;
  for (size_t i = 0; i < tasks.size(); ++i) {
    absl::StatusOr<JudgeResult> verdict = verdicts[i].get();
    if (!verdict.ok()) {
      mismatches.push_back(absl::StrCat(tasks[i].id, " (", verdict.status().ToString(), ")"));
    } else if (verdict->passed != want_pass) {
      mismatches.push_back(absl::StrCat(tasks[i].id, " (", TestStatusName(verdict->results[0].status),
                                        ": ", verdict->results[0].detail, ")"));
    }
  }
  return mismatches;
}

TEST(SandboxDatasetsTest, HumanEvalCanonicalSolutionsPassAll164) {
  ZERORL_REQUIRE_TEST_DATA();
  std::vector<Task> tasks = HumanEvalTasks();
  ASSERT_EQ(tasks.size(), 164u);
  EXPECT_EQ(Mismatches(tasks, /*wrong_variant=*/false, /*want_pass=*/true),
            std::vector<std::string>{});
}

TEST(SandboxDatasetsTest, HumanEvalWrongVariantsFailAll164) {
  ZERORL_REQUIRE_TEST_DATA();
  std::vector<Task> tasks = HumanEvalTasks();
  ASSERT_EQ(tasks.size(), 164u);
  EXPECT_EQ(Mismatches(tasks, /*wrong_variant=*/true, /*want_pass=*/false),
            std::vector<std::string>{});
}

TEST(SandboxDatasetsTest, MbppReferenceSolutionsPassAll974) {
  ZERORL_REQUIRE_TEST_DATA();
  std::vector<Task> tasks = MbppTasks();
  ASSERT_EQ(tasks.size(), 974u);
  EXPECT_EQ(Mismatches(tasks, /*wrong_variant=*/false, /*want_pass=*/true),
            std::vector<std::string>{});
}

TEST(SandboxDatasetsTest, MbppWrongVariantsFailAll974) {
  ZERORL_REQUIRE_TEST_DATA();
  std::vector<Task> tasks = MbppTasks();
  ASSERT_EQ(tasks.size(), 974u);
  std::vector<std::string> unnamed;
  for (const Task& task : tasks) {
    if (task.function.empty()) unnamed.push_back(task.id);
  }
  ASSERT_EQ(unnamed, std::vector<std::string>{}) << "tasks whose tested function was not found";
  EXPECT_EQ(Mismatches(tasks, /*wrong_variant=*/true, /*want_pass=*/false),
            std::vector<std::string>{});
}

}  // namespace
}  // namespace zerorl::sandbox
