// The learner ranks' group over real Gloo on loopback, ranks on threads: the rendezvous and its
// errors, collectives, named tensors of every dtype, commands.
#include "distributed/group.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <future>
#include <thread>

#include <torch/torch.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace zerorl::distributed {
namespace {

using ::testing::HasSubstr;
using ::zerorl::testing::IsOk;
using ::zerorl::testing::StatusIs;

// Rank 0 on this thread and `follower` (given rank 1's options) on another.
struct Pair {
  std::shared_ptr<Group> zero;
  absl::Status zero_status;
  std::thread thread;
};

void StartPair(Pair* pair, GroupOptions one, std::function<void(std::shared_ptr<Group>)> body,
               absl::Status* one_status, int world_size = 2) {
  std::promise<int> port;
  std::shared_future<int> port_future = port.get_future().share();
  pair->thread = std::thread([one, port_future, body, one_status]() mutable {
    one.master_port = port_future.get();
    absl::StatusOr<std::shared_ptr<Group>> group = Group::Create(one);
    *one_status = group.status();
    if (group.ok()) body(*group);
  });
  GroupOptions o;
  o.world_size = world_size;
  o.timeout = std::chrono::seconds(20);
  o.connect_timeout = std::chrono::seconds(3);
  o.on_listening = [&port](int p) {
    port.set_value(p);
    return absl::OkStatus();
  };
  absl::StatusOr<std::shared_ptr<Group>> group = Group::Create(o);
  pair->zero_status = group.status();
  if (group.ok()) pair->zero = *group;
}

GroupOptions RankOne(int world_size = 2) {
  GroupOptions o;
  o.rank = 1;
  o.world_size = world_size;
  o.timeout = std::chrono::seconds(20);
  o.connect_timeout = std::chrono::seconds(3);
  o.master_key = "--master";
  o.world_size_key = "--world-size";
  return o;
}

TEST(GroupTest, CollectivesNamedTensorsAndCommands) {
  Pair pair;
  absl::Status one_status;
  std::promise<NamedTensors> received;
  std::promise<std::string> command;
  StartPair(&pair, RankOne(), [&](std::shared_ptr<Group> g) {
    torch::Tensor t = torch::full({3}, 2.0);
    EXPECT_THAT(g->AllReduce(t, Reduction::kSum, "sum"), IsOk());
    EXPECT_TRUE(torch::equal(t, torch::full({3}, 3.0)));
    NamedTensors named;
    EXPECT_THAT(g->BroadcastNamed(&named, 0, "weights"), IsOk());
    received.set_value(named);
    auto text = g->NextCommand();
    command.set_value(text.ok() ? *text : std::string(text.status().message()));
    EXPECT_THAT(g->SendNamed({{"back", torch::arange(4, torch::kLong)}}, 0, "reply"), IsOk());
  }, &one_status);
  ASSERT_THAT(pair.zero_status, IsOk());
  torch::Tensor t = torch::full({3}, 1.0);
  EXPECT_THAT(pair.zero->AllReduce(t, Reduction::kSum, "sum"), IsOk());
  NamedTensors named = {{"bf16", torch::randn({2, 3}).to(torch::kBFloat16)},
                        {"empty", torch::zeros({0, 4})},
                        {"flags", torch::tensor({true, false})}};
  EXPECT_THAT(pair.zero->BroadcastNamed(&named, 0, "weights"), IsOk());
  EXPECT_THAT(pair.zero->PostCommand("{\"op\": \"hello\"}"), IsOk());
  absl::StatusOr<NamedTensors> back = pair.zero->ReceiveNamed(1, "reply");
  ASSERT_THAT(back, IsOk());
  pair.thread.join();
  ASSERT_THAT(one_status, IsOk());
  EXPECT_EQ(back->at(0).first, "back");
  EXPECT_TRUE(torch::equal(back->at(0).second, torch::arange(4, torch::kLong)));
  NamedTensors got = received.get_future().get();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].first, "bf16");
  EXPECT_TRUE(torch::equal(got[0].second, named[0].second));
  EXPECT_EQ(got[1].second.sizes(), (std::vector<int64_t>{0, 4}));
  EXPECT_TRUE(torch::equal(got[2].second, named[2].second));
  EXPECT_EQ(command.get_future().get(), "{\"op\": \"hello\"}");
}

TEST(GroupTest, RankOutOfRangeIsNamed) {
  GroupOptions o = RankOne();
  o.rank = 2;
  o.rank_key = "--rank";
  EXPECT_THAT(Group::Create(o), StatusIs(absl::StatusCode::kInvalidArgument,
                                         HasSubstr("--rank 2 is out of range for a world size "
                                                   "of 2 (ranks 0..1)")));
}

TEST(GroupTest, UnreachableMasterIsNamed) {
  // A port that was free a moment ago: nobody listens there.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  socklen_t length = sizeof(address);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  const int port = ntohs(address.sin_port);
  ::close(fd);
  GroupOptions o = RankOne();
  o.master_port = port;
  o.connect_timeout = std::chrono::seconds(1);
  EXPECT_THAT(Group::Create(o),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("cannot reach the learner master at 127.0.0.1:" +
                                 std::to_string(port) + " (--master) within 1 s")));
}

TEST(GroupTest, WorldSizeMismatchFailsBothSides) {
  Pair pair;
  absl::Status one_status;
  StartPair(&pair, RankOne(/*world_size=*/3), [](std::shared_ptr<Group>) {}, &one_status);
  pair.thread.join();
  EXPECT_THAT(one_status, StatusIs(absl::StatusCode::kInvalidArgument,
                                   HasSubstr("--world-size 3 does not match the learner "
                                             "master's world size 2")));
  EXPECT_THAT(pair.zero_status,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("learner rank 1 was started with a world size of 3 "
                                 "(--world-size / WORLD_SIZE), but cluster.learner_ranks is 2")));
}

TEST(GroupTest, MissingRanksTimeOutNamingThem) {
  GroupOptions o;
  o.world_size = 3;
  o.connect_timeout = std::chrono::milliseconds(300);
  EXPECT_THAT(Group::Create(o),
              StatusIs(absl::StatusCode::kDeadlineExceeded,
                       HasSubstr("learner ranks 1, 2 did not join 127.0.0.1:")));
}

}  // namespace
}  // namespace zerorl::distributed
