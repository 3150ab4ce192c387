// `zerorl train` end to end (issue 9): a sync run, a killed worker, a hung worker, a rogue
// peer, a controller killed and resumed, async mode's staleness bound, Ctrl-C during the
// cold start, and the threads a run computes on. Every test runs the real binary on a tiny
// model made from model.init, with 3-digit addition.
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "core/cpu_features.h"
#include "core/json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/test_support.h"
#include "wire/transport.h"

namespace zerorl::train {
namespace {

using testing::BackgroundProcess;
using testing::TempDir;
using testing::ZerorlBinary;

std::vector<rapidjson::Document> ReadJsonLines(const std::string& path) {
  std::vector<rapidjson::Document> rows;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    absl::StatusOr<rapidjson::Document> doc = core::ParseJson(line);
    if (doc.ok()) rows.push_back(*std::move(doc));
  }
  return rows;
}

std::vector<const rapidjson::Document*> GrpoRows(const std::vector<rapidjson::Document>& rows) {
  std::vector<const rapidjson::Document*> out;
  for (const auto& r : rows) {
    if (r.HasMember("phase") && std::string(r["phase"].GetString()) == "grpo") out.push_back(&r);
  }
  return out;
}

class TrainTest : public ::testing::Test {
 protected:
  std::vector<std::string> TrainArgs(std::vector<std::string> sets) {
    std::vector<std::string> argv = {ZerorlBinary(), "train", dir_.WriteFile("config.json", testing::kTinyTrainConfig),
                                     "--quiet", "--set", "run.output_dir=" + dir_.Path("runs")};
    for (const std::string& s : sets) {
      argv.push_back("--set");
      argv.push_back(s);
    }
    return argv;
  }
  std::string RunDir() { return dir_.Path("runs/t"); }
  std::string Log() { return dir_.Path("train.log"); }
  std::string LogText() { return core::ReadFile(Log()).value_or(""); }

  // Every batch trained exactly once, steps 1..steps each trained.
  void ExpectLedgerExactlyOnce(int steps) {
    std::map<uint64_t, int> trained;
    std::set<int64_t> trained_steps;
    for (const auto& row : ReadJsonLines(RunDir() + "/ledger.jsonl")) {
      if (std::string(row["event"].GetString()) != "trained") continue;
      ++trained[row["batch"].GetUint64()];
      trained_steps.insert(row["step"].GetInt64());
    }
    EXPECT_FALSE(trained.empty());
    for (const auto& [batch, count] : trained) EXPECT_EQ(count, 1) << "batch " << batch;
    EXPECT_EQ(trained_steps.size(), static_cast<size_t>(steps));
  }

  TempDir dir_;
};

TEST_F(TrainTest, SyncRunWritesEverythingARunPromises) {
  BackgroundProcess train(TrainArgs({}), Log());
  std::optional<int> code = train.Wait(300000);
  ASSERT_TRUE(code.has_value()) << LogText();
  ASSERT_EQ(*code, 0) << LogText();
  std::vector<rapidjson::Document> metrics = ReadJsonLines(RunDir() + "/metrics.jsonl");
  std::vector<const rapidjson::Document*> steps = GrpoRows(metrics);
  ASSERT_EQ(steps.size(), 4u) << LogText();
  for (const char* key : {"reward/mean", "reward/math_accuracy/mean", "completions/mean_length",
                          "loss", "grad_norm", "lr", "timing/generate_s", "timing/learner_s",
                          "timing/weight_sync_s", "throughput/tokens_per_s", "policy_version"}) {
    EXPECT_TRUE(steps.back()->HasMember(key)) << key;
  }
  EXPECT_EQ((*steps.back())["policy_version"].GetInt64(), 4);
  EXPECT_TRUE((*steps[1]).HasMember("eval/held_out/pass@1"));
  rapidjson::Document summary =
      core::ParseJson(core::ReadFile(RunDir() + "/summary.json").value()).value();
  EXPECT_TRUE(summary.HasMember("eval_before"));
  EXPECT_TRUE(summary.HasMember("eval_after"));
  EXPECT_EQ(summary["steps"].GetInt64(), 4);
  EXPECT_TRUE(summary["grpo_wall_s"].GetDouble() > 0);
  std::vector<rapidjson::Document> samples = ReadJsonLines(RunDir() + "/samples.jsonl");
  ASSERT_FALSE(samples.empty());
  const rapidjson::Document& s = samples.front();
  for (const char* key : {"schema", "step", "prompt", "completion", "rewards", "policy_version"}) {
    EXPECT_TRUE(s.HasMember(key)) << key;
  }
  EXPECT_TRUE(core::ReadFile(RunDir() + "/checkpoints/step-4/model.safetensors").ok());
  EXPECT_TRUE(core::ReadFile(RunDir() + "/checkpoints/step-4/tokenizer.json").ok());
  EXPECT_TRUE(core::ReadFile(RunDir() + "/config.json").ok());
  ExpectLedgerExactlyOnce(4);
}

TEST_F(TrainTest, KilledWorkersAreReplacedAndNothingIsTrainedTwice) {
  BackgroundProcess train(TrainArgs({"run.steps=6"}), Log());
  std::string metrics = RunDir() + "/metrics.jsonl";
  ASSERT_TRUE(testing::WaitUntil([&] { return GrpoRows(ReadJsonLines(metrics)).size() >= 1; },
                                 240000))
      << LogText();
  std::vector<int> rollout = testing::ChildPids(train.pid(), "rollout");
  ASSERT_EQ(rollout.size(), 1u);
  ::kill(rollout[0], SIGKILL);
  ASSERT_TRUE(testing::WaitUntil([&] { return GrpoRows(ReadJsonLines(metrics)).size() >= 3; },
                                 240000))
      << LogText();
  std::vector<int> reward = testing::ChildPids(train.pid(), "reward");
  ASSERT_EQ(reward.size(), 1u);
  ::kill(reward[0], SIGKILL);
  std::optional<int> code = train.Wait(300000);
  ASSERT_TRUE(code.has_value()) << LogText();
  ASSERT_EQ(*code, 0) << LogText();
  EXPECT_EQ(GrpoRows(ReadJsonLines(metrics)).size(), 6u);
  ExpectLedgerExactlyOnce(6);
  rapidjson::Document summary =
      core::ParseJson(core::ReadFile(RunDir() + "/summary.json").value()).value();
  EXPECT_GE(summary["worker_restarts"].GetInt64(), 2);
}

TEST_F(TrainTest, HungWorkerIsTimedOutAndItsWorkRedone) {
  BackgroundProcess train(TrainArgs({"run.steps=5", "rollout.workers=2"}), Log());
  std::string metrics = RunDir() + "/metrics.jsonl";
  ASSERT_TRUE(testing::WaitUntil([&] { return GrpoRows(ReadJsonLines(metrics)).size() >= 1; },
                                 240000))
      << LogText();
  std::vector<int> rollout = testing::ChildPids(train.pid(), "rollout");
  ASSERT_EQ(rollout.size(), 2u);
  ::kill(rollout[0], SIGSTOP);
  std::optional<int> code = train.Wait(300000);
  ::kill(rollout[0], SIGKILL);
  ASSERT_TRUE(code.has_value()) << LogText();
  ASSERT_EQ(*code, 0) << LogText();
  EXPECT_EQ(GrpoRows(ReadJsonLines(metrics)).size(), 5u);
  ExpectLedgerExactlyOnce(5);
}

TEST_F(TrainTest, RoguePeerSendingGarbageDoesNotDisturbTheRun) {
  BackgroundProcess train(TrainArgs({"run.steps=3"}), Log());
  std::string socket = RunDir() + "/controller.sock";
  ASSERT_TRUE(
      testing::WaitUntil([&] { return core::ReadFile(RunDir() + "/config.json").ok(); }, 60000));
  zmq::context_t context;
  auto rogue = wire::MakeDealerSocket(context, "rogue");
  ASSERT_TRUE(rogue.ok());
  ASSERT_TRUE(wire::Connect(*rogue, "ipc://" + socket).ok());
  for (int i = 0; i < 50; ++i) {
    (void)wire::SendFrames(*rogue,
                           {wire::Frame::FromString("{\"protocol\": 1, \"type\": \"Rollouts\"}"),
                            wire::Frame::FromString(std::string(64, '\x7f'))});
    (void)wire::SendFrames(*rogue, {wire::Frame::FromString(std::string(1 + i, '\0'))});
    ::usleep(100000);
  }
  std::optional<int> code = train.Wait(300000);
  ASSERT_TRUE(code.has_value()) << LogText();
  ASSERT_EQ(*code, 0) << LogText();
  EXPECT_EQ(GrpoRows(ReadJsonLines(RunDir() + "/metrics.jsonl")).size(), 3u);
  EXPECT_THAT(LogText(), ::testing::HasSubstr("refused a message from rogue"));
}

TEST_F(TrainTest, ControllerKilledAndResumedWorkersReconnect) {
  int port = 20000 + (::getpid() % 20000);
  std::string endpoint = "tcp://127.0.0.1:" + std::to_string(port);
  std::vector<std::string> sets = {"run.steps=5", "cluster.spawn=false",
                                   "cluster.endpoint=" + endpoint};
  auto first = std::make_unique<BackgroundProcess>(TrainArgs(sets), Log());
  std::string run_config = RunDir() + "/config.json";
  ASSERT_TRUE(testing::WaitUntil([&] { return core::ReadFile(run_config).ok(); }, 60000))
      << LogText();
  BackgroundProcess rollout({ZerorlBinary(), "rollout", "--connect", endpoint, "--config",
                             run_config, "--id", "rollout-a"},
                            dir_.Path("rollout.log"));
  BackgroundProcess reward({ZerorlBinary(), "reward", "--connect", endpoint, "--config",
                            run_config, "--id", "reward-a"},
                           dir_.Path("reward.log"));
  std::string metrics = RunDir() + "/metrics.jsonl";
  ASSERT_TRUE(testing::WaitUntil([&] { return GrpoRows(ReadJsonLines(metrics)).size() >= 2; },
                                 240000))
      << LogText();
  first->Signal(SIGKILL);
  first->Wait(10000);
  first.reset();
  std::vector<std::string> resume = TrainArgs(sets);
  resume.push_back("--resume");
  BackgroundProcess second(resume, Log());
  std::optional<int> code = second.Wait(300000);
  ASSERT_TRUE(code.has_value()) << LogText();
  ASSERT_EQ(*code, 0) << LogText() << core::ReadFile(dir_.Path("rollout.log")).value_or("");
  std::set<int64_t> steps;
  std::vector<rapidjson::Document> rows = ReadJsonLines(metrics);  // GrpoRows points into it
  for (const auto* row : GrpoRows(rows)) steps.insert((*row)["step"].GetInt64());
  EXPECT_EQ(steps, (std::set<int64_t>{1, 2, 3, 4, 5}));
  EXPECT_THAT(core::ReadFile(dir_.Path("rollout.log")).value_or(""),
              ::testing::HasSubstr("reconnecting"));
}

TEST_F(TrainTest, AsyncModeNeverTrainsOnSamplesMoreThanOneVersionOld) {
  BackgroundProcess train(TrainArgs({"run.steps=5", "run.mode=async", "run.max_staleness=1"}),
                          Log());
  std::optional<int> code = train.Wait(300000);
  ASSERT_TRUE(code.has_value()) << LogText();
  ASSERT_EQ(*code, 0) << LogText();
  std::vector<rapidjson::Document> rows = ReadJsonLines(RunDir() + "/metrics.jsonl");
  std::vector<const rapidjson::Document*> steps = GrpoRows(rows);
  ASSERT_EQ(steps.size(), 5u);
  int64_t lagged = 0;
  for (const auto* row : steps) {
    ASSERT_TRUE(row->HasMember("async/policy_lag_max"));
    EXPECT_LE((*row)["async/policy_lag_max"].GetInt64(), 1);
    lagged += (*row)["async/policy_lag_max"].GetInt64();
  }
  EXPECT_GT(lagged, 0);  // async really overlapped: some samples came from the previous version
  for (const auto& s : ReadJsonLines(RunDir() + "/samples.jsonl")) {
    if (std::string(s["split"].GetString()) != "train") continue;
    EXPECT_LE(s["step"].GetInt64() - s["policy_version"].GetInt64(), 2);
  }
}

// The embedded quickstart (`zerorl train` with no config), shortened to a few steps: the
// pipeline, not the learning (README.md has the full run's numbers).
TEST_F(TrainTest, QuickstartRunsShortened) {
  BackgroundProcess train({ZerorlBinary(), "train", "--quiet", "--set",
                           "run.output_dir=" + dir_.Path("runs"), "--set", "run.steps=2",
                           "--set", "run.cold_start_sft_steps=3", "--set", "run.eval_every=0"},
                          Log());
  std::optional<int> code = train.Wait(300000);
  ASSERT_TRUE(code.has_value()) << LogText();
  ASSERT_EQ(*code, 0) << LogText();
  absl::StatusOr<std::string> summary_text =
      core::ReadFile(dir_.Path("runs/quickstart/summary.json"));
  ASSERT_TRUE(summary_text.ok()) << LogText();
  absl::StatusOr<rapidjson::Document> summary = core::ParseJson(*summary_text);
  ASSERT_TRUE(summary.ok());
  EXPECT_EQ((*summary)["steps"].GetInt64(), 2);
  EXPECT_TRUE((*summary)["eval_before"].IsNumber());
  EXPECT_TRUE((*summary)["eval_after"].IsNumber());
  std::vector<rapidjson::Document> rows = ReadJsonLines(dir_.Path("runs/quickstart/metrics.jsonl"));
  EXPECT_EQ(GrpoRows(rows).size(), 2u);
  // Every SFT and GRPO step row has its wall time (the dashboard's time axis), in order.
  double last_time = 0;
  int timed = 0;
  for (const rapidjson::Document& row : rows) {
    std::string phase = row.HasMember("phase") ? row["phase"].GetString() : "";
    if (phase != "sft" && phase != "grpo") continue;
    ASSERT_TRUE(row.HasMember("time") && row["time"].IsNumber()) << phase << " row without time";
    EXPECT_GE(row["time"].GetDouble(), last_time);
    last_time = row["time"].GetDouble();
    ++timed;
  }
  EXPECT_EQ(timed, 3 + 2);
}

// run.eval_samples > 1: pass@1 is the mean correctness of the samples, pass@k follows for
// k = 2, 4, and each eval row counts problems, not samples.
TEST_F(TrainTest, SampledEvaluationReportsPassAtK) {
  BackgroundProcess train(TrainArgs({"run.steps=1", "run.eval_samples=4",
                                     "run.eval_temperature=1.0"}),
                          Log());
  std::optional<int> code = train.Wait(300000);
  ASSERT_TRUE(code.has_value()) << LogText();
  ASSERT_EQ(*code, 0) << LogText();
  int eval_rows = 0;
  for (const rapidjson::Document& row : ReadJsonLines(RunDir() + "/metrics.jsonl")) {
    if (!row.HasMember("eval/held_out/pass@1")) continue;
    ++eval_rows;
    ASSERT_TRUE(row.HasMember("eval/held_out/pass@2") && row.HasMember("eval/held_out/pass@4"))
        << LogText();
    double p1 = row["eval/held_out/pass@1"].GetDouble();
    double p2 = row["eval/held_out/pass@2"].GetDouble();
    double p4 = row["eval/held_out/pass@4"].GetDouble();
    EXPECT_LE(p1, p2);
    EXPECT_LE(p2, p4);
    EXPECT_GE(p1, 0.0);
    EXPECT_LE(p4, 1.0);
    EXPECT_EQ(row["eval/held_out/problems"].GetInt64(), 6);  // problems, not 6 x 4 samples
  }
  EXPECT_EQ(eval_rows, 2);  // before and after the one step
}

// A worker binary that cannot start (here: exits at once) ends the run with an error that
// names the worker and its log, after a few restarts, not after the 5-minute wait.
// Ctrl-C during the cold start stops after the current SFT step with a checkpoint (not after
// the whole cold start and a GRPO step), and --resume carries the cold start on from there:
// every SFT step exactly once, then GRPO. The Ctrl-C reaches every process of the run, as a
// terminal sends it to its foreground process group: no worker may die of it.
TEST_F(TrainTest, InterruptDuringColdStartCheckpointsAndResumeContinuesIt) {
  constexpr int kSftSteps = 2000;  // tiny steps: long enough to stop in the middle
  std::vector<std::string> args = TrainArgs(
      {"run.cold_start_sft_steps=" + std::to_string(kSftSteps), "run.steps=1", "run.eval_every=0"});
  const std::string run_dir = RunDir();
  auto sft_steps = [&] {
    std::vector<int64_t> steps;
    for (const auto& row : ReadJsonLines(run_dir + "/metrics.jsonl")) {
      if (row.HasMember("sft_step")) steps.push_back(row["sft_step"].GetInt64());
    }
    return steps;
  };
  BackgroundProcess first(args, Log());
  ASSERT_TRUE(testing::WaitUntil([&] { return sft_steps().size() >= 5; }, 120000)) << LogText();
  for (int pid : testing::ChildPids(first.pid(), "")) ::kill(pid, SIGINT);
  first.Signal(SIGINT);
  std::optional<int> code = first.Wait(60000);
  ASSERT_TRUE(code.has_value()) << "still running a minute after Ctrl-C: " << LogText();
  ASSERT_EQ(*code, 0) << LogText();
  const size_t stopped_at = sft_steps().size();
  ASSERT_LT(stopped_at, static_cast<size_t>(kSftSteps)) << "the cold start ran to its end";
  rapidjson::Document summary =
      core::ParseJson(core::ReadFile(run_dir + "/summary.json").value()).value();
  EXPECT_TRUE(summary["interrupted"].GetBool());
  EXPECT_EQ(summary["steps"].GetInt64(), 0);
  EXPECT_EQ(summary["worker_restarts"].GetInt64(), 0) << LogText();
  EXPECT_EQ(summary["workers_lost"].GetInt64(), 0) << LogText();
  const std::string checkpoint =
      run_dir + "/checkpoints/cold-start/step-" + std::to_string(stopped_at);
  ASSERT_TRUE(core::ReadFile(checkpoint + "/trainer_state.json").ok()) << LogText();

  args.push_back("--resume");
  BackgroundProcess second(args, dir_.Path("resume.log"));
  code = second.Wait(300000);
  std::string resume_log = core::ReadFile(dir_.Path("resume.log")).value_or("");
  ASSERT_TRUE(code.has_value()) << resume_log;
  ASSERT_EQ(*code, 0) << resume_log;
  EXPECT_THAT(resume_log,
              ::testing::HasSubstr("continuing the cold start after SFT step " +
                                   std::to_string(stopped_at) + " of " + std::to_string(kSftSteps)));
  std::vector<int64_t> steps = sft_steps();
  std::vector<int64_t> expected(kSftSteps);
  for (int64_t i = 0; i < kSftSteps; ++i) expected[i] = i + 1;
  EXPECT_EQ(steps, expected) << "every SFT step exactly once, in order";
  std::vector<rapidjson::Document> rows = ReadJsonLines(run_dir + "/metrics.jsonl");
  EXPECT_EQ(GrpoRows(rows).size(), 1u);
}

// A run's processes compute on every CPU they may use (a 2-CPU machine whose LibTorch
// guessed one thread computed everything on one): the learner and the rollout worker each
// set and report their intra-op threads.
TEST_F(TrainTest, LearnerAndRolloutWorkerUseEveryUsableCpu) {
  const int cpus = core::UsableCpus();
  if (cpus < 2) GTEST_SKIP() << "this process may use " << cpus << " CPU; the test needs 2";
  // The tiny config pins one thread; 0 is the default: every usable CPU.
  BackgroundProcess train(TrainArgs({"run.steps=1", "model.threads=0"}), Log());
  std::optional<int> code = train.Wait(300000);
  ASSERT_TRUE(code.has_value()) << LogText();
  ASSERT_EQ(*code, 0) << LogText();
  rapidjson::Document summary =
      core::ParseJson(core::ReadFile(RunDir() + "/summary.json").value()).value();
  ASSERT_TRUE(summary.HasMember("machine")) << LogText();
  const rapidjson::Value& machine = summary["machine"];
  EXPECT_EQ(machine["usable_cpus"].GetInt64(), cpus);
  EXPECT_EQ(machine["intra_op_threads"].GetInt64(), cpus);
  EXPECT_EQ(std::string(machine["cpu"].GetString()), core::HostCpu().Describe());
  EXPECT_THAT(std::string(machine["precision"].GetString()), ::testing::HasSubstr(" -> model "));
  std::string rollout_log = core::ReadFile(RunDir() + "/logs/rollout-0.log").value_or("");
  EXPECT_THAT(rollout_log, ::testing::HasSubstr("intra-op threads " + std::to_string(cpus) +
                                                " of " + std::to_string(cpus) + " usable CPUs"));
}

TEST_F(TrainTest, WorkersThatNeverStartFailTheRunFast) {
  std::vector<std::string> args = TrainArgs({});
  args.push_back("--worker-binary");
  args.push_back("/bin/false");
  BackgroundProcess train(args, Log());
  std::optional<int> code = train.Wait(90000);
  ASSERT_TRUE(code.has_value()) << LogText();
  EXPECT_EQ(*code, 1) << LogText();
  EXPECT_THAT(LogText(), ::testing::HasSubstr("exited 3 times without connecting to the "
                                              "controller; its log: "));
}

}  // namespace
}  // namespace zerorl::train
