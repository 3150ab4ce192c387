// `zerorl data preview`, run as a user would.
#include <algorithm>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/test_support.h"

namespace zerorl::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using testing::RunCommand;
using testing::ZerorlBinary;

TEST(DataCliTest, PreviewOneFileUnderAPreset) {
  ZERORL_REQUIRE_TEST_DATA();
  auto r = RunCommand({ZerorlBinary(), "data", "preview", "--preset", "gsm8k", "--path",
                       testing::TestDataPath("gsm8k/test.jsonl"), "--n", "2"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("{\"id\":\"gsm8k/test/0\""));
  EXPECT_THAT(r.out, HasSubstr("\"answer\":\"18\""));
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 2);
  EXPECT_THAT(r.err, HasSubstr("gsm8k: 1319 problems (1319 rows read, 0 malformed skipped"));
}

TEST(DataCliTest, PreviewSyntheticWithSetOverrides) {
  auto r = RunCommand({ZerorlBinary(), "data", "preview", "--preset", "countdown", "--n", "1",
                       "--set", "data.train.count=5", "--sampled"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\"kind\":\"countdown\""));
  EXPECT_THAT(r.err, HasSubstr("countdown: 5 problems"));
}

TEST(DataCliTest, MalformedRowUnderOnBadLineErrorIsBadInput) {
  testing::TempDir dir;
  std::string path = dir.WriteFile("d.jsonl", "{\"prompt\": \"q\", \"answer\": \"1\"}\n{\"prompt\": 3}\n");
  auto skip = RunCommand({ZerorlBinary(), "data", "preview", "--preset", "generic", "--path", path});
  EXPECT_EQ(skip.exit_code, 0) << skip.err;
  EXPECT_THAT(skip.err, HasSubstr("generic: 1 problems (2 rows read, 1 malformed skipped"));
  auto error = RunCommand({ZerorlBinary(), "data", "preview", "--preset", "generic", "--path",
                           path, "--set", "data.on_bad_line=error"});
  EXPECT_EQ(error.exit_code, 2);
  EXPECT_THAT(error.err, HasSubstr("zerorl data preview: data.train: " + path +
                                   ":2: field \"prompt\" must be a string, got a number"));
}

TEST(DataCliTest, UnknownPresetIsBadInput) {
  auto r = RunCommand({ZerorlBinary(), "data", "preview", "--preset", "gsm8", "--path", "x"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("unknown preset \"gsm8\" (did you mean \"gsm8k\"?)"));
}

}  // namespace
}  // namespace zerorl::cli
