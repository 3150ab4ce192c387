#include "metrics/sink.h"

#include <cmath>
#include <limits>
#include <sstream>
#include <thread>

#include "core/json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_support.h"

namespace zerorl::metrics {
namespace {

using ::testing::HasSubstr;
using ::zerorl::testing::IsOk;
using ::zerorl::testing::StatusIs;

std::vector<std::string> Lines(const std::string& path) {
  absl::StatusOr<std::string> text = core::ReadFile(path);
  EXPECT_THAT(text, IsOk());
  std::vector<std::string> lines;
  std::istringstream in(text.ok() ? *text : "");
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(MetricsSinkTest, RowIsOneJsonObjectInInsertionOrder) {
  MetricsRow row;
  row.Add("step", 3).Add("reward/mean", 0.25).Add("eval", true).Add("phase", "train");
  row.Add("tokens", size_t{1} << 40).Add("step", 4);  // a repeated name replaces the value
  EXPECT_EQ(row.ToJson(),
            R"({"step":4,"reward/mean":0.25,"eval":true,"phase":"train","tokens":1099511627776})");
}

TEST(MetricsSinkTest, NonFiniteNumbersBecomeNull) {
  MetricsRow row;
  row.Add("kl", std::nan("")).Add("lr", std::numeric_limits<double>::infinity());
  EXPECT_EQ(row.ToJson(), R"({"kl":null,"lr":null})");
}

TEST(MetricsSinkTest, InvalidUtf8BecomesReplacementCharacters) {
  MetricsRow row;
  row.Add("completion", std::string("ok \xE2\x82 cut \xED\xA0\x80 \xC0\xAF end \xF0\x9F\x98\x80"));
  std::string json = row.ToJson();
  EXPECT_EQ(json,
            "{\"completion\":\"ok \xEF\xBF\xBD\xEF\xBF\xBD cut "
            "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD end "
            "\xF0\x9F\x98\x80\"}");
  EXPECT_THAT(core::ParseJson(json), IsOk());
}

TEST(MetricsSinkTest, NestedRowsAreObjects) {
  MetricsRow rewards;
  rewards.Add("math_accuracy", 1.0).Add("format", 0);
  MetricsRow sample;
  sample.Add("prompt", "2+2=").Add("rewards", rewards);
  EXPECT_EQ(sample.ToJson(), R"({"prompt":"2+2=","rewards":{"math_accuracy":1.0,"format":0}})");
}

TEST(MetricsSinkTest, AppendsLinesAndKeepsThemAcrossReopen) {
  testing::TempDir dir;
  std::string path = dir.Path("metrics.jsonl");
  for (int round = 0; round < 2; ++round) {
    auto sink = MetricsSink::Open(path, MetricsSink::kAppend);
    ASSERT_THAT(sink, IsOk());
    ASSERT_THAT((*sink)->Write(MetricsRow().Add("step", round)), IsOk());
  }
  EXPECT_EQ(Lines(path), (std::vector<std::string>{R"({"step":0})", R"({"step":1})"}));
  auto fresh = MetricsSink::Open(path, MetricsSink::kTruncate);
  ASSERT_THAT(fresh, IsOk());
  ASSERT_THAT((*fresh)->Write(MetricsRow().Add("step", 7)), IsOk());
  EXPECT_EQ(Lines(path), (std::vector<std::string>{R"({"step":7})"}));
}

TEST(MetricsSinkTest, ConcurrentWritersNeverInterleaveLines) {
  testing::TempDir dir;
  auto sink = MetricsSink::Open(dir.Path("samples.jsonl"), MetricsSink::kTruncate);
  ASSERT_THAT(sink, IsOk());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        MetricsRow row;
        row.Add("thread", t).Add("i", i).Add("text", std::string(1000 + i, 'a' + t));
        EXPECT_THAT((*sink)->Write(row), IsOk());
      }
    });
  }
  for (std::thread& t : threads) t.join();
  std::vector<std::string> lines = Lines((*sink)->path());
  ASSERT_EQ(lines.size(), 800u);
  for (const std::string& line : lines)
    EXPECT_THAT(core::ParseJson(line), IsOk()) << line.substr(0, 80);
}

TEST(MetricsSinkTest, MissingFolderIsNotFound) {
  auto sink = MetricsSink::Open("/nonexistent-zerorl/metrics.jsonl", MetricsSink::kAppend);
  ASSERT_THAT(sink, StatusIs(absl::StatusCode::kNotFound,
                             "/nonexistent-zerorl/metrics.jsonl: open: No such file or directory"));
}

TEST(MetricsSinkTest, FullDiskIsAnError) {
  auto sink = MetricsSink::Open("/dev/full", MetricsSink::kAppend);
  ASSERT_THAT(sink, IsOk());
  absl::Status written = (*sink)->Write(MetricsRow().Add("step", 1));
  EXPECT_THAT(written, StatusIs(absl::StatusCode::kUnavailable,
                                "/dev/full: write: No space left on device"));
}

}  // namespace
}  // namespace zerorl::metrics
