// `zerorl verify math` end to end, run as a user runs it (the contract of issue 5).
#include <sstream>
#include <string>
#include <vector>

#include "core/json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/test_support.h"

namespace zerorl::cli {
namespace {

using ::testing::HasSubstr;
using testing::JsonLines;
using testing::RunCommand;
using testing::ZerorlBinary;

std::string Get(const rapidjson::Document& d, const char* key) {
  auto it = d.FindMember(key);
  return it != d.MemberEnd() && it->value.IsString() ? it->value.GetString() : "<missing>";
}

TEST(VerifyCliTest, OneVerdictLinePerInputWithAnswers) {
  std::string input =
      R"({"gold": "#### 18", "pred": "so she makes $\\boxed{18}$ dollars"})" "\n"
      R"({"gold": "$\\frac{1}{3}$", "pred": "\\boxed{0.5}"})" "\n"
      R"({"gold": "$5$", "pred": "no idea"})" "\n";
  auto r = RunCommand({ZerorlBinary(), "verify", "math"}, input);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(Get(lines[0], "verdict"), "correct");
  EXPECT_EQ(Get(lines[0], "gold_answer"), "18");
  EXPECT_EQ(Get(lines[0], "pred_answer"), "18");
  EXPECT_EQ(Get(lines[1], "verdict"), "incorrect");
  EXPECT_EQ(Get(lines[1], "pred_answer"), "0.5");
  EXPECT_EQ(Get(lines[2], "verdict"), "unverifiable");
  EXPECT_THAT(Get(lines[2], "reason"), HasSubstr("prediction: no answer found"));
}

TEST(VerifyCliTest, OptionsArePerLine) {
  std::string input =
      R"({"gold": "1,22", "pred": "1.22", "options": {"gold_extract": ["expr"], "pred_extract": ["expr"]}})" "\n"
      R"({"gold": "$\\frac{1}{3}$", "pred": "\\boxed{0.33}", "options": {"float_rounding": 2}})" "\n"
      R"({"gold": "$f(x)$", "pred": "$f(y)$", "options": {"strict": false}})" "\n";
  auto r = RunCommand({ZerorlBinary(), "verify", "math", "--input", "-"}, input);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 3u);
  for (const auto& l : lines) EXPECT_EQ(Get(l, "verdict"), "correct") << Get(l, "reason");
}

TEST(VerifyCliTest, MalformedLinesAreReportedAndTheRunGoesOn) {
  std::string input =
      R"({"gold": "$1$", "pred": "$1$"})" "\n"
      "this is not json\n"
      R"({"gold": "$1$"})" "\n"
      R"({"gold": 1, "pred": "$1$"})" "\n"
      R"({"gold": "$1$", "pred": "$1$", "options": {"float_round": 3}})" "\n"
      "\n"
      R"([1, 2])" "\n"
      R"({"gold": "$2$", "pred": "$2$"})" "\n";
  auto r = RunCommand({ZerorlBinary(), "verify", "math"}, input);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 8u);
  EXPECT_EQ(Get(lines[0], "verdict"), "correct");
  EXPECT_THAT(Get(lines[1], "reason"), HasSubstr("bad input line 2: not JSON"));
  EXPECT_THAT(Get(lines[2], "reason"), HasSubstr("bad input line 3: missing \"pred\""));
  EXPECT_THAT(Get(lines[3], "reason"), HasSubstr("bad input line 4: \"gold\" must be a string"));
  EXPECT_THAT(Get(lines[4], "reason"), HasSubstr("bad input line 5: options.float_round: unknown option"));
  EXPECT_THAT(Get(lines[5], "reason"), HasSubstr("bad input line 6: empty line"));
  EXPECT_THAT(Get(lines[6], "reason"), HasSubstr("bad input line 7: expected a JSON object"));
  for (int i = 1; i <= 6; ++i) EXPECT_EQ(Get(lines[i], "verdict"), "unverifiable");
  EXPECT_EQ(Get(lines[7], "verdict"), "correct");
}

TEST(VerifyCliTest, ThreadsKeepInputOrder) {
  std::string input;
  for (int i = 0; i < 300; ++i) {
    input += R"({"gold": "#### )" + std::to_string(i) + R"(", "pred": "\\boxed{)" + std::to_string(i % 2 ? i : i + 1) +
             "}\"}\n";
  }
  testing::TempDir dir;
  std::string path = dir.WriteFile("in.jsonl", input);
  auto r = RunCommand({ZerorlBinary(), "verify", "math", "--input", path, "--threads", "4"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 300u);
  for (int i = 0; i < 300; ++i) {
    EXPECT_EQ(Get(lines[i], "gold_answer"), std::to_string(i));
    EXPECT_EQ(Get(lines[i], "verdict"), i % 2 ? "correct" : "incorrect") << i;
  }
}

TEST(VerifyCliTest, MissingInputFileIsBadInput) {
  auto r = RunCommand({ZerorlBinary(), "verify", "math", "--input", "/nonexistent/cases.jsonl"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("/nonexistent/cases.jsonl"));
}

TEST(VerifyCliTest, BadThreadCountIsBadUsage) {
  auto r = RunCommand({ZerorlBinary(), "verify", "math", "--threads", "0"}, "");
  EXPECT_EQ(r.exit_code, 2);
}

}  // namespace
}  // namespace zerorl::cli
