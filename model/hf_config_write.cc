// HfConfigJson(): ModelArchConfig back to config.json text, as transformers writes it.
#include <algorithm>
#include <set>
#include <utility>
#include <vector>

#include "core/json.h"
#include "model/hf_config.h"

namespace zerorl::model {
namespace {

// Keys the typed fields own; anything else in source_json is written back verbatim.
const std::set<std::string>& OwnedKeys() {
  static const auto* keys = new std::set<std::string>{
      "architectures", "model_type", "vocab_size", "hidden_size", "intermediate_size",
      "num_hidden_layers", "num_attention_heads", "num_key_value_heads", "head_dim",
      "hidden_act", "max_position_embeddings", "rms_norm_eps", "rope_theta", "rope_scaling",
      "rope_parameters", "attention_bias", "mlp_bias", "tie_word_embeddings", "sliding_window",
      "use_sliding_window", "max_window_layers", "layer_types", "initializer_range",
      "bos_token_id", "eos_token_id", "torch_dtype", "dtype"};
  return *keys;
}

class Builder {
 public:
  explicit Builder(rapidjson::Document* doc) : doc_(doc), alloc_(doc->GetAllocator()) {}
  void Add(const std::string& key, rapidjson::Value value) {
    members_.emplace_back(key, std::move(value));
  }
  void Int(const std::string& key, int64_t v) { Add(key, rapidjson::Value(v)); }
  void Double(const std::string& key, double v) { Add(key, rapidjson::Value(v)); }
  void Bool(const std::string& key, bool v) { Add(key, rapidjson::Value(v)); }
  void String(const std::string& key, const std::string& v) {
    Add(key, rapidjson::Value(v.c_str(), alloc_));
  }
  void Null(const std::string& key) { Add(key, rapidjson::Value()); }
  void IntOrNull(const std::string& key, int64_t v) { v > 0 ? Int(key, v) : Null(key); }
  rapidjson::Document::AllocatorType& alloc() { return alloc_; }

  // Sorted by key, like json.dumps(sort_keys=True).
  void Finish() {
    std::sort(members_.begin(), members_.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    doc_->SetObject();
    for (auto& [key, value] : members_) {
      doc_->AddMember(rapidjson::Value(key.c_str(), alloc_), value, alloc_);
    }
  }

 private:
  rapidjson::Document* doc_;
  rapidjson::Document::AllocatorType& alloc_;
  std::vector<std::pair<std::string, rapidjson::Value>> members_;
};

rapidjson::Value RopeScalingJson(const RopeScaling& s, rapidjson::Document::AllocatorType& a) {
  if (s.type == RopeScalingType::kNone) return rapidjson::Value();
  rapidjson::Value v(rapidjson::kObjectType);
  v.AddMember("factor", s.factor, a);
  if (s.type == RopeScalingType::kLlama3) {
    v.AddMember("high_freq_factor", s.high_freq_factor, a);
    v.AddMember("low_freq_factor", s.low_freq_factor, a);
    v.AddMember("original_max_position_embeddings", s.original_max_position_embeddings, a);
  }
  v.AddMember("rope_type", rapidjson::StringRef(s.type == RopeScalingType::kLlama3 ? "llama3"
                                                                                 : "linear"),
              a);
  return v;
}

void AddCommon(const ModelArchConfig& c, Builder* b) {
  rapidjson::Value archs(rapidjson::kArrayType);
  std::string architecture = c.architecture.empty() ? DefaultArchitecture(c.family)
                                                    : c.architecture;
  archs.PushBack(rapidjson::Value(architecture.c_str(), b->alloc()), b->alloc());
  b->Add("architectures", std::move(archs));
  b->String("model_type", ModelFamilyName(c.family));
  b->Int("vocab_size", c.vocab_size);
  b->Int("hidden_size", c.hidden_size);
  b->Int("intermediate_size", c.intermediate_size);
  b->Int("num_hidden_layers", c.num_hidden_layers);
  b->Int("num_attention_heads", c.num_attention_heads);
  b->Int("num_key_value_heads", c.num_key_value_heads);
  // Qwen2's config class has no head_dim; the others always write it.
  if (c.family != ModelFamily::kQwen2 || c.head_dim * c.num_attention_heads != c.hidden_size) {
    b->Int("head_dim", c.head_dim);
  }
  b->String("hidden_act", c.hidden_act);
  b->Int("max_position_embeddings", c.max_position_embeddings);
  b->Double("rms_norm_eps", c.rms_norm_eps);
  b->Double("rope_theta", c.rope_theta);
  b->Add("rope_scaling", RopeScalingJson(c.rope_scaling, b->alloc()));
  b->Bool("tie_word_embeddings", c.tie_word_embeddings);
  b->Double("initializer_range", c.initializer_range);
  if (c.bos_token_id) b->Int("bos_token_id", *c.bos_token_id);
  if (c.eos_token_ids.size() == 1) b->Int("eos_token_id", c.eos_token_ids[0]);
  if (c.eos_token_ids.size() > 1) {
    rapidjson::Value ids(rapidjson::kArrayType);
    for (int64_t id : c.eos_token_ids) ids.PushBack(rapidjson::Value(id), b->alloc());
    b->Add("eos_token_id", std::move(ids));
  }
}

void AddFamilyParts(const ModelArchConfig& c, Builder* b) {
  switch (c.family) {
    case ModelFamily::kLlama:
      b->Bool("attention_bias", c.attention_qkv_bias);
      b->Bool("mlp_bias", c.mlp_bias);
      break;
    case ModelFamily::kMistral:
      b->IntOrNull("sliding_window", c.use_sliding_window ? c.sliding_window : 0);
      break;
    case ModelFamily::kQwen3:
      b->Bool("attention_bias", c.attention_qkv_bias);
      [[fallthrough]];
    case ModelFamily::kQwen2:
      b->Bool("use_sliding_window", c.use_sliding_window);
      b->IntOrNull("sliding_window", c.sliding_window);
      b->Int("max_window_layers", c.max_window_layers);
      break;
  }
}

}  // namespace

std::string HfConfigJson(const ModelArchConfig& config, const std::string& torch_dtype) {
  rapidjson::Document doc;
  Builder builder(&doc);
  AddCommon(config, &builder);
  AddFamilyParts(config, &builder);
  builder.String("torch_dtype", torch_dtype);
  if (!config.source_json.empty()) {
    absl::StatusOr<rapidjson::Document> source = core::ParseJson(config.source_json);
    if (source.ok() && source->IsObject()) {
      for (auto& member : source->GetObject()) {
        std::string key = member.name.GetString();
        if (OwnedKeys().count(key) != 0) continue;
        builder.Add(key, rapidjson::Value(member.value, builder.alloc()));
      }
    }
  }
  builder.Finish();
  return core::JsonToString(doc, true) + "\n";
}

}  // namespace zerorl::model
