#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/test_support.h"

namespace zerorl::cli {
namespace {

using ::testing::HasSubstr;
using testing::RunCommand;
using testing::ZerorlBinary;

TEST(CliTest, HelpListsTheCommands) {
  auto r = RunCommand({ZerorlBinary(), "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, HasSubstr("config"));
}

TEST(CliTest, NoCommandIsBadUsage) {
  EXPECT_EQ(RunCommand({ZerorlBinary()}).exit_code, 2);
  EXPECT_EQ(RunCommand({ZerorlBinary(), "no-such-command"}).exit_code, 2);
}

TEST(CliTest, ConfigCheckReportsAllThreeMistakes) {
  testing::TempDir dir;
  std::string path = dir.WriteFile("bad.json", R"({
  "run": {"steps": -5},
  "rollout": {"sampling": {"temprature": 0.7}},
  "learner": {"optimizer": {"lr": "fast"}}
})");
  auto r = RunCommand({ZerorlBinary(), "config", "check", path});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr(path + ":2: run.steps: must be >= 0, got -5"));
  EXPECT_THAT(r.err, HasSubstr(path + ":3: rollout.sampling.temprature: unknown key"));
  EXPECT_THAT(r.err, HasSubstr(path + ":4: learner.optimizer.lr: must be a number, got a string"));
}

TEST(CliTest, ConfigCheckAcceptsAGoodFileAndSetOverrides) {
  testing::TempDir dir;
  std::string path = dir.WriteFile("ok.json", "{\"run\": {\"steps\": 5}}");
  auto r = RunCommand({ZerorlBinary(), "config", "check", path, "--set", "run.steps=6"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto bad = RunCommand({ZerorlBinary(), "config", "check", path, "--set", "run.steps"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("expected KEY=VALUE"));
}

TEST(CliTest, ConfigShowPrintsTheResolvedConfig) {
  testing::TempDir dir;
  std::string base = dir.WriteFile("base.json", "{\"run\": {\"steps\": 5, \"name\": \"a\"}}");
  std::string top = dir.WriteFile("top.json", "{\"run\": {\"steps\": 9}}");
  auto r = RunCommand({ZerorlBinary(), "config", "show", "--config", base, "--config", top,
                       "--set", "rollout.sampling.n=2"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\"steps\": 9"));
  EXPECT_THAT(r.out, HasSubstr("\"name\": \"a\""));
  EXPECT_THAT(r.out, HasSubstr("\"n\": 2"));
  EXPECT_THAT(r.out, HasSubstr("\"epsilon_high\": 0.28"));
}

TEST(CliTest, MissingConfigFileIsNamed) {
  auto r = RunCommand({ZerorlBinary(), "config", "check", "/nonexistent/x.json"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("/nonexistent/x.json"));
}

}  // namespace
}  // namespace zerorl::cli
