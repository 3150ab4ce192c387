#include "train/run_setup.h"

#include <sys/stat.h>

#include <filesystem>

#include "core/json.h"
#include "core/log.h"
#include "core/status.h"
#include "model/weights.h"
#include "tokenizer/byte_tokenizer.h"

namespace zerorl::train {
namespace {

namespace fs = std::filesystem;

// The tags the quickstart's format reward and template use, one token each.
const std::vector<std::string> kByteTokenizerTags = {"<think>", "</think>", "<answer>",
                                                     "</answer>"};

absl::Status MakeDirs(const std::string& dir) {
  std::error_code error;
  fs::create_directories(dir, error);
  if (error) return absl::UnavailableError("cannot create " + dir + ": " + error.message());
  return absl::OkStatus();
}

RunPaths PathsFor(const std::string& dir) {
  RunPaths p;
  p.dir = dir;
  p.config_json = dir + "/config.json";
  p.metrics = dir + "/metrics.jsonl";
  p.samples = dir + "/samples.jsonl";
  p.ledger = dir + "/ledger.jsonl";
  p.summary = dir + "/summary.json";
  p.checkpoints = dir + "/checkpoints";
  p.init_model = dir + "/init-model";
  p.logs = dir + "/logs";
  return p;
}

}  // namespace

absl::StatusOr<RunPaths> PrepareRunDir(const config::Config& config, bool resume) {
  std::string base = config.run.output_dir + "/" + config.run.name;
  std::string dir = fs::absolute(base).lexically_normal().string();
  if (resume) {
    if (!fs::is_directory(dir)) {
      return absl::NotFoundError("--resume: no run folder " + dir +
                                 " (run.output_dir/run.name of the config)");
    }
  } else {
    for (int suffix = 2; fs::exists(dir + "/metrics.jsonl"); ++suffix) {
      dir = fs::absolute(base + "-" + std::to_string(suffix)).lexically_normal().string();
    }
  }
  RunPaths paths = PathsFor(dir);
  RETURN_IF_ERROR(MakeDirs(paths.dir));
  RETURN_IF_ERROR(MakeDirs(paths.checkpoints));
  RETURN_IF_ERROR(MakeDirs(paths.logs));
  return paths;
}

absl::StatusOr<InitialModel> PrepareInitialModel(const config::Config& config,
                                                 const RunPaths& paths) {
  if (!config.model.path.empty()) {
    if (!fs::exists(config.model.path + "/config.json")) {
      return absl::NotFoundError("model.path: " + config.model.path +
                                 " has no config.json (expected a Hugging Face model folder)");
    }
    return InitialModel{config.model.path,
                        config.model.tokenizer.empty() ? config.model.path : config.model.tokenizer};
  }
  InitialModel initial{paths.init_model, paths.init_model};
  if (fs::exists(paths.init_model + "/config.json")) return initial;

  model::ByteTokenizerFiles tokenizer = model::MakeByteTokenizer(kByteTokenizerTags);
  const config::ModelInitConfig& init = config.model.init;
  model::ModelArchConfig arch;
  arch.family = model::ModelFamily::kQwen2;
  arch.model_type = "qwen2";
  arch.architecture = "Qwen2ForCausalLM";
  arch.vocab_size = tokenizer.vocab_size;
  arch.hidden_size = init.hidden_size;
  arch.intermediate_size = init.intermediate_size;
  arch.num_hidden_layers = init.num_layers;
  arch.num_attention_heads = init.num_heads;
  arch.num_key_value_heads = init.num_kv_heads;
  arch.head_dim = init.hidden_size / init.num_heads;
  arch.max_position_embeddings = init.max_position_embeddings;
  arch.rope_theta = init.rope_theta;
  arch.rms_norm_eps = 1e-6;
  arch.attention_qkv_bias = true;  // Qwen2 always has q/k/v biases
  arch.tie_word_embeddings = true;
  arch.initializer_range = init.initializer_range;
  arch.eos_token_ids = {256};  // <|endoftext|>
  model::CausalLM fresh = model::RandomModel(arch, static_cast<uint64_t>(init.seed));
  RETURN_IF_ERROR(MakeDirs(paths.init_model));
  RETURN_IF_ERROR(model::SaveModel(*fresh, paths.init_model, {torch::kFloat}));
  RETURN_IF_ERROR(model::WriteByteTokenizer(paths.init_model, tokenizer));
  int64_t parameters = 0;
  for (const auto& p : fresh->parameters()) parameters += p.numel();
  ZLOG(INFO) << "model.path is empty: made a " << parameters / 1000 << "k-parameter Qwen2 model ("
             << init.num_layers << " layers, hidden " << init.hidden_size
             << ", byte-level tokenizer) in " << paths.init_model;
  return initial;
}

}  // namespace zerorl::train
