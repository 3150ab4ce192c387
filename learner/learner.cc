#include "learner/learner.h"

#include <chrono>
#include <cmath>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include <ATen/ATen.h>

#include "absl/strings/str_cat.h"
#include "core/status.h"
#include "learner/flops.h"
#include "learner/internal/gradient_reducer.h"
#include "learner/logprobs.h"
#include "learner/micro_batch.h"
#include "learner/schedule.h"
#include "model/dtype.h"

namespace zerorl::learner {

// One micro-batch on the learner's device.
struct Learner::MicroBatch {
  TrainBatch rows;               // CPU slice (SliceRows)
  torch::Tensor input_ids;       // [b, t] int64
  torch::Tensor sequence_ids;    // [b, t] int64: 1 on tokens, 0 on padding
  torch::Tensor mask;            // [b, t] float32 loss mask
  torch::Tensor advantages;      // [b] float32
  torch::Tensor behaviour;       // [b, t] float32 rollout log-probs, or undefined
  torch::Tensor on_version;      // [b, t] float32: 1 where behaviour is real and current
  torch::Tensor stale;           // [b, 1] bool: anchor = behaviour (older policy version)
  torch::Tensor old_logprobs;    // [b, t] float32, the learner's own (mu > 1 only)
  torch::Tensor ref_logprobs;    // [b, t] float32 (beta > 0 only)
};

// Running sums of one step's metrics, as device tensors until the end.
struct Learner::MetricSums {
  torch::Tensor loss, kl, entropy, clipped_low, clipped_high, clipped_region, clipped_dual;
  torch::Tensor logp_diff_sum, logp_diff_max, logp_diff_count;

  void Add(const GrpoLossTerms& t) {
    auto add = [](torch::Tensor& acc, const torch::Tensor& v) { acc = acc.defined() ? acc + v : v; };
    add(loss, t.loss.detach());
    add(kl, t.kl_sum);
    add(entropy, t.entropy_sum);
    add(clipped_low, t.clipped_low_sum);
    add(clipped_high, t.clipped_high_sum);
    add(clipped_region, t.clipped_region_sum);
    add(clipped_dual, t.clipped_dual_sum);
  }
  static double Read(const torch::Tensor& t) { return t.defined() ? t.item<double>() : 0.0; }

  // Sums (and the max) over the learner ranks, on every rank.
  absl::Status Reduce(distributed::Group& group, const std::string& what) {
    std::vector<torch::Tensor*> summed = {&loss,         &kl,           &entropy,
                                          &clipped_low,  &clipped_high, &clipped_region,
                                          &clipped_dual, &logp_diff_sum, &logp_diff_count};
    torch::Tensor sums = torch::zeros({static_cast<int64_t>(summed.size())}, torch::kDouble);
    for (size_t i = 0; i < summed.size(); ++i) sums[i] = Read(*summed[i]);
    RETURN_IF_ERROR(group.AllReduce(sums, distributed::Reduction::kSum, what));
    torch::Tensor max = torch::tensor({Read(logp_diff_max)}, torch::kDouble);
    RETURN_IF_ERROR(group.AllReduce(max, distributed::Reduction::kMax, what));
    for (size_t i = 0; i < summed.size(); ++i) *summed[i] = sums[i].clone();
    logp_diff_max = max[0].clone();
    return absl::OkStatus();
  }
};

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// The MFU denominator, measured once per device and dtype in this process (a run creates a
// learner for the cold start and another for GRPO; the machine did not change).
double PeakFlopsOnce(torch::Device device, torch::ScalarType dtype) {
  static std::mutex mu;
  static std::map<std::pair<std::string, int>, double> measured;
  std::lock_guard<std::mutex> lock(mu);
  double& peak = measured[{device.str(), static_cast<int>(dtype)}];
  if (peak <= 0.0) peak = MeasureMatmulPeakFlops(device, dtype);
  return peak;
}

}  // namespace

LearnerOptions LearnerOptionsFromConfig(const config::Config& config) {
  LearnerOptions o;
  o.algorithm = config.learner.algorithm;
  o.optimizer = config.learner.optimizer;
  o.micro_batch_tokens = config.learner.micro_batch_tokens;
  o.compute_dtype = model::ScalarTypeOf(config.learner.compute_dtype);
  o.logprob_chunk_tokens = config.learner.logprob_chunk_tokens;
  o.gradient_checkpointing = config.learner.gradient_checkpointing;
  o.temperature = config.rollout.sampling.temperature;
  o.max_completion_length = config.rollout.sampling.max_new_tokens;
  o.total_steps = config.run.steps;
  o.device = torch::Device(config.model.device);
  o.shard_optimizer = config.learner.shard_optimizer;
  return o;
}

BatchOptions BatchOptionsFromConfig(const config::Config& config) {
  BatchOptions o;
  o.advantages = AdvantageOptionsFromConfig(config.learner.algorithm);
  o.mask_truncated_completions = config.learner.algorithm.mask_truncated_completions;
  return o;
}

absl::StatusOr<std::unique_ptr<Learner>> Learner::Create(const LearnerOptions& options,
                                                         const std::string& model_dir) {
  ASSIGN_OR_RETURN(model::CausalLM policy,
                   model::LoadModel(model_dir, {torch::kFloat, options.device}));
  model::CausalLM reference{nullptr};
  if (options.algorithm.beta > 0.0) {
    ASSIGN_OR_RETURN(reference,
                     model::LoadModel(model_dir, {options.compute_dtype, options.device}));
  }
  return Create(options, std::move(policy), std::move(reference));
}

absl::StatusOr<std::unique_ptr<Learner>> Learner::Create(const LearnerOptions& options,
                                                         model::CausalLM policy,
                                                         model::CausalLM reference) {
  if (policy.is_empty() || policy->dtype() != torch::kFloat) {
    return absl::InvalidArgumentError("learner: the policy must be a float32 model (master weights)");
  }
  if (options.algorithm.beta > 0.0 && reference.is_empty()) {
    return absl::InvalidArgumentError(
        "learner: learner.algorithm.beta > 0 needs a reference model; give one or set beta 0");
  }
  if (options.algorithm.beta == 0.0) reference = nullptr;  // beta 0 holds no reference model
  // The copy forward/backward run on: the masters themselves in fp32, else a second model in
  // the compute dtype that each update refreshes (FSDP's / veRL's mixed precision).
  model::CausalLM compute = policy;
  if (options.compute_dtype != torch::kFloat) {
    compute = model::CausalLM(model::CausalLMOptions(policy->config())
                                  .dtype(options.compute_dtype)
                                  .device(policy->device()));
  }
  if (!reference.is_empty()) {
    reference->eval();
    for (auto& p : reference->parameters()) p.set_requires_grad(false);
  }
  LearnerOptions resolved = options;
  if (resolved.peak_flops <= 0.0) {
    resolved.peak_flops = PeakFlopsOnce(options.device, options.compute_dtype);
  }
  std::unique_ptr<Learner> learner(
      new Learner(resolved, std::move(policy), std::move(compute), std::move(reference)));
  if (learner->distributed() && learner->rank() == 0) RETURN_IF_ERROR(learner->Mirror());
  return learner;
}

Learner::Learner(const LearnerOptions& options, model::CausalLM policy, model::CausalLM compute,
                 model::CausalLM reference)
    : options_(options),
      loss_options_(GrpoLossOptionsFromConfig(options.algorithm)),
      policy_(std::move(policy)),
      compute_(std::move(compute)),
      reference_(std::move(reference)) {
  NamedTensors params;
  for (auto& item : policy_->named_parameters()) params.emplace_back(item.key(), item.value());
  if (compute_.ptr() != policy_.ptr()) {
    auto compute_params = compute_->named_parameters();
    for (const auto& [name, master] : params) compute_pairs_.emplace_back(master, compute_params[name]);
  }
  if (!distributed()) {
    optimizer_ =
        std::make_unique<AdamW>(std::move(params), AdamWOptionsFromConfig(options.optimizer));
    return;
  }
  std::vector<torch::Tensor> compute_grads;
  for (auto& [master, compute] : compute_pairs_) compute_grads.push_back(compute);
  GradientReducer::Options reducer;
  reducer.shard = options.shard_optimizer;
  reducer.bucket_bytes = options.bucket_bytes;
  reducer_ = std::make_unique<GradientReducer>(options.group.get(), params,
                                               std::move(compute_grads), reducer);
  if (options.shard_optimizer) {
    optimizer_ = std::make_unique<AdamW>(
        AdamW::OfSlices(reducer_->OwnedSlices(), AdamWOptionsFromConfig(options.optimizer)));
  } else {
    optimizer_ =
        std::make_unique<AdamW>(std::move(params), AdamWOptionsFromConfig(options.optimizer));
  }
}

void Learner::SyncComputeWeights() {
  torch::NoGradGuard no_grad;
  for (auto& [master, compute] : compute_pairs_) compute.copy_(master);
}

void Learner::MoveGradientsToMasters() {
  for (auto& [master, compute] : compute_pairs_) {
    const torch::Tensor& g = compute.grad();
    if (!g.defined()) continue;
    if (master.grad().defined()) {
      master.mutable_grad().add_(g);
    } else {
      master.mutable_grad() = g.to(torch::kFloat);
    }
    compute.mutable_grad() = torch::Tensor();
  }
}

absl::Status Learner::CheckShapes(const TrainBatch& b) const {
  const int64_t rows = b.rows();
  if (rows == 0) return absl::InvalidArgumentError("learner: empty batch");
  if (b.input_ids.dim() != 2 || b.input_ids.scalar_type() != at::kLong) {
    return absl::InvalidArgumentError("learner: batch.input_ids must be [B, T] int64");
  }
  const int64_t cols = b.input_ids.size(1);
  auto check = [&](const torch::Tensor& t, std::vector<int64_t> shape, at::ScalarType dtype,
                   const char* name) {
    if (t.defined() && t.sizes() == c10::IntArrayRef(shape) && t.scalar_type() == dtype) {
      return absl::OkStatus();
    }
    return absl::InvalidArgumentError(absl::StrCat(
        "learner: batch.", name, " must be ", c10::str(c10::IntArrayRef(shape)), " ",
        c10::toString(dtype), ", got ",
        t.defined() ? absl::StrCat(c10::str(t.sizes()), " ", c10::toString(t.scalar_type()))
                    : std::string("nothing")));
  };
  RETURN_IF_ERROR(check(b.lengths, {rows}, at::kLong, "lengths"));
  RETURN_IF_ERROR(check(b.loss_mask, {rows, cols}, at::kFloat, "loss_mask"));
  RETURN_IF_ERROR(check(b.advantages, {rows}, at::kFloat, "advantages"));
  RETURN_IF_ERROR(check(b.policy_versions, {rows}, at::kLong, "policy_versions"));
  RETURN_IF_ERROR(check(b.has_behaviour, {rows}, at::kBool, "has_behaviour"));
  if (b.behaviour_logprobs.defined()) {
    RETURN_IF_ERROR(check(b.behaviour_logprobs, {rows, cols}, at::kFloat, "behaviour_logprobs"));
  }
  if (b.loss_mask.select(1, 0).abs().sum().item<double>() != 0.0) {
    return absl::InvalidArgumentError("learner: batch.loss_mask[:, 0] must be 0");
  }
  torch::Tensor past_end = at::arange(cols, at::kLong).unsqueeze(0) >= b.lengths.unsqueeze(1);
  if (b.lengths.min().item<int64_t>() < 1 || b.lengths.max().item<int64_t>() > cols ||
      (b.loss_mask * past_end).abs().sum().item<double>() != 0.0) {
    return absl::InvalidArgumentError(
        "learner: batch.lengths must be in [1, T] and loss_mask 0 past each row's length");
  }
  return absl::OkStatus();
}

absl::Status Learner::CheckVersions(const TrainBatch& b) const {
  const int64_t rows = b.rows();
  auto versions = b.policy_versions.accessor<int64_t, 1>();
  auto has = b.has_behaviour.accessor<bool, 1>();
  for (int64_t r = 0; r < rows; ++r) {
    if (versions[r] > policy_version_) {
      return absl::InvalidArgumentError(absl::StrCat(
          "learner: sample ", r, " claims policy version ", versions[r],
          " but the learner is at version ", policy_version_));
    }
    if (versions[r] < policy_version_ && !has[r]) {
      return absl::InvalidArgumentError(absl::StrCat(
          "learner: sample ", r, " was drawn with policy version ", versions[r],
          " (learner at ", policy_version_,
          ") and has no rollout log-probs to anchor its importance ratio; record them in the "
          "rollout or drop stale samples"));
    }
  }
  return absl::OkStatus();
}

std::vector<Learner::MicroBatch> Learner::PlanStep(const TrainBatch& batch) const {
  const torch::Tensor contiguous = batch.lengths.contiguous();
  std::vector<int64_t> lengths(contiguous.data_ptr<int64_t>(),
                               contiguous.data_ptr<int64_t>() + batch.rows());
  std::vector<MicroBatch> out;
  const torch::Device device = options_.device;
  for (const std::vector<int64_t>& rows : PlanMicroBatches(lengths, options_.micro_batch_tokens)) {
    MicroBatch mb;
    mb.rows = SliceRows(batch, rows);
    const TrainBatch& r = mb.rows;
    const int64_t cols = r.input_ids.size(1);
    mb.input_ids = r.input_ids.to(device);
    mb.sequence_ids =
        (at::arange(cols, at::kLong).unsqueeze(0) < r.lengths.unsqueeze(1)).to(at::kLong).to(device);
    mb.mask = r.loss_mask.to(device);
    mb.advantages = r.advantages.to(device);
    torch::Tensor stale = r.policy_versions < policy_version_;
    mb.stale = stale.unsqueeze(1).to(device);
    if (r.behaviour_logprobs.defined()) {
      mb.behaviour = r.behaviour_logprobs.to(device);
      mb.on_version = ((r.has_behaviour & ~stale).to(at::kFloat).unsqueeze(1) * r.loss_mask).to(device);
    }
    out.push_back(std::move(mb));
  }
  return out;
}

void Learner::PrecomputeAnchors(std::vector<MicroBatch>& micro_batches) {
  const bool need_old = options_.algorithm.num_iterations > 1;
  if (!need_old && reference_.is_empty()) return;
  torch::NoGradGuard no_grad;
  const LmHeadLogProbsOptions lp = LogProbOptions(/*with_entropy=*/false);
  for (MicroBatch& mb : micro_batches) {
    if (need_old) {
      mb.old_logprobs =
          ComputeSequenceLogProbs(*compute_, mb.input_ids, mb.sequence_ids, mb.mask, lp).logprobs;
    }
    if (!reference_.is_empty()) {
      mb.ref_logprobs =
          ComputeSequenceLogProbs(*reference_, mb.input_ids, mb.sequence_ids, mb.mask, lp).logprobs;
    }
  }
}

absl::StatusOr<double> Learner::Update(StepMetrics& metrics) {
  double norm = 0.0;
  const double max_norm = options_.optimizer.grad_clip;
  if (reducer_ && options_.shard_optimizer) {
    // Each rank holds the reduced gradient of its part only: the norm is summed over ranks.
    torch::Tensor squares = torch::tensor({optimizer_->GradSquaredNorm()}, torch::kDouble);
    RETURN_IF_ERROR(options_.group->AllReduce(squares, distributed::Reduction::kSum, doing_));
    norm = std::sqrt(squares.item<double>());
    if (std::isfinite(norm) && max_norm > 0.0 && norm > max_norm) {
      optimizer_->ScaleGradients(max_norm / (norm + 1e-6));
    }
  } else {
    norm = optimizer_->ClipGradNorm(max_norm);
  }
  const int64_t total = options_.total_steps * options_.algorithm.num_iterations;
  const double lr = LearningRate(options_.optimizer, num_updates_, total);
  if (std::isfinite(norm)) {
    optimizer_->Step(lr);
    if (reducer_ && options_.shard_optimizer) {
      RETURN_IF_ERROR(reducer_->GatherParameters(doing_));
    }
  } else {
    metrics["optimizer/skipped_updates"] += 1;
  }
  ++num_updates_;
  metrics["lr"] = lr;
  return norm;
}

absl::StatusOr<StepMetrics> Learner::Step(const TrainBatch& batch) {
  RETURN_IF_ERROR(CheckShapes(batch));
  RETURN_IF_ERROR(CheckVersions(batch));
  RETURN_IF_ERROR(mirror_failure_);
  const Clock::time_point start = Clock::now();
  const LossDenominators denominators =
      DenominatorsOf(batch.loss_mask, options_.max_completion_length);
  StepMetrics m = batch.stats;
  m["optimizer/skipped_updates"] = 0;
  m["sampling/stale_samples"] = (batch.policy_versions < policy_version_).sum().item<double>();
  m["learner/ranks"] = ranks();
  ASSIGN_OR_RETURN(TrainBatch local, Distribute("grpo", batch, denominators.num_tokens,
                                                denominators.num_sequences, &m));
  RETURN_IF_ERROR(EndCommand(GrpoUpdates(local, denominators, m)));
  AddThroughput(batch, options_.algorithm.num_iterations, Seconds(start), m);
  return m;
}

absl::Status Learner::GrpoUpdates(const TrainBatch& local, const LossDenominators& denominators,
                                  StepMetrics& m) {
  std::vector<MicroBatch> micro_batches = PlanStep(local);
  SyncComputeWeights();
  PrecomputeAnchors(micro_batches);
  MetricSums sums;
  double grad_norm_sum = 0.0;
  const int iterations = options_.algorithm.num_iterations;
  for (int iteration = 0; iteration < iterations; ++iteration) {
    if (iteration > 0) SyncComputeWeights();
    ZeroGrad();
    Backward(micro_batches, denominators, iteration == 0, sums);
    RETURN_IF_ERROR(ReduceGradients());
    ASSIGN_OR_RETURN(double norm, Update(m));
    grad_norm_sum += norm;
  }
  ++step_;
  ++policy_version_;
  if (distributed()) {
    RETURN_IF_ERROR(sums.Reduce(*options_.group, doing_));
    m["timing/allreduce_s"] = reducer_->TakeWaitSeconds();
  }
  const double tokens = denominators.num_tokens * iterations;
  m["loss"] = MetricSums::Read(sums.loss) / iterations;
  m["entropy"] = MetricSums::Read(sums.entropy) / tokens;
  if (!reference_.is_empty()) m["kl"] = MetricSums::Read(sums.kl) / tokens;
  m["clip_ratio/low_mean"] = MetricSums::Read(sums.clipped_low) / tokens;
  m["clip_ratio/high_mean"] = MetricSums::Read(sums.clipped_high) / tokens;
  m["clip_ratio/region_mean"] = MetricSums::Read(sums.clipped_region) / tokens;
  if (options_.algorithm.clip_ratio_c > 0.0) {
    m["clip_ratio/dual_mean"] = MetricSums::Read(sums.clipped_dual) / tokens;
  }
  const double diff_count = MetricSums::Read(sums.logp_diff_count);
  if (diff_count > 0) {
    m["sampling/logp_diff/mean"] = MetricSums::Read(sums.logp_diff_sum) / diff_count;
    m["sampling/logp_diff/max"] = MetricSums::Read(sums.logp_diff_max);
  }
  m["grad_norm"] = grad_norm_sum / iterations;
  return absl::OkStatus();
}

absl::StatusOr<double> Learner::LossAndGradient(const TrainBatch& batch) {
  RETURN_IF_ERROR(CheckShapes(batch));
  RETURN_IF_ERROR(CheckVersions(batch));
  std::vector<MicroBatch> micro_batches = PlanStep(batch);
  const LossDenominators denominators =
      DenominatorsOf(batch.loss_mask, options_.max_completion_length);
  SyncComputeWeights();
  PrecomputeAnchors(micro_batches);
  MetricSums sums;
  if (distributed()) {
    return absl::FailedPreconditionError("learner: LossAndGradient runs on one rank only");
  }
  optimizer_->ZeroGrad();
  Backward(micro_batches, denominators, /*first_iteration=*/true, sums);
  return MetricSums::Read(sums.loss);
}

void Learner::Backward(std::vector<MicroBatch>& micro_batches,
                       const LossDenominators& denominators, bool first_iteration,
                       MetricSums& sums) {
  for (size_t k = 0; k < micro_batches.size(); ++k) {
    GrpoLossTerms terms = ForwardLoss(micro_batches[k], denominators, first_iteration, sums);
    if (reducer_ && k + 1 == micro_batches.size()) reducer_->Arm();
    terms.loss.backward();
    MoveGradientsToMasters();
    sums.Add(terms);
  }
}

void Learner::ZeroGrad() {
  if (reducer_) {
    reducer_->ZeroGrad();
  } else {
    optimizer_->ZeroGrad();
  }
}

absl::Status Learner::ReduceGradients() {
  return reducer_ ? reducer_->Finish(doing_) : absl::OkStatus();
}

GrpoLossTerms Learner::ForwardLoss(MicroBatch& mb, const LossDenominators& denominators,
                                   bool first_iteration, MetricSums& sums) {
  SequenceLogProbs lp = ComputeSequenceLogProbs(*compute_, mb.input_ids, mb.sequence_ids,
                                                mb.mask, LogProbOptions(/*with_entropy=*/true));
  // The ratio's anchor: the learner's own log-probs before this step's first update, or
  // the rollout's for samples of an older policy version.
  torch::Tensor own_old = mb.old_logprobs.defined() ? mb.old_logprobs : lp.logprobs.detach();
  GrpoLossInputs in;
  in.logprobs = lp.logprobs;
  in.old_logprobs = own_old;
  in.advantages = mb.advantages;
  in.mask = mb.mask;
  in.ref_logprobs = mb.ref_logprobs;
  in.entropy = lp.entropy;
  if (mb.behaviour.defined()) {
    in.old_logprobs = at::where(mb.stale, mb.behaviour, own_old);
    const double cap = options_.algorithm.tis_imp_ratio_cap;
    if (cap > 0.0) {
      in.tis_weights = at::where(mb.on_version > 0, TisWeights(own_old, mb.behaviour, cap),
                                 at::ones_like(own_old));
    }
    if (first_iteration) {
      torch::Tensor diff = (own_old - mb.behaviour).abs() * mb.on_version;
      sums.logp_diff_sum = sums.logp_diff_sum.defined() ? sums.logp_diff_sum + diff.sum() : diff.sum();
      sums.logp_diff_max = sums.logp_diff_max.defined() ? at::maximum(sums.logp_diff_max, diff.max())
                                                        : diff.max();
      torch::Tensor count = mb.on_version.sum();
      sums.logp_diff_count = sums.logp_diff_count.defined() ? sums.logp_diff_count + count : count;
    }
  }
  return GrpoLoss(in, loss_options_, denominators);
}

absl::StatusOr<StepMetrics> Learner::SftStep(const TrainBatch& batch) {
  RETURN_IF_ERROR(CheckShapes(batch));
  RETURN_IF_ERROR(mirror_failure_);
  const Clock::time_point start = Clock::now();
  const double num_tokens = std::max(1.0, batch.loss_mask.sum().item<double>());
  StepMetrics m;
  m["optimizer/skipped_updates"] = 0;
  ASSIGN_OR_RETURN(TrainBatch local, Distribute("sft", batch, num_tokens, 0.0, &m));
  RETURN_IF_ERROR(EndCommand(SftUpdate(local, num_tokens, m)));
  AddThroughput(batch, 1, Seconds(start), m);
  return m;
}

absl::Status Learner::SftUpdate(const TrainBatch& local, double num_tokens, StepMetrics& m) {
  std::vector<MicroBatch> micro_batches = PlanStep(local);
  torch::Tensor loss_sum;
  SyncComputeWeights();
  ZeroGrad();
  for (size_t k = 0; k < micro_batches.size(); ++k) {
    MicroBatch& mb = micro_batches[k];
    torch::Tensor logprobs = ComputeSequenceLogProbs(*compute_, mb.input_ids, mb.sequence_ids,
                                                     mb.mask, LogProbOptions(false))
                                 .logprobs;
    torch::Tensor loss = -(logprobs * mb.mask).sum() / num_tokens;  // token mean, global
    if (reducer_ && k + 1 == micro_batches.size()) reducer_->Arm();
    loss.backward();
    MoveGradientsToMasters();
    loss_sum = loss_sum.defined() ? loss_sum + loss.detach() : loss.detach();
  }
  RETURN_IF_ERROR(ReduceGradients());
  ASSIGN_OR_RETURN(m["grad_norm"], Update(m));
  ++step_;
  ++policy_version_;
  if (distributed()) {
    torch::Tensor total = torch::tensor({MetricSums::Read(loss_sum)}, torch::kDouble);
    RETURN_IF_ERROR(options_.group->AllReduce(total, distributed::Reduction::kSum, doing_));
    loss_sum = total[0];
    m["timing/allreduce_s"] = reducer_->TakeWaitSeconds();
  }
  m["loss"] = MetricSums::Read(loss_sum);
  return absl::OkStatus();
}

LmHeadLogProbsOptions Learner::LogProbOptions(bool with_entropy) const {
  LmHeadLogProbsOptions lp;
  lp.temperature = options_.temperature;
  lp.chunk_tokens = options_.logprob_chunk_tokens;
  lp.with_entropy = with_entropy;
  lp.compute_dtype = options_.compute_dtype;
  lp.gradient_checkpointing = options_.gradient_checkpointing;
  return lp;
}

void Learner::AddThroughput(const TrainBatch& batch, int updates, double seconds,
                            StepMetrics& m) const {
  const auto lengths = batch.lengths.accessor<int64_t, 1>();
  const torch::Tensor loss_tokens = batch.loss_mask.sum(1).to(at::kLong);
  const auto loss = loss_tokens.accessor<int64_t, 1>();
  double flops = 0.0;
  double tokens = 0.0;
  for (int64_t r = 0; r < batch.rows(); ++r) {
    flops += TrainingFlops(policy_->config(), lengths[r], loss[r]);
    tokens += static_cast<double>(lengths[r]);
  }
  m["timing/learner_s"] = seconds;
  m["throughput/learner_tokens_per_s"] = tokens * updates / seconds;
  m["perf/mfu"] = flops * updates / seconds / options_.peak_flops;
  m["learner/loss_tokens"] = batch.loss_mask.sum().item<double>();
  m["policy_version"] = static_cast<double>(policy_version_);
}

model::TensorMap Learner::ExportWeights(torch::ScalarType dtype) const {
  torch::NoGradGuard no_grad;
  model::TensorMap out;
  for (const auto& item : policy_->named_parameters()) {
    out[item.key()] = item.value().detach().to(torch::kCPU, dtype, /*non_blocking=*/false,
                                               /*copy=*/true).contiguous();
  }
  return out;
}


}  // namespace zerorl::learner
