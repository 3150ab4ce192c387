// The dashboard and the TensorBoard files end to end, on a run made by a short real
// `zerorl train` (a tiny model learning 2-digit addition): the run's event files decode with
// protoc to the scalars of its metrics.jsonl, and the page, served by `zerorl dashboard` and
// loaded in headless Chromium (Debian's, no downloaded browser), draws every chart that has
// data and lists samples. The screenshot is kept (ZERORL_SCREENSHOT_DIR=DIR copies it there).
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "core/json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/dashboard/event_decode.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_support.h"

namespace zerorl::dashboard {
namespace {

using testing::BackgroundProcess;
using testing::TempDir;
using testing::ZerorlBinary;
using ::zerorl::testing::IsOk;

constexpr char kChromium[] = "/usr/bin/chromium";

// Metrics the page must chart whenever the run has them.
constexpr const char* kChartedKeys[] = {
    "reward/mean", "reward/math_accuracy/mean", "reward/format/mean", "eval/held_out/pass@1",
    "completions/mean_length", "completions/max_length", "completions/clipped_ratio", "kl",
    "entropy", "clip_ratio/low_mean", "clip_ratio/high_mean", "loss", "grad_norm", "lr",
    "throughput/tokens_per_s", "timing/generate_s", "timing/learner_s", "async/policy_lag_max",
    "async/dropped_stale", "sft/loss"};

std::vector<rapidjson::Document> ReadRows(const std::string& path) {
  std::vector<rapidjson::Document> rows;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    absl::StatusOr<rapidjson::Document> doc = core::ParseJson(line);
    if (doc.ok() && doc->IsObject()) rows.push_back(*std::move(doc));
  }
  return rows;
}

// What MetricsSink mirrors: per step ("step", else "sft_step"), every finite number.
std::map<int64_t, std::map<std::string, float>> ExpectedScalars(const std::string& metrics) {
  std::map<int64_t, std::map<std::string, float>> expected;
  for (const rapidjson::Document& row : ReadRows(metrics)) {
    const char* step_key = row.HasMember("step") ? "step" : row.HasMember("sft_step") ? "sft_step" : nullptr;
    if (step_key == nullptr) continue;
    int64_t step = row[step_key].GetInt64();
    for (const auto& m : row.GetObject()) {
      std::string key = m.name.GetString();
      if (key == step_key || !m.value.IsNumber() || !std::isfinite(m.value.GetDouble())) continue;
      expected[step][key] = static_cast<float>(m.value.GetDouble());
    }
  }
  return expected;
}

std::set<std::string> NumericKeys(const std::string& metrics) {
  std::set<std::string> keys;
  for (const rapidjson::Document& row : ReadRows(metrics)) {
    for (const auto& m : row.GetObject()) {
      if (m.value.IsNumber()) keys.insert(m.name.GetString());
    }
  }
  return keys;
}

struct ChartElement {
  std::string id;
  int64_t points = -1;
  std::vector<std::string> keys;
};

std::string Attribute(const std::string& tag, const std::string& name) {
  std::smatch m;
  if (std::regex_search(tag, m, std::regex(" " + name + "=\"([^\"]*)\""))) return m[1];
  return "";
}

// Every element with a data-chart attribute in the dumped DOM.
std::vector<ChartElement> Charts(const std::string& dom) {
  std::vector<ChartElement> charts;
  std::regex tag_re("<div [^>]*data-chart=\"[^>]*>");
  for (auto it = std::sregex_iterator(dom.begin(), dom.end(), tag_re); it != std::sregex_iterator(); ++it) {
    std::string tag = it->str();
    ChartElement chart;
    chart.id = Attribute(tag, "data-chart");
    std::string points = Attribute(tag, "data-points");
    chart.points = points.empty() ? -1 : std::atoll(points.c_str());
    std::stringstream keys(Attribute(tag, "data-keys"));
    for (std::string key; std::getline(keys, key, ',');) {
      if (!key.empty()) chart.keys.push_back(key);
    }
    charts.push_back(std::move(chart));
  }
  return charts;
}

class DashboardBrowserTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    std::string config = dir_->WriteFile("config.json", testing::kTinyTrainConfig);
    BackgroundProcess train({ZerorlBinary(), "train", config, "--quiet", "--set",
                             "run.output_dir=" + dir_->Path("runs"), "--set", "run.name=tiny",
                             "--set", "run.checkpoint_every=0"},
                            dir_->Path("train.log"));
    std::optional<int> code = train.Wait(600000);
    train_ok_ = code.has_value() && *code == 0;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override {
    ASSERT_TRUE(train_ok_) << "zerorl train failed:\n"
                           << core::ReadFile(dir_->Path("train.log")).value_or("");
  }

  static std::string RunDir() { return dir_->Path("runs/tiny"); }

  static TempDir* dir_;
  static bool train_ok_;
};

TempDir* DashboardBrowserTest::dir_ = nullptr;
bool DashboardBrowserTest::train_ok_ = false;

TEST_F(DashboardBrowserTest, EventFilesDecodeToTheScalarsOfMetricsJsonl) {
  if (::access(testing::kProtoc, X_OK) != 0) {
    GTEST_SKIP() << testing::kProtoc << " not found: apt-get install protobuf-compiler";
  }
  std::map<int64_t, std::map<std::string, float>> expected = ExpectedScalars(RunDir() + "/metrics.jsonl");
  ASSERT_GE(expected.size(), 5u);  // eval before (step 0) and steps 1..4
  ASSERT_TRUE(expected[4].count("reward/mean"));
  absl::StatusOr<std::map<int64_t, std::map<std::string, float>>> decoded =
      testing::DecodeEventDir(RunDir() + "/tensorboard");
  ASSERT_THAT(decoded, IsOk());
  EXPECT_EQ(*decoded, expected);
}

TEST_F(DashboardBrowserTest, PageDrawsEveryChartAndListsSamples) {
  if (::access(kChromium, X_OK) != 0) {
    GTEST_SKIP() << kChromium << " not found: apt-get install chromium (the browser test needs it)";
  }
  BackgroundProcess server({ZerorlBinary(), "dashboard", "--runs", dir_->Path("runs"), "--port", "0"},
                           dir_->Path("dashboard.log"));
  std::string url;
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        std::smatch m;
        std::string log = core::ReadFile(dir_->Path("dashboard.log")).value_or("");
        if (!std::regex_search(log, m, std::regex("at (http://127\\.0\\.0\\.1:[0-9]+/)"))) return false;
        url = m[1];
        return true;
      },
      30000))
      << core::ReadFile(dir_->Path("dashboard.log")).value_or("");

  std::vector<std::string> chromium = {kChromium, "--headless", "--disable-gpu", "--no-sandbox",
                                       "--disable-dev-shm-usage", "--no-first-run",
                                       "--user-data-dir=" + dir_->Path("chromium-profile"),
                                       "--virtual-time-budget=8000", "--window-size=1400,1000"};
  std::vector<std::string> dump = chromium;
  dump.push_back("--dump-dom");
  dump.push_back(url);
  testing::CommandResult page = testing::RunCommand(dump);
  ASSERT_EQ(page.exit_code, 0) << page.err;

  std::set<std::string> present = NumericKeys(RunDir() + "/metrics.jsonl");
  std::vector<ChartElement> charts = Charts(page.out);
  ASSERT_FALSE(charts.empty()) << page.out;
  std::set<std::string> charted;
  for (const ChartElement& chart : charts) {
    ASSERT_GE(chart.points, 0) << chart.id << ": no data-points attribute";
    for (const std::string& key : chart.keys) {
      EXPECT_TRUE(present.count(key)) << chart.id << " charts " << key << ", absent from the run";
      charted.insert(key);
    }
    if (!chart.keys.empty()) {
      EXPECT_GT(chart.points, 0) << chart.id << " has data but drew nothing";
    }
  }
  int expected_charts = 0;
  for (const char* key : kChartedKeys) {
    if (!present.count(key)) continue;
    ++expected_charts;
    EXPECT_TRUE(charted.count(key)) << key << " is in metrics.jsonl but on no chart";
  }
  EXPECT_GE(expected_charts, 12);

  std::smatch samples;
  ASSERT_TRUE(std::regex_search(page.out, samples, std::regex("id=\"samples\"[^>]*data-samples=\"([0-9]+)\"")))
      << page.out;
  EXPECT_GT(std::atoi(samples[1].str().c_str()), 0) << "the samples browser lists no samples";
  EXPECT_THAT(page.out, ::testing::HasSubstr("<td class=\"text\""));

  // The wall-time axis: every GRPO metric still drew (cold-start SFT rows carry no time).
  dump.back() = url + "?x=time&smoothing=0";
  testing::CommandResult timed = testing::RunCommand(dump);
  ASSERT_EQ(timed.exit_code, 0) << timed.err;
  int timed_charts = 0;
  for (const ChartElement& chart : Charts(timed.out)) {
    if (chart.id == "reward" || chart.id == "length" || chart.id == "grad-norm" || chart.id == "timing") {
      ++timed_charts;
      EXPECT_GT(chart.points, 0) << chart.id << " drew nothing on the wall-time axis";
    }
  }
  EXPECT_EQ(timed_charts, 4);

  std::string png = dir_->Path("dashboard.png");
  std::vector<std::string> shot = chromium;
  shot.push_back("--screenshot=" + png);
  shot.push_back(url);
  testing::CommandResult screenshot = testing::RunCommand(shot);
  ASSERT_EQ(screenshot.exit_code, 0) << screenshot.err;
  std::string bytes = core::ReadFile(png).value_or("");
  ASSERT_GT(bytes.size(), 10000u);
  EXPECT_EQ(bytes.substr(0, 8), "\x89PNG\r\n\x1a\n");
  if (const char* out = std::getenv("ZERORL_SCREENSHOT_DIR"); out != nullptr && *out != '\0') {
    std::ofstream(std::string(out) + "/dashboard.png", std::ios::binary) << bytes;
  }
  std::cout << "dashboard screenshot: " << png << "\n";
}

}  // namespace
}  // namespace zerorl::dashboard
