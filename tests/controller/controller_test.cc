// The controller over real ZeroMQ sockets, with workers built on the real WorkerLink whose
// compute loops are small deterministic functions (a rollout worker's completion encodes
// the policy version it held; a reward worker scores by sample index).
#include "controller/controller.h"

#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "core/json.h"
#include "gtest/gtest.h"
#include "tests/testing/test_support.h"
#include "wire/transport.h"
#include "wire/worker_link.h"

namespace zerorl::controller {
namespace {

using namespace std::chrono_literals;

constexpr auto kBeat = 50ms;  // short heartbeats keep the tests fast

wire::WorkerLinkOptions LinkOptions(const std::string& endpoint, wire::WorkerKind kind,
                                    const std::string& id) {
  wire::WorkerLinkOptions o;
  o.endpoint = endpoint;
  o.kind = kind;
  o.worker_id = id;
  o.heartbeat_interval = kBeat;
  o.liveness = 4;
  o.reconnect_interval = kBeat;
  o.reconnect_interval_max = 4 * kBeat;
  return o;
}

ControllerOptions FastOptions(const std::string& endpoint, const std::string& ledger = "") {
  ControllerOptions o;
  o.endpoint = endpoint;
  o.heartbeat_interval = kBeat;
  o.liveness = 4;
  o.weight_repush = 2s;
  o.ledger_path = ledger;
  return o;
}

// A worker thread on a WorkerLink. `hang_after` batches it stops answering and stops
// heartbeating (its link is destroyed), as a SIGSTOPped or killed process would.
class TestWorker {
 public:
  TestWorker(const std::string& endpoint, wire::WorkerKind kind, const std::string& id,
             int hang_after = -1)
      : kind_(kind), hang_after_(hang_after) {
    thread_ = std::thread([=] { Loop(LinkOptions(endpoint, kind, id)); });
  }
  ~TestWorker() {
    stop_ = true;
    thread_.join();
  }
  int batches() const { return batches_.load(); }
  int64_t version() const { return version_.load(); }
  std::vector<float> last_weights() {
    std::lock_guard<std::mutex> lock(mu_);
    return weights_;
  }

 private:
  void Loop(const wire::WorkerLinkOptions& options) {
    auto link = wire::WorkerLink::Start(options);
    ASSERT_TRUE(link.ok()) << link.status();
    while (!stop_) {
      std::optional<wire::WorkerEvent> event = (*link)->Next(20ms);
      if (!event) continue;
      if (event->kind == wire::WorkerEvent::kShutdown) break;
      if (event->kind == wire::WorkerEvent::kWeights) {
        std::lock_guard<std::mutex> lock(mu_);
        weights_.assign(event->weights[0].bytes / sizeof(float), 0.0f);
        event->weights[0].CopyTo(weights_.data());
        version_ = event->weights_version;
        (*link)->SetPolicyVersion(event->weights_version);
        continue;
      }
      if (hang_after_ >= 0 && batches_ >= hang_after_) {
        link->reset();  // silence: no answer, no heartbeat
        while (!stop_) std::this_thread::sleep_for(10ms);
        return;
      }
      ++batches_;
      if (kind_ == wire::WorkerKind::kRollout) {
        const wire::PromptBatch& batch = std::get<wire::PromptBatch>(event->work);
        wire::Rollouts out;
        out.batch_id = batch.batch_id;
        for (const wire::Prompt& p : batch.prompts) {
          for (int i = 0; i < batch.sampling.n; ++i) {
            wire::Completion c;
            c.prompt_id = p.id;
            c.sample_index = i;
            c.policy_version = version_;
            c.tokens = {static_cast<int32_t>(p.id), i};
            c.logprobs = {-0.5f, -0.25f};
            c.text = "answer";
            out.completions.push_back(c);
          }
        }
        (*link)->Send(std::move(out));
      } else {
        const wire::Rollouts& in = std::get<wire::Rollouts>(event->work);
        wire::ScoredGroups out;
        out.batch_id = in.batch_id;
        out.functions = {"index"};
        for (const wire::Completion& c : in.completions) {
          wire::ScoredCompletion s;
          s.prompt_id = c.prompt_id;
          s.sample_index = c.sample_index;
          s.total = c.sample_index;
          s.scores = {
              wire::FunctionScore{wire::ScoreMark::kOk, static_cast<double>(c.sample_index), ""}};
          out.completions.push_back(s);
        }
        (*link)->Send(std::move(out));
      }
    }
  }

  wire::WorkerKind kind_;
  int hang_after_;
  std::atomic<bool> stop_{false};
  std::atomic<int> batches_{0};
  std::atomic<int64_t> version_{wire::kNoPolicyVersion};
  std::mutex mu_;
  std::vector<float> weights_;
  std::thread thread_;
};

wire::PromptBatch MakeBatch(uint64_t id, int64_t version, int prompts = 2, int n = 3) {
  wire::PromptBatch b;
  b.batch_id = id;
  b.policy_version = version;
  b.sampling.n = n;
  for (int i = 0; i < prompts; ++i) {
    wire::Prompt p;
    p.id = id * 100 + i;
    p.tokens = {1, 2, 3};
    p.text = "q";
    p.answer = "a";
    b.prompts.push_back(p);
  }
  return b;
}

// Keeps a float vector alive as a published tensor.
std::vector<wire::NamedTensor> Weights(const std::shared_ptr<std::vector<float>>& values) {
  wire::NamedTensor t;
  t.name = "w";
  t.dtype = config::DType::kFloat32;
  t.shape = {static_cast<int64_t>(values->size())};
  t.data = wire::Frame::Borrow(values->data(), values->size() * sizeof(float), values);
  return {t};
}

std::vector<ScoredBatch> Collect(Controller& c, size_t count, std::chrono::seconds limit = 20s) {
  std::vector<ScoredBatch> out;
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (out.size() < count && std::chrono::steady_clock::now() < deadline) {
    if (auto r = c.Next(100ms)) out.push_back(std::move(*r));
  }
  return out;
}

class ControllerTest : public ::testing::Test {
 protected:
  std::string Endpoint() { return "ipc://" + dir_.Path("c.sock"); }
  testing::TempDir dir_;
};

TEST_F(ControllerTest, BatchesFlowThroughRolloutAndRewardWorkers) {
  auto controller = Controller::Start(FastOptions(Endpoint(), dir_.Path("ledger.jsonl")));
  ASSERT_TRUE(controller.ok()) << controller.status();
  Controller& c = **controller;
  auto v0 = std::make_shared<std::vector<float>>(std::vector<float>{1, 2, 3});
  ASSERT_TRUE(c.Publish(0, Weights(v0)).ok());
  TestWorker rollout(c.endpoint(), wire::WorkerKind::kRollout, "rollout-0");
  TestWorker reward(c.endpoint(), wire::WorkerKind::kReward, "reward-0");
  ASSERT_TRUE(c.WaitForWorkers(1, 1, 10s).ok());
  for (uint64_t id = 1; id <= 5; ++id) ASSERT_TRUE(c.Submit(MakeBatch(id, 0)).ok());
  std::vector<ScoredBatch> results = Collect(c, 5);
  ASSERT_EQ(results.size(), 5u);
  std::set<uint64_t> ids;
  for (const ScoredBatch& r : results) {
    ids.insert(r.batch.batch_id);
    ASSERT_EQ(r.rollouts.completions.size(), 6u);
    ASSERT_EQ(r.scores.completions.size(), 6u);
    for (const wire::Completion& comp : r.rollouts.completions) EXPECT_EQ(comp.policy_version, 0);
    EXPECT_EQ(r.rollout_worker, "rollout-0");
    EXPECT_EQ(r.reward_worker, "reward-0");
  }
  EXPECT_EQ(ids.size(), 5u);
  EXPECT_EQ(rollout.last_weights(), (std::vector<float>{1, 2, 3}));
  EXPECT_FALSE(c.Next(200ms).has_value());  // nothing comes out twice
  c.Shutdown("done");
  std::string ledger = core::ReadFile(dir_.Path("ledger.jsonl")).value();
  EXPECT_NE(ledger.find("\"event\":\"worker_joined\""), std::string::npos);
  EXPECT_NE(ledger.find("\"event\":\"accepted\""), std::string::npos);
}

TEST_F(ControllerTest, NewVersionIsAppliedBeforeTheBatchThatNeedsIt) {
  auto controller = Controller::Start(FastOptions(Endpoint()));
  ASSERT_TRUE(controller.ok());
  Controller& c = **controller;
  auto v0 = std::make_shared<std::vector<float>>(std::vector<float>{0});
  auto v1 = std::make_shared<std::vector<float>>(std::vector<float>{1, 1});
  ASSERT_TRUE(c.Publish(0, Weights(v0)).ok());
  TestWorker rollout(c.endpoint(), wire::WorkerKind::kRollout, "rollout-0");
  TestWorker reward(c.endpoint(), wire::WorkerKind::kReward, "reward-0");
  ASSERT_TRUE(c.WaitForWorkers(1, 1, 10s).ok());
  ASSERT_TRUE(c.Submit(MakeBatch(1, 0)).ok());
  ASSERT_EQ(Collect(c, 1).size(), 1u);
  ASSERT_TRUE(c.Publish(1, Weights(v1)).ok());
  EXPECT_FALSE(c.Publish(1, Weights(v1)).ok());  // versions only go up
  ASSERT_TRUE(c.Submit(MakeBatch(2, 1)).ok());
  std::vector<ScoredBatch> r = Collect(c, 1);
  ASSERT_EQ(r.size(), 1u);
  for (const wire::Completion& comp : r[0].rollouts.completions) EXPECT_EQ(comp.policy_version, 1);
  EXPECT_TRUE(c.WaitForWeights(5s).ok());
  EXPECT_EQ(c.stats().worker_versions.at("rollout-0"), 1);
}

TEST_F(ControllerTest, LateJoinerGetsTheCurrentWeights) {
  auto controller = Controller::Start(FastOptions(Endpoint()));
  ASSERT_TRUE(controller.ok());
  Controller& c = **controller;
  auto v0 = std::make_shared<std::vector<float>>(std::vector<float>{0});
  auto v3 = std::make_shared<std::vector<float>>(std::vector<float>{3, 3, 3});
  ASSERT_TRUE(c.Publish(0, Weights(v0)).ok());
  ASSERT_TRUE(c.Publish(3, Weights(v3)).ok());
  TestWorker rollout(c.endpoint(), wire::WorkerKind::kRollout, "late");
  ASSERT_TRUE(c.WaitForWorkers(1, 0, 10s).ok());
  ASSERT_TRUE(c.WaitForWeights(10s).ok());
  EXPECT_EQ(rollout.version(), 3);
  EXPECT_EQ(rollout.last_weights(), (std::vector<float>{3, 3, 3}));
}

TEST_F(ControllerTest, SilentWorkersWorkIsRedoneAndCountedOnce) {
  auto controller = Controller::Start(FastOptions(Endpoint(), dir_.Path("ledger.jsonl")));
  ASSERT_TRUE(controller.ok());
  Controller& c = **controller;
  auto v0 = std::make_shared<std::vector<float>>(std::vector<float>{0});
  ASSERT_TRUE(c.Publish(0, Weights(v0)).ok());
  TestWorker hangs(c.endpoint(), wire::WorkerKind::kRollout, "hangs", /*hang_after=*/1);
  TestWorker reward(c.endpoint(), wire::WorkerKind::kReward, "reward-0");
  ASSERT_TRUE(c.WaitForWorkers(1, 1, 10s).ok());
  TestWorker healthy(c.endpoint(), wire::WorkerKind::kRollout, "healthy");
  ASSERT_TRUE(c.WaitForWorkers(2, 1, 10s).ok());
  for (uint64_t id = 1; id <= 6; ++id) ASSERT_TRUE(c.Submit(MakeBatch(id, 0)).ok());
  std::vector<ScoredBatch> results = Collect(c, 6);
  ASSERT_EQ(results.size(), 6u);
  std::set<uint64_t> ids;
  for (const ScoredBatch& r : results) ids.insert(r.batch.batch_id);
  EXPECT_EQ(ids.size(), 6u);
  EXPECT_GE(c.stats().workers_lost, 1);
  EXPECT_EQ(c.stats().rollout_workers, 1);
  for (const ScoredBatch& r : results) c.RecordTrained(r.batch.batch_id, 0);
  c.Shutdown("done");
  // The audit trail: every batch trained exactly once.
  std::string ledger = core::ReadFile(dir_.Path("ledger.jsonl")).value();
  for (uint64_t id = 1; id <= 6; ++id) {
    std::string line = "\"event\":\"trained\"";
    size_t count = 0;
    for (size_t pos = ledger.find("\"batch\":" + std::to_string(id) + ",\"step\"");
         pos != std::string::npos;
         pos = ledger.find("\"batch\":" + std::to_string(id) + ",\"step\"", pos + 1)) {
      ++count;
    }
    EXPECT_EQ(count, 1u) << "batch " << id;
  }
  EXPECT_NE(ledger.find("\"event\":\"worker_lost\""), std::string::npos);
}

TEST_F(ControllerTest, GarbageFromARoguePeerDoesNotDisturbTheRun) {
  auto controller = Controller::Start(FastOptions(Endpoint()));
  ASSERT_TRUE(controller.ok());
  Controller& c = **controller;
  auto v0 = std::make_shared<std::vector<float>>(std::vector<float>{0});
  ASSERT_TRUE(c.Publish(0, Weights(v0)).ok());
  TestWorker rollout(c.endpoint(), wire::WorkerKind::kRollout, "rollout-0");
  TestWorker reward(c.endpoint(), wire::WorkerKind::kReward, "reward-0");
  ASSERT_TRUE(c.WaitForWorkers(1, 1, 10s).ok());
  zmq::context_t context;
  auto rogue = wire::MakeDealerSocket(context, "rogue");
  ASSERT_TRUE(rogue.ok());
  ASSERT_TRUE(wire::Connect(*rogue, c.endpoint()).ok());
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(wire::SendFrames(*rogue, {wire::Frame::FromString("not json " + std::to_string(i)),
                                    wire::Frame::FromString(std::string(100, '\xff'))})
                    .ok());
  }
  // A well-formed answer for a batch nobody gave it is dropped too.
  wire::Rollouts forged;
  forged.batch_id = 1;
  ASSERT_TRUE(wire::SendMessage(*rogue, forged).ok());
  for (uint64_t id = 1; id <= 3; ++id) ASSERT_TRUE(c.Submit(MakeBatch(id, 0)).ok());
  std::vector<ScoredBatch> results = Collect(c, 3);
  ASSERT_EQ(results.size(), 3u);
  for (const ScoredBatch& r : results) EXPECT_EQ(r.rollouts.completions.size(), 6u);
  EXPECT_GE(c.stats().bad_messages, 20);
}

TEST_F(ControllerTest, WorkersReconnectToARestartedController) {
  std::string endpoint = Endpoint();
  // The first "controller" hears the Hellos and then vanishes without a word, as a killed
  // process does.
  auto rollout = std::make_unique<TestWorker>(endpoint, wire::WorkerKind::kRollout, "rollout-0");
  auto reward = std::make_unique<TestWorker>(endpoint, wire::WorkerKind::kReward, "reward-0");
  {
    zmq::context_t context;
    auto first = wire::MakeRouterSocket(context);
    ASSERT_TRUE(first.ok());
    ASSERT_TRUE(wire::Bind(*first, endpoint).ok());
    std::set<std::string> said_hello;
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (said_hello.size() < 2 && std::chrono::steady_clock::now() < deadline) {
      auto in = wire::ReceiveRoutedMessage(*first, 100ms);
      if (in.ok() && in->message.ok() && wire::TypeOf(*in->message) == wire::MessageType::kHello) {
        said_hello.insert(in->routing_id);
      }
    }
    ASSERT_EQ(said_hello.size(), 2u);
  }
  auto second = Controller::Start(FastOptions(endpoint));
  ASSERT_TRUE(second.ok()) << second.status();
  auto v0 = std::make_shared<std::vector<float>>(std::vector<float>{0});
  ASSERT_TRUE((*second)->Publish(5, Weights(v0)).ok());
  // The same worker objects: they notice the silence and introduce themselves again.
  ASSERT_TRUE((*second)->WaitForWorkers(1, 1, 10s).ok());
  ASSERT_TRUE((*second)->Submit(MakeBatch(1, 5)).ok());
  std::vector<ScoredBatch> results = Collect(**second, 1);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].rollouts.completions[0].policy_version, 5);
}

}  // namespace
}  // namespace zerorl::controller
