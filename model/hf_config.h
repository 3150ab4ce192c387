// Hugging Face config.json <-> ModelArchConfig for the decoder-only families zerorl runs:
// Llama (1/2/3, incl. rope_scaling "llama3"), Mistral, Qwen2 (q/k/v bias), Qwen3 (per-head
// q/k RMSNorm). All four are the same pre-norm decoder (RMSNorm, GQA attention with NeoX
// RoPE, SwiGLU MLP); the config says which optional parts a checkpoint has. Beside it,
// generation_config.json gives the ids that end a sample (GenerationConfig).
//
//   ASSIGN_OR_RETURN(ModelArchConfig arch, ReadHfConfig(dir + "/config.json"));
//   ASSIGN_OR_RETURN(GenerationConfig generation, ReadGenerationConfig(dir));
//   RETURN_IF_ERROR(WriteFileAtomic(out + "/config.json", HfConfigJson(arch, "bfloat16")));
//
// Parsing follows transformers: a missing optional key takes the family's default from its
// transformers config class, keys this code does not model (use_cache, transformers_version,
// ...) are kept verbatim for writing back, and a key whose value would change the math in a way
// not implemented here (hidden_act "gelu", rope_scaling "yarn") is refused, never ignored.
#ifndef ZERORL_MODEL_HF_CONFIG_H_
#define ZERORL_MODEL_HF_CONFIG_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace zerorl::model {

enum class ModelFamily { kLlama, kMistral, kQwen2, kQwen3 };

enum class RopeScalingType {
  kNone,    // plain RoPE: inv_freq[i] = rope_theta^(-2i/head_dim)
  kLinear,  // inv_freq / factor (position interpolation)
  kLlama3,  // Llama 3.1 frequency-dependent scaling
};

struct RopeScaling {
  RopeScalingType type = RopeScalingType::kNone;
  double factor = 1.0;                              // kLinear, kLlama3
  double low_freq_factor = 1.0;                     // kLlama3
  double high_freq_factor = 4.0;                    // kLlama3
  int64_t original_max_position_embeddings = 8192;  // kLlama3
};

// Everything the transformer needs to know about a checkpoint's shape and math.
struct ModelArchConfig {
  ModelFamily family = ModelFamily::kLlama;
  std::string model_type = "llama";  // as read; written back from `family`
  std::string architecture;          // architectures[0]; "" = the family's (Qwen2ForCausalLM)
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_hidden_layers = 0;
  int64_t num_attention_heads = 0;
  int64_t num_key_value_heads = 0;  // GQA: each kv head serves num_attention_heads / this
  int64_t head_dim = 0;             // explicit (qwen3) or hidden_size / num_attention_heads
  int64_t max_position_embeddings = 2048;
  double rms_norm_eps = 1e-6;
  double rope_theta = 10000.0;
  RopeScaling rope_scaling;
  std::string hidden_act = "silu";  // only silu/swish (SwiGLU) is implemented
  bool attention_qkv_bias = false;  // q/k/v projections have a bias (always for qwen2)
  bool attention_out_bias = false;  // o_proj has a bias (llama/qwen3 "attention_bias")
  bool mlp_bias = false;            // gate/up/down have a bias (llama "mlp_bias")
  bool qk_norm = false;             // qwen3: RMSNorm over head_dim on q and k before RoPE
  bool tie_word_embeddings = false;  // lm_head shares model.embed_tokens.weight
  // Sliding-window attention, as Hugging Face spells it: qwen2/qwen3 use the window on layers
  // >= max_window_layers when use_sliding_window; mistral on every layer when sliding_window
  // is set. 0 = no window.
  bool use_sliding_window = false;
  int64_t sliding_window = 0;
  int64_t max_window_layers = 0;
  double initializer_range = 0.02;  // std of RandomInit's normal draws
  std::optional<int64_t> bos_token_id;
  std::vector<int64_t> eos_token_ids;  // config.json "eos_token_id" (int or list)
  // The config.json text this was read from ("" when built in code). Keys not modelled above
  // are written back from it by HfConfigJson().
  std::string source_json;

  // How many tokens back layer `layer` attends (the query included); 0 = unlimited.
  int64_t AttentionWindow(int64_t layer) const;
};

// Parses config.json text; `source` names it in errors ("DIR/config.json: hidden_size: must be a
// positive integer"). kInvalidArgument for a malformed or unsupported config.
absl::StatusOr<ModelArchConfig> ParseHfConfig(std::string_view json, const std::string& source);
// Reads and parses a config.json file (kNotFound if missing).
absl::StatusOr<ModelArchConfig> ReadHfConfig(const std::string& path);

// generation_config.json, the generation defaults transformers keeps beside config.json.
// Only the ids that end a sample are read; the other keys (do_sample, temperature, ...) are
// not used: the run config says how to sample.
struct GenerationConfig {
  std::vector<int64_t> eos_token_ids;  // "eos_token_id" (an id or a list); empty when absent
};

// Parses generation_config.json text; `source` names it in errors. kInvalidArgument for text
// that is not a JSON object ("SOURCE: not a JSON object") or an eos_token_id that is not an
// id or a list of ids ("SOURCE: eos_token_id: must be an id or a list of ids").
absl::StatusOr<GenerationConfig> ParseGenerationConfig(std::string_view json,
                                                       const std::string& source);
// Reads MODEL_DIR/generation_config.json. The file is optional: a folder without one gives an
// empty GenerationConfig. Errors are ParseGenerationConfig()'s, naming the file's path.
absl::StatusOr<GenerationConfig> ReadGenerationConfig(const std::string& model_dir);

// config.json text as transformers writes it for this family (sorted keys, 2-space indent,
// trailing newline), with "torch_dtype" = `torch_dtype` ("bfloat16", "float32"). Keys the
// typed fields do not cover come from `config.source_json` unchanged.
std::string HfConfigJson(const ModelArchConfig& config, const std::string& torch_dtype);

// "qwen2" etc. for ModelFamily.
const char* ModelFamilyName(ModelFamily family);
// The family's transformers class: "Qwen2ForCausalLM" etc.
const char* DefaultArchitecture(ModelFamily family);

}  // namespace zerorl::model

#endif  // ZERORL_MODEL_HF_CONFIG_H_
