// ReadSafetensors() over folders and sharded checkpoints, and WriteSafetensorsSharded().
#include <filesystem>

#include <torch/torch.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/safetensors.h"
#include "tests/testing/test_support.h"

namespace zerorl::model {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::zerorl::testing::TempDir;

TensorMap SomeTensors() {
  return {{"a", torch::arange(10, torch::kFloat)},   // 40 bytes
          {"b", torch::ones({3, 4})},                // 48 bytes
          {"c", torch::full({5}, 2.0f)},             // 20 bytes
          {"d", torch::arange(100, torch::kFloat)}};  // 400 bytes: a shard of its own
}

std::string Error(const std::string& path) {
  absl::StatusOr<SafetensorsCheckpoint> checkpoint = ReadSafetensors(path);
  EXPECT_FALSE(checkpoint.ok());
  return checkpoint.ok() ? "" : std::string(checkpoint.status().message());
}

TEST(SafetensorsIndexTest, ShardedWriteThenReadRoundTrips) {
  TempDir dir;
  absl::StatusOr<std::vector<std::string>> files =
      WriteSafetensorsSharded(dir.path(), SomeTensors(), 100);
  ASSERT_TRUE(files.ok()) << files.status();
  EXPECT_THAT(*files, ElementsAre("model-00001-of-00003.safetensors",
                                  "model-00002-of-00003.safetensors",
                                  "model-00003-of-00003.safetensors",
                                  "model.safetensors.index.json"));
  absl::StatusOr<SafetensorsCheckpoint> checkpoint = ReadSafetensors(dir.path());
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status();
  EXPECT_EQ(checkpoint->files.size(), 3u);
  TensorMap expected = SomeTensors();
  ASSERT_EQ(checkpoint->tensors.size(), expected.size());
  for (const auto& [name, tensor] : expected) {
    EXPECT_TRUE(torch::equal(checkpoint->tensors.at(name), tensor)) << name;
  }
  // The index file itself is accepted as the path, too.
  EXPECT_TRUE(ReadSafetensors(dir.Path("model.safetensors.index.json")).ok());
}

TEST(SafetensorsIndexTest, SmallCheckpointIsOneFileAndReplacesAStaleIndex) {
  TempDir dir;
  ASSERT_TRUE(WriteSafetensorsSharded(dir.path(), SomeTensors(), 100).ok());
  absl::StatusOr<std::vector<std::string>> files =
      WriteSafetensorsSharded(dir.path(), SomeTensors(), 1 << 20);
  ASSERT_TRUE(files.ok());
  EXPECT_THAT(*files, ElementsAre("model.safetensors"));
  EXPECT_FALSE(std::filesystem::exists(dir.Path("model.safetensors.index.json")));
  absl::StatusOr<SafetensorsCheckpoint> checkpoint = ReadSafetensors(dir.path());
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status();
  EXPECT_THAT(checkpoint->files, ElementsAre(dir.Path("model.safetensors")));
}

TEST(SafetensorsIndexTest, RefusesFolderWithoutWeights) {
  TempDir dir;
  absl::StatusOr<SafetensorsCheckpoint> checkpoint = ReadSafetensors(dir.path());
  EXPECT_EQ(checkpoint.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(checkpoint.status().message()),
              HasSubstr("no model.safetensors or model.safetensors.index.json"));
}

TEST(SafetensorsIndexTest, RefusesIndexNamingAMissingShard) {
  TempDir dir;
  dir.WriteFile("model.safetensors.index.json",
                R"({"weight_map": {"a": "model-00001-of-00001.safetensors"}})");
  absl::StatusOr<SafetensorsCheckpoint> checkpoint = ReadSafetensors(dir.path());
  EXPECT_EQ(checkpoint.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(checkpoint.status().message()),
              HasSubstr("shard listed in " + dir.Path("model.safetensors.index.json")));
}

TEST(SafetensorsIndexTest, RefusesTensorListedButAbsentFromItsShard) {
  TempDir dir;
  ASSERT_TRUE(WriteSafetensors(dir.Path("s1.safetensors"), {{"a", torch::ones({2})}}).ok());
  dir.WriteFile("model.safetensors.index.json",
                R"({"weight_map": {"a": "s1.safetensors", "z": "s1.safetensors"}})");
  EXPECT_THAT(Error(dir.path()),
              HasSubstr("tensor \"z\" is listed in shard s1.safetensors but that shard does "
                        "not hold it"));
}

TEST(SafetensorsIndexTest, RefusesShardTensorTheIndexDoesNotList) {
  TempDir dir;
  ASSERT_TRUE(WriteSafetensors(dir.Path("s1.safetensors"),
                               {{"a", torch::ones({2})}, {"extra", torch::ones({1})}})
                  .ok());
  dir.WriteFile("model.safetensors.index.json", R"({"weight_map": {"a": "s1.safetensors"}})");
  EXPECT_THAT(Error(dir.path()),
              HasSubstr("shard s1.safetensors holds tensor \"extra\", which the index does not "
                        "list"));
}

TEST(SafetensorsIndexTest, RefusesTensorInTwoShards) {
  TempDir dir;
  ASSERT_TRUE(WriteSafetensors(dir.Path("s1.safetensors"), {{"a", torch::ones({2})}}).ok());
  ASSERT_TRUE(WriteSafetensors(dir.Path("s2.safetensors"), {{"a", torch::ones({2})}}).ok());
  dir.WriteFile("model.safetensors.index.json",
                R"({"weight_map": {"a": "s1.safetensors", "b": "s2.safetensors"}})");
  EXPECT_THAT(Error(dir.path()), HasSubstr("which the index maps to s1.safetensors"));
}

TEST(SafetensorsIndexTest, RefusesShardPathOutsideTheFolder) {
  TempDir dir;
  dir.WriteFile("model.safetensors.index.json",
                R"({"weight_map": {"a": "../elsewhere.safetensors"}})");
  EXPECT_THAT(Error(dir.path()),
              HasSubstr("weight_map[\"a\"] is not a file name inside the checkpoint folder"));
}

TEST(SafetensorsIndexTest, RefusesIndexWithoutWeightMap) {
  TempDir dir;
  dir.WriteFile("model.safetensors.index.json", R"({"metadata": {}})");
  EXPECT_THAT(Error(dir.path()), HasSubstr("\"weight_map\" missing or not an object"));
}

}  // namespace
}  // namespace zerorl::model
