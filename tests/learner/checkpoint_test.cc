#include "learner/checkpoint.h"

#include <filesystem>
#include <random>
#include <set>

#include <torch/torch.h>

#include "core/json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/safetensors.h"
#include "tests/learner/learner_test_util.h"
#include "tests/testing/test_support.h"

namespace zerorl::learner {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::ExactOptions;
using testing::TinyModel;

std::unique_ptr<Learner> TrainedLearner(int steps) {
  auto learner = std::move(Learner::Create(ExactOptions(), TinyModel(1), nullptr)).value();
  std::mt19937 rng(4);
  for (int i = 0; i < steps; ++i) {
    auto batch = BuildTrainBatch(testing::RandomSamples(rng, 2, 3, 48, learner->policy_version()),
                                 BatchOptions());
    EXPECT_TRUE(learner->Step(*batch).ok());
  }
  return learner;
}

std::set<std::string> Names(const std::string& file) {
  std::set<std::string> names;
  auto f = model::SafetensorsFile::Open(file);
  EXPECT_TRUE(f.ok()) << f.status();
  for (const auto& e : f->entries()) names.insert(e.name);
  return names;
}

TEST(CheckpointTest, ReloadsThroughTheModelLoaderToIdenticalLogits) {
  zerorl::testing::TempDir tmp;
  auto learner = TrainedLearner(2);
  auto dir = SaveCheckpoint(*learner, tmp.Path("ckpt"), {});
  ASSERT_TRUE(dir.ok()) << dir.status();
  EXPECT_EQ(*dir, tmp.Path("ckpt") + "/step-2");
  auto loaded = model::LoadModel(*dir, {torch::kFloat, torch::kCPU});
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  torch::NoGradGuard no_grad;
  auto ids = torch::tensor({{3, 1, 4, 1, 5, 9, 2, 6}}, torch::kLong);
  EXPECT_TRUE(torch::equal((*loaded)->Forward(ids), learner->policy().Forward(ids)));
}

TEST(CheckpointTest, TensorNamesAndConfigFollowTheHuggingFaceLayout) {
  zerorl::testing::TempDir tmp;
  auto learner = TrainedLearner(1);
  auto dir = SaveCheckpoint(*learner, tmp.path(), {});
  ASSERT_TRUE(dir.ok());
  // Qwen2ForCausalLM with tied embeddings, as transformers names it.
  std::set<std::string> expected = {"model.embed_tokens.weight", "model.norm.weight"};
  for (int layer = 0; layer < 2; ++layer) {
    const std::string p = "model.layers." + std::to_string(layer) + ".";
    for (const char* n : {"input_layernorm.weight", "post_attention_layernorm.weight",
                          "self_attn.q_proj.weight", "self_attn.q_proj.bias",
                          "self_attn.k_proj.weight", "self_attn.k_proj.bias",
                          "self_attn.v_proj.weight", "self_attn.v_proj.bias",
                          "self_attn.o_proj.weight", "mlp.gate_proj.weight",
                          "mlp.up_proj.weight", "mlp.down_proj.weight"}) {
      expected.insert(p + n);
    }
  }
  EXPECT_EQ(Names(*dir + "/model.safetensors"), expected);
  auto config = core::ReadFile(*dir + "/config.json");
  ASSERT_TRUE(config.ok());
  auto doc = core::ParseJson(*config);
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(std::string((*doc)["architectures"][0].GetString()), "Qwen2ForCausalLM");
  EXPECT_EQ(std::string((*doc)["model_type"].GetString()), "qwen2");
  EXPECT_EQ(std::string((*doc)["torch_dtype"].GetString()), "float32");
  EXPECT_EQ((*doc)["hidden_size"].GetInt(), 32);
  EXPECT_EQ((*doc)["num_key_value_heads"].GetInt(), 2);
  EXPECT_TRUE((*doc)["tie_word_embeddings"].GetBool());
}

TEST(CheckpointTest, RealCheckpointKeepsItsTensorNamesConfigAndTokenizer) {
  ZERORL_REQUIRE_TEST_DATA();
  const std::string source = zerorl::testing::TestDataPath("models/qwen2-tiny");
  LearnerOptions o = ExactOptions();
  auto learner = Learner::Create(o, source);
  ASSERT_TRUE(learner.ok()) << learner.status();
  zerorl::testing::TempDir tmp;
  CheckpointExtras extras;
  extras.copy_files_from = {source};
  auto dir = SaveCheckpoint(**learner, tmp.path(), extras);
  ASSERT_TRUE(dir.ok()) << dir.status();
  // Same tensors as the Hugging Face file we started from, with the same shapes.
  auto ours = model::SafetensorsFile::Open(*dir + "/model.safetensors");
  auto theirs = model::SafetensorsFile::Open(source + "/model.safetensors");
  ASSERT_TRUE(ours.ok() && theirs.ok());
  ASSERT_EQ(ours->entries().size(), theirs->entries().size());
  for (size_t i = 0; i < ours->entries().size(); ++i) {
    EXPECT_EQ(ours->entries()[i].name, theirs->entries()[i].name);
    EXPECT_EQ(ours->entries()[i].shape, theirs->entries()[i].shape);
    EXPECT_EQ(ours->entries()[i].dtype, "F32");
  }
  // Same config keys and values, apart from nothing (both say float32).
  auto a = core::ParseJson(*core::ReadFile(*dir + "/config.json"));
  auto b = core::ParseJson(*core::ReadFile(source + "/config.json"));
  ASSERT_TRUE(a.ok() && b.ok());
  std::set<std::string> keys_a, keys_b;
  for (auto& m : a->GetObject()) keys_a.insert(m.name.GetString());
  for (auto& m : b->GetObject()) keys_b.insert(m.name.GetString());
  EXPECT_EQ(keys_a, keys_b);
  for (const char* key : {"hidden_size", "intermediate_size", "num_hidden_layers",
                          "num_attention_heads", "num_key_value_heads", "vocab_size"}) {
    EXPECT_EQ((*a)[key].GetInt64(), (*b)[key].GetInt64()) << key;
  }
  // Tokenizer files travel with it, byte for byte.
  for (const char* f : {"tokenizer.json", "tokenizer_config.json", "generation_config.json"}) {
    EXPECT_EQ(*core::ReadFile(*dir + "/" + f), *core::ReadFile(source + "/" + f)) << f;
  }
  // Untrained, the weights are the file's exactly.
  auto original = model::ReadSafetensors(source);
  auto saved = model::ReadSafetensors(*dir);
  for (const auto& [name, t] : original->tensors) {
    EXPECT_TRUE(torch::equal(t, saved->tensors.at(name))) << name;
  }
}

TEST(CheckpointTest, LoadRestoresCountersOptimizerAndCursor) {
  zerorl::testing::TempDir tmp;
  auto learner = TrainedLearner(2);
  CheckpointExtras extras;
  extras.dataset_cursor_json = R"({"epoch": 1, "offsets": [3, 4]})";
  auto dir = SaveCheckpoint(*learner, tmp.path(), extras);
  ASSERT_TRUE(dir.ok());
  auto fresh = std::move(Learner::Create(ExactOptions(), TinyModel(5), nullptr)).value();
  auto state = LoadCheckpoint(*dir, fresh.get());
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->step, 2);
  EXPECT_EQ(state->policy_version, 2);
  EXPECT_EQ(state->dataset_cursor_json, R"({"epoch":1,"offsets":[3,4]})");
  EXPECT_EQ(fresh->num_updates(), 2);
  auto a = learner->optimizer().StateTensors(), b = fresh->optimizer().StateTensors();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i].second, b[i].second));
}

TEST(CheckpointTest, CursorThatIsNotJsonIsRefused) {
  zerorl::testing::TempDir tmp;
  auto learner = TrainedLearner(0);
  CheckpointExtras extras;
  extras.dataset_cursor_json = "{epoch";
  auto dir = SaveCheckpoint(*learner, tmp.path(), extras);
  ASSERT_FALSE(dir.ok());
  EXPECT_EQ(dir.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(dir.status().message(), HasSubstr("checkpoint: dataset cursor is not JSON"));
  EXPECT_FALSE(fs::exists(tmp.Path("step-0")));
}

TEST(CheckpointTest, FailedSaveLeavesNoStepFolder) {
  zerorl::testing::TempDir tmp;
  auto learner = TrainedLearner(0);
  // A file where the checkpoints folder should be: nothing can be written.
  std::string blocked = tmp.WriteFile("blocked", "x");
  auto dir = SaveCheckpoint(*learner, blocked, {});
  ASSERT_FALSE(dir.ok());
  EXPECT_EQ(dir.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(dir.status().message(), HasSubstr("creating " + blocked));
}

TEST(CheckpointTest, ResavingAStepReplacesIt) {
  zerorl::testing::TempDir tmp;
  auto learner = TrainedLearner(1);
  ASSERT_TRUE(SaveCheckpoint(*learner, tmp.path(), {}).ok());
  CheckpointExtras extras;
  extras.dataset_cursor_json = "7";
  ASSERT_TRUE(SaveCheckpoint(*learner, tmp.path(), extras).ok());
  auto fresh = std::move(Learner::Create(ExactOptions(), TinyModel(1), nullptr)).value();
  EXPECT_EQ(LoadCheckpoint(tmp.Path("step-1"), fresh.get())->dataset_cursor_json, "7");
  std::vector<std::string> entries;
  for (auto& e : fs::directory_iterator(tmp.path())) entries.push_back(e.path().filename());
  EXPECT_THAT(entries, ElementsAre("step-1"));
}

TEST(CheckpointTest, RotationKeepsTheNewestAndCleansInterruptedSaves) {
  zerorl::testing::TempDir tmp;
  auto learner = TrainedLearner(0);
  for (int step : {1, 2, 3, 10}) {
    learner->RestoreCounters(step, step, step);
    ASSERT_TRUE(SaveCheckpoint(*learner, tmp.path(), {}).ok());
  }
  fs::create_directory(tmp.Path(".step-11.tmp-4242"));  // a save that crashed
  fs::create_directory(tmp.Path("notes"));              // not ours: left alone
  EXPECT_EQ(*LatestCheckpoint(tmp.path()), tmp.Path("step-10"));
  ASSERT_TRUE(RotateCheckpoints(tmp.path(), 2).ok());
  std::set<std::string> left;
  for (auto& e : fs::directory_iterator(tmp.path())) left.insert(e.path().filename());
  EXPECT_EQ(left, (std::set<std::string>{"notes", "step-10", "step-3"}));
}

TEST(CheckpointTest, LatestCheckpointOfAnEmptyFolderIsNotFound) {
  zerorl::testing::TempDir tmp;
  auto latest = LatestCheckpoint(tmp.path());
  ASSERT_FALSE(latest.ok());
  EXPECT_EQ(latest.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(latest.status().message(), "no checkpoint (step-N folder) in " + tmp.path());
}

TEST(CheckpointTest, MissingTrainerStateIsNotFound) {
  zerorl::testing::TempDir tmp;
  auto learner = TrainedLearner(0);
  auto state = LoadCheckpoint(tmp.path(), learner.get());
  ASSERT_FALSE(state.ok());
  EXPECT_EQ(state.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(state.status().message(), HasSubstr("trainer_state.json"));
}

TEST(CheckpointTest, MalformedTrainerStateIsRefused) {
  zerorl::testing::TempDir tmp;
  auto learner = TrainedLearner(1);
  auto dir = SaveCheckpoint(*learner, tmp.path(), {});
  ASSERT_TRUE(dir.ok());
  ASSERT_TRUE(core::WriteFileAtomic(*dir + "/trainer_state.json",
                              R"({"format": "zerorl-trainer-state-1", "step": -1})")
                  .ok());
  auto state = LoadCheckpoint(*dir, learner.get());
  ASSERT_FALSE(state.ok());
  EXPECT_EQ(state.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(state.status().message(),
            *dir + "/trainer_state.json: \"step\" must be a non-negative integer");
}

TEST(CheckpointTest, CheckpointOfAnotherArchitectureIsRefused) {
  zerorl::testing::TempDir tmp;
  auto learner = TrainedLearner(1);
  auto dir = SaveCheckpoint(*learner, tmp.path(), {});
  ASSERT_TRUE(dir.ok());
  auto other = std::move(Learner::Create(ExactOptions(), model::RandomModel(testing::TinyArch(64), 1),
                                         nullptr)).value();
  auto state = LoadCheckpoint(*dir, other.get());
  ASSERT_FALSE(state.ok());
  EXPECT_EQ(state.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(state.status().message(), HasSubstr("model.embed_tokens.weight"));
}

}  // namespace
}  // namespace zerorl::learner
