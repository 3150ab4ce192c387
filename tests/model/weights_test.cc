// Loading, saving and initialising models in Hugging Face layout.
#include "model/weights.h"

#include <filesystem>

#include <torch/torch.h>

#include "core/json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/model/model_test_util.h"

namespace zerorl::model {
namespace {

using ::testing::HasSubstr;
using testing::MaxAbsDiff;
using testing::Row;
using testing::TinyConfig;
using ::zerorl::testing::TempDir;
using ::zerorl::testing::TestDataPath;

std::vector<std::string> ParameterNames(CausalLMImpl& model) {
  std::vector<std::string> names;
  for (const auto& item : model.named_parameters()) names.push_back(item.key());
  std::sort(names.begin(), names.end());
  return names;
}

// Saves a tiny model of `family` to dir/, then rewrites its safetensors through `edit`.
void SaveEdited(const std::string& family, const TempDir& dir,
                const std::function<void(TensorMap*)>& edit) {
  CausalLM model = RandomModel(TinyConfig(family), 1);
  ASSERT_TRUE(SaveModel(*model, dir.path(), {torch::kFloat}).ok());
  absl::StatusOr<SafetensorsCheckpoint> saved = ReadSafetensors(dir.path());
  ASSERT_TRUE(saved.ok()) << saved.status();
  TensorMap tensors;
  for (const auto& [name, tensor] : saved->tensors) tensors[name] = tensor.clone();
  edit(&tensors);
  ASSERT_TRUE(WriteSafetensors(dir.Path("model.safetensors"), tensors).ok());
}

std::string LoadError(const std::string& dir) {
  absl::StatusOr<CausalLM> model = LoadModel(dir, {torch::kFloat});
  EXPECT_FALSE(model.ok());
  if (model.ok()) return "";
  EXPECT_EQ(model.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(model.status().message());
}

TEST(WeightsTest, ParameterNamesAreTheCheckpointsTensorNames) {
  ZERORL_REQUIRE_TEST_DATA();
  for (const char* name : {"qwen2-tiny", "qwen3-tiny"}) {
    std::string dir = TestDataPath(std::string("models/") + name);
    ModelArchConfig config = *ReadHfConfig(dir + "/config.json");
    CausalLM model(CausalLMOptions(config).dtype(torch::kFloat));
    absl::StatusOr<SafetensorsCheckpoint> checkpoint = ReadSafetensors(dir);
    ASSERT_TRUE(checkpoint.ok()) << checkpoint.status();
    std::vector<std::string> stored;
    for (const auto& entry : checkpoint->tensors) stored.push_back(entry.first);
    EXPECT_EQ(ParameterNames(*model), stored) << name;
  }
}

TEST(WeightsTest, UntiedModelHasAnLmHead) {
  CausalLM model = RandomModel(TinyConfig("llama3"), 1);
  std::vector<std::string> names = ParameterNames(*model);
  EXPECT_TRUE(std::count(names.begin(), names.end(), "lm_head.weight"));
  EXPECT_TRUE(std::count(names.begin(), names.end(), "model.layers.1.mlp.down_proj.weight"));
  EXPECT_FALSE(model->lm_head_weight().is_same(model->named_parameters()["model.embed_tokens.weight"]));
}

TEST(WeightsTest, SaveThenLoadRoundTripsWeightsAndConfig) {
  for (const char* family : {"llama3", "qwen2", "qwen3", "mistral"}) {
    CausalLM model = RandomModel(TinyConfig(family), 5);
    testing::PerturbBiasesAndNorms(*model, 6);
    for (torch::ScalarType dtype : {torch::kFloat, torch::kBFloat16}) {
      TempDir dir;
      ASSERT_TRUE(SaveModel(*model, dir.path(), {dtype}).ok());
      absl::StatusOr<CausalLM> back = LoadModel(dir.path(), {torch::kFloat});
      ASSERT_TRUE(back.ok()) << back.status();
      TensorMap saved = StateDict(*model), loaded = StateDict(**back);
      ASSERT_EQ(saved.size(), loaded.size());
      for (const auto& [name, tensor] : saved) {
        EXPECT_TRUE(torch::equal(loaded.at(name), tensor.to(dtype).to(torch::kFloat)))
            << family << " " << name;
      }
      const ModelArchConfig& c = (*back)->config();
      EXPECT_EQ(c.family, model->config().family);
      EXPECT_EQ(c.head_dim, model->config().head_dim);
      EXPECT_EQ(c.tie_word_embeddings, model->config().tie_word_embeddings);
      EXPECT_EQ(c.rope_scaling.type, model->config().rope_scaling.type);
      EXPECT_EQ(c.AttentionWindow(1), model->config().AttentionWindow(1));
      EXPECT_EQ(c.attention_out_bias, model->config().attention_out_bias);
      std::string json = *core::ReadFile(dir.Path("config.json"));
      EXPECT_THAT(json, HasSubstr(dtype == torch::kFloat ? "\"torch_dtype\": \"float32\""
                                                         : "\"torch_dtype\": \"bfloat16\""));
      if (dtype == torch::kFloat) {
        torch::NoGradGuard no_grad;
        torch::Tensor ids = Row({3, 4, 5, 6, 7});
        EXPECT_TRUE(torch::equal((*back)->Forward(ids), model->Forward(ids))) << family;
      }
    }
  }
}

TEST(WeightsTest, SavedFixtureIsByteIdentical) {
  ZERORL_REQUIRE_TEST_DATA();
  std::string dir = TestDataPath("models/qwen3-tiny");
  absl::StatusOr<CausalLM> model = LoadModel(dir, {torch::kFloat});
  ASSERT_TRUE(model.ok()) << model.status();
  TempDir out;
  ASSERT_TRUE(SaveModel(**model, out.path(), {torch::kFloat}).ok());
  EXPECT_TRUE(*core::ReadFile(out.Path("model.safetensors")) ==
              *core::ReadFile(dir + "/model.safetensors"));
  absl::StatusOr<rapidjson::Document> original =
      core::ParseJson(*core::ReadFile(dir + "/config.json"));
  absl::StatusOr<rapidjson::Document> written =
      core::ParseJson(*core::ReadFile(out.Path("config.json")));
  EXPECT_TRUE(*original == *written);
}

TEST(WeightsTest, ShardedCheckpointLoads) {
  CausalLM model = RandomModel(TinyConfig("qwen3"), 2);
  TempDir dir;
  ASSERT_TRUE(SaveModel(*model, dir.path(), {torch::kFloat, 50'000}).ok());
  EXPECT_TRUE(std::filesystem::exists(dir.Path("model.safetensors.index.json")));
  absl::StatusOr<CausalLM> back = LoadModel(dir.path(), {torch::kFloat});
  ASSERT_TRUE(back.ok()) << back.status();
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(torch::equal((*back)->Forward(Row({1, 2, 3})), model->Forward(Row({1, 2, 3}))));
}

TEST(WeightsTest, RefusesMissingTensor) {
  TempDir dir;
  SaveEdited("llama3", dir, [](TensorMap* t) { t->erase("model.layers.1.mlp.up_proj.weight"); });
  EXPECT_THAT(LoadError(dir.path()),
              HasSubstr("weights do not match the llama architecture of config.json: missing "
                        "tensors: model.layers.1.mlp.up_proj.weight"));
}

TEST(WeightsTest, RefusesUnexpectedTensor) {
  TempDir dir;
  SaveEdited("llama3", dir, [](TensorMap* t) {
    (*t)["model.layers.0.self_attn.q_proj.bias"] = torch::zeros({64});
  });
  EXPECT_THAT(LoadError(dir.path()),
              HasSubstr("unexpected tensors: model.layers.0.self_attn.q_proj.bias"));
}

TEST(WeightsTest, RefusesShapeMismatchNamingBothShapes) {
  TempDir dir;
  SaveEdited("qwen2", dir, [](TensorMap* t) {
    (*t)["model.layers.0.self_attn.k_proj.weight"] = torch::zeros({64, 64});
  });
  EXPECT_THAT(LoadError(dir.path()),
              HasSubstr("wrong tensors: model.layers.0.self_attn.k_proj.weight is [64, 64] in "
                        "the checkpoint but [32, 64] in the model"));
}

TEST(WeightsTest, RefusesIntegerTensorForAWeight) {
  TempDir dir;
  SaveEdited("qwen2", dir, [](TensorMap* t) {
    (*t)["model.norm.weight"] = torch::ones({64}, torch::kLong);
  });
  EXPECT_THAT(LoadError(dir.path()), HasSubstr("model.norm.weight has non-float dtype Long"));
}

TEST(WeightsTest, MissingLmHeadMeansTied) {
  TempDir dir;
  SaveEdited("llama3", dir, [](TensorMap* t) { t->erase("lm_head.weight"); });
  absl::StatusOr<CausalLM> model = LoadModel(dir.path(), {torch::kFloat});
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_TRUE((*model)->config().tie_word_embeddings);
  EXPECT_TRUE((*model)->lm_head_weight().is_same(
      (*model)->named_parameters()["model.embed_tokens.weight"]));
}

TEST(WeightsTest, SkipsRotaryBuffersAndTheLmHeadOfATiedModel) {
  TempDir dir;
  SaveEdited("qwen2", dir, [](TensorMap* t) {
    (*t)["model.layers.0.self_attn.rotary_emb.inv_freq"] = torch::ones({8});
    (*t)["lm_head.weight"] = t->at("model.embed_tokens.weight");
  });
  EXPECT_TRUE(LoadModel(dir.path(), {torch::kFloat}).ok());
}

TEST(WeightsTest, RefusesMissingConfig) {
  TempDir dir;
  absl::StatusOr<CausalLM> model = LoadModel(dir.path());
  EXPECT_EQ(model.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(model.status().message()), HasSubstr("config.json"));
}

TEST(WeightsTest, LoadsIntoBf16AndTheRequestedDevice) {
  ZERORL_REQUIRE_TEST_DATA();
  absl::StatusOr<CausalLM> model =
      LoadModel(TestDataPath("models/qwen2-tiny"), {torch::kBFloat16, torch::kCPU});
  ASSERT_TRUE(model.ok());
  for (const auto& item : (*model)->named_parameters()) {
    EXPECT_EQ(item.value().scalar_type(), torch::kBFloat16) << item.key();
  }
}

TEST(WeightsTest, RandomInitIsSeededAndFollowsTransformers) {
  ModelArchConfig config = TinyConfig("qwen3");
  config.initializer_range = 0.02;
  CausalLM a = RandomModel(config, 42), b = RandomModel(config, 42), c = RandomModel(config, 43);
  for (const auto& [name, tensor] : StateDict(*a)) {
    EXPECT_TRUE(torch::equal(tensor, StateDict(*b).at(name))) << name;
    if (name.find("norm.weight") != std::string::npos) {
      EXPECT_TRUE(torch::all(tensor == 1).item<bool>()) << name;
    } else if (name.find(".bias") != std::string::npos) {
      EXPECT_TRUE(torch::all(tensor == 0).item<bool>()) << name;
    } else {
      EXPECT_NEAR(tensor.std().item<double>(), 0.02, 0.003) << name;
      EXPECT_FALSE(torch::equal(tensor, StateDict(*c).at(name))) << name;
    }
  }
  // The same seed in bf16 gives the fp32 draws rounded.
  CausalLM half = RandomModel(config, 42, torch::kBFloat16);
  torch::Tensor w = StateDict(*half).at("model.layers.0.mlp.up_proj.weight");
  EXPECT_TRUE(torch::equal(
      w, StateDict(*a).at("model.layers.0.mlp.up_proj.weight").to(torch::kBFloat16)));
}

}  // namespace
}  // namespace zerorl::model
