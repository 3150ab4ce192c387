// `zerorl reward` run as a user runs it: offline scoring (`reward score`), and the worker
// (`reward --connect`) as a child process driven by a ROUTER socket speaking the protocol.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/test_support.h"
#include "wire/transport.h"

extern char** environ;

namespace zerorl::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using testing::RunCommand;
using testing::ZerorlBinary;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t nl = text.find('\n'); nl != std::string::npos; nl = text.find('\n', start)) {
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

TEST(RewardCliTest, ScoreWritesOneLinePerLineAndNamesMalformedOnes) {
  std::string input =
      R"({"prompt": "2+2?", "completion": "<think>2+2</think> <answer>4</answer>", "answer": "4"})"
      "\n{\"prompt\": \"broken\n"
      R"({"prompt": "2+3?", "completion": "<answer>6</answer>", "answer": 5, "id": "q3"})"
      "\n";
  auto r = RunCommand({ZerorlBinary(), "reward", "score"}, input);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 3u) << r.out;
  EXPECT_THAT(lines[0], StartsWith(R"({"line":1,"total":1.1,"scores":{"math_accuracy":{"value":1.0,"mark":"ok")"));
  EXPECT_THAT(lines[1], StartsWith(R"({"line":2,"error":"line 2: )"));
  EXPECT_THAT(lines[2], StartsWith(R"({"line":3,"id":"q3","total":0.0,)"));
  EXPECT_THAT(r.err, HasSubstr("zerorl reward score: 3 lines, 2 scored, 1 malformed"));
  EXPECT_THAT(r.err, HasSubstr("math_accuracy: mean 0.5000 over 2 ok, 0 not applicable, 0 errors"));
}

TEST(RewardCliTest, ScoreWithOwnFunctionsFromAFile) {
  testing::TempDir dir;
  std::string input = dir.WriteFile(
      "in.jsonl", R"({"prompt": "p", "completion": "<answer>(3 + 5) * 2</answer>", "countdown": {"numbers": [3, 5, 2], "target": 16}, "num_tokens": 90})"
                  "\n");
  auto r = RunCommand({ZerorlBinary(), "reward", "score", "--input", input, "--set",
                       R"(reward.functions=[{"name": "countdown"}, {"name": "length", "max_length": 100, "buffer": 20}])"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith(R"({"line":1,"total":0.5,"scores":{"countdown":{"value":1.0,"mark":"ok")"));
  EXPECT_THAT(r.out, HasSubstr(R"("length":{"value":-0.5,"mark":"ok","detail":"90 tokens of 100"})"));
}

TEST(RewardCliTest, UnknownRewardFunctionIsBadInput) {
  auto r = RunCommand({ZerorlBinary(), "reward", "score", "--set",
                       R"(reward.functions=[{"name": "math_acuracy"}])"}, "");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("unknown reward function \"math_acuracy\" (did you mean \"math_accuracy\"?)"));
}

TEST(RewardCliTest, MissingInputFileIsBadInput) {
  auto r = RunCommand({ZerorlBinary(), "reward", "score", "--input", "/nonexistent/x.jsonl"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "zerorl reward score: cannot open --input /nonexistent/x.jsonl\n");
}

TEST(RewardCliTest, WorkerWithoutEndpointIsBadUsage) {
  auto r = RunCommand({ZerorlBinary(), "reward"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--connect ENDPOINT is required"));
}

// MATH-500 and GSM8K reference solutions scored against their own answers, as the README
// shows: `zerorl data preview ... | zerorl reward score --completion-key solution`.
void ExpectGoldsScoreOne(const std::string& preset, const std::string& path, int items) {
  auto problems = RunCommand({ZerorlBinary(), "data", "preview", "--preset", preset, "--path",
                              path, "--n", "100000"});
  ASSERT_EQ(problems.exit_code, 0) << problems.err;
  auto r = RunCommand({ZerorlBinary(), "reward", "score", "--completion-key", "solution", "--set",
                       R"(reward.functions=[{"name": "math_accuracy"}])"},
                      problems.out);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(static_cast<int>(Lines(r.out).size()), items);
  // Every verifiable gold is correct: the mean over the ok ones is exactly 1.
  EXPECT_THAT(r.err, HasSubstr("math_accuracy: mean 1.0000 over ")) << r.err;
  EXPECT_THAT(r.err, HasSubstr(" 0 errors, unverifiable_gold ")) << r.err;
  EXPECT_THAT(r.err, HasSubstr("unverifiable_prediction 0")) << r.err;
  std::cout << r.err;
}

TEST(RewardCliTest, Math500GoldSolutionsScoreOne) {
  ZERORL_REQUIRE_TEST_DATA();
  ExpectGoldsScoreOne("math500", testing::TestDataPath("math/test.jsonl"), 500);
}

TEST(RewardCliTest, Gsm8kGoldSolutionsScoreOne) {
  ZERORL_REQUIRE_TEST_DATA();
  ExpectGoldsScoreOne("gsm8k", testing::TestDataPath("gsm8k/test.jsonl"), 1319);
}

// ---- the worker process ----

class Child {
 public:
  explicit Child(std::vector<std::string> args) {
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (::posix_spawn(&pid_, argv[0], nullptr, nullptr, argv.data(), environ) != 0) pid_ = -1;
  }
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  // The exit code, or -1 if it did not exit within `timeout` (then it is killed).
  int Wait(std::chrono::seconds timeout) {
    auto give_up = std::chrono::steady_clock::now() + timeout;
    int status = 0;
    while (std::chrono::steady_clock::now() < give_up) {
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }
  void Signal(int sig) { ::kill(pid_, sig); }
  bool started() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
};

class RewardWorkerCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto router = wire::MakeRouterSocket(context_);
    ASSERT_TRUE(router.ok()) << router.status();
    router_ = std::make_unique<zmq::socket_t>(std::move(*router));
    auto endpoint = wire::Bind(*router_, "ipc://" + dir_.Path("controller.sock"));
    ASSERT_TRUE(endpoint.ok()) << endpoint.status();
    endpoint_ = *endpoint;
  }

  std::unique_ptr<Child> StartWorker(const std::string& functions) {
    auto child = std::make_unique<Child>(std::vector<std::string>{
        ZerorlBinary(), "reward", "--connect", endpoint_, "--id", "reward-9", "--set",
        "reward.functions=" + functions});
    EXPECT_TRUE(child->started());
    return child;
  }

  // The next message that is not a Heartbeat, within 30 s.
  wire::Message Receive() {
    auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < give_up) {
      absl::StatusOr<wire::Received> in =
          wire::ReceiveRoutedMessage(*router_, std::chrono::milliseconds(200));
      if (!in.ok() || !in->message.ok()) continue;
      EXPECT_EQ(in->routing_id, "reward-9");
      if (wire::TypeOf(*in->message) != wire::MessageType::kHeartbeat)
        return *std::move(in->message);
    }
    ADD_FAILURE() << "the worker sent nothing for 30 s";
    return wire::Heartbeat{};
  }

  static wire::Rollouts Batch(const std::vector<std::string>& texts) {
    wire::Rollouts r;
    r.batch_id = 5;
    wire::Prompt p;
    p.id = 1;
    p.text = "What is 6 * 7?";
    p.answer = "42";
    r.prompts.push_back(p);
    for (size_t i = 0; i < texts.size(); ++i) {
      wire::Completion c;
      c.prompt_id = 1;
      c.sample_index = static_cast<int32_t>(i);
      c.text = texts[i];
      c.tokens = {1, 2, 3};
      c.logprobs = {-0.1f, -0.1f, -0.1f};
      r.completions.push_back(c);
    }
    return r;
  }

  testing::TempDir dir_;
  zmq::context_t context_{1};
  std::unique_ptr<zmq::socket_t> router_;
  std::string endpoint_;
};

TEST_F(RewardWorkerCliTest, ScoresRolloutsOverTheProtocolAndShutsDown) {
  auto worker = StartWorker(R"([{"name": "math_accuracy"}, {"name": "format", "weight": 0.5}])");
  wire::Message hello = Receive();
  ASSERT_EQ(wire::TypeOf(hello), wire::MessageType::kHello);
  EXPECT_EQ(std::get<wire::Hello>(hello).kind, wire::WorkerKind::kReward);
  EXPECT_EQ(std::get<wire::Hello>(hello).worker_id, "reward-9");

  ASSERT_TRUE(wire::SendMessageTo(*router_, "reward-9",
                            Batch({"<think>6*7</think><answer>42</answer>", "<answer>41</answer>"}))
                  .ok());
  wire::Message scored = Receive();
  ASSERT_EQ(wire::TypeOf(scored), wire::MessageType::kScoredGroups);
  const wire::ScoredGroups& groups = std::get<wire::ScoredGroups>(scored);
  EXPECT_EQ(groups.batch_id, 5u);
  EXPECT_EQ(groups.functions, (std::vector<std::string>{"math_accuracy", "format"}));
  ASSERT_EQ(groups.completions.size(), 2u);
  EXPECT_DOUBLE_EQ(groups.completions[0].total, 1.5);
  EXPECT_DOUBLE_EQ(groups.completions[1].total, 0.0);
  EXPECT_EQ(groups.completions[1].scores[0].mark, wire::ScoreMark::kOk);
  EXPECT_THAT(groups.completions[1].scores[0].detail, StartsWith("not equal"));
  wire::Message metrics = Receive();
  ASSERT_EQ(wire::TypeOf(metrics), wire::MessageType::kMetrics);
  EXPECT_EQ(std::get<wire::Metrics>(metrics).values.at("reward/math_accuracy/ok"), 2);

  ASSERT_TRUE(wire::SendMessageTo(*router_, "reward-9", wire::Shutdown{"done"}).ok());
  EXPECT_EQ(worker->Wait(std::chrono::seconds(20)), 0);
}

TEST_F(RewardWorkerCliTest, SigtermStopsTheWorkerCleanly) {
  auto worker = StartWorker(R"([{"name": "math_accuracy"}])");
  ASSERT_EQ(wire::TypeOf(Receive()), wire::MessageType::kHello);
  worker->Signal(SIGTERM);
  EXPECT_EQ(worker->Wait(std::chrono::seconds(20)), 0);
}

TEST_F(RewardWorkerCliTest, CrashingPluginIsHostedByTheBinaryAndRestarted) {
  std::string library = testing::BinaryDir() + "/tests/reward/libreward_plugin_crash.so";
  if (::access(library.c_str(), R_OK) != 0) GTEST_SKIP() << library << " not built";
  auto worker = StartWorker(R"([{"name": "plugin", "label": "crashy", "library": ")" + library + "\"}]");
  ASSERT_EQ(wire::TypeOf(Receive()), wire::MessageType::kHello);
  ASSERT_TRUE(wire::SendMessageTo(*router_, "reward-9", Batch({"fine", "crash", "fine"})).ok());
  wire::Message scored = Receive();
  ASSERT_EQ(wire::TypeOf(scored), wire::MessageType::kScoredGroups);
  const wire::ScoredGroups& groups = std::get<wire::ScoredGroups>(scored);
  ASSERT_EQ(groups.completions.size(), 3u);
  EXPECT_EQ(groups.completions[0].scores[0].value, 0.5);
  EXPECT_EQ(groups.completions[1].scores[0].mark, wire::ScoreMark::kError);
  EXPECT_THAT(groups.completions[1].scores[0].detail, StartsWith("plugin crashed: its host "));
  EXPECT_EQ(groups.completions[2].scores[0].value, 0.5);
  wire::Message metrics = Receive();
  ASSERT_EQ(wire::TypeOf(metrics), wire::MessageType::kMetrics);
  EXPECT_EQ(std::get<wire::Metrics>(metrics).values.at("reward/crashy/crashes"), 1);
  ASSERT_TRUE(wire::SendMessageTo(*router_, "reward-9", wire::Shutdown{"done"}).ok());
  EXPECT_EQ(worker->Wait(std::chrono::seconds(20)), 0);
}

}  // namespace
}  // namespace zerorl::cli
