// Shared-library plugins over real dlopen in a real host process: the example plugin, and
// one test plugin per failure mode (crash, hang, garbage, bad ABI version, missing symbol).
#include <dirent.h>
#include <stdlib.h>

#include <cmath>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reward/plugin_abi.h"
#include "tests/reward/reward_testing.h"
#include "tests/testing/status_matchers.h"

namespace zerorl::reward {
namespace {

using reward_testing::TestOptions;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using ::zerorl::testing::IsOk;
using ::zerorl::testing::StatusIs;

std::string PluginFunction(const std::string& library, const std::string& extra = "") {
  return R"([{"name": "plugin", "label": "mine", "library": ")" + library + "\"" +
         (extra.empty() ? "" : ", " + extra) + "}]";
}

absl::StatusOr<std::unique_ptr<RewardPipeline>> Create(const std::string& functions) {
  return RewardPipeline::Create(reward_testing::RewardSection(functions), TestOptions());
}

// Child processes of this process, from /proc (every thread's children).
int ChildProcesses() {
  int count = 0;
  DIR* tasks = ::opendir("/proc/self/task");
  if (tasks == nullptr) return -1;
  while (dirent* e = ::readdir(tasks)) {
    if (e->d_name[0] == '.') continue;
    std::ifstream children(std::string("/proc/self/task/") + e->d_name + "/children");
    std::string pid;
    while (children >> pid) ++count;
  }
  ::closedir(tasks);
  return count;
}

BatchRewards ScoreTexts(RewardPipeline& pipeline, const std::vector<std::string>& completions,
                        const std::string& answer = "42") {
  RewardBatch batch;
  batch.prompts.push_back({"What is 6 * 7?", answer, ""});
  for (const std::string& c : completions) batch.samples.push_back({0, c, 5});
  return pipeline.Score(batch);
}

class LibraryPluginTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Under AddressSanitizer the host would catch SIGSEGV itself and exit 1; let the kernel
    // kill it instead, as it does in a normal build.
    const char* asan = ::getenv("ASAN_OPTIONS");
    ::setenv("ASAN_OPTIONS", (std::string(asan != nullptr ? asan : "") + ":handle_segv=0").c_str(), 1);
    children_before_ = ChildProcesses();
  }
  void TearDown() override { EXPECT_EQ(ChildProcesses(), children_before_) << "a plugin host was left running"; }
  int children_before_ = 0;
};

TEST_F(LibraryPluginTest, ExamplePluginScoresInItsHost) {
  auto pipeline = Create(PluginFunction(ZERORL_TEST_PLUGIN_ANSWER_MATCH));
  ASSERT_THAT(pipeline, IsOk());
  EXPECT_EQ(ChildProcesses(), children_before_ + 1);  // the host, started at Create
  BatchRewards r = ScoreTexts(**pipeline, {"<answer> 42 </answer>", "<answer>41</answer>", "42"});
  EXPECT_EQ(r.samples[0].scores[0].mark, wire::ScoreMark::kOk);
  EXPECT_EQ(r.samples[0].scores[0].value, 1.0);
  EXPECT_EQ(r.samples[0].scores[0].detail, "matches \"42\"");
  EXPECT_EQ(r.samples[1].scores[0].value, 0.0);
  EXPECT_EQ(r.samples[1].scores[0].detail, "differs from gold \"41\"");
  EXPECT_EQ(r.samples[2].scores[0].detail, "no <answer>...</answer>");
  BatchRewards no_gold = ScoreTexts(**pipeline, {"<answer>42</answer>"}, "");
  EXPECT_EQ(no_gold.samples[0].scores[0].mark, wire::ScoreMark::kNotApplicable);
  EXPECT_EQ(no_gold.samples[0].scores[0].detail, "no gold answer");
  EXPECT_EQ((*pipeline)->Counters()["reward/mine/restarts"], 0);
}

TEST_F(LibraryPluginTest, ArgsReachInit) {
  auto pipeline = Create(PluginFunction(ZERORL_TEST_PLUGIN_ANSWER_MATCH, R"("args": "ignore_case")"));
  ASSERT_THAT(pipeline, IsOk());
  EXPECT_EQ(ScoreTexts(**pipeline, {"<answer>Yes</answer>"}, "yes").samples[0].scores[0].value, 1.0);
}

TEST_F(LibraryPluginTest, InputsReachThePlugin) {
  auto pipeline = Create(PluginFunction(ZERORL_TEST_PLUGIN_GARBAGE));
  ASSERT_THAT(pipeline, IsOk());
  BatchRewards r = ScoreTexts(**pipeline, {"fine"}, "1234");
  EXPECT_EQ(r.samples[0].scores[0].detail,
            "answer 4 bytes, 5 tokens, abi 1/" + std::to_string(sizeof(zerorl_reward_input)));
}

TEST_F(LibraryPluginTest, FailingInitIsRefusedAtCreate) {
  auto pipeline = Create(PluginFunction(ZERORL_TEST_PLUGIN_ANSWER_MATCH, R"("args": "bogus")"));
  ASSERT_THAT(
      pipeline,
      StatusIs(absl::StatusCode::kFailedPrecondition,
               std::string("reward.functions[0].library: plugin \"") +
                   ZERORL_TEST_PLUGIN_ANSWER_MATCH +
                   "\": zerorl_reward_init failed (returned 1): unknown args \"bogus\" (known: "
                   "ignore_case)"));
}

TEST_F(LibraryPluginTest, BadAbiVersionIsRefusedAtCreate) {
  auto pipeline = Create(PluginFunction(ZERORL_TEST_PLUGIN_BAD_ABI));
  ASSERT_THAT(
      pipeline,
      StatusIs(absl::StatusCode::kFailedPrecondition,
               std::string("reward.functions[0].library: plugin \"") + ZERORL_TEST_PLUGIN_BAD_ABI +
                   "\": speaks reward plugin ABI version 999, this zerorl speaks 1; "
                   "rebuild it against this zerorl's reward/plugin_abi.h"));
}

TEST_F(LibraryPluginTest, MissingSymbolIsRefusedAtCreate) {
  auto pipeline = Create(PluginFunction(ZERORL_TEST_PLUGIN_NO_SCORE));
  ASSERT_THAT(pipeline,
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("does not export zerorl_reward_score (see reward/plugin_abi.h)")));
}

TEST_F(LibraryPluginTest, MissingLibraryIsRefusedAtCreate) {
  auto pipeline = Create(PluginFunction("/nonexistent/libnothing.so"));
  ASSERT_THAT(
      pipeline,
      StatusIs(
          absl::StatusCode::kFailedPrecondition,
          "reward.functions[0].library: plugin \"/nonexistent/libnothing.so\": dlopen: "
          "/nonexistent/libnothing.so: cannot open shared object file: No such file or directory"));
}

TEST_F(LibraryPluginTest, HostThatCannotRunIsRefusedAtCreate) {
  RewardPipelineOptions options = TestOptions();
  options.plugin_host = {"/nonexistent/zerorl-host"};
  auto pipeline = RewardPipeline::Create(
      reward_testing::RewardSection(PluginFunction(ZERORL_TEST_PLUGIN_ANSWER_MATCH)), options);
  ASSERT_THAT(pipeline,
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("cannot run the plugin host \"/nonexistent/zerorl-host\": No such "
                                 "file or directory")));
  options.plugin_host.clear();
  pipeline = RewardPipeline::Create(
      reward_testing::RewardSection(PluginFunction(ZERORL_TEST_PLUGIN_ANSWER_MATCH)), options);
  ASSERT_THAT(pipeline, StatusIs(absl::StatusCode::kFailedPrecondition,
                                 "reward.functions[0]: this program cannot host plugins (no plugin "
                                 "host command was given)"));
}

TEST_F(LibraryPluginTest, CrashMarksThatSampleAndTheNextOneGetsAFreshHost) {
  auto pipeline = RewardPipeline::Create(
      reward_testing::RewardSection(R"([{"name": "math_accuracy"}, {"name": "plugin", "label": "mine", "library": ")" +
                                    std::string(ZERORL_TEST_PLUGIN_CRASH) + "\"}]"),
      TestOptions());
  ASSERT_THAT(pipeline, IsOk());
  BatchRewards r = ScoreTexts(**pipeline, {"<answer>42</answer>", "crash 42", "<answer>42</answer>"});
  EXPECT_EQ(r.samples[0].scores[1].value, 0.5);
  const wire::FunctionScore& crashed = r.samples[1].scores[1];
  EXPECT_EQ(crashed.mark, wire::ScoreMark::kError);
  EXPECT_EQ(crashed.detail,
            "plugin crashed: its host killed by signal 11 (Segmentation fault); restarted");
  EXPECT_EQ(r.samples[1].scores[0].value, 1.0);  // the other functions still score it
  EXPECT_TRUE(std::isnan(r.samples[1].total));   // ...but it is no silent zero
  EXPECT_EQ(r.samples[2].scores[1].mark, wire::ScoreMark::kOk);
  EXPECT_DOUBLE_EQ(r.samples[2].total, 1.5);
  EXPECT_EQ(r.functions[1].errors, 1);
  auto c = (*pipeline)->Counters();
  EXPECT_EQ(c["reward/mine/crashes"], 1);
  EXPECT_EQ(c["reward/mine/restarts"], 1);
  EXPECT_EQ(c["reward/mine/errors"], 1);
}

TEST_F(LibraryPluginTest, PluginThatAlwaysCrashesCostsThreeRestartsPerBatch) {
  auto pipeline = Create(PluginFunction(ZERORL_TEST_PLUGIN_CRASH));
  ASSERT_THAT(pipeline, IsOk());
  BatchRewards r = ScoreTexts(**pipeline, {"crash", "crash", "crash", "crash", "crash"});
  for (int i = 0; i < 3; ++i) EXPECT_THAT(r.samples[i].scores[0].detail, StartsWith("plugin crashed"));
  for (int i = 3; i < 5; ++i) {
    EXPECT_EQ(r.samples[i].scores[0].mark, wire::ScoreMark::kError);
    EXPECT_THAT(r.samples[i].scores[0].detail,
                StartsWith("not scored: the plugin failed 3 times in a row in this batch (last: "
                           "plugin crashed"));
  }
  auto c = (*pipeline)->Counters();
  EXPECT_EQ(c["reward/mine/crashes"], 3);
  EXPECT_EQ(c["reward/mine/skipped"], 2);
  EXPECT_EQ(c["reward/mine/errors"], 5);
  // The next batch tries again.
  EXPECT_EQ(ScoreTexts(**pipeline, {"fine"}).samples[0].scores[0].value, 0.5);
}

TEST_F(LibraryPluginTest, HangIsTimedOutKilledAndRestarted) {
  auto pipeline = Create(PluginFunction(ZERORL_TEST_PLUGIN_HANG, R"("timeout_ms": 300)"));
  ASSERT_THAT(pipeline, IsOk());
  BatchRewards r = ScoreTexts(**pipeline, {"fine", "hang", "fine"});
  EXPECT_EQ(r.samples[0].scores[0].value, 0.25);
  EXPECT_EQ(r.samples[1].scores[0].mark, wire::ScoreMark::kError);
  EXPECT_EQ(r.samples[1].scores[0].detail,
            "plugin timed out after 300 ms; its host was killed and is restarted");
  EXPECT_EQ(r.samples[2].scores[0].value, 0.25);
  auto c = (*pipeline)->Counters();
  EXPECT_EQ(c["reward/mine/timeouts"], 1);
  EXPECT_EQ(c["reward/mine/restarts"], 1);
}

TEST_F(LibraryPluginTest, GarbageIsAnErrorNeverAScore) {
  auto pipeline = Create(PluginFunction(ZERORL_TEST_PLUGIN_GARBAGE));
  ASSERT_THAT(pipeline, IsOk());
  BatchRewards r = ScoreTexts(**pipeline, {"status", "fine", "nan", "fine", "detail", "fine"});
  EXPECT_EQ(r.samples[0].scores[0].detail, "plugin broke the ABI contract: unknown status 7; restarted");
  EXPECT_EQ(r.samples[2].scores[0].detail, "plugin broke the ABI contract: non-finite score nan; restarted");
  EXPECT_EQ(r.samples[4].scores[0].detail,
            "plugin broke the ABI contract: detail is not NUL-terminated; restarted");
  for (int i : {0, 2, 4}) EXPECT_EQ(r.samples[i].scores[0].mark, wire::ScoreMark::kError);
  for (int i : {1, 3, 5}) EXPECT_EQ(r.samples[i].scores[0].value, 1.0);
  auto c = (*pipeline)->Counters();
  EXPECT_EQ(c["reward/mine/garbage"], 3);
  EXPECT_EQ(c["reward/mine/restarts"], 3);
}

}  // namespace
}  // namespace zerorl::reward
