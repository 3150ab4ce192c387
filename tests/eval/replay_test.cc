// The replay line format: every accepted form and one test per way a line can be wrong.
#include "eval/replay.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_support.h"

namespace zerorl::eval {
namespace {

using ::testing::HasSubstr;
using ::zerorl::testing::IsOk;
using ::zerorl::testing::StatusIs;

std::string Error(std::string_view line) {
  absl::StatusOr<ReplayLine> r = ParseReplayLine(line, 7, "in.jsonl");
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kInvalidArgument));
  return std::string(r.status().message());
}

TEST(ReplayLineTest, StringCompletionsById) {
  absl::StatusOr<ReplayLine> r = ParseReplayLine(R"({"id": "gsm8k/test/3", "completions": ["a", "b"]})", 1, "f");
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->id, "gsm8k/test/3");
  EXPECT_EQ(r->index, -1);
  ASSERT_EQ(r->completions.size(), 2u);
  EXPECT_EQ(r->completions[1].text, "b");
  EXPECT_EQ(r->completions[1].num_tokens, -1);
  EXPECT_EQ(r->completions[1].finish_reason, "");
}

TEST(ReplayLineTest, ObjectCompletionsByIndex) {
  absl::StatusOr<ReplayLine> r = ParseReplayLine(
      R"({"index": 4, "completions": [{"text": "x", "num_tokens": 12, "finish_reason": "length"}]})", 1, "f");
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->index, 4);
  EXPECT_EQ(r->completions[0].text, "x");
  EXPECT_EQ(r->completions[0].num_tokens, 12);
  EXPECT_EQ(r->completions[0].finish_reason, "length");
}

TEST(ReplayLineTest, NumericIdIsText) {
  absl::StatusOr<ReplayLine> r = ParseReplayLine(R"({"id": 11, "completions": ["x"]})", 1, "f");
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->id, "11");
}

TEST(ReplayLineTest, NotJson) { EXPECT_THAT(Error("{\"id\": "), HasSubstr("in.jsonl:7: not JSON")); }
TEST(ReplayLineTest, NotAnObject) { EXPECT_THAT(Error("[1]"), HasSubstr("in.jsonl:7: expected an object")); }
TEST(ReplayLineTest, NeitherIdNorIndex) {
  EXPECT_EQ(Error(R"({"completions": ["x"]})"), "in.jsonl:7: give exactly one of \"id\" and \"index\"");
}
TEST(ReplayLineTest, BothIdAndIndex) {
  EXPECT_EQ(Error(R"({"id": "a", "index": 1, "completions": ["x"]})"),
            "in.jsonl:7: give exactly one of \"id\" and \"index\"");
}
TEST(ReplayLineTest, BadIdType) {
  EXPECT_EQ(Error(R"({"id": [1], "completions": ["x"]})"), "in.jsonl:7: \"id\" must be a string or an integer");
}
TEST(ReplayLineTest, NegativeIndex) {
  EXPECT_EQ(Error(R"({"index": -1, "completions": ["x"]})"), "in.jsonl:7: \"index\" must be an integer >= 0");
}
TEST(ReplayLineTest, MissingCompletions) {
  EXPECT_EQ(Error(R"({"id": "a", "completion": "x"})"), "in.jsonl:7: missing \"completions\": a list of strings");
}
TEST(ReplayLineTest, EmptyCompletions) {
  EXPECT_EQ(Error(R"({"id": "a", "completions": []})"), "in.jsonl:7: \"completions\" is empty");
}
TEST(ReplayLineTest, CompletionOfWrongType) {
  EXPECT_EQ(Error(R"({"id": "a", "completions": ["x", 3]})"),
            "in.jsonl:7: completions[1] must be a string or an object with \"text\"");
}
TEST(ReplayLineTest, CompletionObjectWithoutText) {
  EXPECT_EQ(Error(R"({"id": "a", "completions": [{"num_tokens": 3}]})"),
            "in.jsonl:7: completions[0].text: missing or not a string");
}
TEST(ReplayLineTest, BadNumTokens) {
  EXPECT_EQ(Error(R"({"id": "a", "completions": [{"text": "x", "num_tokens": -2}]})"),
            "in.jsonl:7: completions[0].num_tokens: must be an integer >= 0");
}
TEST(ReplayLineTest, BadFinishReason) {
  EXPECT_EQ(Error(R"({"id": "a", "completions": [{"text": "x", "finish_reason": "eos"}]})"),
            "in.jsonl:7: completions[0].finish_reason: must be \"stop\", \"length\" or \"abort\"");
}

std::vector<datasets::Problem> Problems() {
  std::vector<datasets::Problem> problems(3);
  problems[0].id = "HumanEval/0";
  problems[1].id = "HumanEval/1";
  problems[2].id = "mine";
  for (datasets::Problem& p : problems) p.dataset = "HumanEval";
  return problems;
}

ReplayLine Line(int64_t number, std::string id, int64_t index = -1) {
  ReplayLine line;
  line.line_number = number;
  line.id = std::move(id);
  line.index = index;
  return line;
}

TEST(MatchReplayTest, ByIdIndexAndBareNumber) {
  absl::StatusOr<std::vector<size_t>> m =
      MatchReplay({Line(1, "mine"), Line(2, "", 0), Line(3, "1")}, Problems(), "f");
  ASSERT_THAT(m, IsOk());
  EXPECT_THAT(*m, ::testing::ElementsAre(2u, 0u, 1u));
}

TEST(MatchReplayTest, UnknownId) {
  EXPECT_THAT(MatchReplay({Line(4, "HumanEval/9")}, Problems(), "f"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "f:4: id \"HumanEval/9\" is not in the dataset"));
}

TEST(MatchReplayTest, IndexPastTheEnd) {
  EXPECT_THAT(MatchReplay({Line(2, "", 3)}, Problems(), "f"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "f:2: \"index\" 3 is past the dataset's 3 problems"));
}

TEST(MatchReplayTest, ProblemGivenTwice) {
  EXPECT_THAT(MatchReplay({Line(1, "mine"), Line(5, "", 2)}, Problems(), "f"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "f:5: problem mine was already given on line 1"));
}

TEST(ReplayFileTest, ReadsLinesSkipsBlanksAndNamesTheBadLine) {
  testing::TempDir dir;
  std::string good = dir.WriteFile("good.jsonl", "{\"id\": \"a\", \"completions\": [\"x\"]}\n\n{\"index\": 0, \"completions\": [\"y\"]}");
  absl::StatusOr<std::vector<ReplayLine>> lines = ReadReplayFile(good);
  ASSERT_THAT(lines, IsOk());
  ASSERT_EQ(lines->size(), 2u);
  EXPECT_EQ((*lines)[1].line_number, 3);
  std::string bad = dir.WriteFile("bad.jsonl", "{\"id\": \"a\", \"completions\": [\"x\"]}\n{\"id\": \"b\"}\n");
  EXPECT_THAT(ReadReplayFile(bad),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       bad + ":2: missing \"completions\": a list of strings"));
  EXPECT_THAT(ReadReplayFile(dir.WriteFile("empty.jsonl", "\n")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ReadReplayFile(dir.Path("none.jsonl")), StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace zerorl::eval
