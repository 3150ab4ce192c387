// Learner ranks: rank 0's side of each distributed call (Learner's members) and the other
// ranks' side (RankFollower, ServeLearnerRank).
#include "learner/ranks.h"

#include <atomic>
#include <cmath>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/crc32c.h"
#include "core/json.h"
#include "core/log.h"
#include "core/status.h"
#include "learner/internal/gradient_reducer.h"
#include "learner/learner.h"
#include "learner/rank_balance.h"
#include "model/weights.h"
#include "rapidjson/document.h"

namespace zerorl::learner {
namespace {

std::string Quoted(const std::string& text) {
  rapidjson::Value v(text.c_str(), static_cast<rapidjson::SizeType>(text.size()));
  return core::JsonToString(v);
}

// A command: {"op": ..., "learner": id, "doing": ..., FIELDS} where `fields` is ", ..." JSON.
std::string Command(const std::string& op, int64_t id, const std::string& doing,
                    const std::string& fields = "") {
  return absl::StrCat("{\"op\": ", Quoted(op), ", \"learner\": ", id, ", \"doing\": ",
                      Quoted(doing), fields, "}");
}

double Number(const rapidjson::Document& doc, const char* key) {
  auto it = doc.FindMember(key);
  return it != doc.MemberEnd() && it->value.IsNumber() ? it->value.GetDouble() : 0.0;
}

std::string String(const rapidjson::Document& doc, const char* key) {
  auto it = doc.FindMember(key);
  return it != doc.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}

// Every rank says whether its part of the command succeeded; the result of the command.
absl::Status AckCommand(distributed::Group& group, const absl::Status& local,
                        const std::string& doing) {
  torch::Tensor failed = torch::tensor({local.ok() ? 0 : 1}, torch::kLong);
  absl::Status reduced = group.AllReduce(failed, distributed::Reduction::kMax, doing);
  if (!local.ok()) return local;
  RETURN_IF_ERROR(reduced);
  if (failed.item<int64_t>() != 0 && group.rank() == 0) {
    return group.Fail(absl::InternalError("a learner rank reported a failure"), doing);
  }
  return absl::OkStatus();
}

// What travels for one rank's share of a step (stats stay on rank 0).
distributed::NamedTensors BatchTensors(const TrainBatch& b) {
  distributed::NamedTensors t = {{"input_ids", b.input_ids},
                                 {"lengths", b.lengths},
                                 {"loss_mask", b.loss_mask},
                                 {"advantages", b.advantages},
                                 {"has_behaviour", b.has_behaviour},
                                 {"policy_versions", b.policy_versions}};
  if (b.behaviour_logprobs.defined()) t.emplace_back("behaviour_logprobs", b.behaviour_logprobs);
  return t;
}

TrainBatch BatchFrom(const distributed::NamedTensors& tensors) {
  TrainBatch b;
  for (const auto& [name, t] : tensors) {
    if (name == "input_ids") b.input_ids = t;
    if (name == "lengths") b.lengths = t;
    if (name == "loss_mask") b.loss_mask = t;
    if (name == "advantages") b.advantages = t;
    if (name == "has_behaviour") b.has_behaviour = t;
    if (name == "policy_versions") b.policy_versions = t;
    if (name == "behaviour_logprobs") b.behaviour_logprobs = t;
  }
  return b;
}

// Rows `rows` of `batch`; a batch of no rows (a rank with nothing to do) when empty.
TrainBatch ShareOf(const TrainBatch& batch, const std::vector<int64_t>& rows) {
  if (!rows.empty()) return SliceRows(batch, rows);
  TrainBatch b;
  b.input_ids = torch::zeros({0, 1}, torch::kLong);
  b.lengths = torch::zeros({0}, torch::kLong);
  b.loss_mask = torch::zeros({0, 1}, torch::kFloat);
  b.advantages = torch::zeros({0}, torch::kFloat);
  b.has_behaviour = torch::zeros({0}, torch::kBool);
  b.policy_versions = torch::zeros({0}, torch::kLong);
  if (batch.behaviour_logprobs.defined()) b.behaviour_logprobs = torch::zeros({0, 1}, torch::kFloat);
  return b;
}

distributed::NamedTensors Parameters(model::CausalLMImpl& model) {
  distributed::NamedTensors out;
  for (const auto& item : model.named_parameters()) out.emplace_back(item.key(), item.value().detach());
  return out;
}

model::TensorMap MapOf(const distributed::NamedTensors& tensors) {
  return model::TensorMap(tensors.begin(), tensors.end());
}

// The options rank 0's learner was made with, as text for the other ranks.
std::string OptionsJson(const LearnerOptions& o) {
  config::Config c;
  c.learner.algorithm = o.algorithm;
  c.learner.optimizer = o.optimizer;
  c.learner.micro_batch_tokens = static_cast<int>(o.micro_batch_tokens);
  c.learner.logprob_chunk_tokens = static_cast<int>(o.logprob_chunk_tokens);
  c.learner.gradient_checkpointing = o.gradient_checkpointing;
  c.learner.shard_optimizer = o.shard_optimizer;
  c.learner.compute_dtype = config::DType::kFloat32;  // travels below, exactly
  return absl::StrFormat(
      ", \"config\": %s, \"compute_dtype\": %d, \"temperature\": %.17g, "
      "\"max_completion_length\": %d, \"total_steps\": %d, \"peak_flops\": %.17g, "
      "\"bucket_bytes\": %d",
      Quoted(config::ConfigToJson(c)), static_cast<int>(o.compute_dtype), o.temperature,
      o.max_completion_length, o.total_steps, o.peak_flops, o.bucket_bytes);
}

absl::StatusOr<LearnerOptions> OptionsFrom(const rapidjson::Document& doc) {
  ASSIGN_OR_RETURN(config::Config c, config::LoadConfigFromSources(
                                         {{"<rank 0's learner options>", String(doc, "config")}}, {}));
  LearnerOptions o = LearnerOptionsFromConfig(c);
  o.compute_dtype = static_cast<torch::ScalarType>(static_cast<int>(Number(doc, "compute_dtype")));
  o.temperature = Number(doc, "temperature");
  o.max_completion_length = static_cast<int64_t>(Number(doc, "max_completion_length"));
  o.total_steps = static_cast<int64_t>(Number(doc, "total_steps"));
  o.peak_flops = Number(doc, "peak_flops");
  o.bucket_bytes = static_cast<int64_t>(Number(doc, "bucket_bytes"));
  return o;
}

std::atomic<int64_t> g_next_learner_id{1};

}  // namespace

// ---- Learner: rank 0's side, and what every rank shares ----

bool Learner::distributed() const {
  return options_.group != nullptr && options_.group->world_size() > 1;
}
int Learner::ranks() const { return distributed() ? options_.group->world_size() : 1; }
int Learner::rank() const { return distributed() ? options_.group->rank() : 0; }

Learner::~Learner() {
  if (!distributed() || rank() != 0 || options_.group->failed()) return;
  doing_ = "releasing a learner";
  absl::Status dropped = options_.group->PostCommand(Command("drop", id_, doing_));
  if (dropped.ok()) dropped = EndCommand(absl::OkStatus());
  if (!dropped.ok()) ZLOG(WARNING) << dropped;
}

absl::Status Learner::EndCommand(absl::Status local) {
  if (!distributed()) return local;
  return AckCommand(*options_.group, local, doing_);
}

absl::Status Learner::Mirror() {
  id_ = g_next_learner_id.fetch_add(1);
  doing_ = "starting the learner on every rank";
  distributed::Group& group = *options_.group;
  const std::string fields = absl::StrCat(
      OptionsJson(options_), ", \"arch\": ", Quoted(model::HfConfigJson(policy_->config(), "float32")),
      ", \"reference\": ", reference_.is_empty() ? "false" : "true");
  RETURN_IF_ERROR(group.PostCommand(Command("create", id_, doing_, fields)));
  distributed::NamedTensors weights = Parameters(*policy_);
  RETURN_IF_ERROR(group.BroadcastNamed(&weights, 0, doing_));
  if (!reference_.is_empty()) {
    distributed::NamedTensors reference = Parameters(*reference_);
    RETURN_IF_ERROR(group.BroadcastNamed(&reference, 0, doing_));
  }
  return EndCommand(absl::OkStatus());
}

absl::StatusOr<TrainBatch> Learner::Distribute(const std::string& op, const TrainBatch& batch,
                                               double a, double b, StepMetrics* m) {
  doing_ = absl::StrCat(op == "grpo" ? "GRPO step " : "SFT step ", step_ + 1);
  if (!distributed()) return batch;
  distributed::Group& group = *options_.group;
  const torch::Tensor contiguous = batch.lengths.contiguous();
  const std::vector<int64_t> lengths(contiguous.data_ptr<int64_t>(),
                                     contiguous.data_ptr<int64_t>() + batch.rows());
  const std::vector<std::vector<int64_t>> shares = BalanceRowsByTokens(lengths, ranks());
  (*m)["learner/ranks"] = ranks();
  (*m)["learner/token_imbalance"] = TokenImbalance(lengths, shares);
  RETURN_IF_ERROR(group.PostCommand(
      Command(op, id_, doing_, absl::StrFormat(", \"a\": %.17g, \"b\": %.17g", a, b))));
  for (int r = 1; r < ranks(); ++r) {
    RETURN_IF_ERROR(group.SendNamed(BatchTensors(ShareOf(batch, shares[r])), r, doing_));
  }
  return ShareOf(batch, shares[0]);
}

void Learner::RestoreCounters(int64_t step, int64_t policy_version, int64_t num_updates) {
  step_ = step;
  policy_version_ = policy_version;
  num_updates_ = num_updates;
  if (!distributed() || rank() != 0) return;
  doing_ = "restoring counters";
  absl::Status mirrored = options_.group->PostCommand(Command(
      "counters", id_, doing_,
      absl::StrCat(", \"step\": ", step, ", \"version\": ", policy_version, ", \"updates\": ",
                   num_updates)));
  if (mirrored.ok()) mirrored = EndCommand(absl::OkStatus());
  if (!mirrored.ok()) mirror_failure_ = mirrored;
}

std::string LearnerMemory::Describe() const {
  constexpr double kMiB = 1024.0 * 1024.0;
  return absl::StrFormat("parameters %.1f MiB, gradients %.1f MiB, optimizer state %.1f MiB",
                         parameters / kMiB, gradients / kMiB, optimizer / kMiB);
}

LearnerMemory EstimateLearnerMemory(int64_t parameters, const LearnerOptions& options,
                                    bool with_reference, int ranks, int rank) {
  const int64_t compute = static_cast<int64_t>(c10::elementSize(options.compute_dtype));
  LearnerMemory m;
  m.parameters = 4 * parameters;
  if (options.compute_dtype != torch::kFloat) m.parameters += compute * parameters;
  if (with_reference) m.parameters += compute * parameters;
  const int64_t n = std::max(ranks, 1);
  const int64_t shard = (parameters + n - 1) / n;
  m.gradients = 4 * (n > 1 ? shard * n : parameters);
  int64_t owned = parameters;
  if (n > 1 && options.shard_optimizer) {
    owned = std::max<int64_t>(0, std::min(parameters, shard * (rank + 1)) - shard * rank);
  }
  m.optimizer = 8 * owned;
  return m;
}

LearnerMemory Learner::Memory() const {
  int64_t parameters = 0;
  for (const auto& p : policy_->parameters()) parameters += p.numel();
  return EstimateLearnerMemory(parameters, options_, has_reference(), ranks(), rank());
}

uint32_t Learner::LocalChecksum() {
  uint32_t crc = 0;
  for (const auto& item : policy_->named_parameters()) {
    torch::Tensor t = item.value().detach().to(torch::kCPU).contiguous();
    crc = core::Crc32cExtend(crc, t.data_ptr(), static_cast<size_t>(t.numel() * t.element_size()));
  }
  return crc;
}

absl::StatusOr<std::vector<uint32_t>> Learner::WeightChecksums() {
  if (!distributed()) return std::vector<uint32_t>{LocalChecksum()};
  doing_ = "comparing the ranks' weights";
  if (rank() == 0) RETURN_IF_ERROR(options_.group->PostCommand(Command("checksum", id_, doing_)));
  torch::Tensor all = torch::zeros({ranks()}, torch::kLong);
  all[rank()] = static_cast<int64_t>(LocalChecksum());
  absl::Status reduced = options_.group->AllReduce(all, distributed::Reduction::kSum, doing_);
  if (rank() == 0) RETURN_IF_ERROR(EndCommand(reduced));
  RETURN_IF_ERROR(reduced);
  std::vector<uint32_t> out;
  for (int r = 0; r < ranks(); ++r) out.push_back(static_cast<uint32_t>(all[r].item<int64_t>()));
  return out;
}

int Learner::optimizer_shards() const {
  return distributed() && options_.shard_optimizer ? ranks() : 1;
}

NamedTensors Learner::OptimizerShard() const {
  NamedTensors state = optimizer_->StateTensors();
  std::set<std::string> with_state;
  for (const auto& [name, t] : state) with_state.insert(name);
  for (const auto& [name, offset] : reducer_->OwnedOffsets()) {
    if (with_state.count(name + ".step")) {
      state.emplace_back(name + ".offset", torch::tensor(offset, torch::kInt64));
    }
  }
  return state;
}

absl::Status Learner::ForEachOptimizerShard(
    const std::function<absl::Status(int shard, const NamedTensors& tensors)>& write) {
  if (optimizer_shards() == 1) return write(0, optimizer_->StateTensors());
  doing_ = absl::StrCat("saving the checkpoint of step ", step_);
  distributed::Group& group = *options_.group;
  RETURN_IF_ERROR(group.PostCommand(Command("save", id_, doing_)));
  absl::Status written = write(0, OptimizerShard());
  for (int r = 1; r < ranks(); ++r) {
    ASSIGN_OR_RETURN(distributed::NamedTensors shard, group.ReceiveNamed(r, doing_));
    if (written.ok()) written = write(r, shard);
  }
  return EndCommand(written);
}

absl::Status Learner::LoadOptimizer(const std::map<std::string, torch::Tensor>& full) {
  if (optimizer_shards() == 1) return optimizer_->LoadState(full);
  std::map<std::string, torch::Tensor> part;
  const std::vector<std::pair<std::string, int64_t>> owned = reducer_->OwnedOffsets();
  const std::map<std::string, int64_t> offsets(owned.begin(), owned.end());
  for (const AdamWSlice& slice : reducer_->OwnedSlices()) {
    auto step = full.find(slice.name + ".step");
    if (step == full.end()) continue;
    part[slice.name + ".step"] = step->second;
    for (const char* suffix : {".exp_avg", ".exp_avg_sq"}) {
      auto it = full.find(slice.name + suffix);
      const int64_t offset = offsets.at(slice.name);
      if (it == full.end() || it->second.numel() < offset + slice.param.numel()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "optimizer state: tensor \"", slice.name, suffix, "\" is missing or too small"));
      }
      part[slice.name + suffix] =
          it->second.reshape({-1}).narrow(0, offset, slice.param.numel()).clone();
    }
  }
  return optimizer_->LoadState(part);
}

absl::Status Learner::RestoreState(const std::map<std::string, torch::Tensor>& optimizer,
                                   int64_t step, int64_t policy_version, int64_t num_updates) {
  auto local = [&]() -> absl::Status {
    RETURN_IF_ERROR(LoadOptimizer(optimizer));
    step_ = step;
    policy_version_ = policy_version;
    num_updates_ = num_updates;
    return absl::OkStatus();
  };
  if (!distributed()) return local();
  doing_ = absl::StrCat("loading the checkpoint of step ", step);
  distributed::Group& group = *options_.group;
  RETURN_IF_ERROR(group.PostCommand(Command(
      "load", id_, doing_,
      absl::StrCat(", \"step\": ", step, ", \"version\": ", policy_version, ", \"updates\": ",
                   num_updates))));
  distributed::NamedTensors weights = Parameters(*policy_);
  RETURN_IF_ERROR(group.BroadcastNamed(&weights, 0, doing_));
  distributed::NamedTensors state(optimizer.begin(), optimizer.end());
  RETURN_IF_ERROR(group.BroadcastNamed(&state, 0, doing_));
  return EndCommand(local());
}

// ---- the other ranks ----

class RankFollower {
 public:
  RankFollower(std::shared_ptr<distributed::Group> group, torch::Device device)
      : group_(std::move(group)), device_(device) {}

  absl::Status Serve() {
    for (;;) {
      ASSIGN_OR_RETURN(std::string text, group_->NextCommand());
      absl::StatusOr<rapidjson::Document> doc = core::ParseJson(text);
      if (!doc.ok() || !doc->IsObject()) {
        return absl::InternalError("a malformed command from rank 0: " + text);
      }
      const std::string op = String(*doc, "op");
      const std::string doing = String(*doc, "doing");
      group_->Mark(doing);
      absl::Status status = Handle(op, *doc, doing);
      if (!status.ok()) group_->ReportFailure(std::string(status.message()));
      absl::Status acked = AckCommand(*group_, status, doing);
      if (!status.ok()) return core::Annotate(status, doing);
      RETURN_IF_ERROR(acked);
      if (op == "stop") return absl::OkStatus();
    }
  }

 private:
  absl::StatusOr<Learner*> Find(const rapidjson::Document& doc) {
    auto it = learners_.find(static_cast<int64_t>(Number(doc, "learner")));
    if (it == learners_.end()) return absl::InternalError("rank 0 named a learner this rank lacks");
    return it->second.get();
  }

  absl::Status Handle(const std::string& op, const rapidjson::Document& doc,
                      const std::string& doing) {
    if (op == "stop") return absl::OkStatus();
    if (op == "create") return Create(doc);
    ASSIGN_OR_RETURN(Learner * learner, Find(doc));
    learner->doing_ = doing;
    if (op == "drop") {
      learners_.erase(static_cast<int64_t>(Number(doc, "learner")));
      return absl::OkStatus();
    }
    if (op == "grpo" || op == "sft") return Step(op, learner, doc);
    if (op == "counters") {
      learner->step_ = static_cast<int64_t>(Number(doc, "step"));
      learner->policy_version_ = static_cast<int64_t>(Number(doc, "version"));
      learner->num_updates_ = static_cast<int64_t>(Number(doc, "updates"));
      return absl::OkStatus();
    }
    if (op == "save") return group_->SendNamed(learner->OptimizerShard(), 0, doing);
    if (op == "load") return Load(learner, doc, doing);
    if (op == "checksum") return learner->WeightChecksums().status();
    return absl::InternalError("unknown command \"" + op + "\" from rank 0");
  }

  absl::Status Create(const rapidjson::Document& doc) {
    ASSIGN_OR_RETURN(LearnerOptions options, OptionsFrom(doc));
    options.group = group_;
    options.device = device_;
    ASSIGN_OR_RETURN(model::ModelArchConfig arch,
                     model::ParseHfConfig(String(doc, "arch"), "<rank 0's model config>"));
    const std::string doing = String(doc, "doing");
    distributed::NamedTensors weights;
    RETURN_IF_ERROR(group_->BroadcastNamed(&weights, 0, doing));
    model::CausalLM policy(model::CausalLMOptions(arch).dtype(torch::kFloat).device(device_));
    RETURN_IF_ERROR(model::LoadWeights(*policy, MapOf(weights), "rank 0's weights"));
    model::CausalLM reference{nullptr};
    auto has_reference = doc.FindMember("reference");
    if (has_reference != doc.MemberEnd() && has_reference->value.IsTrue()) {
      distributed::NamedTensors tensors;
      RETURN_IF_ERROR(group_->BroadcastNamed(&tensors, 0, doing));
      reference = model::CausalLM(
          model::CausalLMOptions(arch).dtype(options.compute_dtype).device(device_));
      RETURN_IF_ERROR(model::LoadWeights(*reference, MapOf(tensors), "rank 0's reference"));
    }
    ASSIGN_OR_RETURN(std::unique_ptr<Learner> learner,
                     Learner::Create(options, std::move(policy), std::move(reference)));
    learner->id_ = static_cast<int64_t>(Number(doc, "learner"));
    ZLOG(INFO) << "learner rank " << group_->rank() << "/" << group_->world_size()
               << " memory: " << learner->Memory().Describe();
    learners_[learner->id_] = std::move(learner);
    return absl::OkStatus();
  }

  absl::Status Step(const std::string& op, Learner* learner, const rapidjson::Document& doc) {
    ASSIGN_OR_RETURN(distributed::NamedTensors tensors, group_->ReceiveNamed(0, learner->doing_));
    TrainBatch share = BatchFrom(tensors);
    StepMetrics ignored;
    if (op == "sft") return learner->SftUpdate(share, Number(doc, "a"), ignored);
    LossDenominators d;
    d.num_tokens = Number(doc, "a");
    d.num_sequences = Number(doc, "b");
    d.max_completion_length = static_cast<double>(learner->options_.max_completion_length);
    return learner->GrpoUpdates(share, d, ignored);
  }

  absl::Status Load(Learner* learner, const rapidjson::Document& doc, const std::string& doing) {
    distributed::NamedTensors weights;
    RETURN_IF_ERROR(group_->BroadcastNamed(&weights, 0, doing));
    distributed::NamedTensors state;
    RETURN_IF_ERROR(group_->BroadcastNamed(&state, 0, doing));
    RETURN_IF_ERROR(model::LoadWeights(*learner->policy_, MapOf(weights), "rank 0's checkpoint"));
    RETURN_IF_ERROR(learner->LoadOptimizer(MapOf(state)));
    learner->step_ = static_cast<int64_t>(Number(doc, "step"));
    learner->policy_version_ = static_cast<int64_t>(Number(doc, "version"));
    learner->num_updates_ = static_cast<int64_t>(Number(doc, "updates"));
    return absl::OkStatus();
  }

  std::shared_ptr<distributed::Group> group_;
  torch::Device device_;
  std::map<int64_t, std::unique_ptr<Learner>> learners_;
};

absl::Status ServeLearnerRank(std::shared_ptr<distributed::Group> group, torch::Device device) {
  if (group->rank() == 0) {
    return absl::InvalidArgumentError("ServeLearnerRank is for ranks > 0; rank 0 drives them");
  }
  RankFollower follower(std::move(group), device);
  return follower.Serve();
}

absl::Status StopLearnerRanks(distributed::Group& group) {
  const std::string doing = "stopping the learner ranks";
  RETURN_IF_ERROR(group.PostCommand(Command("stop", 0, doing)));
  RETURN_IF_ERROR(AckCommand(group, absl::OkStatus(), doing));
  // Nothing may be sent after this: learners released later skip their goodbye.
  (void)group.Fail(absl::CancelledError("the learner ranks were stopped"), doing);
  return absl::OkStatus();
}

}  // namespace zerorl::learner
