// config.json parsing and writing for the Llama/Mistral/Qwen2/Qwen3 families, and
// generation_config.json's end-of-sample ids.
#include "model/hf_config.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>

#include "absl/strings/str_cat.h"
#include "core/json.h"
#include "core/status.h"

namespace zerorl::model {
namespace {

// Per-family defaults, from each family's transformers config class.
struct FamilyInfo {
  const char* model_type;
  ModelFamily family;
  const char* architecture;
  int64_t max_position_embeddings;
  int64_t default_sliding_window;  // used when the key is absent (not when it is null)
  int64_t default_max_window_layers;
  int64_t default_head_dim;        // 0 = hidden_size / num_attention_heads
};

constexpr FamilyInfo kFamilies[] = {
    {"llama", ModelFamily::kLlama, "LlamaForCausalLM", 2048, 0, 0, 0},
    {"mistral", ModelFamily::kMistral, "MistralForCausalLM", 4096 * 32, 4096, 0, 0},
    {"qwen2", ModelFamily::kQwen2, "Qwen2ForCausalLM", 32768, 4096, 28, 0},
    {"qwen3", ModelFamily::kQwen3, "Qwen3ForCausalLM", 32768, 4096, 28, 128},
};

const FamilyInfo* FindFamily(const std::string& model_type) {
  for (const FamilyInfo& f : kFamilies) {
    if (model_type == f.model_type) return &f;
  }
  return nullptr;
}

// Typed reads of one JSON object's members; errors read "SOURCE: KEY: problem". A null value
// counts as absent, as it does for transformers.
class Reader {
 public:
  Reader(const rapidjson::Value& object, std::string source, std::string prefix = "")
      : object_(object), source_(std::move(source)), prefix_(std::move(prefix)) {}

  const rapidjson::Value* Get(const char* key) const {
    auto it = object_.FindMember(key);
    return it == object_.MemberEnd() || it->value.IsNull() ? nullptr : &it->value;
  }
  bool Has(const char* key) const { return Get(key) != nullptr; }
  bool Present(const char* key) const { return object_.HasMember(key); }  // null included

  absl::Status Error(const char* key, const std::string& what) const {
    return absl::InvalidArgumentError(absl::StrCat(source_, ": ", prefix_, key, ": ", what));
  }
  // Leaves *out unchanged when absent; `required` makes absence an error.
  absl::Status Int(const char* key, int64_t* out, bool required = false, int64_t min = 1) const {
    const rapidjson::Value* v = Get(key);
    if (v == nullptr) return required ? Error(key, "missing (required)") : absl::OkStatus();
    bool integral = v->IsInt64() || (v->IsDouble() && std::floor(v->GetDouble()) == v->GetDouble() &&
                                     std::fabs(v->GetDouble()) < 9e15);
    if (!integral) return Error(key, "must be an integer");
    int64_t value = v->IsInt64() ? v->GetInt64() : static_cast<int64_t>(v->GetDouble());
    if (value < min) return Error(key, absl::StrCat("must be >= ", min, ", got ", value));
    *out = value;
    return absl::OkStatus();
  }
  absl::Status Double(const char* key, double* out, bool required = false) const {
    const rapidjson::Value* v = Get(key);
    if (v == nullptr) return required ? Error(key, "missing (required)") : absl::OkStatus();
    if (!v->IsNumber()) return Error(key, "must be a number");
    *out = v->GetDouble();
    return absl::OkStatus();
  }
  absl::Status Bool(const char* key, bool* out) const {
    const rapidjson::Value* v = Get(key);
    if (v == nullptr) return absl::OkStatus();
    if (!v->IsBool()) return Error(key, "must be true or false");
    *out = v->GetBool();
    return absl::OkStatus();
  }
  absl::Status String(const char* key, std::string* out, bool required = false) const {
    const rapidjson::Value* v = Get(key);
    if (v == nullptr) return required ? Error(key, "missing (required)") : absl::OkStatus();
    if (!v->IsString()) return Error(key, "must be a string");
    *out = v->GetString();
    return absl::OkStatus();
  }

 private:
  const rapidjson::Value& object_;
  std::string source_;
  std::string prefix_;
};

// rope_scaling (transformers 4.x) or rope_parameters (5.x), which also holds rope_theta.
absl::Status ParseRope(const Reader& top, const std::string& source, ModelArchConfig* config) {
  RETURN_IF_ERROR(top.Double("rope_theta", &config->rope_theta));
  const char* key = top.Has("rope_parameters") ? "rope_parameters" : "rope_scaling";
  const rapidjson::Value* value = top.Get(key);
  if (value == nullptr) return absl::OkStatus();
  if (!value->IsObject()) return top.Error(key, "must be an object or null");
  Reader rope(*value, source, std::string(key) + ".");
  RETURN_IF_ERROR(rope.Double("rope_theta", &config->rope_theta));
  std::string type = "default";
  const char* type_key = rope.Has("rope_type") ? "rope_type" : "type";
  RETURN_IF_ERROR(rope.String(type_key, &type));
  RopeScaling& s = config->rope_scaling;
  if (type == "default") {
    s.type = RopeScalingType::kNone;
  } else if (type == "linear") {
    s.type = RopeScalingType::kLinear;
    RETURN_IF_ERROR(rope.Double("factor", &s.factor, true));
  } else if (type == "llama3") {
    s.type = RopeScalingType::kLlama3;
    RETURN_IF_ERROR(rope.Double("factor", &s.factor, true));
    RETURN_IF_ERROR(rope.Double("low_freq_factor", &s.low_freq_factor, true));
    RETURN_IF_ERROR(rope.Double("high_freq_factor", &s.high_freq_factor, true));
    RETURN_IF_ERROR(rope.Int("original_max_position_embeddings",
                             &s.original_max_position_embeddings, true));
    if (s.high_freq_factor <= s.low_freq_factor) {
      return rope.Error("high_freq_factor", "must be greater than low_freq_factor");
    }
  } else {
    return rope.Error(type_key, "\"" + type +
                                    "\" is not implemented (supported: default, linear, llama3)");
  }
  if (!(s.factor > 0)) return rope.Error("factor", "must be positive");
  return absl::OkStatus();
}

// layer_types (transformers >= 4.53): "full_attention" layers then "sliding_attention" ones.
absl::Status ParseLayerTypes(const Reader& top, ModelArchConfig* config) {
  const rapidjson::Value* types = top.Get("layer_types");
  if (types == nullptr) return absl::OkStatus();
  if (!types->IsArray() || static_cast<int64_t>(types->Size()) != config->num_hidden_layers) {
    return top.Error("layer_types", "must be an array of num_hidden_layers strings");
  }
  int64_t first_sliding = config->num_hidden_layers;
  for (rapidjson::SizeType i = 0; i < types->Size(); ++i) {
    const rapidjson::Value& t = (*types)[i];
    bool sliding = t.IsString() && std::string(t.GetString()) == "sliding_attention";
    bool full = t.IsString() && std::string(t.GetString()) == "full_attention";
    if (!sliding && !full) return top.Error("layer_types", "unknown layer type");
    if (sliding) first_sliding = std::min<int64_t>(first_sliding, i);
    if (full && i > first_sliding) {
      return top.Error("layer_types", "full attention after a sliding layer is not implemented");
    }
  }
  if (first_sliding < config->num_hidden_layers) {
    config->use_sliding_window = true;
    config->max_window_layers = first_sliding;
  }
  return absl::OkStatus();
}

// "eos_token_id" of config.json and generation_config.json: an id or a list of ids (>= 0).
// Leaves *ids unchanged when absent or null.
absl::Status ParseEosIds(const Reader& top, std::vector<int64_t>* ids) {
  const rapidjson::Value* eos = top.Get("eos_token_id");
  if (eos == nullptr) return absl::OkStatus();
  if (eos->IsInt64() && eos->GetInt64() >= 0) {
    *ids = {eos->GetInt64()};
    return absl::OkStatus();
  }
  if (!eos->IsArray()) return top.Error("eos_token_id", "must be an id or a list of ids");
  std::vector<int64_t> list;
  for (const rapidjson::Value& id : eos->GetArray()) {
    if (!id.IsInt64() || id.GetInt64() < 0) {
      return top.Error("eos_token_id", "must be an id or a list of ids");
    }
    list.push_back(id.GetInt64());
  }
  *ids = std::move(list);
  return absl::OkStatus();
}

absl::Status ParseTokenIds(const Reader& top, ModelArchConfig* config) {
  int64_t bos = -1;
  RETURN_IF_ERROR(top.Int("bos_token_id", &bos, false, 0));
  if (bos >= 0) config->bos_token_id = bos;
  return ParseEosIds(top, &config->eos_token_ids);
}

absl::Status ParseSizes(const Reader& top, const FamilyInfo& family, ModelArchConfig* c) {
  RETURN_IF_ERROR(top.Int("vocab_size", &c->vocab_size, true));
  RETURN_IF_ERROR(top.Int("hidden_size", &c->hidden_size, true));
  RETURN_IF_ERROR(top.Int("intermediate_size", &c->intermediate_size, true));
  RETURN_IF_ERROR(top.Int("num_hidden_layers", &c->num_hidden_layers, true));
  RETURN_IF_ERROR(top.Int("num_attention_heads", &c->num_attention_heads, true));
  c->num_key_value_heads = family.family == ModelFamily::kMistral ? 8 : c->num_attention_heads;
  RETURN_IF_ERROR(top.Int("num_key_value_heads", &c->num_key_value_heads));
  c->head_dim = family.default_head_dim;
  RETURN_IF_ERROR(top.Int("head_dim", &c->head_dim));
  if (c->head_dim == 0) {
    if (c->hidden_size % c->num_attention_heads != 0) {
      return top.Error("hidden_size", "must be a multiple of num_attention_heads when there is "
                                      "no head_dim");
    }
    c->head_dim = c->hidden_size / c->num_attention_heads;
  }
  if (c->num_attention_heads % c->num_key_value_heads != 0) {
    return top.Error("num_key_value_heads", "must divide num_attention_heads");
  }
  if (c->head_dim % 2 != 0) return top.Error("head_dim", "must be even for RoPE");
  c->max_position_embeddings = family.max_position_embeddings;
  return top.Int("max_position_embeddings", &c->max_position_embeddings);
}

absl::Status ParseOptionalParts(const Reader& top, ModelArchConfig* c) {
  bool attention_bias = false;
  RETURN_IF_ERROR(top.Bool("attention_bias", &attention_bias));
  switch (c->family) {
    case ModelFamily::kLlama:
      c->attention_qkv_bias = c->attention_out_bias = attention_bias;
      RETURN_IF_ERROR(top.Bool("mlp_bias", &c->mlp_bias));
      break;
    case ModelFamily::kMistral:
      break;
    case ModelFamily::kQwen2:
      c->attention_qkv_bias = true;
      break;
    case ModelFamily::kQwen3:
      c->attention_qkv_bias = c->attention_out_bias = attention_bias;
      c->qk_norm = true;
      break;
  }
  RETURN_IF_ERROR(top.String("hidden_act", &c->hidden_act));
  if (c->hidden_act != "silu" && c->hidden_act != "swish") {
    return top.Error("hidden_act", "\"" + c->hidden_act + "\" is not implemented (only silu)");
  }
  RETURN_IF_ERROR(top.Bool("tie_word_embeddings", &c->tie_word_embeddings));
  RETURN_IF_ERROR(top.Double("rms_norm_eps", &c->rms_norm_eps));
  if (!(c->rms_norm_eps > 0)) return top.Error("rms_norm_eps", "must be positive");
  RETURN_IF_ERROR(top.Double("initializer_range", &c->initializer_range));
  return absl::OkStatus();
}

absl::Status ParseSlidingWindow(const Reader& top, const FamilyInfo& family, ModelArchConfig* c) {
  c->sliding_window = top.Present("sliding_window") ? 0 : family.default_sliding_window;
  RETURN_IF_ERROR(top.Int("sliding_window", &c->sliding_window, false, 0));
  c->max_window_layers = family.default_max_window_layers;
  RETURN_IF_ERROR(top.Int("max_window_layers", &c->max_window_layers, false, 0));
  if (c->family == ModelFamily::kMistral) c->use_sliding_window = c->sliding_window > 0;
  if (c->family == ModelFamily::kQwen2 || c->family == ModelFamily::kQwen3) {
    RETURN_IF_ERROR(top.Bool("use_sliding_window", &c->use_sliding_window));
    RETURN_IF_ERROR(ParseLayerTypes(top, c));
  }
  return absl::OkStatus();
}

}  // namespace

int64_t ModelArchConfig::AttentionWindow(int64_t layer) const {
  if (!use_sliding_window || sliding_window <= 0) return 0;
  switch (family) {
    case ModelFamily::kMistral:
      return sliding_window;
    case ModelFamily::kQwen2:
    case ModelFamily::kQwen3:
      return layer >= max_window_layers ? sliding_window : 0;
    case ModelFamily::kLlama:
      break;
  }
  return 0;
}

const char* ModelFamilyName(ModelFamily family) {
  for (const FamilyInfo& f : kFamilies) {
    if (f.family == family) return f.model_type;
  }
  return "?";
}

const char* DefaultArchitecture(ModelFamily family) {
  for (const FamilyInfo& f : kFamilies) {
    if (f.family == family) return f.architecture;
  }
  return "";
}

absl::StatusOr<ModelArchConfig> ParseHfConfig(std::string_view json, const std::string& source) {
  absl::StatusOr<rapidjson::Document> doc = core::ParseJson(json);
  if (!doc.ok()) return core::Annotate(doc.status(), source);
  if (!doc->IsObject()) return absl::InvalidArgumentError(source + ": not a JSON object");
  Reader top(*doc, source);
  ModelArchConfig config;
  RETURN_IF_ERROR(top.String("model_type", &config.model_type, true));
  const FamilyInfo* family = FindFamily(config.model_type);
  if (family == nullptr) {
    return top.Error("model_type", "\"" + config.model_type +
                                       "\" is not supported (supported: llama, mistral, qwen2, "
                                       "qwen3)");
  }
  config.family = family->family;
  config.architecture = family->architecture;
  const rapidjson::Value* archs = top.Get("architectures");
  if (archs != nullptr && archs->IsArray() && !archs->Empty() && (*archs)[0].IsString()) {
    config.architecture = (*archs)[0].GetString();
  }
  RETURN_IF_ERROR(ParseSizes(top, *family, &config));
  RETURN_IF_ERROR(ParseOptionalParts(top, &config));
  RETURN_IF_ERROR(ParseRope(top, source, &config));
  if (!(config.rope_theta > 0)) return top.Error("rope_theta", "must be positive");
  RETURN_IF_ERROR(ParseSlidingWindow(top, *family, &config));
  RETURN_IF_ERROR(ParseTokenIds(top, &config));
  config.source_json = std::string(json);
  return config;
}

absl::StatusOr<ModelArchConfig> ReadHfConfig(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, core::ReadFile(path));
  return ParseHfConfig(text, path);
}

absl::StatusOr<GenerationConfig> ParseGenerationConfig(std::string_view json,
                                                       const std::string& source) {
  absl::StatusOr<rapidjson::Document> doc = core::ParseJson(json);
  if (!doc.ok()) return core::Annotate(doc.status(), source);
  if (!doc->IsObject()) return absl::InvalidArgumentError(source + ": not a JSON object");
  GenerationConfig config;
  RETURN_IF_ERROR(ParseEosIds(Reader(*doc, source), &config.eos_token_ids));
  return config;
}

absl::StatusOr<GenerationConfig> ReadGenerationConfig(const std::string& model_dir) {
  const std::string path = model_dir + "/generation_config.json";
  if (!std::filesystem::exists(path)) return GenerationConfig();
  ASSIGN_OR_RETURN(std::string text, core::ReadFile(path));
  return ParseGenerationConfig(text, path);
}

}  // namespace zerorl::model
