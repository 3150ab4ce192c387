// The controller over real ZeroMQ sockets, with workers built on the real WorkerLink whose
// compute loops are small deterministic functions (a rollout worker's completion encodes
// the policy version it held; a reward worker scores by sample index).
#include "controller/controller.h"

#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "core/json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_support.h"
#include "wire/transport.h"
#include "wire/worker_link.h"

namespace zerorl::controller {
namespace {

using namespace std::chrono_literals;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::zerorl::testing::IsOk;
using ::zerorl::testing::StatusIs;

constexpr auto kBeat = 50ms;  // short heartbeats keep the tests fast

wire::WorkerLinkOptions LinkOptions(const std::string& endpoint, wire::WorkerKind kind,
                                    const std::string& id, int liveness = 4) {
  wire::WorkerLinkOptions o;
  o.endpoint = endpoint;
  o.kind = kind;
  o.worker_id = id;
  o.heartbeat_interval = kBeat;
  o.liveness = liveness;
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
             int hang_after = -1, int liveness = 4)
      : kind_(kind), hang_after_(hang_after) {
    thread_ = std::thread([=] { Loop(LinkOptions(endpoint, kind, id, liveness)); });
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
    ASSERT_THAT(link, IsOk());
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
  ASSERT_THAT(controller, IsOk());
  Controller& c = **controller;
  auto v0 = std::make_shared<std::vector<float>>(std::vector<float>{1, 2, 3});
  ASSERT_THAT(c.Publish(0, Weights(v0)), IsOk());
  TestWorker rollout(c.endpoint(), wire::WorkerKind::kRollout, "rollout-0");
  TestWorker reward(c.endpoint(), wire::WorkerKind::kReward, "reward-0");
  ASSERT_THAT(c.WaitForWorkers(1, 1, 10s), IsOk());
  for (uint64_t id = 1; id <= 5; ++id) ASSERT_THAT(c.Submit(MakeBatch(id, 0)), IsOk());
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
  ASSERT_THAT(controller, IsOk());
  Controller& c = **controller;
  auto v0 = std::make_shared<std::vector<float>>(std::vector<float>{0});
  auto v1 = std::make_shared<std::vector<float>>(std::vector<float>{1, 1});
  ASSERT_THAT(c.Publish(0, Weights(v0)), IsOk());
  TestWorker rollout(c.endpoint(), wire::WorkerKind::kRollout, "rollout-0");
  TestWorker reward(c.endpoint(), wire::WorkerKind::kReward, "reward-0");
  ASSERT_THAT(c.WaitForWorkers(1, 1, 10s), IsOk());
  ASSERT_THAT(c.Submit(MakeBatch(1, 0)), IsOk());
  ASSERT_EQ(Collect(c, 1).size(), 1u);
  ASSERT_THAT(c.Publish(1, Weights(v1)), IsOk());
  EXPECT_THAT(c.Publish(1, Weights(v1)),  // versions only go up
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not newer")));
  ASSERT_THAT(c.Submit(MakeBatch(2, 1)), IsOk());
  std::vector<ScoredBatch> r = Collect(c, 1);
  ASSERT_EQ(r.size(), 1u);
  for (const wire::Completion& comp : r[0].rollouts.completions) EXPECT_EQ(comp.policy_version, 1);
  EXPECT_THAT(c.WaitForWeights(5s), IsOk());
  EXPECT_EQ(c.stats().worker_versions.at("rollout-0"), 1);
}

TEST_F(ControllerTest, LateJoinerGetsTheCurrentWeights) {
  auto controller = Controller::Start(FastOptions(Endpoint()));
  ASSERT_THAT(controller, IsOk());
  Controller& c = **controller;
  auto v0 = std::make_shared<std::vector<float>>(std::vector<float>{0});
  auto v3 = std::make_shared<std::vector<float>>(std::vector<float>{3, 3, 3});
  ASSERT_THAT(c.Publish(0, Weights(v0)), IsOk());
  ASSERT_THAT(c.Publish(3, Weights(v3)), IsOk());
  TestWorker rollout(c.endpoint(), wire::WorkerKind::kRollout, "late");
  ASSERT_THAT(c.WaitForWorkers(1, 0, 10s), IsOk());
  ASSERT_THAT(c.WaitForWeights(10s), IsOk());
  EXPECT_EQ(rollout.version(), 3);
  EXPECT_EQ(rollout.last_weights(), (std::vector<float>{3, 3, 3}));
}

TEST_F(ControllerTest, SilentWorkersWorkIsRedoneAndCountedOnce) {
  auto controller = Controller::Start(FastOptions(Endpoint(), dir_.Path("ledger.jsonl")));
  ASSERT_THAT(controller, IsOk());
  Controller& c = **controller;
  auto v0 = std::make_shared<std::vector<float>>(std::vector<float>{0});
  ASSERT_THAT(c.Publish(0, Weights(v0)), IsOk());
  TestWorker hangs(c.endpoint(), wire::WorkerKind::kRollout, "hangs", /*hang_after=*/1);
  TestWorker reward(c.endpoint(), wire::WorkerKind::kReward, "reward-0");
  ASSERT_THAT(c.WaitForWorkers(1, 1, 10s), IsOk());
  // The first two batches can only go to `hangs`, which answers one and goes silent with the
  // other; `healthy` joins once it is lost. Had `healthy` been there from the start, it could
  // have taken every batch before `hangs` got a second one (seen under the sanitizers).
  for (uint64_t id = 1; id <= 2; ++id) ASSERT_THAT(c.Submit(MakeBatch(id, 0)), IsOk());
  std::vector<ScoredBatch> results = Collect(c, 1);
  ASSERT_EQ(results.size(), 1u);
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (c.stats().workers_lost == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_EQ(c.stats().workers_lost, 1) << "the silent worker was never timed out";
  TestWorker healthy(c.endpoint(), wire::WorkerKind::kRollout, "healthy");
  for (uint64_t id = 3; id <= 6; ++id) ASSERT_THAT(c.Submit(MakeBatch(id, 0)), IsOk());
  for (ScoredBatch& r : Collect(c, 5)) results.push_back(std::move(r));
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
  ASSERT_THAT(controller, IsOk());
  Controller& c = **controller;
  auto v0 = std::make_shared<std::vector<float>>(std::vector<float>{0});
  ASSERT_THAT(c.Publish(0, Weights(v0)), IsOk());
  TestWorker rollout(c.endpoint(), wire::WorkerKind::kRollout, "rollout-0");
  TestWorker reward(c.endpoint(), wire::WorkerKind::kReward, "reward-0");
  ASSERT_THAT(c.WaitForWorkers(1, 1, 10s), IsOk());
  zmq::context_t context;
  auto rogue = wire::MakeDealerSocket(context, "rogue");
  ASSERT_THAT(rogue, IsOk());
  ASSERT_THAT(wire::Connect(*rogue, c.endpoint()), IsOk());
  for (int i = 0; i < 20; ++i) {
    wire::Frames garbage = {wire::Frame::FromString("not json " + std::to_string(i)),
                            wire::Frame::FromString(std::string(100, '\xff'))};
    ASSERT_THAT(wire::SendFrames(*rogue, garbage), IsOk());
  }
  // A well-formed answer for a batch nobody gave it is dropped too.
  wire::Rollouts forged;
  forged.batch_id = 1;
  ASSERT_THAT(wire::SendMessage(*rogue, forged), IsOk());
  for (uint64_t id = 1; id <= 3; ++id) ASSERT_THAT(c.Submit(MakeBatch(id, 0)), IsOk());
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
    ASSERT_THAT(first, IsOk());
    ASSERT_THAT(wire::Bind(*first, endpoint), IsOk());
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
  ASSERT_THAT(second, IsOk());
  auto v0 = std::make_shared<std::vector<float>>(std::vector<float>{0});
  ASSERT_THAT((*second)->Publish(5, Weights(v0)), IsOk());
  // The same worker objects: they notice the silence and introduce themselves again.
  ASSERT_THAT((*second)->WaitForWorkers(1, 1, 10s), IsOk());
  ASSERT_THAT((*second)->Submit(MakeBatch(1, 5)), IsOk());
  std::vector<ScoredBatch> results = Collect(**second, 1);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].rollouts.completions[0].policy_version, 5);
}

// A controller with one rollout and one reward worker, ready for batches at version 0.
class ServingControllerTest : public ControllerTest {
 protected:
  void SetUp() override {
    ControllerOptions options = FastOptions(Endpoint(), dir_.Path("ledger.jsonl"));
    options.liveness = liveness_;
    auto started = Controller::Start(options);
    ASSERT_THAT(started, IsOk());
    controller_ = *std::move(started);
    ASSERT_THAT(controller_->Publish(0, Weights(v0_)), IsOk());
    rollout_ = std::make_unique<TestWorker>(controller_->endpoint(), wire::WorkerKind::kRollout,
                                            "rollout-0", /*hang_after=*/-1, liveness_);
    reward_ = std::make_unique<TestWorker>(controller_->endpoint(), wire::WorkerKind::kReward,
                                           "reward-0", /*hang_after=*/-1, liveness_);
    ASSERT_THAT(controller_->WaitForWorkers(1, 1, 10s), IsOk());
  }
  void TearDown() override {
    rollout_.reset();
    reward_.reset();
    controller_.reset();
  }
  // Submits a normal batch and waits for it: the controller still serves.
  void ExpectServes(uint64_t id) {
    ASSERT_THAT(controller_->Submit(MakeBatch(id, 0)), IsOk());
    std::vector<ScoredBatch> results = Collect(*controller_, 1);
    ASSERT_EQ(results.size(), 1u);
    EXPECT_EQ(results[0].batch.batch_id, id);
    EXPECT_EQ(results[0].scores.completions.size(), 6u);
  }
  std::string Ledger() { return core::ReadFile(dir_.Path("ledger.jsonl")).value(); }

  int liveness_ = 4;  // heartbeat intervals of silence before a peer is dead
  std::shared_ptr<std::vector<float>> v0_ = std::make_shared<std::vector<float>>(1, 0.0f);
  std::unique_ptr<Controller> controller_;
  std::unique_ptr<TestWorker> rollout_, reward_;
};

TEST_F(ServingControllerTest, SubmitRefusesABatchOverTheWireLimits) {
  Controller& c = *controller_;
  wire::PromptBatch too_many = MakeBatch(1, 0, /*prompts=*/0);
  too_many.prompts.resize(wire::kMaxItems + 1);
  EXPECT_THAT(c.Submit(std::move(too_many)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("batch 1: "), HasSubstr("1048577 prompts, over the limit "
                                                               "of 1048576"))));
  // Each prompt fits, but the header that lists them is over kMaxHeaderBytes.
  wire::PromptBatch big_header = MakeBatch(1, 0, /*prompts=*/150000, /*n=*/1);
  for (wire::Prompt& p : big_header.prompts) p.id = p.seed = p.id + 1000000000000000000;
  EXPECT_THAT(c.Submit(std::move(big_header)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("over the limit of " + std::to_string(wire::kMaxHeaderBytes))));
  // The batch fits, its answer would not: 2 x 524289 completions.
  EXPECT_THAT(c.Submit(MakeBatch(1, 0, /*prompts=*/2, /*n=*/wire::kMaxItems / 2 + 1)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("1048578 completions"), HasSubstr("kMaxItems"))));
  // What a rollout worker's decoder refuses.
  EXPECT_THAT(c.Submit(MakeBatch(1, 0, /*prompts=*/2, /*n=*/0)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("sampling.n")));
  wire::PromptBatch long_stop = MakeBatch(1, 0);
  long_stop.sampling.stop = {std::string(5000, 'x')};
  EXPECT_THAT(c.Submit(std::move(long_stop)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("sampling.stop")));
  wire::PromptBatch twice = MakeBatch(1, 0);
  twice.prompts[1].id = twice.prompts[0].id;
  EXPECT_THAT(c.Submit(std::move(twice)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("prompt id 100 appears twice")));
  // Nothing was queued: the id is still free, and the controller serves on.
  EXPECT_EQ(c.stats().in_flight, 0u);
  ExpectServes(1);
  EXPECT_EQ(c.stats().in_flight, 0u);
}

TEST_F(ServingControllerTest, SubmitRefusesABatchIdUsedBefore) {
  Controller& c = *controller_;
  ASSERT_THAT(c.Submit(MakeBatch(1, 0)), IsOk());
  EXPECT_THAT(c.Submit(MakeBatch(1, 0)),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("batch id 1")));
  std::vector<ScoredBatch> results = Collect(c, 1);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].batch.batch_id, 1u);
  // Also once the batch is done.
  EXPECT_THAT(c.Submit(MakeBatch(1, 0)), StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_FALSE(c.Next(200ms).has_value());  // the first batch came out once
  ExpectServes(2);
  EXPECT_EQ(c.stats().in_flight, 0u);
}

// Batches of tens of megabytes: encoding and decoding them (slower still under the
// sanitizers) must not pass for silence.
class BigBatchControllerTest : public ServingControllerTest {
 protected:
  BigBatchControllerTest() { liveness_ = 200; }  // 10 s
};

TEST_F(BigBatchControllerTest, BatchWhoseScoringRequestIsOverTheWireLimitIsGivenUp) {
  Controller& c = *controller_;
  // 80k prompts with long ids: the batch and the rollout worker's answer each have a
  // header under kMaxHeaderBytes; the answer with the prompts attached does not.
  wire::PromptBatch big = MakeBatch(1, 0, /*prompts=*/80000, /*n=*/1);
  for (wire::Prompt& p : big.prompts) p.id = p.seed = p.id + 1000000000000000000;
  wire::Rollouts request;
  for (const wire::Prompt& p : big.prompts) {
    request.completions.push_back({p.id, 0, 0, wire::FinishReason::kStop, {1, 0}, {0, 0}, "answer"});
  }
  ASSERT_THAT(wire::Encode(request), IsOk());
  request.prompts = big.prompts;
  ASSERT_THAT(wire::Encode(request), StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_THAT(c.Submit(std::move(big)), IsOk());
  ASSERT_THAT(c.Submit(MakeBatch(2, 0)), IsOk());
  std::vector<ScoredBatch> results = Collect(c, 1);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].batch.batch_id, 2u);
  std::vector<FailedBatch> failed;
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        for (FailedBatch& f : c.TakeFailures()) failed.push_back(std::move(f));
        return !failed.empty();
      },
      30000));
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].batch_id, 1u);
  EXPECT_THAT(failed[0].status,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("batch 1 given up"),
                             HasSubstr("over the limit of " +
                                       std::to_string(wire::kMaxHeaderBytes)))));
  EXPECT_TRUE(c.TakeFailures().empty());  // each failure is reported once
  EXPECT_FALSE(c.Next(200ms).has_value());
  EXPECT_EQ(c.stats().in_flight, 0u);
  ExpectServes(3);
  EXPECT_NE(Ledger().find("\"event\":\"abandoned\",\"time\""), std::string::npos);
  EXPECT_EQ(c.stats().workers_lost, 0);
}

TEST_F(ControllerTest, PublishRefusesAMalformedTensorAndKeepsTheVersionFree) {
  auto controller = Controller::Start(FastOptions(Endpoint()));
  ASSERT_THAT(controller, IsOk());
  Controller& c = **controller;
  auto values = std::make_shared<std::vector<float>>(std::vector<float>{1, 2, 3});
  std::vector<wire::NamedTensor> bad = Weights(values);
  bad[0].shape = {4};  // 16 bytes promised, 12 there
  EXPECT_THAT(c.Publish(0, bad),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("policy version 0"), HasSubstr("tensor 'w'"))));
  EXPECT_EQ(c.stats().published_version, wire::kNoPolicyVersion);
  EXPECT_THAT(c.Publish(0, Weights(values)), IsOk());
  EXPECT_EQ(c.stats().published_version, 0);
}

TEST_F(ControllerTest, SubmitAndPublishAfterShutdownAreRefused) {
  auto controller = Controller::Start(FastOptions(Endpoint()));
  ASSERT_THAT(controller, IsOk());
  Controller& c = **controller;
  c.Shutdown("done");
  EXPECT_THAT(c.Submit(MakeBatch(1, 0)), StatusIs(absl::StatusCode::kFailedPrecondition));
  auto v0 = std::make_shared<std::vector<float>>(std::vector<float>{0});
  EXPECT_THAT(c.Publish(0, Weights(v0)), StatusIs(absl::StatusCode::kFailedPrecondition));
}

}  // namespace
}  // namespace zerorl::controller
