#include "wire/transport.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <thread>

#include "core/crc32c.h"
#include "core/log.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_support.h"
#include "tests/wire/message_testing.h"
#include "wire/weight_sync.h"

namespace zerorl::wire {
namespace {

using std::chrono::milliseconds;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::zerorl::testing::IsOk;
using ::zerorl::testing::StatusIs;

constexpr milliseconds kPatience{20000};  // generous: the sanitizer build on 2 busy cores

// ---------------------------------------------------------------------------------------
// Endpoints and sockets.

TEST(TransportTest, ValidateEndpointAcceptsTcpIpcAndInproc) {
  for (const char* ok :
       {"tcp://127.0.0.1:5555", "tcp://*:*", "tcp://[::1]:80", "tcp://node-3.cluster:65535",
        "ipc:///tmp/run/controller.sock", "ipc://relative.sock", "inproc://controller"}) {
    EXPECT_THAT(ValidateEndpoint(ok), IsOk()) << ok << ": " << ValidateEndpoint(ok);
  }
}

TEST(TransportTest, ValidateEndpointRefusesMalformedOnesWithTheReason) {
  struct Case {
    const char* endpoint;
    const char* why;
  };
  for (const Case& c :
       {Case{"tcp://127.0.0.1", "must be tcp://HOST:PORT"},
        Case{"tcp://:5555", "must be tcp://HOST:PORT"},
        Case{"tcp://host:0", "the port must be 1-65535, or * to bind to a free one"},
        Case{"tcp://host:70000", "the port must be 1-65535"},
        Case{"tcp://host:http", "the port must be 1-65535"}, Case{"ipc://", "ipc:// needs a path"},
        Case{"udp://host:1", "must be tcp://HOST:PORT, ipc://PATH or inproc://NAME"},
        Case{"localhost:5555", "must be tcp://HOST:PORT, ipc://PATH or inproc://NAME"}}) {
    absl::Status status = ValidateEndpoint(c.endpoint);
    EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument,
                                 AllOf(HasSubstr(c.why), HasSubstr(c.endpoint))))
        << c.endpoint;
  }
}

TEST(TransportTest, IpcEndpointIsAbsoluteAndRefusesLongPaths) {
  absl::StatusOr<std::string> endpoint = IpcEndpoint("runs/quick", "controller");
  ASSERT_THAT(endpoint, IsOk());
  EXPECT_EQ(endpoint->rfind("ipc:///", 0), 0u) << *endpoint;
  EXPECT_THAT(*endpoint, ::testing::EndsWith("/runs/quick/controller.sock"));
  absl::StatusOr<std::string> long_one = IpcEndpoint("/" + std::string(120, 'd'), "controller");
  ASSERT_THAT(
      long_one,
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("over the 107 a Unix socket allows: use a shorter run directory, or "
                         "tcp://127.0.0.1:*")));
}

TEST(TransportTest, TcpEndpointWithPortZeroBindsAFreePort) {
  EXPECT_EQ(TcpEndpoint("10.0.0.1", 5555), "tcp://10.0.0.1:5555");
  zmq::context_t context;
  absl::StatusOr<zmq::socket_t> router = MakeRouterSocket(context);
  ASSERT_THAT(router, IsOk());
  absl::StatusOr<std::string> bound = Bind(*router, TcpEndpoint("127.0.0.1", 0));
  ASSERT_THAT(bound, IsOk());
  EXPECT_THAT(*bound, ::testing::MatchesRegex("tcp://127\\.0\\.0\\.1:[0-9]+"));
  EXPECT_THAT(ValidateEndpoint(*bound), IsOk());
}

TEST(TransportTest, BindingATakenAddressIsUnavailable) {
  zmq::context_t context;
  absl::StatusOr<zmq::socket_t> a = MakeRouterSocket(context);
  absl::StatusOr<zmq::socket_t> b = MakeRouterSocket(context);
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  absl::StatusOr<std::string> bound = Bind(*a, "tcp://127.0.0.1:*");
  ASSERT_THAT(bound, IsOk());
  absl::StatusOr<std::string> again = Bind(*b, *bound);
  ASSERT_THAT(again, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("bind " + *bound)));
}

TEST(TransportTest, DealerRoutingIdMustBeUsable) {
  zmq::context_t context;
  for (const std::string& bad : {std::string(), std::string(256, 'x'), std::string("\0ab", 3)}) {
    absl::StatusOr<zmq::socket_t> dealer = MakeDealerSocket(context, bad);
    ASSERT_THAT(dealer, StatusIs(absl::StatusCode::kInvalidArgument,
                                 HasSubstr("must be 1-255 bytes, not starting with 0")));
  }
}

TEST(TransportTest, PeerNameShowsBinaryIdsInHex) {
  EXPECT_EQ(PeerName("rollout-0"), "rollout-0");
  EXPECT_EQ(PeerName(std::string("\0\x80\x01", 3)), "0x008001");
  EXPECT_EQ(PeerName("has space"), "0x686173207370616365");
}

// ---------------------------------------------------------------------------------------
// In-process behaviour.

struct Pair {
  zmq::context_t context;
  zmq::socket_t router;
  zmq::socket_t dealer;
  std::string endpoint;
};

// A ROUTER bound to `endpoint` and a DEALER "worker-0" connected to it, with options `o`.
std::unique_ptr<Pair> Connected(const std::string& endpoint, const SocketOptions& o = {}) {
  auto pair = std::make_unique<Pair>();
  absl::StatusOr<zmq::socket_t> router = MakeRouterSocket(pair->context, o);
  absl::StatusOr<zmq::socket_t> dealer = MakeDealerSocket(pair->context, "worker-0", o);
  EXPECT_THAT(router, IsOk());
  EXPECT_THAT(dealer, IsOk());
  pair->router = std::move(*router);
  pair->dealer = std::move(*dealer);
  absl::StatusOr<std::string> bound = Bind(pair->router, endpoint);
  EXPECT_THAT(bound, IsOk());
  pair->endpoint = bound.ok() ? *bound : "";
  EXPECT_THAT(Connect(pair->dealer, pair->endpoint), IsOk());
  return pair;
}

TEST(TransportTest, ReceiveTimesOutWithDeadlineExceeded) {
  auto pair = Connected("inproc://timeout");
  absl::StatusOr<Received> in = ReceiveRoutedMessage(pair->router, milliseconds(30));
  ASSERT_THAT(in, StatusIs(absl::StatusCode::kDeadlineExceeded, "nothing received in 30 ms"));
}

TEST(TransportTest, SendToAnUnknownPeerIsNotFound) {
  auto pair = Connected("inproc://unknown");
  absl::Status sent = SendMessageTo(pair->router, "ghost", Heartbeat{1});
  EXPECT_THAT(sent,
              StatusIs(absl::StatusCode::kNotFound, "send to ghost: no such peer is connected"));
}

TEST(TransportTest, AStuckPeerMakesSendsFailInsteadOfBlocking) {
  SocketOptions o;
  o.send_hwm = 1;
  o.recv_hwm = 1;
  o.send_timeout_ms = 0;
  auto pair = Connected("inproc://stuck", o);  // the DEALER never reads
  absl::Status sent = absl::OkStatus();
  int accepted = 0;
  for (; accepted < 100 && sent.ok(); ++accepted) {
    sent = SendMessageTo(pair->router, "worker-0", Heartbeat{accepted});
  }
  EXPECT_LT(accepted, 100);
  EXPECT_THAT(sent,
              StatusIs(absl::StatusCode::kDeadlineExceeded,
                       "send to worker-0: queue full for the whole send timeout (peer stuck?)"));
}

TEST(TransportTest, PollReportsWhichSocketIsReadable) {
  auto pair = Connected("inproc://poll");
  absl::StatusOr<std::vector<bool>> ready =
      PollReadable({&pair->router, &pair->dealer}, milliseconds(0));
  ASSERT_THAT(ready, IsOk());
  EXPECT_EQ(*ready, (std::vector<bool>{false, false}));
  ASSERT_THAT(SendMessage(pair->dealer, Heartbeat{2}), IsOk());
  ready = PollReadable({&pair->router, &pair->dealer}, kPatience);
  ASSERT_THAT(ready, IsOk());
  EXPECT_EQ(*ready, (std::vector<bool>{true, false}));
}

void IgnoreSignal(int) {}

TEST(TransportTest, ASignalInterruptsAWaitWithCancelled) {
  struct sigaction action = {};
  struct sigaction previous = {};
  action.sa_handler = &IgnoreSignal;  // no SA_RESTART: poll returns EINTR
  ASSERT_EQ(::sigaction(SIGUSR1, &action, &previous), 0);
  auto pair = Connected("inproc://signal");
  pthread_t self = ::pthread_self();
  std::atomic<bool> returned{false};
  std::thread killer([self, &returned] {
    while (!returned.load()) {  // until it lands while the wait is on
      std::this_thread::sleep_for(milliseconds(50));
      ::pthread_kill(self, SIGUSR1);
    }
  });
  absl::StatusOr<Frames> frames = ReceiveFrames(pair->router, kPatience);
  returned.store(true);
  killer.join();
  ::sigaction(SIGUSR1, &previous, nullptr);
  ASSERT_THAT(frames, StatusIs(absl::StatusCode::kCancelled, HasSubstr("interrupted by a signal")));
}

TEST(TransportTest, BigFramesAreSentWithoutCopying) {
  auto pair = Connected("inproc://zerocopy");
  auto released = std::make_shared<std::atomic<bool>>(false);
  std::shared_ptr<std::string> buffer(new std::string(1 << 20, 'w'), [released](std::string* s) {
    delete s;
    released->store(true);
  });
  const void* address = buffer->data();
  Frames frames = {Frame::FromString("small"),
                   Frame::Borrow(buffer->data(), buffer->size(), buffer)};
  buffer.reset();
  ASSERT_THAT(SendFrames(pair->dealer, frames), IsOk());
  frames.clear();
  absl::StatusOr<RoutedFrames> got = ReceiveRoutedFrames(pair->router, kPatience);
  ASSERT_THAT(got, IsOk());
  ASSERT_EQ(got->frames.size(), 2u);
  EXPECT_EQ(got->frames[1].data(), address);  // inproc hands over the very same bytes
  EXPECT_FALSE(released->load());             // still owned by the received frame
  got->frames.clear();
  EXPECT_TRUE(released->load());
}

// ---------------------------------------------------------------------------------------
// A rogue peer: garbage, other versions, oversized and over-many frames, raw TCP junk.

class RoguePeerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SocketOptions options;
    options.max_frame_bytes = 1 << 20;
    options.linger_ms = 0;
    auto router = MakeRouterSocket(context_, options);
    ASSERT_THAT(router, IsOk());
    router_ = std::move(*router);
    auto bound = Bind(router_, "tcp://127.0.0.1:*");
    ASSERT_THAT(bound, IsOk());
    endpoint_ = *bound;
    auto rogue = MakeDealerSocket(context_, "rogue", options);
    ASSERT_THAT(rogue, IsOk());
    rogue_ = std::move(*rogue);
    ASSERT_THAT(Connect(rogue_, endpoint_), IsOk());
  }

  // What the controller's loop does: receive, log a refusal with the peer and the reason.
  absl::StatusOr<Received> Next(milliseconds timeout = kPatience) {
    absl::StatusOr<Received> in = ReceiveRoutedMessage(router_, timeout);
    if (in.ok() && !in->message.ok()) {
      ZLOG(WARNING) << "refused a message from " << PeerName(in->routing_id) << ": "
                    << in->message.status();
    }
    return in;
  }

  void ExpectWorkerStillServed() {
    auto worker = MakeDealerSocket(context_, "worker-0");
    ASSERT_THAT(worker, IsOk());
    ASSERT_THAT(Connect(*worker, endpoint_), IsOk());
    ASSERT_THAT(SendMessage(*worker, testing::ExampleHello()), IsOk());
    absl::StatusOr<Received> in = Next();
    ASSERT_THAT(in, IsOk());
    ASSERT_THAT(in->message, IsOk());
    EXPECT_EQ(in->routing_id, "worker-0");
    EXPECT_EQ(testing::Difference(*in->message, testing::ExampleHello()), "");
    ASSERT_THAT(SendMessageTo(router_, "worker-0", testing::ExamplePromptBatch()), IsOk());
    absl::StatusOr<Received> reply = ReceiveMessage(*worker, kPatience);
    ASSERT_THAT(reply, IsOk());
    ASSERT_THAT(reply->message, IsOk());
    EXPECT_EQ(testing::Difference(*reply->message, testing::ExamplePromptBatch()), "");
    worker->set(zmq::sockopt::linger, 0);
  }

  zmq::context_t context_;
  zmq::socket_t router_;
  zmq::socket_t rogue_;
  std::string endpoint_;
};

TEST_F(RoguePeerTest, GarbageFramesAreRefusedWithTheReason) {
  ASSERT_THAT(
      SendFrames(rogue_, {Frame::FromString("\xde\xad\xbe\xef"), Frame::FromString("more")}),
      IsOk());
  absl::StatusOr<Received> in = Next();
  ASSERT_THAT(in, IsOk());
  EXPECT_EQ(in->routing_id, "rogue");
  ASSERT_THAT(in->message,
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("header: not JSON")));
  ExpectWorkerStillServed();
}

TEST_F(RoguePeerTest, OtherProtocolVersionIsRefusedAndToldSo) {
  Frames hello = *Encode(testing::ExampleHello());
  Frames frames =
      testing::EditHeader(hello, [](rapidjson::Document& d) { d["protocol"].SetUint(7); });
  ASSERT_THAT(SendFrames(rogue_, frames), IsOk());
  absl::StatusOr<Received> in = Next();
  ASSERT_THAT(in, IsOk());
  ASSERT_THAT(in->message,
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("peer speaks zerorl protocol version 7, this process speaks "
                                 "version 1")));
  std::string why(in->message.status().message());
  ASSERT_THAT(SendMessageTo(router_, in->routing_id, Shutdown{why}), IsOk());
  absl::StatusOr<Received> told = ReceiveMessage(rogue_, kPatience);
  ASSERT_THAT(told, IsOk());
  ASSERT_THAT(told->message, IsOk());
  EXPECT_EQ(std::get<Shutdown>(*told->message).reason, why);
  ExpectWorkerStillServed();
}

TEST_F(RoguePeerTest, OversizedFrameDropsOnlyThatConnection) {
  ASSERT_THAT(SendFrames(rogue_, {Frame::FromString(std::string(2 << 20, 'x'))}), IsOk());
  absl::StatusOr<Received> in = Next(milliseconds(300));
  EXPECT_THAT(in, StatusIs(absl::StatusCode::kDeadlineExceeded));  // never delivered
  ExpectWorkerStillServed();
}

TEST_F(RoguePeerTest, TooManyFramesAreRefused) {
  Frames frames(kMaxFrames + 5, Frame());
  ASSERT_THAT(SendFrames(rogue_, frames), IsOk());
  absl::StatusOr<Received> in = Next();
  ASSERT_THAT(in, IsOk());
  EXPECT_EQ(in->routing_id, "rogue");
  ASSERT_THAT(in->message,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "message from rogue has 65541 frames, over the limit of 65536 (dropped)"));
  ExpectWorkerStillServed();
}

TEST_F(RoguePeerTest, RawTcpJunkIsIgnored) {
  int port = std::stoi(endpoint_.substr(endpoint_.rfind(':') + 1));
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  std::string junk = "GET / HTTP/1.1\r\nHost: zerorl\r\n\r\n" + std::string(4096, '\xff');
  EXPECT_GT(::write(fd, junk.data(), junk.size()), 0);
  ::close(fd);
  absl::StatusOr<Received> in = Next(milliseconds(300));
  EXPECT_THAT(in, StatusIs(absl::StatusCode::kDeadlineExceeded));
  ExpectWorkerStillServed();
}

// ---------------------------------------------------------------------------------------
// Two processes over real sockets: every message type, and a 64 MB weight update.

constexpr int64_t kWeightVersion = 12;

// 64 MiB of weights in three tensors, filled with a seeded pattern.
std::vector<NamedTensor> BigWeights() {
  struct Spec {
    const char* name;
    config::DType dtype;
    std::vector<int64_t> shape;
  };
  std::vector<NamedTensor> tensors;
  uint64_t state = 0x9E3779B97F4A7C15ull;
  for (const Spec& s :
       {Spec{"model.embed_tokens.weight", config::DType::kBFloat16, {8192, 2048}},
        Spec{"model.layers.0.mlp.up_proj.weight", config::DType::kFloat32, {2048, 2048}},
        Spec{"lm_head.weight", config::DType::kBFloat16, {4096, 2048}}}) {
    size_t bytes = DTypeSize(s.dtype);
    for (int64_t d : s.shape) bytes *= static_cast<size_t>(d);
    std::string data(bytes, '\0');
    for (size_t i = 0; i + 8 <= bytes; i += 8) {
      state ^= state << 13;
      state ^= state >> 7;
      state ^= state << 17;
      std::memcpy(&data[i], &state, 8);
    }
    tensors.push_back({s.name, s.dtype, s.shape, Frame::FromString(std::move(data))});
  }
  return tensors;
}

// The CRC-32C of every tensor's name and bytes, in order.
uint32_t Fingerprint(const std::vector<NamedTensor>& tensors) {
  uint32_t crc = 0;
  for (const NamedTensor& t : tensors) {
    crc = core::Crc32cExtend(crc, t.name.data(), t.name.size());
    crc = core::Crc32cExtend(crc, t.data.data(), t.data.size());
  }
  return crc;
}
uint32_t Fingerprint(const std::vector<ReceivedTensor>& tensors) {
  uint32_t crc = 0;
  for (const ReceivedTensor& t : tensors) {
    crc = core::Crc32cExtend(crc, t.name.data(), t.name.size());
    for (const auto& [offset, piece] : t.pieces)
      crc = core::Crc32cExtend(crc, piece.data(), piece.size());
  }
  return crc;
}

// The worker side, in the child: says Hello, echoes every message, assembles weights and
// reports their fingerprint, exits 0 on Shutdown. Any problem: a line on stderr, exit 1.
int RunEchoWorker(const std::string& endpoint) {
  zmq::context_t context;
  absl::StatusOr<zmq::socket_t> dealer = MakeDealerSocket(context, "rollout-7");
  if (!dealer.ok() || !Connect(*dealer, endpoint).ok()) return 1;
  Hello hello = testing::ExampleHello();
  hello.pid = ::getpid();
  if (!SendMessage(*dealer, hello).ok()) return 1;
  WeightAssembler assembler;
  while (true) {
    absl::StatusOr<Received> in = ReceiveMessage(*dealer, kPatience);
    if (!in.ok() || !in->message.ok()) {
      ZLOG(ERROR) << "worker: " << (in.ok() ? in->message.status() : in.status());
      return 1;
    }
    Message& m = *in->message;
    if (std::holds_alternative<Shutdown>(m)) return 0;
    if (const auto* chunk = std::get_if<WeightUpdate>(&m)) {
      absl::StatusOr<bool> complete = assembler.Add(*chunk);
      if (!complete.ok()) {
        ZLOG(ERROR) << "worker: " << complete.status();
        return 1;
      }
      if (!*complete) continue;
      int64_t version = assembler.version();
      absl::StatusOr<std::vector<ReceivedTensor>> tensors = assembler.Take();
      if (!tensors.ok()) return 1;
      size_t bytes = 0;
      for (const ReceivedTensor& t : *tensors) bytes += t.bytes;
      m = Metrics{{{"weights/version", static_cast<double>(version)},
                   {"weights/bytes", static_cast<double>(bytes)},
                   {"weights/fingerprint", static_cast<double>(Fingerprint(*tensors))}}};
    }
    absl::Status sent = SendMessage(*dealer, m);
    if (!sent.ok()) {
      ZLOG(ERROR) << "worker: " << sent;
      return 1;
    }
  }
}

class TwoProcessTest : public ::testing::TestWithParam<std::string> {};

TEST_P(TwoProcessTest, ExchangesEveryMessageTypeAndA64MBWeightUpdate) {
  testing::TempDir dir;
  // Fork before any ZeroMQ context exists; the child learns the endpoint through a pipe.
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(pipe_fds[1]);
    char buffer[512] = {};
    ssize_t n = ::read(pipe_fds[0], buffer, sizeof(buffer) - 1);
    ::_exit(n > 0 ? RunEchoWorker(std::string(buffer, static_cast<size_t>(n))) : 1);
  }
  ::close(pipe_fds[0]);
  zmq::context_t context;
  absl::StatusOr<zmq::socket_t> router = MakeRouterSocket(context);
  ASSERT_THAT(router, IsOk());
  std::string wanted = GetParam() == "ipc" ? *IpcEndpoint(dir.path(), "controller")
                                           : std::string("tcp://127.0.0.1:*");
  absl::StatusOr<std::string> endpoint = Bind(*router, wanted);
  ASSERT_THAT(endpoint, IsOk());
  ASSERT_EQ(::write(pipe_fds[1], endpoint->data(), endpoint->size()),
            static_cast<ssize_t>(endpoint->size()));
  ::close(pipe_fds[1]);

  absl::StatusOr<Received> hello = ReceiveRoutedMessage(*router, kPatience);
  ASSERT_THAT(hello, IsOk());
  ASSERT_THAT(hello->message, IsOk());
  EXPECT_EQ(hello->routing_id, "rollout-7");
  Hello expected_hello = testing::ExampleHello();
  expected_hello.pid = child;
  EXPECT_EQ(testing::Difference(*hello->message, expected_hello), "");

  for (const Message& m : testing::ExampleMessages()) {
    if (std::holds_alternative<Shutdown>(m) || std::holds_alternative<WeightUpdate>(m)) continue;
    SCOPED_TRACE(MessageTypeName(TypeOf(m)));
    ASSERT_THAT(SendMessageTo(*router, "rollout-7", m), IsOk());
    absl::StatusOr<Received> echo = ReceiveRoutedMessage(*router, kPatience);
    ASSERT_THAT(echo, IsOk());
    ASSERT_THAT(echo->message, IsOk());
    EXPECT_EQ(testing::Difference(m, *echo->message), "");
  }

  std::vector<NamedTensor> weights = BigWeights();
  absl::StatusOr<std::vector<WeightUpdate>> chunks =
      SplitWeights(kWeightVersion, weights, size_t{8} << 20);
  ASSERT_THAT(chunks, IsOk());
  EXPECT_EQ(chunks->size(), 8u);
  for (const WeightUpdate& chunk : *chunks) {
    ASSERT_THAT(SendMessageTo(*router, "rollout-7", chunk), IsOk());
  }
  absl::StatusOr<Received> report = ReceiveRoutedMessage(*router, kPatience);
  ASSERT_THAT(report, IsOk());
  ASSERT_THAT(report->message, IsOk());
  const Metrics& metrics = std::get<Metrics>(*report->message);
  EXPECT_EQ(metrics.values.at("weights/version"), kWeightVersion);
  EXPECT_EQ(metrics.values.at("weights/bytes"), 64 << 20);
  EXPECT_EQ(metrics.values.at("weights/fingerprint"), Fingerprint(weights));

  ASSERT_THAT(SendMessageTo(*router, "rollout-7", Shutdown{"test over"}), IsOk());
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
}

INSTANTIATE_TEST_SUITE_P(Transports, TwoProcessTest, ::testing::Values("ipc", "tcp"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace zerorl::wire
