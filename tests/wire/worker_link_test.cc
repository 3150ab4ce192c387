// The worker's side of the conversation (wire/worker_link.h) against a bare ROUTER socket
// that plays the controller, so each test decides exactly what the worker hears and when.
#include "wire/worker_link.h"

#include <memory>
#include <string>
#include <variant>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_support.h"
#include "tests/wire/message_testing.h"
#include "wire/transport.h"
#include "wire/weight_sync.h"

namespace zerorl::wire {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::zerorl::testing::IsOk;
using ::zerorl::testing::StatusIs;

constexpr auto kBeat = 50ms;
constexpr std::chrono::milliseconds kPatience{20000};  // the sanitizer build on busy cores

WorkerLinkOptions FastOptions(const std::string& endpoint) {
  WorkerLinkOptions o;
  o.endpoint = endpoint;
  o.kind = WorkerKind::kRollout;
  o.worker_id = "w";
  o.slots = 2;
  o.heartbeat_interval = kBeat;
  o.liveness = 4;
  o.reconnect_interval = kBeat;
  o.reconnect_interval_max = 4 * kBeat;
  o.weight_timeout = 300ms;
  return o;
}

// A version of one float32 tensor, in two chunks of 8 bytes.
std::vector<WeightUpdate> TwoChunks(int64_t version,
                                    const std::shared_ptr<std::vector<float>>& values) {
  NamedTensor t;
  t.name = "w";
  t.dtype = config::DType::kFloat32;
  t.shape = {static_cast<int64_t>(values->size())};
  t.data = Frame::Borrow(values->data(), values->size() * sizeof(float), values);
  absl::StatusOr<std::vector<WeightUpdate>> chunks = SplitWeights(version, {t}, 8);
  EXPECT_THAT(chunks, IsOk());
  EXPECT_EQ(chunks->size(), 2u);
  return *chunks;
}

class WorkerLinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<zmq::socket_t> router = MakeRouterSocket(context_);
    ASSERT_THAT(router, IsOk());
    router_ = *std::move(router);
    absl::StatusOr<std::string> bound = Bind(router_, "ipc://" + dir_.Path("c.sock"));
    ASSERT_THAT(bound, IsOk());
    endpoint_ = *bound;
  }

  // The next message of `type` from the worker (others, heartbeats mostly, are skipped);
  // nullopt after kPatience. `from` receives the routing id it came from.
  std::optional<Message> Await(MessageType type, std::string* from = nullptr) {
    const auto deadline = std::chrono::steady_clock::now() + kPatience;
    while (std::chrono::steady_clock::now() < deadline) {
      absl::StatusOr<Received> in = ReceiveRoutedMessage(router_, 50ms);
      if (!in.ok() || !in->message.ok() || TypeOf(*in->message) != type) continue;
      if (from != nullptr) *from = in->routing_id;
      return *std::move(in->message);
    }
    return std::nullopt;
  }
  // Waits for the worker's Hello and returns its routing id.
  std::string AwaitHello() {
    std::string id;
    std::optional<Message> hello = Await(MessageType::kHello, &id);
    EXPECT_TRUE(hello.has_value());
    return id;
  }
  void Tell(const std::string& id, const Message& message) {
    ASSERT_THAT(SendMessageTo(router_, id, message), IsOk());
  }
  static std::optional<WorkerEvent> NextEvent(WorkerLink& link) { return link.Next(kPatience); }

  ::zerorl::testing::TempDir dir_;
  zmq::context_t context_;
  zmq::socket_t router_;
  std::string endpoint_;
};

TEST_F(WorkerLinkTest, StartRefusesABadEndpointWorkerIdOrSlots) {
  WorkerLinkOptions options = FastOptions("tcp://nowhere");
  EXPECT_THAT(WorkerLink::Start(options), StatusIs(absl::StatusCode::kInvalidArgument));
  options = FastOptions(endpoint_);
  options.worker_id = "";
  EXPECT_THAT(WorkerLink::Start(options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("worker id")));
  options = FastOptions(endpoint_);
  options.slots = 0;
  EXPECT_THAT(WorkerLink::Start(options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("slots")));
}

TEST_F(WorkerLinkTest, SaysHelloAndHandsOnEventsInArrivalOrder) {
  auto link = WorkerLink::Start(FastOptions(endpoint_), /*policy_version=*/4);
  ASSERT_THAT(link, IsOk());
  std::string id;
  std::optional<Message> hello = Await(MessageType::kHello, &id);
  ASSERT_TRUE(hello.has_value());
  const Hello& h = std::get<Hello>(*hello);
  EXPECT_EQ(id, "w");
  EXPECT_EQ(h.worker_id, "w");
  EXPECT_EQ(h.slots, 2);
  EXPECT_EQ(h.policy_version, 4);
  auto v5 = std::make_shared<std::vector<float>>(std::vector<float>{1, 2, 3, 4});
  for (const WeightUpdate& chunk : TwoChunks(5, v5)) Tell(id, chunk);
  Tell(id, testing::ExamplePromptBatch());
  Tell(id, Shutdown{"run over"});
  std::optional<WorkerEvent> weights = NextEvent(**link);
  ASSERT_TRUE(weights.has_value());
  ASSERT_EQ(weights->kind, WorkerEvent::kWeights);
  EXPECT_EQ(weights->weights_version, 5);
  std::vector<float> received(4);
  weights->weights.at(0).CopyTo(received.data());
  EXPECT_EQ(received, *v5);
  std::optional<WorkerEvent> work = NextEvent(**link);
  ASSERT_TRUE(work.has_value());
  ASSERT_EQ(work->kind, WorkerEvent::kWork);
  EXPECT_EQ(testing::Difference(work->work, testing::ExamplePromptBatch()), "");
  std::optional<WorkerEvent> shutdown = NextEvent(**link);
  ASSERT_TRUE(shutdown.has_value());
  ASSERT_EQ(shutdown->kind, WorkerEvent::kShutdown);
  EXPECT_EQ(shutdown->shutdown_reason, "run over");
  EXPECT_EQ((*link)->stats().weight_versions, 1);
  // After Shutdown a late result still goes out, until the link is destroyed.
  (*link)->Send(testing::ExampleMetrics());
  std::optional<Message> metrics = Await(MessageType::kMetrics);
  ASSERT_TRUE(metrics.has_value());
  EXPECT_EQ(testing::Difference(*metrics, testing::ExampleMetrics()), "");
}

TEST_F(WorkerLinkTest, ResultsQueuedBeforeDestructionAreSent) {
  auto link = WorkerLink::Start(FastOptions(endpoint_));
  ASSERT_THAT(link, IsOk());
  AwaitHello();
  (*link)->Send(testing::ExampleScoredGroups());
  link->reset();
  std::optional<Message> scores = Await(MessageType::kScoredGroups);
  ASSERT_TRUE(scores.has_value());
  EXPECT_EQ(testing::Difference(*scores, testing::ExampleScoredGroups()), "");
}

TEST_F(WorkerLinkTest, SilentControllerMeansANewHelloAndQueuedWorkIsDropped) {
  auto link = WorkerLink::Start(FastOptions(endpoint_));
  ASSERT_THAT(link, IsOk());
  const std::string id = AwaitHello();
  Tell(id, testing::ExamplePromptBatch());
  Tell(id, testing::ExamplePromptBatch());
  // Say nothing more: after liveness x heartbeat the worker starts over.
  std::optional<Message> again = Await(MessageType::kHello);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(std::get<Hello>(*again).worker_id, "w");
  WorkerLinkStats stats = (*link)->stats();
  EXPECT_GE(stats.reconnects, 1);
  EXPECT_EQ(stats.discarded_work, 2);
  EXPECT_FALSE((*link)->Next(100ms).has_value());  // the batches went with the old controller
}

TEST_F(WorkerLinkTest, StalledWeightVersionIsDroppedAndTheHeldVersionReported) {
  auto link = WorkerLink::Start(FastOptions(endpoint_), /*policy_version=*/1);
  ASSERT_THAT(link, IsOk());
  const std::string id = AwaitHello();
  auto v2 = std::make_shared<std::vector<float>>(std::vector<float>{5, 6, 7, 8});
  std::vector<WeightUpdate> chunks = TwoChunks(2, v2);
  Tell(id, chunks[0]);
  // Keep the worker connected past weight_timeout without sending chunk 1.
  const auto until = std::chrono::steady_clock::now() + 600ms;
  while (std::chrono::steady_clock::now() < until) {
    Tell(id, Heartbeat{2});
    std::this_thread::sleep_for(kBeat);
  }
  // Chunk 0 was dropped: chunk 1 alone does not make a version; both again do.
  Tell(id, chunks[1]);
  EXPECT_FALSE((*link)->Next(200ms).has_value());
  Tell(id, chunks[0]);
  std::optional<WorkerEvent> weights = NextEvent(**link);
  ASSERT_TRUE(weights.has_value());
  EXPECT_EQ(weights->kind, WorkerEvent::kWeights);
  EXPECT_EQ(weights->weights_version, 2);
  std::optional<Message> beat = Await(MessageType::kHeartbeat);
  ASSERT_TRUE(beat.has_value());
  EXPECT_EQ(std::get<Heartbeat>(*beat).policy_version, 1);  // not applied yet
}

}  // namespace
}  // namespace zerorl::wire
