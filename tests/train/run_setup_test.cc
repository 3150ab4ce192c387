#include "train/run_setup.h"

#include <filesystem>
#include <fstream>
#include <iterator>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_support.h"

namespace zerorl::train {
namespace {

namespace fs = std::filesystem;

using ::testing::StartsWith;
using ::zerorl::testing::IsOk;
using ::zerorl::testing::StatusIs;
using ::zerorl::testing::TempDir;
using ::zerorl::testing::TestDataPath;

config::Config RunIn(const TempDir& dir, const std::string& name = "r") {
  config::Config config;
  config.run.output_dir = dir.path();
  config.run.name = name;
  return config;
}

std::string Canonical(const std::string& path) { return fs::weakly_canonical(path).string(); }

std::string Bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(PrepareRunDirTest, CreatesTheRunFolderAndItsSubfolders) {
  TempDir dir;
  absl::StatusOr<RunPaths> paths = PrepareRunDir(RunIn(dir), /*resume=*/false);
  ASSERT_THAT(paths, IsOk());
  EXPECT_EQ(Canonical(paths->dir), Canonical(dir.Path("r")));
  EXPECT_TRUE(fs::path(paths->dir).is_absolute());
  EXPECT_TRUE(fs::is_directory(paths->checkpoints));
  EXPECT_TRUE(fs::is_directory(paths->logs));
  EXPECT_EQ(paths->config_json, paths->dir + "/config.json");
  EXPECT_EQ(paths->metrics, paths->dir + "/metrics.jsonl");
  EXPECT_EQ(paths->samples, paths->dir + "/samples.jsonl");
  EXPECT_EQ(paths->ledger, paths->dir + "/ledger.jsonl");
  EXPECT_EQ(paths->summary, paths->dir + "/summary.json");
  EXPECT_EQ(paths->checkpoints, paths->dir + "/checkpoints");
  EXPECT_EQ(paths->init_model, paths->dir + "/init-model");
  EXPECT_EQ(paths->logs, paths->dir + "/logs");
}

TEST(PrepareRunDirTest, AFolderHoldingARunGetsTheNextFreeName) {
  TempDir dir;
  dir.WriteFile("r/metrics.jsonl", "{}\n");
  dir.WriteFile("r-2/metrics.jsonl", "{}\n");
  absl::StatusOr<RunPaths> paths = PrepareRunDir(RunIn(dir), false);
  ASSERT_THAT(paths, IsOk());
  EXPECT_EQ(Canonical(paths->dir), Canonical(dir.Path("r-3")));
  EXPECT_TRUE(fs::is_directory(paths->checkpoints));
}

TEST(PrepareRunDirTest, AFolderWithoutARunIsUsed) {
  TempDir dir;
  dir.WriteFile("r/notes.txt", "mine");
  absl::StatusOr<RunPaths> paths = PrepareRunDir(RunIn(dir), false);
  ASSERT_THAT(paths, IsOk());
  EXPECT_EQ(Canonical(paths->dir), Canonical(dir.Path("r")));
  EXPECT_EQ(Bytes(dir.Path("r/notes.txt")), "mine");
}

TEST(PrepareRunDirTest, ResumeContinuesTheNamedFolder) {
  TempDir dir;
  dir.WriteFile("r/metrics.jsonl", "{}\n");
  absl::StatusOr<RunPaths> paths = PrepareRunDir(RunIn(dir), /*resume=*/true);
  ASSERT_THAT(paths, IsOk());
  EXPECT_EQ(Canonical(paths->dir), Canonical(dir.Path("r")));
  EXPECT_EQ(Bytes(paths->metrics), "{}\n");
}

TEST(PrepareRunDirTest, ResumeWithoutARunFolderIsNotFound) {
  TempDir dir;
  const std::string missing = fs::absolute(dir.Path("gone")).lexically_normal().string();
  EXPECT_THAT(PrepareRunDir(RunIn(dir, "gone"), /*resume=*/true),
              StatusIs(absl::StatusCode::kNotFound,
                       "--resume: no run folder " + missing +
                           " (run.output_dir/run.name of the config)"));
  EXPECT_FALSE(fs::exists(missing));
}

TEST(PrepareRunDirTest, AFolderThatCannotBeMadeIsUnavailable) {
  TempDir dir;
  dir.WriteFile("file", "not a folder");
  config::Config config;
  config.run.output_dir = dir.Path("file");
  config.run.name = "r";
  EXPECT_THAT(PrepareRunDir(config, false),
              StatusIs(absl::StatusCode::kUnavailable, StartsWith("cannot create ")));
}

TEST(PrepareInitialModelTest, ModelPathAndItsTokenizer) {
  ZERORL_REQUIRE_TEST_DATA();
  TempDir dir;
  config::Config config = RunIn(dir);
  config.model.path = TestDataPath("models/qwen2-tiny");
  absl::StatusOr<InitialModel> initial = PrepareInitialModel(config, RunPaths());
  ASSERT_THAT(initial, IsOk());
  EXPECT_EQ(initial->model_dir, config.model.path);
  EXPECT_EQ(initial->tokenizer_path, config.model.path);

  config.model.tokenizer = TestDataPath("models/qwen3-tiny/tokenizer.json");
  initial = PrepareInitialModel(config, RunPaths());
  ASSERT_THAT(initial, IsOk());
  EXPECT_EQ(initial->tokenizer_path, config.model.tokenizer);
}

TEST(PrepareInitialModelTest, ModelPathWithoutConfigJsonIsNotFound) {
  TempDir dir;
  config::Config config = RunIn(dir);
  config.model.path = dir.path();
  EXPECT_THAT(PrepareInitialModel(config, RunPaths()),
              StatusIs(absl::StatusCode::kNotFound,
                       "model.path: " + dir.path() +
                           " has no config.json (expected a Hugging Face model folder)"));
}

TEST(PrepareInitialModelTest, EmptyModelPathMakesASeededModelOnce) {
  TempDir dir;
  config::Config config = RunIn(dir);
  config.model.init.hidden_size = 32;
  config.model.init.intermediate_size = 64;
  config.model.init.num_layers = 1;
  absl::StatusOr<RunPaths> a = PrepareRunDir(RunIn(dir, "a"), false);
  absl::StatusOr<RunPaths> b = PrepareRunDir(RunIn(dir, "b"), false);
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  absl::StatusOr<InitialModel> made = PrepareInitialModel(config, *a);
  ASSERT_THAT(made, IsOk());
  EXPECT_EQ(made->model_dir, a->init_model);
  EXPECT_EQ(made->tokenizer_path, a->init_model);
  for (const char* file : {"config.json", "model.safetensors", "tokenizer.json"}) {
    EXPECT_TRUE(fs::exists(a->init_model + "/" + file)) << file;
  }
  // The same model.init seed makes the same weights in another run.
  ASSERT_THAT(PrepareInitialModel(config, *b), IsOk());
  const std::string weights = Bytes(a->init_model + "/model.safetensors");
  EXPECT_FALSE(weights.empty());
  EXPECT_EQ(weights, Bytes(b->init_model + "/model.safetensors"));
  absl::StatusOr<RunPaths> c = PrepareRunDir(RunIn(dir, "c"), false);
  ASSERT_THAT(c, IsOk());
  config.model.init.seed = 2;
  ASSERT_THAT(PrepareInitialModel(config, *c), IsOk());
  EXPECT_NE(Bytes(c->init_model + "/model.safetensors"), weights);
  // A folder that already has one keeps it (a resumed run starts from the same model).
  ASSERT_THAT(PrepareInitialModel(config, *a), IsOk());
  EXPECT_EQ(Bytes(a->init_model + "/model.safetensors"), weights);
}

}  // namespace
}  // namespace zerorl::train
