// Private to learner/: the gradients of N learner ranks, summed over the ranks in buckets
// while backward still runs.
//
// Every master parameter's .grad is a view of one flat float32 buffer, laid out in reverse
// registration order (about the order backward produces gradients) and cut into buckets of
// about Options::bucket_bytes. During the last backward of an update (Arm), a hook on each
// parameter's gradient accumulator marks it ready (first adding a bf16 compute copy's
// gradient into its float32 master, as Learner::MoveGradientsToMasters does); a bucket whose
// parameters are all ready is launched at once, in bucket order on every rank, so the
// collectives overlap the rest of backward:
//   * DDP (shard false): all-reduce; every rank ends with the summed gradient;
//   * ZeRO-1 (shard true): each part of the buffer is reduced to the rank that owns it (rank r
//     owns elements [r S, (r + 1) S), S = ceil(numel / N)); that rank's optimizer updates the
//     part (OwnedSlices) and GatherParameters all-gathers the updated parameters.
// The loss uses global denominators, so the sum over ranks is the one-rank gradient.
#ifndef ZERORL_LEARNER_INTERNAL_GRADIENT_REDUCER_H_
#define ZERORL_LEARNER_INTERNAL_GRADIENT_REDUCER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <torch/types.h>

#include "absl/status/status.h"
#include "distributed/group.h"
#include "learner/adamw.h"

namespace torch::autograd {
struct Node;
}

namespace zerorl::learner {

class GradientReducer {
 public:
  struct Options {
    bool shard = false;
    int64_t bucket_bytes = 25 << 20;
  };
  // `masters`: the float32 parameters by name, in registration order. `compute`: the tensors
  // backward writes gradients to, one per master (a bf16 copy), or empty when backward runs
  // on the masters themselves. `group` must outlive the reducer.
  GradientReducer(distributed::Group* group, NamedTensors masters,
                  std::vector<torch::Tensor> compute, const Options& options);
  ~GradientReducer();
  GradientReducer(const GradientReducer&) = delete;
  GradientReducer& operator=(const GradientReducer&) = delete;

  // Zeroes the buffer and (re)attaches every master's .grad as its view.
  void ZeroGrad();
  // The next backward is the last one before the optimizer step.
  void Arm();
  // Launches the buckets backward did not (a rank without rows, a parameter without a
  // gradient), waits for every collective and disarms. Errors are the group's.
  absl::Status Finish(const std::string& what);
  // ZeRO-1: what this rank's optimizer updates.
  std::vector<AdamWSlice> OwnedSlices() const;
  // ZeRO-1: "<name>" -> the first element of the parameter this rank owns, for checkpoints.
  std::vector<std::pair<std::string, int64_t>> OwnedOffsets() const;
  // ZeRO-1: every rank's updated part of the parameters to every rank.
  absl::Status GatherParameters(const std::string& what);

  int64_t numel() const { return numel_; }         // parameters
  int64_t owned_numel() const;                     // this rank's part (all when not sharded)
  // Seconds spent waiting on collectives since the last call.
  double TakeWaitSeconds();

 private:
  struct Shared;
  struct Bucket {
    int64_t begin = 0, end = 0;  // flat range
    int parameters = 0;
    int pending = 0;
    bool launched = false;
  };
  void OnGradientReady(size_t index);
  void LaunchReadyBuckets();
  void Launch(const Bucket& bucket);
  int64_t shard_size() const;

  distributed::Group* group_;
  Options options_;
  NamedTensors masters_;
  std::vector<torch::Tensor> compute_;
  std::vector<int64_t> offset_;  // flat offset of each master
  std::vector<size_t> bucket_of_;
  std::vector<bool> ready_;
  std::vector<Bucket> buckets_;
  size_t next_bucket_ = 0;
  bool armed_ = false;
  std::string late_gradient_;  // a parameter whose gradient came after its bucket left
  int64_t numel_ = 0;
  torch::Tensor flat_;  // float32 [shard_size * world], on the masters' device
  std::vector<std::shared_ptr<torch::autograd::Node>> accumulators_;
  std::shared_ptr<Shared> shared_;
  double wait_seconds_ = 0.0;
};

}  // namespace zerorl::learner

#endif  // ZERORL_LEARNER_INTERNAL_GRADIENT_REDUCER_H_
