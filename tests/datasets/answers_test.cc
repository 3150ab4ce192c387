// Gold-answer helpers and the problem JSON round trip.
#include "datasets/answers.h"

#include <string>

#include "datasets/datasets.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace zerorl::datasets {
namespace {

using ::zerorl::testing::IsOk;
using ::zerorl::testing::StatusIs;

TEST(LastBoxedTest, BalancedBraces) {
  EXPECT_EQ(LastBoxed("so $\\boxed{\\frac{1}{2}}$."), "\\frac{1}{2}");
  EXPECT_EQ(LastBoxed("\\boxed{1} then \\boxed{2}"), "2");
  EXPECT_EQ(LastBoxed("\\boxed{\\{1, 2\\}}"), "\\{1, 2\\}");  // escaped braces do not count
  EXPECT_EQ(LastBoxed("\\boxed{\\left\\{ x \\right.}"), "\\left\\{ x \\right.");
  EXPECT_EQ(LastBoxed("\\boxed {7}"), "7");
  EXPECT_EQ(LastBoxed("$\\boxed 5$"), "5");
  EXPECT_EQ(LastBoxed("\\fbox{3}"), "3");
  EXPECT_EQ(LastBoxed("\\boxed{a} and \\fbox{b}"), "b");
  EXPECT_EQ(LastBoxed("\\boxed{}"), "");
}

TEST(LastBoxedTest, NoneOrUnclosed) {
  EXPECT_EQ(LastBoxed("no box here"), std::nullopt);
  EXPECT_EQ(LastBoxed("\\boxed{1} and \\boxed{2"), std::nullopt);
  EXPECT_EQ(LastBoxed("\\boxedx{1}"), std::nullopt);
  EXPECT_EQ(LastBoxed("\\boxed"), std::nullopt);
}

TEST(Gsm8kAnswerTest, AfterHashesWithoutSeparators) {
  EXPECT_EQ(Gsm8kFinalAnswer("a <<2*3=6>>6\n#### 18"), "18");
  EXPECT_EQ(Gsm8kFinalAnswer("x\n#### 1,450,000 "), "1450000");
  EXPECT_EQ(Gsm8kFinalAnswer("x\n#### -3"), "-3");
  EXPECT_EQ(Gsm8kFinalAnswer("no marker"), std::nullopt);
  EXPECT_EQ(Gsm8kFinalAnswer("x\n####   "), std::nullopt);
}

TEST(Gsm8kAnswerTest, OnlyThousandsSeparatorsAreRemoved) {
  EXPECT_EQ(StripThousandsSeparators("1,234"), "1234");
  EXPECT_EQ(StripThousandsSeparators("-12,345.5"), "-12345.5");
  EXPECT_EQ(StripThousandsSeparators("1,2"), "1,2");
  EXPECT_EQ(StripThousandsSeparators("12,34"), "12,34");
  EXPECT_EQ(StripThousandsSeparators("1234,567"), "1234,567");
  EXPECT_EQ(StripThousandsSeparators("(1,2)"), "(1,2)");
  EXPECT_EQ(StripThousandsSeparators("1,234,56"), "1,234,56");
  EXPECT_EQ(StripThousandsSeparators("42"), "42");
}

TEST(ProblemJsonTest, RoundTripKeepsEveryField) {
  Problem p;
  p.id = "mbpp/2";
  p.dataset = "mbpp";
  p.kind = TaskKind::kCode;
  p.prompt = "Write f.\n\"quoted\" \xC3\xA9";
  p.history = {{"user", "hi"}, {"assistant", "hello"}};
  p.solution = "def f():\n  return 1";
  p.tests = CodeTests{"def check(c): pass", "f", {"assert f() == 1"}, "import os"};
  p.system_prompt = "sys";
  p.instruction = "inst";
  p.level = 3;
  p.subject = "Algebra";
  p.source_path = "/x/mbpp.jsonl";
  p.source_line = 2;
  absl::StatusOr<Problem> back = ProblemFromJson(ProblemToJson(p));
  ASSERT_THAT(back, IsOk());
  EXPECT_TRUE(*back == p);

  Problem c;
  c.id = "countdown/0";
  c.kind = TaskKind::kCountdown;
  c.prompt = "Using...";
  c.answer = "1 + 2";
  c.countdown = CountdownTask{{1, 2}, 3};
  back = ProblemFromJson(ProblemToJson(c));
  ASSERT_THAT(back, IsOk());
  EXPECT_TRUE(*back == c);
  back->countdown->target = 4;
  EXPECT_FALSE(*back == c);
}

TEST(ProblemJsonTest, ErrorsNameTheField) {
  EXPECT_THAT(ProblemFromJson(R"({"prompt": "p"})"),
              StatusIs(absl::StatusCode::kInvalidArgument, "problem JSON: \"id\" is missing"));
  EXPECT_THAT(ProblemFromJson(R"({"id": "a", "prompt": "p", "kind": "chess"})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "problem JSON: \"kind\" must be math, code or countdown, got \"chess\""));
  EXPECT_THAT(
      ProblemFromJson(R"({"id": "a", "prompt": "p", "level": "2"})"),
      StatusIs(absl::StatusCode::kInvalidArgument, "problem JSON: \"level\" must be an integer"));
  EXPECT_THAT(ProblemFromJson(R"({"id": "a", "prompt": "p", "countdown": {"numbers": [1]}})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "problem JSON: \"countdown.target\" must be an integer"));
  EXPECT_THAT(ProblemFromJson("{"), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace zerorl::datasets
