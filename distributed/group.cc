#include "distributed/group.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <thread>

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/status.h"

namespace zerorl::distributed {
namespace {

using Clock = std::chrono::steady_clock;

constexpr char kWorldSizeKey[] = "zerorl/world_size";
constexpr char kGoKey[] = "zerorl/go";

std::vector<uint8_t> Bytes(const std::string& s) { return {s.begin(), s.end()}; }
std::string Text(const std::vector<uint8_t>& b) { return {b.begin(), b.end()}; }

// The first line of a c10d / Gloo exception (the rest is a C++ stack trace).
std::string FirstLine(const char* what) {
  std::string text(what);
  size_t end = text.find('\n');
  return end == std::string::npos ? text : text.substr(0, end);
}

std::string Hostname() {
  char host[256] = {0};
  ::gethostname(host, sizeof(host) - 1);
  return host;
}

// The local address this machine uses to reach host:port (a connected UDP socket sends
// nothing), so that Gloo listens where the master can reach it; "" when unknown.
std::string LocalAddressToward(const std::string& host, int port) {
  addrinfo hints = {};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0) return "";
  std::string address;
  for (addrinfo* a = found; a != nullptr && address.empty(); a = a->ai_next) {
    int fd = ::socket(a->ai_family, SOCK_DGRAM, 0);
    if (fd < 0) continue;
    sockaddr_storage local = {};
    socklen_t length = sizeof(local);
    if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) == 0) {
      char text[INET6_ADDRSTRLEN] = {0};
      const void* raw = local.ss_family == AF_INET
                            ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(&local)->sin_addr)
                            : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(&local)->sin6_addr);
      if (::inet_ntop(local.ss_family, raw, text, sizeof(text)) != nullptr) address = text;
    }
    ::close(fd);
  }
  ::freeaddrinfo(found);
  return address;
}

c10d::ReduceOp OpOf(Reduction op) {
  switch (op) {
    case Reduction::kMax:
      return c10d::ReduceOp::MAX;
    case Reduction::kMin:
      return c10d::ReduceOp::MIN;
    case Reduction::kSum:
      break;
  }
  return c10d::ReduceOp::SUM;
}

}  // namespace

Group::Group(GroupOptions options) : options_(std::move(options)) {}

Group::~Group() {
  // Unfinished asynchronous work keeps its tensors alive; let it fail rather than block.
  std::lock_guard<std::mutex> lock(pending_mu_);
  pending_.clear();
}

absl::StatusOr<std::shared_ptr<Group>> Group::Create(GroupOptions options) {
  if (options.world_size < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(options.world_size_key, " must be >= 1, got ", options.world_size));
  }
  if (options.rank < 0 || options.rank >= options.world_size) {
    return absl::InvalidArgumentError(absl::StrCat(options.rank_key, " ", options.rank,
                                                   " is out of range for a world size of ",
                                                   options.world_size, " (ranks 0..",
                                                   options.world_size - 1, ")"));
  }
  std::shared_ptr<Group> group(new Group(std::move(options)));
  RETURN_IF_ERROR(group->Rendezvous());
  RETURN_IF_ERROR(group->MakeProcessGroups());
  return group;
}

std::string Group::master() const {
  const bool v6 = options_.master_host.find(':') != std::string::npos;
  return absl::StrCat(v6 ? "[" : "", options_.master_host, v6 ? "]" : "", ":",
                      options_.master_port);
}

absl::Status Group::Rendezvous() {
  c10d::TCPStoreOptions store;
  store.port = static_cast<uint16_t>(options_.master_port);
  store.isServer = options_.rank == 0;
  store.waitWorkers = false;
  // Rank 0's store also connects to itself: never with a timeout too short for that.
  store.timeout = options_.rank == 0
                      ? std::max(options_.connect_timeout, std::chrono::milliseconds(30000))
                      : options_.connect_timeout;
  const double seconds = options_.connect_timeout.count() / 1000.0;
  try {
    store_ = c10::make_intrusive<c10d::TCPStore>(options_.master_host, store);
  } catch (const std::exception& e) {
    if (options_.rank == 0) {
      return absl::UnavailableError(absl::StrCat("cannot listen as the learner master on ",
                                                 master(), " (", options_.master_key,
                                                 "): ", FirstLine(e.what())));
    }
    return absl::UnavailableError(absl::StrCat("cannot reach the learner master at ", master(),
                                               " (", options_.master_key, ") within ", seconds,
                                               " s: ", FirstLine(e.what())));
  }
  options_.master_port = static_cast<c10d::TCPStore*>(store_.get())->getPort();
  if (options_.rank != 0) {
    host_ = LocalAddressToward(options_.master_host, options_.master_port);
    return JoinWorld();
  }
  const std::string& m = options_.master_host;
  host_ = (m == "0.0.0.0" || m == "::") ? "" : m;
  store_->set(kWorldSizeKey, Bytes(std::to_string(options_.world_size)));
  if (options_.on_listening) RETURN_IF_ERROR(options_.on_listening(options_.master_port));
  return CheckWorld();
}

absl::Status Group::JoinWorld() {
  const int r = options_.rank;
  try {
    store_->wait({kWorldSizeKey}, options_.connect_timeout);
    int theirs = 0;
    (void)absl::SimpleAtoi(Text(store_->get(kWorldSizeKey)), &theirs);
    store_->set(absl::StrCat("zerorl/hello/", r),
                Bytes(absl::StrCat(options_.world_size, " ", Hostname(), " ", ::getpid())));
    if (theirs != options_.world_size) {
      return absl::InvalidArgumentError(absl::StrCat(
          options_.world_size_key, " ", options_.world_size,
          " does not match the learner master's world size ", theirs, " (", master(), ")"));
    }
    if (store_->add(absl::StrCat("zerorl/claims/", r), 1) > 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          options_.rank_key, " ", r, ": another learner already joined ", master(),
          " as rank ", r));
    }
    store_->wait({kGoKey}, options_.connect_timeout);
    std::string go = Text(store_->get(kGoKey));
    if (go != "ok") return absl::InvalidArgumentError("the learner master refused: " + go);
  } catch (const std::exception& e) {
    return absl::DeadlineExceededError(absl::StrCat("joining the learner master at ", master(),
                                                    ": ", FirstLine(e.what())));
  }
  return absl::OkStatus();
}

absl::Status Group::CheckWorld() {
  const Clock::time_point give_up = Clock::now() + options_.connect_timeout;
  std::string problem;
  std::vector<int> missing;
  for (;;) {
    missing.clear();
    for (int r = 1; r < options_.world_size && problem.empty(); ++r) {
      const std::string key = absl::StrCat("zerorl/hello/", r);
      if (!store_->check({key})) {
        missing.push_back(r);
        continue;
      }
      std::vector<std::string> hello = absl::StrSplit(Text(store_->get(key)), ' ');
      if (hello.empty() || hello[0] != std::to_string(options_.world_size)) {
        problem = absl::StrCat("learner rank ", r, " was started with a world size of ",
                               hello.empty() ? "?" : hello[0], " (--world-size / WORLD_SIZE), but ",
                               options_.world_size_key, " is ", options_.world_size);
      }
    }
    if (!problem.empty() || missing.empty() || Clock::now() > give_up) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (problem.empty() && !missing.empty()) {
    problem = absl::StrCat("learner rank", missing.size() > 1 ? "s " : " ",
                           absl::StrJoin(missing, ", "), " did not join ", master(), " within ",
                           options_.connect_timeout.count() / 1000.0, " s (start them with "
                           "`zerorl learner --rank R --world-size ", options_.world_size,
                           " --master HOST:", options_.master_port, " --config CONFIG`)");
  }
  store_->set(kGoKey, Bytes(problem.empty() ? "ok" : problem));
  if (problem.empty()) return absl::OkStatus();
  return missing.empty() ? absl::InvalidArgumentError(problem)
                         : absl::DeadlineExceededError(problem);
}

absl::Status Group::MakeProcessGroups() {
  try {
    auto options = c10d::ProcessGroupGloo::Options::create(options_.timeout);
    const char* interface = std::getenv("GLOO_SOCKET_IFNAME");
    if (interface != nullptr && *interface != '\0') {
      options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(interface));
    } else if (!host_.empty()) {
      options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(host_));
    } else {
      options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    }
    auto prefix = c10::make_intrusive<c10d::PrefixStore>("zerorl/gloo", store_);
    cpu_group_ = c10::make_intrusive<c10d::ProcessGroupGloo>(prefix, options_.rank,
                                                            options_.world_size, options);
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("connecting the learner ranks (Gloo, master ",
                                               master(), "): ", FirstLine(e.what())));
  }
  device_group_ = cpu_group_;
  if (!options_.device.is_cuda()) return absl::OkStatus();
#ifdef USE_C10D_NCCL
  try {
    auto options = c10d::ProcessGroupNCCL::Options::create();
    options->timeout = options_.timeout;
    auto prefix = c10::make_intrusive<c10d::PrefixStore>("zerorl/nccl", store_);
    device_group_ = c10::make_intrusive<c10d::ProcessGroupNCCL>(prefix, options_.rank,
                                                               options_.world_size, options);
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("connecting the learner ranks (NCCL): ",
                                               FirstLine(e.what())));
  }
  return absl::OkStatus();
#else
  return absl::FailedPreconditionError(
      "model.device is CUDA and cluster.learner_ranks > 1, but this LibTorch was built without "
      "NCCL (USE_C10D_NCCL): use a CUDA build of LibTorch, or model.device cpu (Gloo)");
#endif
}

bool Group::failed() const {
  std::lock_guard<std::mutex> lock(failure_mu_);
  return !failure_.ok();
}

absl::Status Group::Guard(const std::string& what, const std::function<void()>& body) {
  {
    std::lock_guard<std::mutex> lock(failure_mu_);
    if (!failure_.ok()) return failure_;
  }
  try {
    body();
  } catch (const std::exception& e) {
    const std::string line = FirstLine(e.what());
    const bool timed_out = line.find("Timed out") != std::string::npos ||
                           line.find("timed out") != std::string::npos ||
                           line.find("Timeout") != std::string::npos;
    return Fail(timed_out ? absl::DeadlineExceededError(line) : absl::UnavailableError(line), what);
  }
  return absl::OkStatus();
}

absl::Status Group::AllReduce(torch::Tensor& tensor, Reduction op, const std::string& what) {
  return Guard(what, [&] {
    std::vector<torch::Tensor> tensors = {tensor};
    c10d::AllreduceOptions o;
    o.reduceOp = OpOf(op);
    cpu_group_->allreduce(tensors, o)->wait();
  });
}

absl::Status Group::Broadcast(torch::Tensor& tensor, int root, const std::string& what) {
  return Guard(what, [&] {
    std::vector<torch::Tensor> tensors = {tensor};
    c10d::BroadcastOptions o;
    o.rootRank = root;
    cpu_group_->broadcast(tensors, o)->wait();
  });
}

void Group::AllReduceAsync(torch::Tensor tensor) {
  if (failed()) return;
  std::vector<torch::Tensor> tensors = {std::move(tensor)};
  auto work = device_group_->allreduce(tensors);
  std::lock_guard<std::mutex> lock(pending_mu_);
  pending_.push_back(std::move(work));
}

void Group::ReduceAsync(torch::Tensor tensor, int root) {
  if (failed()) return;
  std::vector<torch::Tensor> tensors = {std::move(tensor)};
  c10d::ReduceOptions o;
  o.rootRank = root;
  auto work = device_group_->reduce(tensors, o);
  std::lock_guard<std::mutex> lock(pending_mu_);
  pending_.push_back(std::move(work));
}

absl::Status Group::WaitAll(const std::string& what) {
  std::vector<c10::intrusive_ptr<c10d::Work>> works;
  {
    std::lock_guard<std::mutex> lock(pending_mu_);
    works.swap(pending_);
  }
  return Guard(what, [&] {
    for (auto& work : works) work->wait();
  });
}

absl::Status Group::AllGather(std::vector<torch::Tensor>& outputs, torch::Tensor& input,
                              const std::string& what) {
  return Guard(what, [&] {
    std::vector<std::vector<torch::Tensor>> out = {outputs};
    std::vector<torch::Tensor> in = {input};
    device_group_->allgather(out, in)->wait();
  });
}

}  // namespace zerorl::distributed
