// The line format of `zerorl reward score`.
#include "reward/offline_scoring.h"

#include <cmath>

#include "datasets/datasets.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace zerorl::reward {
namespace {

using ::testing::HasSubstr;
using ::zerorl::testing::IsOk;
using ::zerorl::testing::StatusIs;

datasets::Problem ProblemOf(const ScoreLine& line) {
  absl::StatusOr<datasets::Problem> p = datasets::ProblemFromJson(line.prompt.metadata);
  EXPECT_THAT(p, IsOk());
  return p.ok() ? *p : datasets::Problem{};
}

TEST(ParseScoreLineTest, MinimalMathLine) {
  auto line = ParseScoreLine(R"({"prompt": "2+2?", "completion": "<answer>4</answer>", "answer": 4})", 3);
  ASSERT_THAT(line, IsOk());
  EXPECT_EQ(line->prompt.text, "2+2?");
  EXPECT_EQ(line->prompt.answer, "4");
  EXPECT_EQ(line->completion, "<answer>4</answer>");
  EXPECT_EQ(line->num_tokens, -1);
  EXPECT_EQ(line->id, "");
  datasets::Problem p = ProblemOf(*line);
  EXPECT_EQ(p.id, "line-3");
  EXPECT_EQ(p.kind, datasets::TaskKind::kMath);
  EXPECT_EQ(p.answer, "4");
}

TEST(ParseScoreLineTest, TestsInEveryFormMakeACodeProblem) {
  auto asserts = ParseScoreLine(
      R"({"prompt": "p", "completion": "c", "tests": ["assert f(1) == 1", "assert f(2) == 2"]})", 1);
  ASSERT_THAT(asserts, IsOk());
  datasets::Problem a = ProblemOf(*asserts);
  EXPECT_EQ(a.kind, datasets::TaskKind::kCode);
  EXPECT_EQ(a.tests->asserts, (std::vector<std::string>{"assert f(1) == 1", "assert f(2) == 2"}));
  auto program = ParseScoreLine(
      R"({"prompt": "p", "completion": "c", "tests": "def check(f): pass", "entry_point": "f"})", 1);
  ASSERT_THAT(program, IsOk());
  datasets::Problem b = ProblemOf(*program);
  EXPECT_EQ(b.tests->program, "def check(f): pass");
  EXPECT_EQ(b.tests->entry_point, "f");
  auto object = ParseScoreLine(
      R"j({"prompt": "p", "completion": "c", "tests": {"asserts": ["assert g()"], "setup": "import os"}})j", 1);
  ASSERT_THAT(object, IsOk());
  EXPECT_EQ(ProblemOf(*object).tests->setup, "import os");
}

TEST(ParseScoreLineTest, CountdownAndIdAndTokens) {
  auto line = ParseScoreLine(
      R"({"id": 17, "prompt": "p", "completion": "c", "num_tokens": 12,
          "countdown": {"numbers": [1, 2], "target": 3}})", 1);
  ASSERT_THAT(line, IsOk());
  EXPECT_EQ(line->id, "17");
  EXPECT_EQ(line->num_tokens, 12);
  datasets::Problem p = ProblemOf(*line);
  EXPECT_EQ(p.id, "17");
  EXPECT_EQ(p.kind, datasets::TaskKind::kCountdown);
  EXPECT_EQ(p.countdown->target, 3);
}

TEST(ParseScoreLineTest, MetadataIsCompletedWithTheLinesKeys) {
  auto line = ParseScoreLine(
      R"({"prompt": "rendered", "completion": "c", "answer": "5",
          "metadata": {"id": "gsm8k/test/3", "prompt": "raw question", "dataset": "gsm8k", "mine": [1]}})", 1);
  ASSERT_THAT(line, IsOk());
  datasets::Problem p = ProblemOf(*line);
  EXPECT_EQ(p.id, "gsm8k/test/3");
  EXPECT_EQ(p.prompt, "raw question");
  EXPECT_EQ(p.answer, "5");
  EXPECT_EQ(p.dataset, "gsm8k");
  EXPECT_THAT(line->prompt.metadata, HasSubstr("\"mine\":[1]"));  // plugins see their keys
}

TEST(ParseScoreLineTest, ProblemLinesScoreWithAnotherCompletionKey) {
  datasets::Problem problem;
  problem.id = "math500/1";
  problem.prompt = "1+1?";
  problem.answer = "2";
  problem.solution = "so \\boxed{2}";
  ScoreLineOptions options;
  options.completion_key = "solution";
  auto line = ParseScoreLine(ProblemToJson(problem), 1, options);
  ASSERT_THAT(line, IsOk());
  EXPECT_EQ(line->completion, "so \\boxed{2}");
  EXPECT_EQ(line->id, "\"math500/1\"");
  EXPECT_EQ(ProblemOf(*line), problem);
}

TEST(ParseScoreLineTest, EachMalformedLineSaysWhy) {
  auto error = [](const std::string& text) {
    auto line = ParseScoreLine(text, 7);
    EXPECT_THAT(line, StatusIs(absl::StatusCode::kInvalidArgument));
    return std::string(line.status().message());
  };
  EXPECT_THAT(error("{\"prompt\": "), ::testing::StartsWith("line 7: "));
  EXPECT_EQ(error("[1]"), "line 7: not a JSON object");
  EXPECT_EQ(error(R"({"completion": "c"})"), "line 7: \"prompt\" must be a string");
  EXPECT_EQ(error(R"({"prompt": "p"})"), "line 7: \"completion\" must be a string");
  EXPECT_EQ(error(R"({"prompt": "p", "completion": 3})"), "line 7: \"completion\" must be a string");
  EXPECT_EQ(error(R"({"prompt": "p", "completion": "c", "answer": [1]})"),
            "line 7: \"answer\" must be a string or a number");
  EXPECT_EQ(error(R"({"prompt": "p", "completion": "c", "num_tokens": -1})"),
            "line 7: \"num_tokens\" must be an integer >= 0");
  EXPECT_EQ(error(R"({"prompt": "p", "completion": "c", "metadata": "x"})"),
            "line 7: \"metadata\" must be an object");
  EXPECT_EQ(error(R"({"prompt": "p", "completion": "c", "tests": 5})"),
            "line 7: \"tests\" must be a program (string), a list of assert lines, or an object");
  EXPECT_EQ(error(R"({"prompt": "p", "completion": "c", "tests": [1]})"),
            "line 7: \"tests\" as a list must hold strings (assert lines)");
  EXPECT_EQ(error(R"({"prompt": "p", "completion": "c", "kind": "poetry"})"),
            "line 7: problem JSON: \"kind\" must be math, code or countdown, got \"poetry\"");
  EXPECT_EQ(error(R"({"prompt": "p", "completion": "c", "countdown": {"numbers": [1]}})"),
            "line 7: problem JSON: \"countdown.target\" must be an integer");
}

TEST(ScoredLineJsonTest, OneObjectPerLineWithEveryFunction) {
  SampleReward reward;
  reward.total = 1.5;
  reward.scores = {{wire::ScoreMark::kOk, 1.0, "equal"},
                   {wire::ScoreMark::kNotApplicable, 0.0, "no tests"},
                   {wire::ScoreMark::kError, 0.0, "crashed"}};
  EXPECT_EQ(ScoredLineJson(4, "\"gsm8k/test/3\"", {"math_accuracy", "code_tests", "mine"}, reward),
            R"({"line":4,"id":"gsm8k/test/3","total":1.5,"scores":{)"
            R"("math_accuracy":{"value":1.0,"mark":"ok","detail":"equal"},)"
            R"("code_tests":{"value":null,"mark":"not_applicable","detail":"no tests"},)"
            R"("mine":{"value":null,"mark":"error","detail":"crashed"}}})");
  reward.total = std::nan("");
  EXPECT_THAT(ScoredLineJson(5, "17", {"a"}, reward), ::testing::StartsWith(R"({"line":5,"id":17,"total":null,)"));
}

TEST(ScoredLineJsonTest, ErrorLine) {
  EXPECT_EQ(ErrorLineJson(9, "line 9: not a JSON object"),
            R"({"line":9,"error":"line 9: not a JSON object"})");
}

}  // namespace
}  // namespace zerorl::reward
