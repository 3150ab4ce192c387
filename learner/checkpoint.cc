#include "learner/checkpoint.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <system_error>

#include <ATen/ATen.h>
#include <torch/cuda.h>

#include "absl/strings/str_cat.h"
#include "core/json.h"
#include "core/status.h"
#include "model/safetensors.h"
#include "model/weights.h"
#include "rapidjson/document.h"

namespace zerorl::learner {
namespace {

namespace fs = std::filesystem;

constexpr char kFormat[] = "zerorl-trainer-state-1";
constexpr char kStepPrefix[] = "step-";

// The non-weight files of a Hugging Face model folder that a checkpoint carries along.
const char* const kCarriedFiles[] = {
    "tokenizer.json",      "tokenizer_config.json", "special_tokens_map.json",
    "generation_config.json", "vocab.json",         "merges.txt",
    "tokenizer.model",     "added_tokens.json",     "chat_template.jinja"};

absl::Status IoError(const std::string& what, const std::error_code& ec) {
  return absl::UnavailableError(absl::StrCat(what, ": ", ec.message()));
}

// N for a folder named step-N, else -1.
int64_t StepOf(const std::string& name) {
  if (name.rfind(kStepPrefix, 0) != 0 || name.size() == sizeof(kStepPrefix) - 1) return -1;
  const std::string digits = name.substr(sizeof(kStepPrefix) - 1);
  if (digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 18) return -1;
  return std::stoll(digits);
}

absl::Status CopyCarriedFiles(const std::vector<std::string>& sources, const fs::path& dir) {
  for (const std::string& source : sources) {
    if (source.empty()) continue;
    std::error_code ec;
    if (fs::is_regular_file(source, ec)) {
      fs::path to = dir / fs::path(source).filename();
      if (!fs::exists(to) && !fs::copy_file(source, to, ec)) return IoError("copying " + source, ec);
      continue;
    }
    for (const char* name : kCarriedFiles) {
      fs::path from = fs::path(source) / name;
      fs::path to = dir / name;
      if (fs::exists(to, ec) || !fs::is_regular_file(from, ec)) continue;
      if (!fs::copy_file(from, to, ec)) return IoError("copying " + from.string(), ec);
    }
  }
  return absl::OkStatus();
}

model::TensorMap GeneratorStates() {
  model::TensorMap states;
  auto save = [&](at::Generator g, const std::string& name) {
    std::lock_guard<std::mutex> lock(g.mutex());
    states[name] = g.get_state().clone();
  };
  save(at::detail::getDefaultCPUGenerator(), "cpu");
  if (torch::cuda::is_available()) {
    for (int64_t i = 0; i < static_cast<int64_t>(torch::cuda::device_count()); ++i) {
      save(at::globalContext().defaultGenerator(at::Device(at::kCUDA, i)),
           absl::StrCat("cuda.", i));
    }
  }
  return states;
}

absl::Status RestoreGeneratorStates(const model::TensorMap& states, const std::string& source) {
  for (const auto& [name, state] : states) {
    at::Generator g;
    if (name == "cpu") {
      g = at::detail::getDefaultCPUGenerator();
    } else if (name.rfind("cuda.", 0) == 0 && torch::cuda::is_available() &&
               std::stoll(name.substr(5)) < static_cast<int64_t>(torch::cuda::device_count())) {
      g = at::globalContext().defaultGenerator(at::Device(at::kCUDA, std::stoll(name.substr(5))));
    } else {
      continue;  // a device this process does not have: nothing to restore
    }
    if (state.scalar_type() != at::kByte) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": generator state \"", name,
                                                     "\" must be U8"));
    }
    std::lock_guard<std::mutex> lock(g.mutex());
    g.set_state(state.clone());
  }
  return absl::OkStatus();
}

std::string TrainerStateJson(const Learner& learner, const rapidjson::Document& cursor) {
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  doc.AddMember("format", rapidjson::Value(kFormat, a), a);
  doc.AddMember("world_size", learner.ranks(), a);
  doc.AddMember("optimizer_shards", learner.optimizer_shards(), a);
  doc.AddMember("step", learner.step(), a);
  doc.AddMember("policy_version", learner.policy_version(), a);
  doc.AddMember("num_updates", learner.num_updates(), a);
  doc.AddMember("total_steps", learner.options().total_steps, a);
  rapidjson::Value cursor_copy(cursor, a);
  doc.AddMember("dataset_cursor", cursor_copy, a);
  return core::JsonToString(doc, /*pretty=*/true) + "\n";
}

// optimizer.safetensors, or optimizer.rank-R-of-N.safetensors for state sharded over N ranks.
std::string OptimizerFile(int shard, int shards) {
  if (shards == 1) return "optimizer.safetensors";
  return absl::StrCat("optimizer.rank-", shard, "-of-", shards, ".safetensors");
}

// The optimizer state of a checkpoint as whole tensors shaped like `learner`'s parameters,
// whatever number of ranks wrote it: shards are put back together by their offsets.
absl::StatusOr<std::map<std::string, torch::Tensor>> ReadOptimizerState(
    const fs::path& dir, int shards, Learner& learner) {
  if (shards == 1) {
    ASSIGN_OR_RETURN(model::SafetensorsCheckpoint state,
                     model::ReadSafetensors((dir / OptimizerFile(0, 1)).string()));
    return std::map<std::string, torch::Tensor>(state.tensors.begin(), state.tensors.end());
  }
  std::map<std::string, torch::Tensor> params;
  for (const auto& item : learner.policy().named_parameters()) params[item.key()] = item.value();
  std::map<std::string, torch::Tensor> full;
  std::map<std::string, int64_t> covered;
  for (int shard = 0; shard < shards; ++shard) {
    const std::string path = (dir / OptimizerFile(shard, shards)).string();
    ASSIGN_OR_RETURN(model::SafetensorsCheckpoint state, model::ReadSafetensors(path));
    for (const auto& [key, offset_tensor] : state.tensors) {
      const std::string suffix = ".offset";
      if (key.size() <= suffix.size() || key.compare(key.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
      const std::string name = key.substr(0, key.size() - suffix.size());
      auto param = params.find(name);
      auto avg = state.tensors.find(name + ".exp_avg");
      auto avg_sq = state.tensors.find(name + ".exp_avg_sq");
      auto step = state.tensors.find(name + ".step");
      const int64_t offset = offset_tensor.item<int64_t>();
      if (param == params.end() || avg == state.tensors.end() || avg_sq == state.tensors.end() ||
          step == state.tensors.end() || offset < 0 ||
          offset + avg->second.numel() > param->second.numel() ||
          avg_sq->second.numel() != avg->second.numel()) {
        return absl::InvalidArgumentError(absl::StrCat(
            path, ": the shard of \"", name, "\" does not fit the model's parameter"));
      }
      for (const auto* part : {&*avg, &*avg_sq}) {
        torch::Tensor& whole = full[part->first];
        if (!whole.defined()) whole = torch::zeros_like(param->second, torch::kFloat).contiguous();
        whole.view({-1}).narrow(0, offset, part->second.numel()).copy_(part->second.reshape({-1}));
      }
      full[name + ".step"] = step->second;
      covered[name] += avg->second.numel();
    }
  }
  for (const auto& [name, count] : covered) {
    if (count != params.at(name).numel()) {
      return absl::InvalidArgumentError(absl::StrCat(
          dir.string(), ": the optimizer shards hold ", count, " of the ",
          params.at(name).numel(), " values of \"", name, "\""));
    }
  }
  return full;
}

absl::StatusOr<int64_t> Int64Field(const rapidjson::Document& doc, const char* key,
                                   const std::string& source) {
  auto it = doc.FindMember(key);
  if (it == doc.MemberEnd() || !it->value.IsInt64() || it->value.GetInt64() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": \"", key, "\" must be a non-negative integer"));
  }
  return it->value.GetInt64();
}

absl::Status WriteInto(Learner& learner, const fs::path& dir, const CheckpointExtras& extras,
                       const rapidjson::Document& cursor) {
  model::SaveOptions save;
  save.dtype = torch::kFloat;  // the masters themselves: resume is exact
  RETURN_IF_ERROR(model::SaveModel(learner.policy(), dir.string(), save));
  RETURN_IF_ERROR(CopyCarriedFiles(extras.copy_files_from, dir));
  const int shards = learner.optimizer_shards();
  RETURN_IF_ERROR(learner.ForEachOptimizerShard([&](int shard, const NamedTensors& tensors) {
    model::TensorMap optimizer(tensors.begin(), tensors.end());
    return model::WriteSafetensors((dir / OptimizerFile(shard, shards)).string(), optimizer);
  }));
  RETURN_IF_ERROR(model::WriteSafetensors((dir / "rng_state.safetensors").string(), GeneratorStates()));
  return core::WriteFileAtomic((dir / "trainer_state.json").string(),
                               TrainerStateJson(learner, cursor));
}

}  // namespace

absl::StatusOr<std::string> SaveCheckpoint(Learner& learner, const std::string& checkpoints_dir,
                                           const CheckpointExtras& extras) {
  absl::StatusOr<rapidjson::Document> cursor = core::ParseJson(extras.dataset_cursor_json);
  if (!cursor.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("checkpoint: dataset cursor is not JSON: ", cursor.status().message()));
  }
  const std::string name = absl::StrCat(kStepPrefix, learner.step());
  const fs::path root(checkpoints_dir);
  const fs::path final_dir = root / name;
  const fs::path temp_dir = root / absl::StrCat(".", name, ".tmp-", getpid());
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) return IoError("creating " + root.string(), ec);
  fs::remove_all(temp_dir, ec);
  fs::create_directory(temp_dir, ec);
  if (ec) return IoError("creating " + temp_dir.string(), ec);
  absl::Status written = WriteInto(learner, temp_dir, extras, *cursor);
  if (!written.ok()) {
    fs::remove_all(temp_dir, ec);
    return core::Annotate(written, "checkpoint " + final_dir.string());
  }
  // Replace an existing folder of the same step: move it aside, move the new one in.
  const fs::path old_dir = root / absl::StrCat(".", name, ".old-", getpid());
  if (fs::exists(final_dir, ec)) {
    fs::rename(final_dir, old_dir, ec);
    if (ec) return IoError("moving aside " + final_dir.string(), ec);
  }
  fs::rename(temp_dir, final_dir, ec);
  if (ec) return IoError("renaming " + temp_dir.string() + " to " + final_dir.string(), ec);
  fs::remove_all(old_dir, ec);
  return final_dir.string();
}

absl::StatusOr<ResumeState> LoadCheckpoint(const std::string& checkpoint_dir, Learner* learner) {
  const fs::path dir(checkpoint_dir);
  const std::string state_path = (dir / "trainer_state.json").string();
  ASSIGN_OR_RETURN(std::string text, core::ReadFile(state_path));
  absl::StatusOr<rapidjson::Document> doc = core::ParseJson(text);
  if (!doc.ok() || !doc->IsObject()) {
    return absl::InvalidArgumentError(state_path + ": not a JSON object");
  }
  auto format = doc->FindMember("format");
  if (format == doc->MemberEnd() || !format->value.IsString() ||
      std::string(format->value.GetString()) != kFormat) {
    return absl::InvalidArgumentError(
        absl::StrCat(state_path, ": \"format\" must be \"", kFormat, "\""));
  }
  ResumeState state;
  ASSIGN_OR_RETURN(state.step, Int64Field(*doc, "step", state_path));
  ASSIGN_OR_RETURN(state.policy_version, Int64Field(*doc, "policy_version", state_path));
  ASSIGN_OR_RETURN(int64_t updates, Int64Field(*doc, "num_updates", state_path));
  // Checkpoints from before learner ranks have neither: one rank, one optimizer file.
  state.world_size = doc->HasMember("world_size") ? 0 : 1;
  int64_t shards = 1;
  if (state.world_size == 0) {
    ASSIGN_OR_RETURN(state.world_size, Int64Field(*doc, "world_size", state_path));
    ASSIGN_OR_RETURN(shards, Int64Field(*doc, "optimizer_shards", state_path));
    if (shards < 1 || shards > state.world_size) {
      return absl::InvalidArgumentError(
          absl::StrCat(state_path, ": \"optimizer_shards\" must be in [1, world_size]"));
    }
  }
  auto cursor = doc->FindMember("dataset_cursor");
  if (cursor != doc->MemberEnd()) state.dataset_cursor_json = core::JsonToString(cursor->value);

  ASSIGN_OR_RETURN(model::SafetensorsCheckpoint weights, model::ReadSafetensors(checkpoint_dir));
  ASSIGN_OR_RETURN(model::SafetensorsCheckpoint rng,
                   model::ReadSafetensors((dir / "rng_state.safetensors").string()));
  RETURN_IF_ERROR(model::LoadWeights(learner->policy(), weights.tensors, checkpoint_dir));
  ASSIGN_OR_RETURN(auto optimizer, ReadOptimizerState(dir, static_cast<int>(shards), *learner));
  RETURN_IF_ERROR(RestoreGeneratorStates(rng.tensors, (dir / "rng_state.safetensors").string()));
  RETURN_IF_ERROR(core::Annotate(
      learner->RestoreState(optimizer, state.step, state.policy_version, updates),
      (dir / OptimizerFile(0, static_cast<int>(shards))).string()));
  return state;
}

absl::StatusOr<std::string> LatestCheckpoint(const std::string& checkpoints_dir) {
  std::error_code ec;
  int64_t best = -1;
  std::string best_path;
  for (fs::directory_iterator it(checkpoints_dir, ec), end; !ec && it != end; it.increment(ec)) {
    int64_t step = StepOf(it->path().filename().string());
    if (step > best && fs::exists(it->path() / "trainer_state.json")) {
      best = step;
      best_path = it->path().string();
    }
  }
  if (best < 0) {
    return absl::NotFoundError(absl::StrCat("no checkpoint (step-N folder) in ", checkpoints_dir));
  }
  return best_path;
}

absl::Status RotateCheckpoints(const std::string& checkpoints_dir, int keep_last) {
  std::error_code ec;
  std::vector<std::pair<int64_t, fs::path>> steps;
  std::vector<fs::path> leftovers;
  for (fs::directory_iterator it(checkpoints_dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    int64_t step = StepOf(name);
    if (step >= 0) steps.emplace_back(step, it->path());
    bool interrupted = name.rfind(".step-", 0) == 0 &&
                       (name.find(".tmp-") != std::string::npos || name.find(".old-") != std::string::npos);
    if (interrupted) leftovers.push_back(it->path());
  }
  if (ec) return IoError("listing " + checkpoints_dir, ec);
  std::sort(steps.begin(), steps.end());
  const size_t keep = static_cast<size_t>(std::max(keep_last, 0));
  for (size_t i = 0; i + keep < steps.size(); ++i) leftovers.push_back(steps[i].second);
  for (const fs::path& p : leftovers) {
    fs::remove_all(p, ec);
    if (ec) return IoError("removing " + p.string(), ec);
  }
  return absl::OkStatus();
}

}  // namespace zerorl::learner
