// Group: named tensor transfers, rank 0's commands, and what a failure says about the ranks.
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/status.h"
#include "distributed/group.h"

namespace zerorl::distributed {
namespace {

std::vector<uint8_t> Bytes(const std::string& s) { return {s.begin(), s.end()}; }
std::string Text(const std::vector<uint8_t>& b) { return {b.begin(), b.end()}; }

std::string Hostname() {
  char host[256] = {0};
  ::gethostname(host, sizeof(host) - 1);
  return host;
}

bool ProcessGone(int pid) {
  if (pid <= 0) return false;
  if (::kill(pid, 0) != 0) return errno == ESRCH;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  size_t close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'Z';
}

// Names, dtypes and shapes of `tensors`: [count, then per tensor dtype, ndim, dims..., name
// length] and the names' bytes.
struct Header {
  torch::Tensor shape;  // int64
  torch::Tensor names;  // uint8
};

Header Describe(const NamedTensors& tensors) {
  std::vector<int64_t> shape = {static_cast<int64_t>(tensors.size())};
  std::string names;
  for (const auto& [name, t] : tensors) {
    shape.push_back(static_cast<int64_t>(t.scalar_type()));
    shape.push_back(t.dim());
    for (int64_t d : t.sizes()) shape.push_back(d);
    shape.push_back(static_cast<int64_t>(name.size()));
    names += name;
  }
  Header h;
  h.shape = torch::tensor(shape, torch::kLong);
  h.names = torch::empty({static_cast<int64_t>(names.size())}, torch::kByte);
  std::memcpy(h.names.data_ptr(), names.data(), names.size());
  return h;
}

// Empty tensors named and shaped as `h` says.
NamedTensors Allocate(const Header& h) {
  const int64_t* v = h.shape.data_ptr<int64_t>();
  const char* names = reinterpret_cast<const char*>(h.names.data_ptr());
  NamedTensors out;
  int64_t at = 1;
  size_t name_at = 0;
  for (int64_t i = 0; i < v[0]; ++i) {
    auto dtype = static_cast<torch::ScalarType>(v[at++]);
    const int64_t ndim = v[at++];
    std::vector<int64_t> dims(v + at, v + at + ndim);
    at += ndim;
    const size_t length = static_cast<size_t>(v[at++]);
    out.emplace_back(std::string(names + name_at, length),
                     torch::empty(dims, torch::TensorOptions().dtype(dtype)));
    name_at += length;
  }
  return out;
}

torch::Tensor AsBytes(const torch::Tensor& contiguous) {
  return torch::from_blob(contiguous.data_ptr(), {contiguous.numel() * contiguous.element_size()},
                          torch::TensorOptions().dtype(torch::kByte));
}

}  // namespace

absl::Status Group::BroadcastNamed(NamedTensors* tensors, int root, const std::string& what) {
  const bool sender = options_.rank == root;
  NamedTensors local;
  Header h;
  if (sender) {
    for (const auto& [name, t] : *tensors) local.emplace_back(name, t.to(torch::kCPU).contiguous());
    h = Describe(local);
  }
  torch::Tensor sizes = sender ? torch::tensor({h.shape.numel(), h.names.numel()}, torch::kLong)
                               : torch::zeros({2}, torch::kLong);
  RETURN_IF_ERROR(Broadcast(sizes, root, what));
  if (!sender) {
    h.shape = torch::empty({sizes[0].item<int64_t>()}, torch::kLong);
    h.names = torch::empty({sizes[1].item<int64_t>()}, torch::kByte);
  }
  RETURN_IF_ERROR(Broadcast(h.shape, root, what));
  if (h.names.numel() > 0) RETURN_IF_ERROR(Broadcast(h.names, root, what));
  if (!sender) local = Allocate(h);
  for (auto& [name, t] : local) {
    if (t.numel() == 0) continue;
    torch::Tensor bytes = AsBytes(t);
    RETURN_IF_ERROR(Broadcast(bytes, root, what));
  }
  if (!sender) *tensors = std::move(local);
  return absl::OkStatus();
}

absl::Status Group::SendNamed(const NamedTensors& tensors, int dst, const std::string& what) {
  NamedTensors local;
  for (const auto& [name, t] : tensors) local.emplace_back(name, t.to(torch::kCPU).contiguous());
  Header h = Describe(local);
  std::vector<torch::Tensor> parts = {torch::tensor({h.shape.numel(), h.names.numel()}, torch::kLong),
                                      h.shape};
  if (h.names.numel() > 0) parts.push_back(h.names);
  for (const auto& [name, t] : local) {
    if (t.numel() > 0) parts.push_back(AsBytes(t));
  }
  return Guard(what, [&] {
    for (torch::Tensor& part : parts) {
      std::vector<torch::Tensor> one = {part};
      cpu_group_->send(one, dst, /*tag=*/0)->wait();
    }
  });
}

absl::StatusOr<NamedTensors> Group::ReceiveNamed(int src, const std::string& what) {
  auto receive = [&](torch::Tensor t) {
    return Guard(what, [&] {
      std::vector<torch::Tensor> one = {t};
      cpu_group_->recv(one, src, /*tag=*/0)->wait();
    });
  };
  torch::Tensor sizes = torch::zeros({2}, torch::kLong);
  RETURN_IF_ERROR(receive(sizes));
  Header h;
  h.shape = torch::empty({sizes[0].item<int64_t>()}, torch::kLong);
  h.names = torch::empty({sizes[1].item<int64_t>()}, torch::kByte);
  RETURN_IF_ERROR(receive(h.shape));
  if (h.names.numel() > 0) RETURN_IF_ERROR(receive(h.names));
  NamedTensors out = Allocate(h);
  for (auto& [name, t] : out) {
    if (t.numel() > 0) RETURN_IF_ERROR(receive(AsBytes(t)));
  }
  return out;
}

absl::Status Group::PostCommand(const std::string& text) {
  return Guard("sending a command to the learner ranks", [&] {
    ++command_seq_;
    store_->set(absl::StrCat("zerorl/cmd/", command_seq_), Bytes(text));
    if (command_seq_ > 1) store_->deleteKey(absl::StrCat("zerorl/cmd/", command_seq_ - 1));
  });
}

absl::StatusOr<std::string> Group::NextCommand() {
  const std::string key = absl::StrCat("zerorl/cmd/", command_seq_ + 1);
  auto pause = std::chrono::milliseconds(1);
  try {
    while (!store_->check({key})) {
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, std::chrono::milliseconds(50));
    }
    ++command_seq_;
    return Text(store_->get(key));
  } catch (const std::exception& e) {
    std::string line(e.what());
    line = line.substr(0, line.find('\n'));
    return absl::UnavailableError(absl::StrCat("lost the learner master (rank 0, `zerorl train`) at ",
                                               master(), ": ", line));
  }
}

void Group::Mark(const std::string& doing) {
  try {
    store_->set(absl::StrCat("zerorl/doing/", options_.rank),
                Bytes(absl::StrCat(command_seq_, "\t", doing)));
  } catch (const std::exception&) {
    // Best effort: only rank 0's error messages read it.
  }
}

void Group::ReportFailure(const std::string& message) {
  try {
    store_->set(absl::StrCat("zerorl/failed/", options_.rank), Bytes(message));
  } catch (const std::exception&) {
  }
}

std::string Group::DescribeRank(int rank, int64_t command) {
  try {
    const std::string failed_key = absl::StrCat("zerorl/failed/", rank);
    if (store_->check({failed_key})) {
      return absl::StrCat("learner rank ", rank, " failed: ", Text(store_->get(failed_key)));
    }
    std::string who = absl::StrCat("learner rank ", rank);
    const std::string hello_key = absl::StrCat("zerorl/hello/", rank);
    bool gone = false;
    if (store_->check({hello_key})) {
      std::vector<std::string> hello = absl::StrSplit(Text(store_->get(hello_key)), ' ');
      int pid = 0;
      if (hello.size() >= 3 && absl::SimpleAtoi(hello[2], &pid)) {
        absl::StrAppend(&who, " (pid ", pid, " on ", hello[1], ")");
        gone = hello[1] == Hostname() && ProcessGone(pid);
      }
    }
    std::string doing = "nothing yet";
    int64_t seq = 0;
    const std::string doing_key = absl::StrCat("zerorl/doing/", rank);
    if (store_->check({doing_key})) {
      std::vector<std::string> parts = absl::StrSplit(Text(store_->get(doing_key)), '\t');
      if (parts.size() == 2 && absl::SimpleAtoi(parts[0], &seq)) doing = parts[1];
    }
    if (!gone && seq >= command && command >= 0) return "";
    return absl::StrCat(who, gone ? " has exited" : " did not answer", "; its last report: ", doing);
  } catch (const std::exception&) {
    return absl::StrCat("learner rank ", rank, " (unknown state)");
  }
}

absl::Status Group::Fail(const absl::Status& cause, const std::string& what) {
  std::lock_guard<std::mutex> lock(failure_mu_);
  if (!failure_.ok()) return failure_;
  std::vector<std::string> suspects;
  if (options_.rank == 0) {
    for (int r = 1; r < options_.world_size; ++r) {
      std::string d = DescribeRank(r, command_seq_);
      if (!d.empty()) suspects.push_back(d);
    }
    if (suspects.empty()) {  // nobody stands out (all hung at the same command): name them all
      for (int r = 1; r < options_.world_size; ++r) suspects.push_back(DescribeRank(r, -1));
    }
  }
  std::string message = absl::StrCat(what, ": ");
  if (suspects.empty()) {
    absl::StrAppend(&message, cause.message());
  } else {
    absl::StrAppend(&message, absl::StrJoin(suspects, "; "), " (", cause.message(), ")");
  }
  failure_ = absl::Status(cause.code(), message);
  return failure_;
}

}  // namespace zerorl::distributed
