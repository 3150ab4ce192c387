// The learner ranks as a group over LibTorch's c10d: a TCPStore on rank 0 (the rendezvous, and
// the channel rank 0's commands travel on), a Gloo process group for CPU tensors, and, for
// CUDA ranks in a LibTorch built with NCCL (USE_C10D_NCCL), an NCCL group for the gradients.
//
//   GroupOptions o;
//   o.rank = 1;
//   o.world_size = 2;
//   o.master_host = "10.200.0.1";
//   o.master_port = 29500;
//   ASSIGN_OR_RETURN(std::shared_ptr<Group> group, Group::Create(o));
//   RETURN_IF_ERROR(group->AllReduce(loss_sums, c10d::ReduceOp::SUM, "step metrics"));
//
// Rendezvous: rank 0 listens (port 0 = a free one, then options.on_listening), every other
// rank connects within options.connect_timeout, says which rank it is and which world size it
// was told; a rank out of range, a rank given twice or a different world size is an error on
// both sides naming the flag or key (options.master_key, options.world_size_key).
//
// Every operation blocks until done and returns a Status. A collective that fails (a rank
// died: kUnavailable; one hung past options.timeout: kDeadlineExceeded) marks the group
// failed, and every later operation returns that first error at once instead of waiting out
// another timeout. Not thread-safe, except that the asynchronous gradient collectives may be
// launched from the autograd thread while the owner waits in backward().
#ifndef ZERORL_DISTRIBUTED_GROUP_H_
#define ZERORL_DISTRIBUTED_GROUP_H_

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <torch/csrc/distributed/c10d/Backend.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#include <torch/csrc/distributed/c10d/Store.hpp>
#include <torch/csrc/distributed/c10d/Work.hpp>
#include <torch/types.h>
#include <torch/version.h>

#include "absl/status/statusor.h"

namespace zerorl::distributed {

using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

// What a process group is built on: LibTorch 1.x's ProcessGroupGloo/NCCL are ProcessGroups,
// 2.x's are Backends with the same collectives.
#if TORCH_VERSION_MAJOR >= 2
using Collectives = c10d::Backend;
#else
using Collectives = c10d::ProcessGroup;
#endif

enum class Reduction { kSum, kMax, kMin };

struct GroupOptions {
  int rank = 0;
  int world_size = 1;
  std::string master_host = "127.0.0.1";  // rank 0 listens on every address; others dial this
  int master_port = 0;                    // 0 (rank 0 only): a free port, see master()
  std::chrono::milliseconds timeout = std::chrono::minutes(5);          // every collective
  std::chrono::milliseconds connect_timeout = std::chrono::minutes(1);  // the rendezvous
  torch::Device device = torch::kCPU;  // where the gradients live: cuda:N uses NCCL
  // Names the user knows these settings by, for error messages.
  std::string master_key = "cluster.learner_master";
  std::string world_size_key = "cluster.learner_ranks";
  std::string rank_key = "--rank";
  // Rank 0: called once the store listens (the port is known), before waiting for the other
  // ranks; `zerorl train` starts them here. An error ends Create().
  std::function<absl::Status(int port)> on_listening;
};

class Group {
 public:
  // Rendezvous and process groups. kInvalidArgument for options out of range or a rank that
  // disagrees about the world size; kUnavailable / kDeadlineExceeded when the master cannot
  // be reached or the ranks do not all arrive within connect_timeout; kFailedPrecondition
  // for CUDA ranks in a LibTorch without NCCL.
  static absl::StatusOr<std::shared_ptr<Group>> Create(GroupOptions options);
  ~Group();
  Group(const Group&) = delete;
  Group& operator=(const Group&) = delete;

  int rank() const { return options_.rank; }
  int world_size() const { return options_.world_size; }
  std::string master() const;  // "HOST:PORT" with the port actually used
  const GroupOptions& options() const { return options_; }
  bool uses_nccl() const { return device_group_ != cpu_group_; }

  // CPU collectives over Gloo. `what` names the operation in errors ("GRPO step 7").
  absl::Status AllReduce(torch::Tensor& tensor, Reduction op, const std::string& what);
  absl::Status Broadcast(torch::Tensor& tensor, int root, const std::string& what);
  // Root sends names, dtypes, shapes and data; the others get `*tensors` replaced.
  absl::Status BroadcastNamed(NamedTensors* tensors, int root, const std::string& what);
  absl::Status SendNamed(const NamedTensors& tensors, int dst, const std::string& what);
  absl::StatusOr<NamedTensors> ReceiveNamed(int src, const std::string& what);

  // Gradient collectives on the gradients' device (NCCL for CUDA, else Gloo), started now and
  // finished by WaitAll(): sums into `tensor` on every rank / on `root` only (on other ranks
  // the tensor is left with partial sums).
  void AllReduceAsync(torch::Tensor tensor);
  void ReduceAsync(torch::Tensor tensor, int root);
  absl::Status WaitAll(const std::string& what);
  // outputs[r] (the same size as `input`) gets rank r's `input`, on the gradients' device.
  absl::Status AllGather(std::vector<torch::Tensor>& outputs, torch::Tensor& input,
                         const std::string& what);

  // Rank 0's commands (short text), delivered in order to every other rank through the store.
  // Each command must be followed by at least one collective on every rank before the next,
  // so that rank 0 knows all have read it.
  absl::Status PostCommand(const std::string& text);  // rank 0
  // Ranks > 0: waits for the next command as long as rank 0 lives; kUnavailable when rank 0
  // is gone.
  absl::StatusOr<std::string> NextCommand();
  // Ranks > 0: what this rank is working on now, for rank 0's error messages; and its own
  // failure, reported before it gives up.
  void Mark(const std::string& doing);
  void ReportFailure(const std::string& message);

  // The error for a failed operation `what`: on rank 0 it names the ranks that failed, exited
  // or fell behind (with what each last reported); the group is marked failed.
  absl::Status Fail(const absl::Status& cause, const std::string& what);
  bool failed() const;

 private:
  explicit Group(GroupOptions options);
  absl::Status Rendezvous();
  absl::Status CheckWorld();    // rank 0: every rank said hello with the same world size
  absl::Status JoinWorld();     // ranks > 0
  absl::Status MakeProcessGroups();
  std::string DescribeRank(int rank, int64_t command);
  absl::Status Guard(const std::string& what, const std::function<void()>& body);

  GroupOptions options_;
  std::string host_;  // this machine's address as the others see it
  c10::intrusive_ptr<c10d::Store> store_;
  c10::intrusive_ptr<Collectives> cpu_group_;
  c10::intrusive_ptr<Collectives> device_group_;  // == cpu_group_ unless NCCL
  std::mutex pending_mu_;
  std::vector<c10::intrusive_ptr<c10d::Work>> pending_;
  int64_t command_seq_ = 0;  // commands posted (rank 0) or read (others)
  mutable std::mutex failure_mu_;
  absl::Status failure_;
};

}  // namespace zerorl::distributed

#endif  // ZERORL_DISTRIBUTED_GROUP_H_
