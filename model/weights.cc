#include "model/weights.h"

#include <ATen/CPUGeneratorImpl.h>

#include <filesystem>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/json.h"
#include "core/log.h"
#include "core/status.h"
#include "model/internal/safetensors_dtype.h"

namespace zerorl::model {
namespace {

constexpr size_t kMaxNamesListed = 10;

std::string ListNames(const std::vector<std::string>& names) {
  std::vector<std::string> shown(names.begin(),
                                 names.begin() + std::min(names.size(), kMaxNamesListed));
  std::string out = absl::StrJoin(shown, ", ");
  if (names.size() > kMaxNamesListed) {
    absl::StrAppend(&out, ", ... (", names.size() - kMaxNamesListed, " more)");
  }
  return out;
}

// Tensors a checkpoint may carry that are not parameters here.
bool Skippable(const std::string& name, const ModelArchConfig& config) {
  if (absl::EndsWith(name, "rotary_emb.inv_freq")) return true;
  return name == "lm_head.weight" && config.tie_word_embeddings;
}

}  // namespace

TensorMap StateDict(CausalLMImpl& model) {
  TensorMap tensors;
  for (const auto& item : model.named_parameters()) {
    tensors.emplace(item.key(), item.value().detach());
  }
  return tensors;
}

absl::Status LoadWeights(CausalLMImpl& model, const TensorMap& tensors,
                         const std::string& source) {
  TensorMap params = StateDict(model);
  std::vector<std::string> missing, unexpected, mismatched;
  for (const auto& [name, param] : params) {
    auto it = tensors.find(name);
    if (it == tensors.end()) {
      missing.push_back(name);
    } else if (it->second.sizes() != param.sizes()) {
      mismatched.push_back(absl::StrCat(name, " is ", ShapeString(it->second.sizes().vec()),
                                        " in the checkpoint but ",
                                        ShapeString(param.sizes().vec()), " in the model"));
    } else if (!it->second.is_floating_point()) {
      mismatched.push_back(absl::StrCat(name, " has non-float dtype ",
                                        c10::toString(it->second.scalar_type())));
    }
  }
  for (const auto& [name, tensor] : tensors) {
    if (params.count(name) == 0 && !Skippable(name, model.config())) unexpected.push_back(name);
  }
  if (!missing.empty() || !unexpected.empty() || !mismatched.empty()) {
    std::vector<std::string> problems;
    if (!missing.empty()) problems.push_back("missing tensors: " + ListNames(missing));
    if (!unexpected.empty()) problems.push_back("unexpected tensors: " + ListNames(unexpected));
    if (!mismatched.empty()) problems.push_back("wrong tensors: " + ListNames(mismatched));
    return absl::InvalidArgumentError(absl::StrCat(
        source, ": weights do not match the ", ModelFamilyName(model.config().family),
        " architecture of config.json: ", absl::StrJoin(problems, "; ")));
  }
  torch::NoGradGuard no_grad;
  for (auto& [name, param] : params) param.copy_(tensors.at(name));
  return absl::OkStatus();
}

absl::StatusOr<CausalLM> LoadModel(const std::string& dir, const LoadOptions& options) {
  ASSIGN_OR_RETURN(ModelArchConfig config, ReadHfConfig(dir + "/config.json"));
  ASSIGN_OR_RETURN(SafetensorsCheckpoint checkpoint, ReadSafetensors(dir));
  if (!config.tie_word_embeddings && checkpoint.tensors.count("lm_head.weight") == 0) {
    ZLOG(INFO) << dir << ": no lm_head.weight stored; tying it to model.embed_tokens.weight";
    config.tie_word_embeddings = true;
  }
  CausalLM model(CausalLMOptions(config).dtype(options.dtype).device(options.device));
  std::string source = checkpoint.files.size() == 1 ? checkpoint.files[0] : dir;
  RETURN_IF_ERROR(LoadWeights(*model, checkpoint.tensors, source));
  return model;
}

std::string TorchDtypeName(torch::ScalarType dtype) {
  switch (dtype) {
    case torch::kBFloat16:
      return "bfloat16";
    case torch::kFloat:
      return "float32";
    case torch::kHalf:
      return "float16";
    default:
      return c10::toString(dtype);
  }
}

absl::Status SaveModel(CausalLMImpl& model, const std::string& dir, const SaveOptions& options) {
  if (options.dtype != torch::kBFloat16 && options.dtype != torch::kFloat &&
      options.dtype != torch::kHalf) {
    return absl::InvalidArgumentError(absl::StrCat("SaveModel ", dir, ": dtype ",
                                                   c10::toString(options.dtype),
                                                   " is not bf16, fp32 or fp16"));
  }
  TensorMap tensors = StateDict(model);
  for (auto& [name, tensor] : tensors) tensor = tensor.to(options.dtype);
  RETURN_IF_ERROR(WriteSafetensorsSharded(dir, tensors, options.max_shard_bytes).status());
  return core::WriteFileAtomic(dir + "/config.json",
                         HfConfigJson(model.config(), TorchDtypeName(options.dtype)));
}

void RandomInit(CausalLMImpl& model, uint64_t seed) {
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  double std = model.config().initializer_range;
  torch::NoGradGuard no_grad;
  for (auto& item : model.named_parameters()) {
    torch::Tensor& param = item.value();
    const std::string& name = item.key();
    if (param.dim() == 1 && absl::EndsWith(name, "norm.weight")) {
      param.fill_(1.0);
    } else if (absl::EndsWith(name, ".bias")) {
      param.zero_();
    } else {
      torch::Tensor draw = torch::empty(param.sizes(), torch::kFloat);
      draw.normal_(0.0, std, generator);
      param.copy_(draw);
    }
  }
}

CausalLM RandomModel(const ModelArchConfig& config, uint64_t seed, torch::ScalarType dtype,
                     torch::Device device) {
  CausalLM model(CausalLMOptions(config).dtype(dtype).device(device));
  RandomInit(*model, seed);
  return model;
}

}  // namespace zerorl::model
