#include "learner/internal/gradient_reducer.h"

#include <algorithm>
#include <chrono>

#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/utils/lambda_post_hook.h>
#include <torch/csrc/autograd/variable.h>

#include "absl/strings/str_cat.h"
#include "core/status.h"

namespace zerorl::learner {

// What the autograd hooks reach: cleared when the reducer goes, so that a hook left on a
// parameter that outlives it does nothing.
struct GradientReducer::Shared {
  GradientReducer* owner = nullptr;
};

GradientReducer::GradientReducer(distributed::Group* group, NamedTensors masters,
                                 std::vector<torch::Tensor> compute, const Options& options)
    : group_(group), options_(options), masters_(std::move(masters)), compute_(std::move(compute)) {
  const size_t n = masters_.size();
  offset_.assign(n, 0);
  bucket_of_.assign(n, 0);
  ready_.assign(n, false);
  int64_t bucket_elements = 0;
  for (size_t k = 0; k < n; ++k) {
    const size_t i = n - 1 - k;  // reverse registration order
    const int64_t count = masters_[i].second.numel();
    if (buckets_.empty() || bucket_elements * 4 >= options_.bucket_bytes) {
      buckets_.push_back(Bucket{numel_, numel_, 0, 0, false});
      bucket_elements = 0;
    }
    offset_[i] = numel_;
    bucket_of_[i] = buckets_.size() - 1;
    numel_ += count;
    bucket_elements += count;
    buckets_.back().end = numel_;
    ++buckets_.back().parameters;
  }
  const torch::Device device = n > 0 ? masters_[0].second.device() : torch::Device(torch::kCPU);
  flat_ = torch::zeros({shard_size() * group_->world_size()},
                       torch::TensorOptions().dtype(torch::kFloat).device(device));
  shared_ = std::make_shared<Shared>();
  shared_->owner = this;
  std::weak_ptr<Shared> weak = shared_;
  for (size_t i = 0; i < n; ++i) {
    const torch::Tensor& target = compute_.empty() ? masters_[i].second : compute_[i];
    std::shared_ptr<torch::autograd::Node> accumulator =
        torch::autograd::impl::grad_accumulator(target);
    accumulator->add_post_hook(std::make_unique<torch::autograd::utils::LambdaPostHook>(
        [weak, i](const torch::autograd::variable_list& outputs,
                  const torch::autograd::variable_list&) {
          if (auto shared = weak.lock(); shared && shared->owner) shared->owner->OnGradientReady(i);
          return outputs;
        }));
    accumulators_.push_back(std::move(accumulator));
  }
}

GradientReducer::~GradientReducer() {
  shared_->owner = nullptr;
  for (auto& [name, master] : masters_) master.mutable_grad() = torch::Tensor();
}

int64_t GradientReducer::shard_size() const {
  const int64_t world = group_->world_size();
  return (numel_ + world - 1) / world;
}

int64_t GradientReducer::owned_numel() const {
  if (!options_.shard) return numel_;
  const int64_t begin = shard_size() * group_->rank();
  return std::max<int64_t>(0, std::min(numel_, begin + shard_size()) - begin);
}

void GradientReducer::ZeroGrad() {
  flat_.zero_();
  for (size_t i = 0; i < masters_.size(); ++i) {
    torch::Tensor& master = masters_[i].second;
    master.mutable_grad() = flat_.narrow(0, offset_[i], master.numel()).view(master.sizes());
  }
}

void GradientReducer::Arm() {
  std::fill(ready_.begin(), ready_.end(), false);
  for (Bucket& b : buckets_) {
    b.pending = b.parameters;
    b.launched = false;
  }
  next_bucket_ = 0;
  late_gradient_.clear();
  armed_ = true;
}

void GradientReducer::OnGradientReady(size_t i) {
  if (!armed_) return;
  if (!compute_.empty()) {
    torch::Tensor& compute = compute_[i];
    if (!compute.grad().defined()) return;
    masters_[i].second.mutable_grad().add_(compute.grad());
    compute.mutable_grad() = torch::Tensor();
  }
  Bucket& bucket = buckets_[bucket_of_[i]];
  if (bucket.launched) {
    late_gradient_ = masters_[i].first;
    return;
  }
  if (ready_[i]) return;
  ready_[i] = true;
  if (--bucket.pending == 0) LaunchReadyBuckets();
}

void GradientReducer::LaunchReadyBuckets() {
  while (next_bucket_ < buckets_.size() && buckets_[next_bucket_].pending == 0) {
    Launch(buckets_[next_bucket_]);
    buckets_[next_bucket_].launched = true;
    ++next_bucket_;
  }
}

void GradientReducer::Launch(const Bucket& b) {
  if (!options_.shard) {
    group_->AllReduceAsync(flat_.narrow(0, b.begin, b.end - b.begin));
    return;
  }
  const int64_t s = shard_size();
  for (int r = 0; r < group_->world_size(); ++r) {
    const int64_t lo = std::max(b.begin, s * r);
    const int64_t hi = std::min(b.end, s * (r + 1));
    if (lo < hi) group_->ReduceAsync(flat_.narrow(0, lo, hi - lo), r);
  }
}

absl::Status GradientReducer::Finish(const std::string& what) {
  const auto start = std::chrono::steady_clock::now();
  if (!armed_) Arm();  // no backward ran on this rank (no rows): every bucket is zeros
  for (Bucket& b : buckets_) b.pending = 0;
  LaunchReadyBuckets();
  armed_ = false;
  absl::Status waited = group_->WaitAll(what);
  wait_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  RETURN_IF_ERROR(waited);
  if (!late_gradient_.empty()) {
    return absl::InternalError(absl::StrCat(what, ": the gradient of ", late_gradient_,
                                            " arrived after its bucket was reduced"));
  }
  return absl::OkStatus();
}

std::vector<AdamWSlice> GradientReducer::OwnedSlices() const {
  std::vector<AdamWSlice> slices;
  const int64_t begin = options_.shard ? shard_size() * group_->rank() : 0;
  const int64_t end = options_.shard ? std::min(numel_, begin + shard_size()) : numel_;
  for (size_t i = 0; i < masters_.size(); ++i) {
    const torch::Tensor& p = masters_[i].second;
    const int64_t lo = std::max(begin, offset_[i]);
    const int64_t hi = std::min(end, offset_[i] + p.numel());
    if (lo >= hi) continue;
    AdamWSlice slice;
    slice.name = masters_[i].first;
    slice.param = p.detach().view({-1}).narrow(0, lo - offset_[i], hi - lo);
    slice.grad = flat_.narrow(0, lo, hi - lo);
    slice.decay = p.dim() >= 2;
    slices.push_back(std::move(slice));
  }
  return slices;
}

std::vector<std::pair<std::string, int64_t>> GradientReducer::OwnedOffsets() const {
  std::vector<std::pair<std::string, int64_t>> out;
  const int64_t begin = shard_size() * group_->rank();
  for (size_t i = 0; i < masters_.size(); ++i) {
    const int64_t lo = std::max(begin, offset_[i]);
    const int64_t hi = std::min(begin + shard_size(), offset_[i] + masters_[i].second.numel());
    if (lo < hi) out.emplace_back(masters_[i].first, lo - offset_[i]);
  }
  return out;
}

absl::Status GradientReducer::GatherParameters(const std::string& what) {
  const auto start = std::chrono::steady_clock::now();
  torch::NoGradGuard no_grad;
  // The buffer's gradients are spent: it carries the parameters now.
  for (size_t i = 0; i < masters_.size(); ++i) {
    torch::Tensor& p = masters_[i].second;
    flat_.narrow(0, offset_[i], p.numel()).copy_(p.detach().view({-1}));
  }
  const int64_t s = shard_size();
  std::vector<torch::Tensor> outputs;
  for (int r = 0; r < group_->world_size(); ++r) outputs.push_back(flat_.narrow(0, s * r, s));
  torch::Tensor mine = outputs[group_->rank()].clone();
  absl::Status gathered = group_->AllGather(outputs, mine, what);
  if (gathered.ok()) {
    for (size_t i = 0; i < masters_.size(); ++i) {
      torch::Tensor& p = masters_[i].second;
      p.detach().view({-1}).copy_(flat_.narrow(0, offset_[i], p.numel()));
    }
  }
  wait_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return gathered;
}

double GradientReducer::TakeWaitSeconds() {
  const double s = wait_seconds_;
  wait_seconds_ = 0.0;
  return s;
}

}  // namespace zerorl::learner
