// ExtractMathAnswer: the prediction side of VerifyMath on its own (used by `zerorl eval`'s
// majority vote).
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "verifiers/math/verifier.h"

namespace zerorl::math {
namespace {

using ::zerorl::testing::IsOk;
using ::zerorl::testing::StatusIs;

MathOptions NoClock() {
  MathOptions options;
  options.deadline_ms = 0;  // results here must not depend on machine load
  return options;
}

TEST(ExtractMathAnswerTest, ReadsWhatVerifyMathReadsAsThePrediction) {
  const char* completions[] = {
      "So she has 1234 left. The answer is $\\boxed{1234}$.",
      "<think>maybe \\boxed{5}</think> The answer is $6$.",
      "<think>x</think><answer>\\frac{1}{2}</answer>",
      "the answers are $\\boxed{-2}$ and $\\boxed{1}$.",
      "after a while, 17 apples",
  };
  for (const char* c : completions) {
    absl::StatusOr<std::string> answer = ExtractMathAnswer(c, NoClock());
    ASSERT_THAT(answer, IsOk()) << c << ": " << answer.status();
    EXPECT_EQ(*answer, VerifyMath("$0$", c, NoClock()).pred_answer) << c;
  }
  EXPECT_EQ(*ExtractMathAnswer("The answer is $\\boxed{1234}$.", NoClock()), "1234");
  EXPECT_EQ(*ExtractMathAnswer("<think>maybe \\boxed{5}</think> The answer is $6$.", NoClock()), "6");
  EXPECT_EQ(*ExtractMathAnswer("the answers are $\\boxed{-2}$ and $\\boxed{1}$.", NoClock()), "-2, 1");
}

TEST(ExtractMathAnswerTest, NoAnswerIsNotFound) {
  absl::StatusOr<std::string> none = ExtractMathAnswer("I do not know.", NoClock());
  EXPECT_THAT(none, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_FALSE(none.status().message().empty());
}

TEST(ExtractMathAnswerTest, FollowsThePredictionTargets) {
  MathOptions latex_only = NoClock();
  latex_only.pred_extract.expr = false;
  latex_only.extract_without_anchor = false;
  EXPECT_THAT(ExtractMathAnswer("about 17 apples", latex_only),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(*ExtractMathAnswer("about 17 apples", NoClock()), "17");
}

}  // namespace
}  // namespace zerorl::math
