#include "core/json.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_support.h"

namespace zerorl::core {
namespace {

using ::testing::HasSubstr;
using ::zerorl::testing::IsOk;
using ::zerorl::testing::StatusIs;

TEST(JsonTest, AcceptsCommentsAndTrailingCommas) {
  auto parsed = ParseJsonWithPositions(
      "// run config\n{\n  \"a\": 1, /* inline */\n  \"b\": [1, 2,],\n}\n", "c.json");
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(parsed->doc["a"].GetInt(), 1);
  EXPECT_EQ(parsed->doc["b"].Size(), 2u);
}

TEST(JsonTest, RecordsTheLineOfEveryKeyAndElement) {
  auto parsed = ParseJsonWithPositions(
      "{\n \"run\": {\n  \"steps\": 3\n },\n \"eval\": [\n  {\"path\": \"x\"},\n  {\"path\": \"y\"}\n ]\n}",
      "c.json");
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(parsed->origins.at("run").line, 2);
  EXPECT_EQ(parsed->origins.at("run.steps").line, 3);
  EXPECT_EQ(parsed->origins.at("eval[0].path").line, 6);
  EXPECT_EQ(parsed->origins.at("eval[1].path").line, 7);
  EXPECT_EQ(parsed->origins.at("eval[1].path").ToString(), "c.json:7");
}

TEST(JsonTest, SyntaxErrorNamesFileLineAndColumn) {
  auto parsed = ParseJsonWithPositions("{\n  \"a\": 1\n  \"b\": 2\n}", "bad.json");
  ASSERT_THAT(parsed, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bad.json:3:")));
}

TEST(JsonTest, DuplicateKeysAreRefused) {
  auto parsed = ParseJsonWithPositions("{\"run\": {\"steps\": 1,\n \"steps\": 2}}", "d.json");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("d.json:2: key 'run.steps' appears twice"),
            std::string::npos)
      << parsed.status().message();
}

TEST(JsonTest, TextAfterTheDocumentIsAnError) {
  EXPECT_THAT(ParseJsonWithPositions("{} {}", "t.json"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("t.json:1:")));
  EXPECT_THAT(ParseJsonWithPositions("{} // done\n", "t.json"), IsOk());
}

TEST(JsonTest, StrictParseRejectsComments) {
  EXPECT_FALSE(ParseJson("{/* no */}").ok());
  EXPECT_THAT(ParseJson("{\"a\": [1]}"), IsOk());
}

TEST(JsonTest, WriteFileAtomicThenReadBack) {
  testing::TempDir dir;
  std::string path = dir.Path("x.json");
  ASSERT_THAT(WriteFileAtomic(path, "{\"a\":1}"), IsOk());
  EXPECT_EQ(ReadFile(path).value(), "{\"a\":1}");
  EXPECT_THAT(ReadFile(dir.Path("missing")), StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace zerorl::core
