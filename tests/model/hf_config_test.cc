#include "model/hf_config.h"

#include "core/json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_support.h"

namespace zerorl::model {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using ::zerorl::testing::IsOk;
using ::zerorl::testing::StatusIs;
using ::zerorl::testing::TempDir;
using ::zerorl::testing::TestDataPath;

// Llama 3.1 8B's config.json as published.
constexpr char kLlama31[] = R"({
  "architectures": ["LlamaForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
  "bos_token_id": 128000, "eos_token_id": [128001, 128008, 128009], "hidden_act": "silu",
  "hidden_size": 4096, "initializer_range": 0.02, "intermediate_size": 14336,
  "max_position_embeddings": 131072, "mlp_bias": false, "model_type": "llama",
  "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 8,
  "pretraining_tp": 1, "rms_norm_eps": 1e-05,
  "rope_scaling": {"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                   "original_max_position_embeddings": 8192, "rope_type": "llama3"},
  "rope_theta": 500000.0, "tie_word_embeddings": false, "torch_dtype": "bfloat16",
  "transformers_version": "4.43.0.dev0", "use_cache": true, "vocab_size": 128256})";

// Mistral 7B v0.1.
constexpr char kMistral[] = R"({
  "architectures": ["MistralForCausalLM"], "bos_token_id": 1, "eos_token_id": 2,
  "hidden_act": "silu", "hidden_size": 4096, "initializer_range": 0.02,
  "intermediate_size": 14336, "max_position_embeddings": 32768, "model_type": "mistral",
  "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 8,
  "rms_norm_eps": 1e-05, "rope_theta": 10000.0, "sliding_window": 4096,
  "tie_word_embeddings": false, "torch_dtype": "bfloat16", "vocab_size": 32000})";

// Qwen2.5-1.5B-Instruct: a sliding_window value that is not used.
constexpr char kQwen25[] = R"({
  "architectures": ["Qwen2ForCausalLM"], "attention_dropout": 0.0, "bos_token_id": 151643,
  "eos_token_id": 151645, "hidden_act": "silu", "hidden_size": 1536,
  "initializer_range": 0.02, "intermediate_size": 8960, "max_position_embeddings": 32768,
  "max_window_layers": 21, "model_type": "qwen2", "num_attention_heads": 12,
  "num_hidden_layers": 28, "num_key_value_heads": 2, "rms_norm_eps": 1e-06,
  "rope_theta": 1000000.0, "sliding_window": 32768, "tie_word_embeddings": true,
  "torch_dtype": "bfloat16", "use_cache": true, "use_sliding_window": false,
  "vocab_size": 151936})";

std::string Error(const std::string& json) {
  absl::StatusOr<ModelArchConfig> config = ParseHfConfig(json, "m/config.json");
  EXPECT_FALSE(config.ok());
  if (config.ok()) return "";
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(config.status().message());
}

// A minimal valid config with `extra` members appended.
std::string Minimal(const std::string& model_type, const std::string& extra = "") {
  return R"({"model_type": ")" + model_type +
         R"(", "vocab_size": 100, "hidden_size": 64, "intermediate_size": 128,
             "num_hidden_layers": 2, "num_attention_heads": 4)" +
         extra + "}";
}

TEST(HfConfigTest, ReadsQwen2Fixture) {
  ZERORL_REQUIRE_TEST_DATA();
  absl::StatusOr<ModelArchConfig> c = ReadHfConfig(TestDataPath("models/qwen2-tiny/config.json"));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->family, ModelFamily::kQwen2);
  EXPECT_EQ(c->vocab_size, 151936);
  EXPECT_EQ(c->head_dim, 16);
  EXPECT_EQ(c->num_key_value_heads, 2);
  EXPECT_TRUE(c->attention_qkv_bias);
  EXPECT_FALSE(c->attention_out_bias);
  EXPECT_FALSE(c->qk_norm);
  EXPECT_TRUE(c->tie_word_embeddings);
  EXPECT_DOUBLE_EQ(c->rope_theta, 1e6);
  EXPECT_DOUBLE_EQ(c->rms_norm_eps, 1e-6);
  EXPECT_EQ(c->rope_scaling.type, RopeScalingType::kNone);
  EXPECT_EQ(c->AttentionWindow(1), 0);
  EXPECT_THAT(c->eos_token_ids, ElementsAre(151645));
}

TEST(HfConfigTest, ReadsQwen3Fixture) {
  ZERORL_REQUIRE_TEST_DATA();
  absl::StatusOr<ModelArchConfig> c = ReadHfConfig(TestDataPath("models/qwen3-tiny/config.json"));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->family, ModelFamily::kQwen3);
  EXPECT_EQ(c->head_dim, 16);
  EXPECT_TRUE(c->qk_norm);
  EXPECT_FALSE(c->attention_qkv_bias);
  EXPECT_FALSE(c->attention_out_bias);
}

TEST(HfConfigTest, ReadsLlama31WithLlama3RopeScaling) {
  absl::StatusOr<ModelArchConfig> c = ParseHfConfig(kLlama31, "llama/config.json");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->family, ModelFamily::kLlama);
  EXPECT_EQ(c->head_dim, 128);
  EXPECT_EQ(c->num_key_value_heads, 8);
  EXPECT_FALSE(c->tie_word_embeddings);
  EXPECT_FALSE(c->attention_qkv_bias);
  EXPECT_EQ(c->rope_scaling.type, RopeScalingType::kLlama3);
  EXPECT_DOUBLE_EQ(c->rope_scaling.factor, 8.0);
  EXPECT_DOUBLE_EQ(c->rope_scaling.high_freq_factor, 4.0);
  EXPECT_EQ(c->rope_scaling.original_max_position_embeddings, 8192);
  EXPECT_DOUBLE_EQ(c->rms_norm_eps, 1e-5);
  EXPECT_THAT(c->eos_token_ids, ElementsAre(128001, 128008, 128009));
  EXPECT_EQ(c->bos_token_id, 128000);
}

TEST(HfConfigTest, MistralUsesItsSlidingWindowOnEveryLayer) {
  absl::StatusOr<ModelArchConfig> c = ParseHfConfig(kMistral, "mistral/config.json");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->family, ModelFamily::kMistral);
  EXPECT_EQ(c->AttentionWindow(0), 4096);
  EXPECT_EQ(c->AttentionWindow(31), 4096);
  absl::StatusOr<ModelArchConfig> null_window =
      ParseHfConfig(Minimal("mistral", R"(, "sliding_window": null, "num_key_value_heads": 2)"), "m");
  ASSERT_TRUE(null_window.ok());
  EXPECT_EQ(null_window->AttentionWindow(0), 0);
}

TEST(HfConfigTest, QwenSlidingWindowOnlyWhenEnabledAndAboveMaxWindowLayers) {
  absl::StatusOr<ModelArchConfig> off = ParseHfConfig(kQwen25, "q");
  ASSERT_TRUE(off.ok()) << off.status();
  EXPECT_EQ(off->AttentionWindow(27), 0);
  absl::StatusOr<ModelArchConfig> on = ParseHfConfig(
      Minimal("qwen2", R"(, "use_sliding_window": true, "sliding_window": 8,
                         "max_window_layers": 1)"),
      "q");
  ASSERT_TRUE(on.ok()) << on.status();
  EXPECT_EQ(on->AttentionWindow(0), 0);
  EXPECT_EQ(on->AttentionWindow(1), 8);
}

TEST(HfConfigTest, ReadsTransformers5RopeParameters) {
  absl::StatusOr<ModelArchConfig> c = ParseHfConfig(
      Minimal("llama", R"(, "rope_parameters": {"rope_type": "linear", "factor": 2.0,
                                                 "rope_theta": 1234.0})"),
      "m");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_DOUBLE_EQ(c->rope_theta, 1234.0);
  EXPECT_EQ(c->rope_scaling.type, RopeScalingType::kLinear);
  EXPECT_DOUBLE_EQ(c->rope_scaling.factor, 2.0);
}

TEST(HfConfigTest, MissingOptionalKeysTakeTheFamilyDefaults) {
  absl::StatusOr<ModelArchConfig> c = ParseHfConfig(Minimal("qwen3"), "m");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->head_dim, 128);  // Qwen3Config's default, not hidden / heads
  EXPECT_EQ(c->num_key_value_heads, 4);
  EXPECT_DOUBLE_EQ(c->rope_theta, 10000.0);
  EXPECT_FALSE(c->tie_word_embeddings);
}

TEST(HfConfigTest, RefusesMissingRequiredKey) {
  EXPECT_EQ(Error(R"({"model_type": "llama", "vocab_size": 10})"),
            "m/config.json: hidden_size: missing (required)");
}

TEST(HfConfigTest, RefusesUnsupportedModelType) {
  EXPECT_THAT(Error(Minimal("gemma")),
              HasSubstr("model_type: \"gemma\" is not supported (supported: llama, mistral, "
                        "qwen2, qwen3)"));
}

TEST(HfConfigTest, RefusesUnimplementedActivation) {
  EXPECT_THAT(Error(Minimal("llama", R"(, "hidden_act": "gelu")")),
              HasSubstr("hidden_act: \"gelu\" is not implemented (only silu)"));
}

TEST(HfConfigTest, RefusesUnimplementedRopeScaling) {
  EXPECT_THAT(Error(Minimal("qwen2", R"(, "rope_scaling": {"type": "yarn", "factor": 4.0})")),
              HasSubstr("rope_scaling.type: \"yarn\" is not implemented"));
}

TEST(HfConfigTest, RefusesLlama3ScalingWithoutItsFactors) {
  EXPECT_THAT(Error(Minimal("llama", R"(, "rope_scaling": {"rope_type": "llama3",
                                                           "factor": 8.0})")),
              HasSubstr("rope_scaling.low_freq_factor: missing (required)"));
}

TEST(HfConfigTest, RefusesHeadsNotDivisibleByKvHeads) {
  EXPECT_THAT(Error(Minimal("llama", R"(, "num_key_value_heads": 3)")),
              HasSubstr("num_key_value_heads: must divide num_attention_heads"));
}

TEST(HfConfigTest, RefusesWrongTypes) {
  EXPECT_THAT(Error(Minimal("llama", R"(, "rope_theta": "big")")),
              HasSubstr("rope_theta: must be a number"));
  EXPECT_THAT(Error(Minimal("llama", R"(, "num_key_value_heads": 1.5)")),
              HasSubstr("num_key_value_heads: must be an integer"));
  EXPECT_THAT(Error(Minimal("llama", R"(, "tie_word_embeddings": "yes")")),
              HasSubstr("tie_word_embeddings: must be true or false"));
}

// Written back, a config is the same JSON value as the file it came from.
TEST(HfConfigTest, WritingBackReproducesTheSourceConfig) {
  std::vector<std::pair<std::string, std::string>> sources = {{"llama", kLlama31},
                                                              {"mistral", kMistral},
                                                              {"qwen2.5", kQwen25}};
  if (!zerorl::testing::TestDataDir().empty()) {
    for (const char* name : {"models/qwen2-tiny/config.json", "models/qwen3-tiny/config.json"}) {
      sources.emplace_back(name, *core::ReadFile(TestDataPath(name)));
    }
  }
  for (const auto& [name, text] : sources) {
    absl::StatusOr<ModelArchConfig> c = ParseHfConfig(text, name);
    ASSERT_TRUE(c.ok()) << c.status();
    absl::StatusOr<rapidjson::Document> original = core::ParseJson(text);
    std::string dtype = (*original)["torch_dtype"].GetString();
    absl::StatusOr<rapidjson::Document> written = core::ParseJson(HfConfigJson(*c, dtype));
    ASSERT_TRUE(written.ok()) << name;
    for (auto& member : original->GetObject()) {
      ASSERT_TRUE(written->HasMember(member.name)) << name << " lost " << member.name.GetString();
      EXPECT_TRUE((*written)[member.name] == member.value)
          << name << " changed " << member.name.GetString();
    }
  }
}

// A config built in code (no source text) writes the keys transformers expects.
TEST(HfConfigTest, WritesConfigBuiltInCode) {
  ModelArchConfig c;
  c.family = ModelFamily::kLlama;
  c.vocab_size = 300;
  c.hidden_size = 64;
  c.intermediate_size = 96;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 4;
  c.num_key_value_heads = 1;
  c.head_dim = 16;
  c.rope_theta = 500000.0;
  c.rope_scaling = {RopeScalingType::kLlama3, 8.0, 1.0, 4.0, 64};
  c.eos_token_ids = {1, 2};
  std::string json = HfConfigJson(c, "bfloat16");
  EXPECT_THAT(json, HasSubstr("\"rope_type\": \"llama3\""));
  EXPECT_THAT(json, HasSubstr("\"torch_dtype\": \"bfloat16\""));
  EXPECT_THAT(json, HasSubstr("\"architectures\": [\"LlamaForCausalLM\"]"));
  absl::StatusOr<ModelArchConfig> back = ParseHfConfig(json, "written");
  ASSERT_TRUE(back.ok()) << back.status() << json;
  EXPECT_EQ(back->num_key_value_heads, 1);
  EXPECT_EQ(back->rope_scaling.type, RopeScalingType::kLlama3);
  EXPECT_EQ(back->rope_scaling.original_max_position_embeddings, 64);
  EXPECT_THAT(back->eos_token_ids, ElementsAre(1, 2));
  EXPECT_FALSE(back->tie_word_embeddings);
}

TEST(GenerationConfigTest, ReadsTheFixtureModels) {
  ZERORL_REQUIRE_TEST_DATA();
  for (const char* model : {"models/qwen2-tiny", "models/qwen3-tiny"}) {
    absl::StatusOr<GenerationConfig> g = ReadGenerationConfig(TestDataPath(model));
    ASSERT_THAT(g, IsOk()) << model;
    EXPECT_THAT(g->eos_token_ids, ElementsAre(151645)) << model;
  }
}

TEST(GenerationConfigTest, ReadsAListOfIds) {
  // Llama 3.1 Instruct's generation_config.json.
  absl::StatusOr<GenerationConfig> g = ParseGenerationConfig(
      R"({"bos_token_id": 128000, "do_sample": true, "eos_token_id": [128001, 128008, 128009],
          "temperature": 0.6, "top_p": 0.9, "transformers_version": "4.42.3"})",
      "llama/generation_config.json");
  ASSERT_THAT(g, IsOk());
  EXPECT_THAT(g->eos_token_ids, ElementsAre(128001, 128008, 128009));
}

TEST(GenerationConfigTest, AbsentOrNullEosGivesNoIds) {
  for (const char* json : {R"({"do_sample": false})", R"({"eos_token_id": null})", "{}"}) {
    absl::StatusOr<GenerationConfig> g = ParseGenerationConfig(json, "g.json");
    ASSERT_THAT(g, IsOk()) << json;
    EXPECT_TRUE(g->eos_token_ids.empty()) << json;
  }
}

TEST(GenerationConfigTest, AFolderWithoutOneGivesNoIds) {
  TempDir dir;
  dir.WriteFile("config.json", "{}");
  absl::StatusOr<GenerationConfig> g = ReadGenerationConfig(dir.path());
  ASSERT_THAT(g, IsOk());
  EXPECT_TRUE(g->eos_token_ids.empty());
}

TEST(GenerationConfigTest, MalformedFileIsNamed) {
  TempDir dir;
  const std::string path = dir.WriteFile("generation_config.json", "{\"eos_token_id\": 2,");
  EXPECT_THAT(ReadGenerationConfig(dir.path()),
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith(path + ": ")));
}

TEST(GenerationConfigTest, NotAnObjectIsRefused) {
  TempDir dir;
  const std::string path = dir.WriteFile("generation_config.json", "[2]");
  EXPECT_THAT(ReadGenerationConfig(dir.path()),
              StatusIs(absl::StatusCode::kInvalidArgument, path + ": not a JSON object"));
}

TEST(GenerationConfigTest, BadEosIdNamesTheFileAndField) {
  TempDir dir;
  for (const char* eos : {R"("2")", "[1, -2]", R"([1, "a"])", "-1", "2.5", "{}"}) {
    const std::string path = dir.WriteFile(
        "generation_config.json", std::string("{\"eos_token_id\": ") + eos + "}");
    EXPECT_THAT(ReadGenerationConfig(dir.path()),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         path + ": eos_token_id: must be an id or a list of ids"))
        << eos;
  }
}

}  // namespace
}  // namespace zerorl::model
