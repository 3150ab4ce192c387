// The reward worker over a real socket: a ROUTER in the test plays the controller, the
// worker runs RunRewardWorker() on a thread (tests/cli/reward_cli_test.cc drives the real
// `zerorl reward --connect` binary the same way).
#include <atomic>
#include <cmath>
#include <set>
#include <thread>

#include "datasets/datasets.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reward/reward_worker.h"
#include "tests/reward/reward_testing.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_support.h"
#include "wire/transport.h"

namespace zerorl::reward {
namespace {

using ::testing::HasSubstr;
using ::zerorl::testing::IsOk;
using ::zerorl::testing::StatusIs;

wire::Rollouts TwoGroups() {
  wire::Rollouts r;
  r.batch_id = 17;
  wire::Prompt p1;
  p1.id = 100;
  p1.text = "What is 6 * 7?";
  p1.answer = "42";
  wire::Prompt p2;
  p2.id = 200;
  p2.text = "What is 1 + 1?";
  p2.answer = "2";
  datasets::Problem problem;
  problem.id = "arithmetic/1";
  problem.prompt = "What is 1 + 1?";
  problem.answer = "2";
  p2.metadata = ProblemToJson(problem);
  r.prompts = {p1, p2};
  const char* texts[] = {"<think>6*7</think><answer>42</answer>", "<answer>41</answer>",
                         "<think>1+1</think><answer>2</answer>", "2"};
  uint64_t ids[] = {100, 100, 200, 200};
  for (int i = 0; i < 4; ++i) {
    wire::Completion c;
    c.prompt_id = ids[i];
    c.sample_index = i % 2;
    c.text = texts[i];
    c.tokens = std::vector<int32_t>(10 + i, 1);
    c.logprobs = std::vector<float>(10 + i, -0.5f);
    r.completions.push_back(std::move(c));
  }
  return r;
}

TEST(ScoreRolloutsTest, OneScoredCompletionPerCompletionInOrder) {
  auto pipeline = reward_testing::MakePipeline(
      R"([{"name": "math_accuracy"}, {"name": "format", "weight": 0.5}, {"name": "length", "max_length": 12, "buffer": 2}])");
  wire::Rollouts rollouts = TwoGroups();
  wire::ScoredGroups scored = ScoreRollouts(*pipeline, rollouts);
  EXPECT_EQ(scored.batch_id, 17u);
  EXPECT_EQ(scored.functions, (std::vector<std::string>{"math_accuracy", "format", "length"}));
  ASSERT_EQ(scored.completions.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(scored.completions[i].prompt_id, rollouts.completions[i].prompt_id);
    EXPECT_EQ(scored.completions[i].sample_index, rollouts.completions[i].sample_index);
    ASSERT_EQ(scored.completions[i].scores.size(), 3u);
  }
  // Lengths 10..13 tokens against L_max 12, L_cache 2: 0, -0.5, -1, -1.
  EXPECT_DOUBLE_EQ(scored.completions[0].total, 1.0 + 0.5 + 0.0);
  EXPECT_DOUBLE_EQ(scored.completions[1].total, 0.0 + 0.0 - 0.5);
  EXPECT_DOUBLE_EQ(scored.completions[2].total, 1.0 + 0.5 - 1.0);
  EXPECT_DOUBLE_EQ(scored.completions[3].total, 1.0 + 0.0 - 1.0);
  EXPECT_THAT(Encode(scored), IsOk());  // what the controller will decode
}

TEST(ScoreRolloutsTest, CompletionOfAnUnknownPromptIsAnErrorEverywhere) {
  auto pipeline = reward_testing::MakePipeline(R"([{"name": "math_accuracy"}])");
  wire::Rollouts rollouts = TwoGroups();
  rollouts.completions[1].prompt_id = 999;
  wire::ScoredGroups scored = ScoreRollouts(*pipeline, rollouts);
  EXPECT_EQ(scored.completions[1].prompt_id, 999u);
  EXPECT_EQ(scored.completions[1].scores[0].mark, wire::ScoreMark::kError);
  EXPECT_THAT(scored.completions[1].scores[0].detail, HasSubstr("is not in the batch of 2 prompts"));
  EXPECT_TRUE(std::isnan(scored.completions[1].total));
  EXPECT_EQ(scored.completions[0].scores[0].value, 1.0);
}

class WorkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto router = wire::MakeRouterSocket(context_);
    ASSERT_THAT(router, IsOk());
    router_ = std::make_unique<zmq::socket_t>(std::move(*router));
    auto endpoint = wire::Bind(*router_, "ipc://" + dir_.Path("c.sock"));
    ASSERT_THAT(endpoint, IsOk());
    endpoint_ = *endpoint;
  }

  // The next message from the worker that is not a Heartbeat.
  wire::Message Receive() {
    for (int i = 0; i < 100; ++i) {
      absl::StatusOr<wire::Received> in =
          wire::ReceiveRoutedMessage(*router_, std::chrono::milliseconds(200));
      if (!in.ok()) continue;
      EXPECT_THAT(in->message, IsOk());
      if (!in->message.ok()) continue;
      EXPECT_EQ(in->routing_id, "reward-3");
      if (wire::TypeOf(*in->message) == wire::MessageType::kHeartbeat) continue;
      return *std::move(in->message);
    }
    ADD_FAILURE() << "the worker sent nothing for 20 s";
    return wire::Heartbeat{};
  }

  testing::TempDir dir_;
  zmq::context_t context_{1};
  std::unique_ptr<zmq::socket_t> router_;
  std::string endpoint_;
};

TEST_F(WorkerTest, HelloRolloutsScoredGroupsMetricsShutdown) {
  auto pipeline = reward_testing::MakePipeline(R"([{"name": "math_accuracy"}, {"name": "format"}])",
                                               R"("shuffle_within_group": true)");
  wire::WorkerLinkOptions link;
  link.endpoint = endpoint_;
  link.worker_id = "reward-3";
  std::atomic<bool> stop{false};
  absl::Status result;
  std::thread worker([&] { result = RunRewardWorker(link, pipeline.get(), &stop); });

  wire::Message hello = Receive();
  ASSERT_EQ(wire::TypeOf(hello), wire::MessageType::kHello);
  EXPECT_EQ(std::get<wire::Hello>(hello).kind, wire::WorkerKind::kReward);
  EXPECT_EQ(std::get<wire::Hello>(hello).capabilities.at("functions"), "math_accuracy,format");

  wire::Rollouts rollouts = TwoGroups();
  ASSERT_THAT(wire::SendMessageTo(*router_, "reward-3", rollouts), IsOk());
  wire::Message scored = Receive();
  ASSERT_EQ(wire::TypeOf(scored), wire::MessageType::kScoredGroups);
  const wire::ScoredGroups& groups = std::get<wire::ScoredGroups>(scored);
  EXPECT_EQ(groups.batch_id, 17u);
  ASSERT_EQ(groups.completions.size(), 4u);
  // Raw scores stay with their sample; totals are permuted within each group only.
  EXPECT_EQ(groups.completions[0].scores[0].value, 1.0);
  EXPECT_EQ(groups.completions[1].scores[0].value, 0.0);
  std::multiset<double> group1 = {groups.completions[0].total, groups.completions[1].total};
  EXPECT_EQ(group1, (std::multiset<double>{2.0, 0.0}));

  wire::Message metrics = Receive();
  ASSERT_EQ(wire::TypeOf(metrics), wire::MessageType::kMetrics);
  const auto& values = std::get<wire::Metrics>(metrics).values;
  EXPECT_EQ(values.at("reward/samples"), 4);
  EXPECT_EQ(values.at("reward/math_accuracy/ok"), 4);
  EXPECT_EQ(values.at("reward/format/errors"), 0);
  EXPECT_EQ(values.at("reward/batch_samples"), 4);
  EXPECT_GE(values.at("reward/batch_s"), 0.0);

  ASSERT_THAT(wire::SendMessageTo(*router_, "reward-3", wire::Shutdown{"test over"}), IsOk());
  worker.join();
  EXPECT_THAT(result, IsOk());
}

TEST_F(WorkerTest, StopFlagEndsTheWorker) {
  auto pipeline = reward_testing::MakePipeline(R"([{"name": "math_accuracy"}])");
  wire::WorkerLinkOptions link;
  link.endpoint = endpoint_;
  link.worker_id = "reward-3";
  std::atomic<bool> stop{false};
  absl::Status result;
  std::thread worker([&] { result = RunRewardWorker(link, pipeline.get(), &stop); });
  EXPECT_EQ(wire::TypeOf(Receive()), wire::MessageType::kHello);
  stop = true;
  worker.join();
  EXPECT_THAT(result, IsOk());
}

TEST_F(WorkerTest, BadEndpointIsRefused) {
  auto pipeline = reward_testing::MakePipeline(R"([{"name": "math_accuracy"}])");
  wire::WorkerLinkOptions link;
  link.endpoint = "nowhere";
  link.worker_id = "reward-3";
  std::atomic<bool> stop{false};
  absl::Status result = RunRewardWorker(link, pipeline.get(), &stop);
  EXPECT_THAT(result, StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace zerorl::reward
