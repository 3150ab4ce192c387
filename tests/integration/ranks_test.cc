// `zerorl train` with two learner ranks (issue 17), the real binary end to end: a run on one
// machine with its ranks spawned, a rank killed or hung mid-run and --resume, bad `zerorl
// learner` input, and two "machines" (network namespaces joined by a veth pair) with rank 0
// and the controller on one, rank 1 and a rollout worker on the other.
#include <signal.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "core/json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/test_support.h"

namespace zerorl::train {
namespace {

using ::testing::HasSubstr;
using testing::BackgroundProcess;
using testing::TempDir;
using testing::ZerorlBinary;

std::vector<rapidjson::Document> ReadJsonLines(const std::string& path) {
  std::vector<rapidjson::Document> rows;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    absl::StatusOr<rapidjson::Document> doc = core::ParseJson(line);
    if (!line.empty() && doc.ok()) rows.push_back(*std::move(doc));
  }
  return rows;
}

// The "grpo" rows of metrics.jsonl by step (a resumed run appends; the last row of a step wins).
std::map<int64_t, rapidjson::Document> GrpoSteps(const std::string& path) {
  std::map<int64_t, rapidjson::Document> steps;
  for (rapidjson::Document& row : ReadJsonLines(path)) {
    if (row.HasMember("phase") && std::string(row["phase"].GetString()) == "grpo") {
      const int64_t step = row["step"].GetInt64();
      steps[step] = std::move(row);
    }
  }
  return steps;
}

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t length = sizeof(address);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

class LearnerRanksTest : public ::testing::Test {
 protected:
  std::vector<std::string> TrainArgs(std::vector<std::string> sets) {
    std::vector<std::string> argv = {ZerorlBinary(), "train",
                                     dir_.WriteFile("config.json", testing::kTinyTrainConfig),
                                     "--quiet", "--set", "run.output_dir=" + dir_.Path("runs"),
                                     "--set", "cluster.learner_ranks=2"};
    for (const std::string& s : sets) {
      argv.push_back("--set");
      argv.push_back(s);
    }
    return argv;
  }
  std::string RunDir() { return dir_.Path("runs/t"); }
  std::string Log() { return dir_.Path("train.log"); }
  std::string LogText() {
    return core::ReadFile(Log()).value_or("") + "\n--- rank 1 ---\n" +
           core::ReadFile(RunDir() + "/logs/learner-rank-1.log").value_or("");
  }
  TempDir dir_;
};

TEST_F(LearnerRanksTest, TwoRanksWithShardedOptimizerTrainTheTinyRun) {
  BackgroundProcess train(TrainArgs({"learner.shard_optimizer=true"}), Log());
  std::optional<int> code = train.Wait(300000);
  ASSERT_TRUE(code.has_value()) << LogText();
  ASSERT_EQ(*code, 0) << LogText();
  std::map<int64_t, rapidjson::Document> steps = GrpoSteps(RunDir() + "/metrics.jsonl");
  ASSERT_EQ(steps.size(), 4u) << LogText();
  for (const auto& [step, row] : steps) {
    EXPECT_EQ(row["learner/ranks"].GetDouble(), 2) << step;
    EXPECT_TRUE(row.HasMember("timing/allreduce_s")) << step;
    EXPECT_TRUE(row.HasMember("learner/token_imbalance")) << step;
    EXPECT_LT(row["learner/token_imbalance"].GetDouble(), 0.5) << step;
  }
  const std::string last = RunDir() + "/checkpoints/step-4";
  EXPECT_TRUE(std::filesystem::exists(last + "/model.safetensors"));
  EXPECT_TRUE(std::filesystem::exists(last + "/optimizer.rank-0-of-2.safetensors"));
  EXPECT_TRUE(std::filesystem::exists(last + "/optimizer.rank-1-of-2.safetensors"));
  rapidjson::Document state =
      core::ParseJson(core::ReadFile(last + "/trainer_state.json").value()).value();
  EXPECT_EQ(state["world_size"].GetInt64(), 2);
  EXPECT_EQ(state["optimizer_shards"].GetInt64(), 2);
  rapidjson::Document summary =
      core::ParseJson(core::ReadFile(RunDir() + "/summary.json").value()).value();
  EXPECT_EQ(summary["machine"]["learner_ranks"].GetInt64(), 2);
  EXPECT_THAT(LogText(), HasSubstr("learner rank 1/2 memory: parameters"));
  EXPECT_THAT(LogText(), HasSubstr("rank 0 ended the run"));
}

// A rank killed mid-run ends the run within the collective timeout with an error naming the
// rank and the step; the last checkpoint is intact and --resume (on one rank: the optimizer
// state is re-sharded) finishes the run.
TEST_F(LearnerRanksTest, KilledRankStopsTheRunNamingItAndResumeFinishes) {
  std::vector<std::string> args =
      TrainArgs({"run.steps=6", "learner.shard_optimizer=true", "learner.collective_timeout_s=30"});
  BackgroundProcess train(args, Log());
  const std::string metrics = RunDir() + "/metrics.jsonl";
  ASSERT_TRUE(testing::WaitUntil([&] { return GrpoSteps(metrics).size() >= 2; }, 240000))
      << LogText();
  std::vector<int> rank = testing::ChildPids(train.pid(), "learner");
  ASSERT_EQ(rank.size(), 1u);
  ::kill(rank[0], SIGKILL);
  std::optional<int> code = train.Wait(60000);
  ASSERT_TRUE(code.has_value()) << "rank 0 still running a minute after rank 1 died: " << LogText();
  EXPECT_EQ(*code, 1) << LogText();
  // Killed during a step, or while its optimizer shard was being saved.
  EXPECT_THAT(LogText(), ::testing::ContainsRegex("(GRPO step|checkpoint of step) [0-9]+: "
                                                  "learner rank 1 \\(pid " +
                                                  std::to_string(rank[0])));
  EXPECT_THAT(LogText(), HasSubstr("has exited"));
  const size_t done = GrpoSteps(metrics).size();
  EXPECT_LT(done, 6u);

  args.push_back("--resume");
  args.push_back("--set");
  args.push_back("cluster.learner_ranks=1");
  BackgroundProcess resumed(args, dir_.Path("resume.log"));
  code = resumed.Wait(300000);
  const std::string resume_log = core::ReadFile(dir_.Path("resume.log")).value_or("");
  ASSERT_TRUE(code.has_value()) << resume_log;
  ASSERT_EQ(*code, 0) << resume_log;
  EXPECT_THAT(resume_log, HasSubstr("was written by 2 learner ranks; continuing on 1 with the "
                                    "optimizer state re-sharded"));
  EXPECT_EQ(GrpoSteps(metrics).size(), 6u);
}

// A rank that hangs (stopped) is found by the collective timeout, not waited for forever.
TEST_F(LearnerRanksTest, HungRankTimesOutNamingIt) {
  BackgroundProcess train(TrainArgs({"run.steps=20", "learner.collective_timeout_s=5"}), Log());
  const std::string metrics = RunDir() + "/metrics.jsonl";
  ASSERT_TRUE(testing::WaitUntil([&] { return GrpoSteps(metrics).size() >= 1; }, 240000))
      << LogText();
  std::vector<int> rank = testing::ChildPids(train.pid(), "learner");
  ASSERT_EQ(rank.size(), 1u);
  ::kill(rank[0], SIGSTOP);
  std::optional<int> code = train.Wait(60000);
  ::kill(rank[0], SIGKILL);
  ASSERT_TRUE(code.has_value()) << "rank 0 still running a minute after rank 1 hung: " << LogText();
  EXPECT_EQ(*code, 1) << LogText();
  EXPECT_THAT(LogText(), ::testing::ContainsRegex("(GRPO step|checkpoint of step) [0-9]+: "
                                                  "learner rank 1 \\(pid " +
                                                  std::to_string(rank[0])));
}

TEST_F(LearnerRanksTest, LearnerCommandNamesBadInput) {
  const std::string config = dir_.WriteFile(
      "ranks.json", "{\"cluster\": {\"learner_ranks\": 2}, \"model\": {\"path\": \"m\"}}");
  auto run = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {ZerorlBinary(), "learner"});
    return testing::RunCommand(args);
  };
  testing::CommandResult r = run({"--world-size", "2", "--master", "h:1", "--config", config});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--rank (or RANK) is required"));
  r = run({"--rank", "2", "--world-size", "2", "--master", "h:1", "--config", config});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--rank 2 is out of range for --world-size 2: zerorl learner "
                               "runs ranks 1..1 (rank 0 is `zerorl train`)"));
  r = run({"--rank", "1", "--world-size", "2", "--master", "nohost", "--config", config});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--master must be HOST:PORT, got \"nohost\""));
  r = run({"--rank", "1", "--world-size", "3", "--master", "h:1", "--config", config});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--world-size 3 does not match cluster.learner_ranks 2 in "));
  const int port = FreePort();
  r = run({"--rank", "1", "--world-size", "2", "--master", "127.0.0.1:" + std::to_string(port),
           "--connect-timeout", "1", "--config", config});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("cannot reach the learner master at 127.0.0.1:" +
                               std::to_string(port) + " (--master) within 1 s"));
}

// iproute2's `ip` (RunCommand wants a path), or "ip" when it is nowhere known.
std::string Ip() {
  for (const char* path : {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"}) {
    if (::access(path, X_OK) == 0) return path;
  }
  return "ip";
}

// Two "machines": network namespaces made here, joined by a veth pair (10.200.0.1/24 and
// 10.200.0.2/24). Rank 0 (`zerorl train`, the controller) and a reward worker in the first,
// rank 1 (`zerorl learner`) and a rollout worker in the second; the short quickstart runs to
// its summary.
class TwoMachinesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string id = std::to_string(::getpid() % 100000);
    ns_[0] = "zerorl-a-" + id;
    ns_[1] = "zerorl-b-" + id;
    const std::string va = "zra" + id, vb = "zrb" + id;
    const std::string ip = Ip();
    std::vector<std::vector<std::string>> steps = {
        {ip, "netns", "add", ns_[0]},
        {ip, "netns", "add", ns_[1]},
        {ip, "link", "add", va, "type", "veth", "peer", "name", vb},
        {ip, "link", "set", va, "netns", ns_[0]},
        {ip, "link", "set", vb, "netns", ns_[1]},
        {ip, "-n", ns_[0], "addr", "add", "10.200.0.1/24", "dev", va},
        {ip, "-n", ns_[1], "addr", "add", "10.200.0.2/24", "dev", vb},
        {ip, "-n", ns_[0], "link", "set", va, "up"},
        {ip, "-n", ns_[1], "link", "set", vb, "up"},
        {ip, "-n", ns_[0], "link", "set", "lo", "up"},
        {ip, "-n", ns_[1], "link", "set", "lo", "up"}};
    for (const auto& step : steps) {
      testing::CommandResult r = testing::RunCommand(step);
      if (r.exit_code != 0) {
        skip_ = "cannot make network namespaces here (`" + step[0] + " " + step[1] + " " +
                step[2] + " ...` said: " + r.err + ")";
        return;
      }
    }
  }
  void TearDown() override {
    for (const std::string& ns : ns_) testing::RunCommand({Ip(), "netns", "del", ns});
  }
  std::vector<std::string> In(int machine, std::vector<std::string> argv) {
    argv.insert(argv.begin(), {Ip(), "netns", "exec", ns_[machine]});
    return argv;
  }

  std::string ns_[2];
  std::string skip_;
  TempDir dir_;
};

TEST_F(TwoMachinesTest, RankOneAndARolloutWorkerOnAnotherMachine) {
  if (!skip_.empty()) GTEST_SKIP() << skip_;
  const std::string endpoint = "tcp://10.200.0.1:5555";
  const std::string run_dir = dir_.Path("runs/quickstart");
  const std::string config = run_dir + "/config.json";
  BackgroundProcess train(
      In(0, {ZerorlBinary(), "train", "--quiet", "--set", "run.output_dir=" + dir_.Path("runs"),
             "--set", "run.steps=2", "--set", "run.cold_start_sft_steps=3", "--set",
             "run.eval_every=0", "--set", "cluster.spawn=false", "--set",
             "cluster.endpoint=" + endpoint, "--set", "cluster.learner_ranks=2", "--set",
             "cluster.learner_master=10.200.0.1:29500"}),
      dir_.Path("train.log"));
  ASSERT_TRUE(testing::WaitUntil([&] { return std::filesystem::exists(config); }, 120000))
      << core::ReadFile(dir_.Path("train.log")).value_or("");
  BackgroundProcess rank1(In(1, {ZerorlBinary(), "learner", "--rank", "1", "--world-size", "2",
                                 "--master", "10.200.0.1:29500", "--config", config}),
                          dir_.Path("rank1.log"));
  BackgroundProcess rollout(
      In(1, {ZerorlBinary(), "rollout", "--connect", endpoint, "--config", config}),
      dir_.Path("rollout.log"));
  BackgroundProcess reward(
      In(0, {ZerorlBinary(), "reward", "--connect", endpoint, "--config", config}),
      dir_.Path("reward.log"));
  std::optional<int> code = train.Wait(300000);
  const std::string logs = core::ReadFile(dir_.Path("train.log")).value_or("") + "\n--- rank 1 ---\n" +
                           core::ReadFile(dir_.Path("rank1.log")).value_or("");
  ASSERT_TRUE(code.has_value()) << logs;
  ASSERT_EQ(*code, 0) << logs;
  rapidjson::Document summary =
      core::ParseJson(core::ReadFile(run_dir + "/summary.json").value()).value();
  EXPECT_EQ(summary["steps"].GetInt64(), 2);
  EXPECT_TRUE(summary["eval_after"].IsNumber());
  EXPECT_EQ(summary["machine"]["learner_ranks"].GetInt64(), 2);
  EXPECT_THAT(logs, HasSubstr("learner rank 1/2 joined 10.200.0.1:29500"));
  std::optional<int> rank1_code = rank1.Wait(30000);
  ASSERT_TRUE(rank1_code.has_value()) << logs;
  EXPECT_EQ(*rank1_code, 0) << logs;
}

}  // namespace
}  // namespace zerorl::train
