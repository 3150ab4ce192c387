// The presets over the real files in ../shared/data (see its SOURCES.md for the counts).
#include <map>
#include <set>
#include <string>

#include "datasets/answers.h"
#include "datasets/datasets.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_support.h"

namespace zerorl::datasets {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using ::zerorl::testing::IsOk;
using ::zerorl::testing::TestDataPath;

config::DatasetConfig Preset(const std::string& preset, const std::string& relative) {
  config::DatasetConfig c;
  c.preset = preset;
  c.path = TestDataPath(relative);
  return c;
}

Dataset Load(const config::DatasetConfig& c) {
  absl::StatusOr<Dataset> d = LoadDataset(c, config::BadLinePolicy::kError);
  EXPECT_THAT(d, IsOk());
  return d.ok() ? *std::move(d) : Dataset();
}

Problem At(const Dataset& d, size_t i) {
  absl::StatusOr<Problem> p = d.Get(i);
  EXPECT_THAT(p, IsOk());
  return p.ok() ? *std::move(p) : Problem();
}

TEST(RealFilesTest, Gsm8kTestHas1319Problems) {
  ZERORL_REQUIRE_TEST_DATA();
  Dataset d = Load(Preset("gsm8k", "gsm8k/test.jsonl"));
  ASSERT_EQ(d.size(), 1319u);
  EXPECT_EQ(d.stats().bad_lines, 0);
  Problem p = At(d, 0);
  EXPECT_EQ(p.id, "gsm8k/test/0");
  EXPECT_EQ(p.kind, TaskKind::kMath);
  EXPECT_THAT(p.prompt, StartsWith("Janet\xE2\x80\x99s ducks lay 16 eggs per day."));
  EXPECT_EQ(p.answer, "18");
  EXPECT_THAT(p.solution, EndsWith("#### 18"));
  EXPECT_EQ(p.source_line, 1);
  EXPECT_EQ(At(d, 17).id, "gsm8k/test/17");
}

TEST(RealFilesTest, Gsm8kTrainHas7473ProblemsAndNoCommasInAnswers) {
  ZERORL_REQUIRE_TEST_DATA();
  Dataset d = Load(Preset("gsm8k", "gsm8k/train.jsonl"));
  ASSERT_EQ(d.size(), 7473u);
  int had_commas = 0;
  for (size_t i = 0; i < d.size(); ++i) {
    Problem p = At(d, i);
    EXPECT_EQ(p.answer.find(','), std::string::npos) << p.id << ": " << p.answer;
    had_commas += p.solution.substr(p.solution.rfind("####")).find(',') != std::string::npos;
  }
  EXPECT_GT(had_commas, 50);  // e.g. "#### 1,080" became "1080"
}

TEST(RealFilesTest, Gsm8kThousandsSeparatorRemoved) {
  ZERORL_REQUIRE_TEST_DATA();
  Dataset d = Load(Preset("gsm8k", "gsm8k/test.jsonl"));
  std::set<std::string> answers;
  for (size_t i = 0; i < d.size(); ++i) answers.insert(At(d, i).answer);
  EXPECT_EQ(answers.count("2,125"), 0u);
  EXPECT_EQ(answers.count("2125"), 1u);
  EXPECT_EQ(answers.count("1450000"), 1u);  // "#### 1,450,000"
}

TEST(RealFilesTest, Math500WithIdsFileIsTheWholePrm800kTestSplit) {
  ZERORL_REQUIRE_TEST_DATA();
  config::DatasetConfig c = Preset("math500", "math/test.jsonl");
  c.ids_file = TestDataPath("math/math500_unique_ids.txt");
  Dataset d = Load(c);
  ASSERT_EQ(d.size(), 500u);
  EXPECT_EQ(d.stats().dropped, 0);
  Problem p = At(d, 0);
  EXPECT_EQ(p.id, "test/precalculus/807.json");
  EXPECT_EQ(p.dataset, "math500");
  EXPECT_EQ(p.answer, "\\left( 3, \\frac{\\pi}{2} \\right)");
  EXPECT_EQ(p.level, 2);
  EXPECT_EQ(p.subject, "Precalculus");
  std::map<int, int> by_level;
  std::map<std::string, int> by_subject;
  for (size_t i = 0; i < d.size(); ++i) {
    Problem q = At(d, i);
    ++by_level[q.level];
    ++by_subject[q.subject];
    // The PRM800K answer field agrees with the last \boxed{} of every solution.
    EXPECT_EQ(LastBoxed(q.solution).value_or("<none>"), q.answer) << q.id;
  }
  EXPECT_EQ(by_level, (std::map<int, int>{{1, 43}, {2, 90}, {3, 105}, {4, 128}, {5, 134}}));
  EXPECT_EQ(by_subject["Algebra"], 124);
  EXPECT_EQ(by_subject["Counting & Probability"], 38);
}

TEST(RealFilesTest, FullMathTestTakesAnswersFromLastBoxed) {
  ZERORL_REQUIRE_TEST_DATA();
  Dataset full = Load(Preset("math", "math/math_test_5000.jsonl"));
  ASSERT_EQ(full.size(), 5000u);
  Problem first = At(full, 0);
  EXPECT_EQ(first.id, "math/0");  // "idx": 0
  EXPECT_EQ(first.answer, "2");   // "... has $\\boxed{2}$ vertical asymptotes."
  EXPECT_EQ(first.level, 3);      // "Level 3"
  EXPECT_EQ(first.subject, "Algebra");  // "type"
  // The 500 MATH-500 problems are in this file with the same solutions: the boxed answers
  // extracted here must equal PRM800K's answer fields.
  Dataset math500 = Load(Preset("math500", "math/test.jsonl"));
  std::map<std::string, std::string> answer_by_problem;
  for (size_t i = 0; i < full.size(); ++i) {
    Problem p = At(full, i);
    answer_by_problem[p.prompt] = p.answer;
  }
  int matched = 0;
  for (size_t i = 0; i < math500.size(); ++i) {
    Problem p = At(math500, i);
    auto it = answer_by_problem.find(p.prompt);
    if (it == answer_by_problem.end()) continue;
    ++matched;
    EXPECT_EQ(it->second, p.answer) << p.id;
  }
  EXPECT_EQ(matched, 500);
}

TEST(RealFilesTest, HumanEvalHas164CodeProblems) {
  ZERORL_REQUIRE_TEST_DATA();
  Dataset d = Load(Preset("humaneval", "humaneval/HumanEval.jsonl"));
  ASSERT_EQ(d.size(), 164u);
  Problem p = At(d, 0);
  EXPECT_EQ(p.id, "HumanEval/0");
  EXPECT_EQ(p.kind, TaskKind::kCode);
  EXPECT_TRUE(p.answer.empty());
  ASSERT_TRUE(p.tests.has_value());
  EXPECT_EQ(p.tests->entry_point, "has_close_elements");
  EXPECT_THAT(p.tests->program, HasSubstr("def check(candidate):"));
  EXPECT_THAT(p.prompt, HasSubstr("def has_close_elements(numbers: List[float]"));
  EXPECT_THAT(p.solution, StartsWith("    for idx, elem in enumerate(numbers):"));
  EXPECT_EQ(At(d, 163).id, "HumanEval/163");
}

TEST(RealFilesTest, MbppHas974ProblemsWithTestsInThePrompt) {
  ZERORL_REQUIRE_TEST_DATA();
  Dataset d = Load(Preset("mbpp", "mbpp/mbpp.jsonl"));
  ASSERT_EQ(d.size(), 974u);
  Problem p = At(d, 0);
  EXPECT_EQ(p.id, "mbpp/1");
  EXPECT_EQ(p.kind, TaskKind::kCode);
  ASSERT_TRUE(p.tests.has_value());
  ASSERT_EQ(p.tests->asserts.size(), 3u);
  EXPECT_EQ(p.tests->asserts[0],
            "assert min_cost([[1, 2, 3], [4, 8, 2], [1, 5, 3]], 2, 2) == 8");
  EXPECT_EQ(p.prompt,
            "Write a function to find the minimum cost path to reach (m, n) from (0, 0) for the "
            "given cost matrix cost[][] and a position (m, n) in cost[][].\n"
            "Your code should pass these tests:\n"
            "assert min_cost([[1, 2, 3], [4, 8, 2], [1, 5, 3]], 2, 2) == 8\n"
            "assert min_cost([[2, 3, 4], [5, 9, 3], [2, 6, 4]], 2, 2) == 12\n"
            "assert min_cost([[3, 4, 5], [6, 10, 4], [3, 7, 5]], 2, 2) == 16");
  EXPECT_EQ(p.solution.find('\r'), std::string::npos);  // CRLF normalised
  EXPECT_THAT(p.solution, StartsWith("R = 3\nC = 3\ndef min_cost(cost, m, n): \n"));
  EXPECT_EQ(At(d, 973).id, "mbpp/974");
}

TEST(RealFilesTest, LimitAndNameApply) {
  ZERORL_REQUIRE_TEST_DATA();
  config::DatasetConfig c = Preset("gsm8k", "gsm8k/train.jsonl");
  c.limit = 10;
  c.name = "gsm8k_small";
  c.instruction = "Put the final answer in \\boxed{}.";
  c.system_prompt = "You are a careful solver.";
  Dataset d = Load(c);
  ASSERT_EQ(d.size(), 10u);
  Problem p = At(d, 9);
  EXPECT_EQ(p.id, "gsm8k_small/train/9");
  EXPECT_EQ(p.dataset, "gsm8k_small");
  EXPECT_EQ(p.instruction, "Put the final answer in \\boxed{}.");
  EXPECT_EQ(p.system_prompt, "You are a careful solver.");
}

}  // namespace
}  // namespace zerorl::datasets
