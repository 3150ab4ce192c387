// Remote reward servers over real ZeroMQ sockets: a well-behaved one, one per failure mode
// (hang, wrong count, bad JSON, a bad entry, stale replies, a server that comes up late),
// and the Python example server as a real process.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <optional>
#include <thread>

#include "core/json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/reward/reward_testing.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_support.h"
#include "wire/transport.h"

extern char** environ;

namespace zerorl::reward {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using ::zerorl::testing::IsOk;

// A reward server on a ROUTER socket in a thread. `answer` gets each request's JSON and
// returns the reply frames to send (none: stay silent).
class FakeServer {
 public:
  using Answer = std::function<std::vector<std::string>(const rapidjson::Document& request)>;

  FakeServer(const std::string& endpoint, Answer answer) : answer_(std::move(answer)) {
    socket_ = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::router);
    socket_->set(zmq::sockopt::linger, 0);
    socket_->bind(endpoint);
    endpoint_ = socket_->get(zmq::sockopt::last_endpoint);
    thread_ = std::thread([this] { Serve(); });
  }
  ~FakeServer() {
    stop_ = true;
    thread_.join();
  }
  const std::string& endpoint() const { return endpoint_; }
  int requests() const { return requests_.load(); }

 private:
  void Serve() {
    while (!stop_) {
      absl::StatusOr<wire::Frames> in =
          wire::ReceiveFrames(*socket_, std::chrono::milliseconds(20));
      if (!in.ok()) continue;
      ++requests_;
      // [identity, "", request]
      absl::StatusOr<rapidjson::Document> request = core::ParseJson(in->back().view());
      ASSERT_THAT(request, IsOk());
      for (const std::string& reply : answer_(*request)) {
        wire::Frames out = {(*in)[0], wire::Frame(), wire::Frame::FromString(reply)};
        (void)wire::SendFrames(*socket_, out);
      }
    }
  }

  zmq::context_t context_{1};
  std::unique_ptr<zmq::socket_t> socket_;
  std::string endpoint_;
  Answer answer_;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::thread thread_;
};

// Scores every sample with the length of its completion.
std::vector<std::string> ScoreByLength(const rapidjson::Document& request) {
  std::string scores;
  for (const auto& s : request["samples"].GetArray()) {
    scores += (scores.empty() ? "" : ",") + std::to_string(s["completion"].GetStringLength());
  }
  return {"{\"id\": " + std::to_string(request["id"].GetUint64()) + ", \"scores\": [" + scores + "]}"};
}

std::unique_ptr<RewardPipeline> RemotePipeline(const std::string& endpoint, const std::string& extra = "") {
  return reward_testing::MakePipeline(R"([{"name": "remote", "label": "srv", "endpoint": ")" + endpoint +
                                      "\", \"timeout_ms\": 400" + (extra.empty() ? "" : ", " + extra) + "}]");
}

BatchRewards Score(RewardPipeline& pipeline, const std::vector<std::string>& completions) {
  RewardBatch batch;
  batch.prompts.push_back({"Q", "7", R"({"id": "p/1", "prompt": "Q", "kind": "math"})"});
  for (const std::string& c : completions) batch.samples.push_back({0, c, 3});
  return pipeline.Score(batch);
}

TEST(RemotePluginTest, ServerScoresEverySampleOfTheBatch) {
  std::string seen;
  FakeServer server("tcp://127.0.0.1:*", [&](const rapidjson::Document& request) {
    seen = core::JsonToString(request);
    return ScoreByLength(request);
  });
  auto pipeline = RemotePipeline(server.endpoint());
  BatchRewards r = Score(*pipeline, {"a", "abc", std::string("\xff\xfe ok", 5)});
  ASSERT_EQ(r.samples.size(), 3u);
  EXPECT_EQ(r.samples[0].scores[0].value, 1.0);
  EXPECT_EQ(r.samples[1].scores[0].value, 3.0);
  EXPECT_EQ(r.samples[2].scores[0].value, 9.0);  // bytes: two U+FFFD (3 each) and " ok"
  EXPECT_THAT(seen, StartsWith(R"({"id":1,"function":"srv","samples":[{"prompt":"Q","completion":"a","answer":"7","metadata":{"id":"p/1","prompt":"Q","kind":"math"},"num_tokens":3})"));
}

TEST(RemotePluginTest, EntriesCanBeNullObjectsAndErrors) {
  FakeServer server("tcp://127.0.0.1:*", [](const rapidjson::Document& request) {
    return std::vector<std::string>{
        R"({"scores": [null, {"score": 0.5, "detail": "half"}, {"not_applicable": "no"},
                       {"error": "boom"}, "oops"]})"};
  });
  auto pipeline = RemotePipeline(server.endpoint());
  BatchRewards r = Score(*pipeline, {"a", "b", "c", "d", "e"});
  EXPECT_EQ(r.samples[0].scores[0].mark, wire::ScoreMark::kNotApplicable);
  EXPECT_EQ(r.samples[1].scores[0].value, 0.5);
  EXPECT_EQ(r.samples[1].scores[0].detail, "half");
  EXPECT_EQ(r.samples[2].scores[0].mark, wire::ScoreMark::kNotApplicable);
  EXPECT_EQ(r.samples[2].scores[0].detail, "no");
  EXPECT_EQ(r.samples[3].scores[0].mark, wire::ScoreMark::kError);
  EXPECT_EQ(r.samples[3].scores[0].detail, "server: boom");
  EXPECT_EQ(r.samples[4].scores[0].mark, wire::ScoreMark::kError);
  EXPECT_EQ(r.samples[4].scores[0].detail, "server reply: scores[4] must be a number, null or an object");
}

TEST(RemotePluginTest, MaxBatchSplitsTheRequests) {
  FakeServer server("tcp://127.0.0.1:*", ScoreByLength);
  auto pipeline = RemotePipeline(server.endpoint(), R"("max_batch": 2)");
  BatchRewards r = Score(*pipeline, {"a", "bb", "ccc", "dddd", "eeeee"});
  for (int i = 0; i < 5; ++i) EXPECT_EQ(r.samples[i].scores[0].value, i + 1);
  EXPECT_EQ(server.requests(), 3);
  EXPECT_EQ(pipeline->Counters()["reward/srv/requests"], 3);
}

TEST(RemotePluginTest, WrongNumberOfScoresMarksTheRequestAndReconnects) {
  FakeServer server("tcp://127.0.0.1:*", [](const rapidjson::Document&) {
    return std::vector<std::string>{R"({"scores": [1.0]})"};
  });
  auto pipeline = RemotePipeline(server.endpoint());
  BatchRewards r = Score(*pipeline, {"a", "b"});
  for (const SampleReward& s : r.samples) {
    EXPECT_EQ(s.scores[0].mark, wire::ScoreMark::kError);
    EXPECT_EQ(s.scores[0].detail,
              "bad reply from the reward server at " + server.endpoint() + ": got 1 scores for 2 samples");
  }
  auto c = pipeline->Counters();
  EXPECT_EQ(c["reward/srv/bad_replies"], 1);
  EXPECT_EQ(c["reward/srv/reconnects"], 1);
  EXPECT_EQ(c["reward/srv/errors"], 2);
}

TEST(RemotePluginTest, BadJsonMarksTheRequest) {
  FakeServer server("tcp://127.0.0.1:*", [](const rapidjson::Document&) {
    return std::vector<std::string>{"{\"scores\": [1.0,"};
  });
  auto pipeline = RemotePipeline(server.endpoint());
  BatchRewards r = Score(*pipeline, {"a"});
  EXPECT_EQ(r.samples[0].scores[0].mark, wire::ScoreMark::kError);
  EXPECT_THAT(r.samples[0].scores[0].detail,
              StartsWith("bad reply from the reward server at " + server.endpoint() + ": "));
  EXPECT_EQ(pipeline->Counters()["reward/srv/bad_replies"], 1);
}

TEST(RemotePluginTest, SilentServerTimesOutAndTheNextRequestUsesANewConnection) {
  std::atomic<int> calls{0};
  FakeServer server("tcp://127.0.0.1:*", [&](const rapidjson::Document& request) {
    return ++calls == 1 ? std::vector<std::string>{} : ScoreByLength(request);
  });
  auto pipeline = RemotePipeline(server.endpoint());
  BatchRewards first = Score(*pipeline, {"abc"});
  EXPECT_EQ(first.samples[0].scores[0].mark, wire::ScoreMark::kError);
  EXPECT_EQ(first.samples[0].scores[0].detail,
            "the reward server at " + server.endpoint() + " did not answer within 400 ms");
  BatchRewards second = Score(*pipeline, {"abcd"});
  EXPECT_EQ(second.samples[0].scores[0].value, 4.0);
  auto c = pipeline->Counters();
  EXPECT_EQ(c["reward/srv/timeouts"], 1);
  EXPECT_EQ(c["reward/srv/reconnects"], 1);
}

TEST(RemotePluginTest, StaleReplyIsSkipped) {
  FakeServer server("tcp://127.0.0.1:*", [](const rapidjson::Document& request) {
    std::vector<std::string> replies = {R"({"id": 999, "scores": [0.0]})"};
    for (const std::string& r : ScoreByLength(request)) replies.push_back(r);
    return replies;
  });
  auto pipeline = RemotePipeline(server.endpoint());
  EXPECT_EQ(Score(*pipeline, {"ab"}).samples[0].scores[0].value, 2.0);
  EXPECT_EQ(pipeline->Counters()["reward/srv/stale_replies"], 1);
}

TEST(RemotePluginTest, ServerThatComesUpLateIsReachedAfterward) {
  testing::TempDir dir;
  std::string endpoint = "ipc://" + dir.Path("late.sock");
  auto pipeline = RemotePipeline(endpoint);
  BatchRewards before = Score(*pipeline, {"abc"});
  EXPECT_THAT(before.samples[0].scores[0].detail, HasSubstr("did not answer within 400 ms"));
  FakeServer server(endpoint, ScoreByLength);
  EXPECT_EQ(Score(*pipeline, {"abc"}).samples[0].scores[0].value, 3.0);
}

// ---- the Python example server, as a user runs it ----

class PythonServer {
 public:
  explicit PythonServer(const std::string& endpoint) {
    std::string script = testing::SourceDir() + "/examples/reward_server_python/server.py";
    std::vector<std::string> args = {"/usr/bin/python3", script, "--endpoint", endpoint};
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (::posix_spawn(&pid_, argv[0], nullptr, nullptr, argv.data(), environ) != 0) pid_ = -1;
  }
  ~PythonServer() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  bool running() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
};

bool PythonHasZmq() {
  testing::CommandResult r = testing::RunCommand({"/usr/bin/python3", "-c", "import zmq"});
  return r.exit_code == 0;
}

TEST(RemotePluginTest, PythonExampleServer) {
  if (!PythonHasZmq()) GTEST_SKIP() << "/usr/bin/python3 with zmq (Debian python3-zmq) not found";
  testing::TempDir dir;
  std::string endpoint = "ipc://" + dir.Path("py.sock");
  PythonServer server(endpoint);
  ASSERT_TRUE(server.running());
  auto pipeline = reward_testing::MakePipeline(
      R"([{"name": "remote", "label": "repetition", "timeout_ms": 10000, "endpoint": ")" + endpoint + "\"}]");
  BatchRewards r = Score(*pipeline, {"a b c a b c", "a b c d", "short"});
  EXPECT_EQ(r.samples[0].scores[0].mark, wire::ScoreMark::kOk) << r.samples[0].scores[0].detail;
  EXPECT_EQ(r.samples[0].scores[0].value, -0.25);
  EXPECT_EQ(r.samples[0].scores[0].detail, "1 of 4 3-grams repeat");
  EXPECT_EQ(r.samples[1].scores[0].value, 0.0);
  EXPECT_EQ(r.samples[2].scores[0].mark, wire::ScoreMark::kNotApplicable);
}

}  // namespace
}  // namespace zerorl::reward
