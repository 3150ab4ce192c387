#include "model/safetensors.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include <torch/torch.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/test_support.h"

namespace zerorl::model {
namespace {

using ::testing::HasSubstr;
using ::zerorl::testing::TempDir;
using ::zerorl::testing::TestDataPath;

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// A safetensors file: little-endian header length, the header, then `data`.
std::string FileBytes(const std::string& header, const std::string& data = "",
                      uint64_t header_length = UINT64_MAX) {
  uint64_t length = header_length == UINT64_MAX ? header.size() : header_length;
  std::string bytes(8, '\0');
  std::memcpy(bytes.data(), &length, 8);
  return bytes + header + data;
}

// Opens `bytes` written to a temp file; returns the status message (and expects failure).
std::string OpenError(const std::string& bytes, absl::StatusCode code =
                                                     absl::StatusCode::kInvalidArgument) {
  TempDir dir;
  std::string path = dir.WriteFile("bad.safetensors", bytes);
  absl::StatusOr<SafetensorsFile> file = SafetensorsFile::Open(path);
  EXPECT_FALSE(file.ok());
  if (file.ok()) return "";
  EXPECT_EQ(file.status().code(), code) << file.status();
  EXPECT_THAT(std::string(file.status().message()), HasSubstr(path));
  return std::string(file.status().message());
}

TEST(SafetensorsTest, ReadsTheFixtureCheckpoint) {
  ZERORL_REQUIRE_TEST_DATA();
  std::string path = TestDataPath("models/qwen2-tiny/model.safetensors");
  absl::StatusOr<SafetensorsFile> file = SafetensorsFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->entries().size(), 26u);
  EXPECT_EQ(file->metadata().at("format"), "pt");
  absl::StatusOr<torch::Tensor> embed = file->Tensor("model.embed_tokens.weight");
  ASSERT_TRUE(embed.ok());
  EXPECT_EQ(embed->sizes(), torch::IntArrayRef({151936, 64}));
  EXPECT_EQ(embed->scalar_type(), torch::kFloat);
  absl::StatusOr<torch::Tensor> bias = file->Tensor("model.layers.1.self_attn.k_proj.bias");
  ASSERT_TRUE(bias.ok());
  EXPECT_EQ(bias->sizes(), torch::IntArrayRef({32}));
  // The fixture's values are bfloat16-exact (its README).
  EXPECT_TRUE(torch::equal(*embed, embed->to(torch::kBFloat16).to(torch::kFloat)));
  EXPECT_EQ(file->Tensor("nope").status().code(), absl::StatusCode::kNotFound);
}

// Our writer reproduces a file written to Hugging Face's layout byte for byte.
TEST(SafetensorsTest, RewritingTheFixturesGivesIdenticalBytes) {
  ZERORL_REQUIRE_TEST_DATA();
  for (const char* name : {"models/qwen2-tiny/model.safetensors",
                           "models/qwen3-tiny/golden_logits.safetensors"}) {
    std::string path = TestDataPath(name);
    absl::StatusOr<SafetensorsFile> file = SafetensorsFile::Open(path);
    ASSERT_TRUE(file.ok()) << file.status();
    TempDir dir;
    std::string out = dir.Path("copy.safetensors");
    ASSERT_TRUE(WriteSafetensors(out, file->Tensors(), file->metadata()).ok());
    EXPECT_TRUE(ReadBytes(out) == ReadBytes(path)) << name;
  }
}

TEST(SafetensorsTest, WriteThenReadRoundTripsEveryDtype) {
  torch::manual_seed(0);
  TensorMap tensors = {
      {"a.f32", torch::randn({3, 5})},
      {"b.bf16", torch::randn({7}).to(torch::kBFloat16)},  // leaves the next tensor misaligned
      {"c.f16", torch::randn({2, 3}).to(torch::kHalf)},
      {"d.f64", torch::randn({2}, torch::kDouble)},
      {"e.i64", torch::arange(-3, 3, torch::kLong)},
      {"f.i32", torch::arange(0, 4, torch::kInt).view({2, 2})},
      {"g.u8", torch::arange(0, 200, 50, torch::kByte)},
      {"h.bool", torch::tensor({true, false, true})},
      {"i.scalar", torch::tensor(2.5f)},
      {"j.empty", torch::empty({0, 4})},
      {"k.strided", torch::randn({4, 6}).t()},  // written contiguous
  };
  TempDir dir;
  std::string path = dir.Path("all.safetensors");
  ASSERT_TRUE(WriteSafetensors(path, tensors, {{"format", "pt"}, {"note", "x\"y"}}).ok());
  absl::StatusOr<SafetensorsFile> file = SafetensorsFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->metadata().at("note"), "x\"y");
  ASSERT_EQ(file->entries().size(), tensors.size());
  for (const auto& [name, tensor] : tensors) {
    absl::StatusOr<torch::Tensor> back = file->Tensor(name);
    ASSERT_TRUE(back.ok()) << name;
    EXPECT_EQ(back->scalar_type(), tensor.scalar_type()) << name;
    EXPECT_TRUE(torch::equal(*back, tensor)) << name;
  }
  // Header: 8-byte aligned data, "__metadata__" first, tensors in name order.
  std::string bytes = ReadBytes(path);
  uint64_t header_length;
  std::memcpy(&header_length, bytes.data(), 8);
  EXPECT_EQ(header_length % 8, 0u);
  EXPECT_EQ(bytes.substr(8, 17), "{\"__metadata__\":{");
  EXPECT_EQ(file->entries().front().begin, 0u);
  // Reading back and writing again reproduces the file.
  std::string again = dir.Path("again.safetensors");
  ASSERT_TRUE(WriteSafetensors(again, file->Tensors(), file->metadata()).ok());
  EXPECT_TRUE(ReadBytes(again) == bytes);
}

TEST(SafetensorsTest, ViewsKeepTheMappingAlive) {
  TempDir dir;
  std::string path = dir.Path("w.safetensors");
  ASSERT_TRUE(WriteSafetensors(path, {{"w", torch::arange(16, torch::kFloat)}}).ok());
  torch::Tensor view;
  {
    absl::StatusOr<SafetensorsFile> file = SafetensorsFile::Open(path);
    ASSERT_TRUE(file.ok());
    view = *file->Tensor("w");
  }  // the file object is gone; the view still reads the mapping
  EXPECT_EQ(view[15].item<float>(), 15.0f);
}

TEST(SafetensorsTest, RefusesMissingFile) {
  absl::StatusOr<SafetensorsFile> file = SafetensorsFile::Open("/nonexistent/x.safetensors");
  EXPECT_EQ(file.status().code(), absl::StatusCode::kNotFound);
}

TEST(SafetensorsTest, RefusesFileShorterThanHeaderLength) {
  EXPECT_THAT(OpenError("abc"), HasSubstr("shorter than the 8-byte header length"));
}

TEST(SafetensorsTest, RefusesHeaderLengthPastEndOfFile) {
  EXPECT_THAT(OpenError(FileBytes("{}", "", 1000)),
              HasSubstr("header length 1000 runs past the end of the file (10 bytes)"));
  EXPECT_THAT(OpenError(FileBytes("{}", "", UINT64_MAX - 1)),
              HasSubstr("runs past the end of the file"));
}

TEST(SafetensorsTest, RefusesHeaderLengthOverTheLimit) {
  // A sparse file big enough to hold the claimed header, so only the limit refuses it.
  TempDir dir;
  std::string path = dir.WriteFile("big.safetensors", FileBytes("{}", "", 100'000'008));
  ASSERT_EQ(::truncate(path.c_str(), 100'000'016), 0);
  absl::StatusOr<SafetensorsFile> file = SafetensorsFile::Open(path);
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(file.status().message()),
              HasSubstr("header length 100000008 exceeds the limit of 100000000 bytes"));
}

TEST(SafetensorsTest, RefusesJsonError) {
  EXPECT_THAT(OpenError(FileBytes("{\"a\": {\"dtype\": ")), HasSubstr("header JSON error"));
}

TEST(SafetensorsTest, RefusesNonObjectHeader) {
  EXPECT_THAT(OpenError(FileBytes("[1, 2]  ")), HasSubstr("header is not a JSON object"));
}

TEST(SafetensorsTest, RefusesUnknownDtype) {
  std::string header = R"({"w":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}})";
  EXPECT_THAT(OpenError(FileBytes(header, "ab")),
              HasSubstr("tensor \"w\": unknown dtype \"F8_E4M3\""));
}

TEST(SafetensorsTest, RefusesShapeThatDoesNotMatchTheOffsets) {
  std::string header = R"({"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}})";
  EXPECT_THAT(OpenError(FileBytes(header, std::string(24, '\0'))),
              HasSubstr("tensor \"w\": shape [2, 3] of F32 needs 24 bytes but data_offsets "
                        "span 20"));
}

TEST(SafetensorsTest, RefusesShapeThatOverflows) {
  std::string header =
      R"({"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}})";
  EXPECT_THAT(OpenError(FileBytes(header)), HasSubstr("shape overflows 64 bits"));
}

TEST(SafetensorsTest, RefusesNegativeDimension) {
  std::string header = R"({"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})";
  EXPECT_THAT(OpenError(FileBytes(header, "abcd")),
              HasSubstr("\"shape\" missing or not an array of non-negative ints"));
}

TEST(SafetensorsTest, RefusesMissingDataOffsets) {
  std::string header = R"({"w":{"dtype":"F32","shape":[1]}})";
  EXPECT_THAT(OpenError(FileBytes(header, "abcd")),
              HasSubstr("\"data_offsets\" missing or not [begin, end]"));
}

TEST(SafetensorsTest, RefusesReversedOffsets) {
  std::string header = R"({"w":{"dtype":"U8","shape":[0],"data_offsets":[4,0]}})";
  EXPECT_THAT(OpenError(FileBytes(header, "abcd")),
              HasSubstr("data_offsets [4, 0] end before they begin"));
}

TEST(SafetensorsTest, RefusesOverlappingOffsets) {
  std::string header = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                       R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})";
  EXPECT_THAT(OpenError(FileBytes(header, std::string(12, '\0'))),
              HasSubstr("tensors \"a\" [0, 8) and \"b\" [4, 12) overlap"));
}

TEST(SafetensorsTest, RefusesOffsetsPastTheData) {
  std::string header = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                       R"("b":{"dtype":"F32","shape":[1],"data_offsets":[1000,1004]}})";
  EXPECT_THAT(OpenError(FileBytes(header, std::string(8, '\0'))),
              HasSubstr("tensor \"b\" data_offsets [1000, 1004) run past the end of the data "
                        "section (8 bytes)"));
}

TEST(SafetensorsTest, RefusesTruncatedData) {
  TempDir dir;
  std::string path = dir.Path("full.safetensors");
  ASSERT_TRUE(WriteSafetensors(path, {{"w", torch::ones({64})}}).ok());
  std::string bytes = ReadBytes(path);
  EXPECT_THAT(OpenError(bytes.substr(0, bytes.size() - 1)),
              HasSubstr("run past the end of the data section (255 bytes): file truncated?"));
}

TEST(SafetensorsTest, RefusesDuplicateTensorNames) {
  std::string header = R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},)"
                       R"("a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}})";
  EXPECT_THAT(OpenError(FileBytes(header, "xy")), HasSubstr("tensor \"a\" appears twice"));
}

TEST(SafetensorsTest, RefusesNonStringMetadata) {
  std::string header = R"({"__metadata__":{"format":1}})";
  EXPECT_THAT(OpenError(FileBytes(header)),
              HasSubstr("\"__metadata__\" value \"format\" is not a string"));
}

TEST(SafetensorsTest, RefusesEntryThatIsNotAnObject) {
  EXPECT_THAT(OpenError(FileBytes(R"({"w":[1,2]})")), HasSubstr("tensor \"w\" is not an object"));
}

TEST(SafetensorsTest, WritingRefusesDtypesSafetensorsLacks) {
  TempDir dir;
  absl::Status status = WriteSafetensors(
      dir.Path("c.safetensors"), {{"c", torch::zeros({2}, torch::kComplexFloat)}});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("tensor \"c\" has dtype ComplexFloat"));
}

}  // namespace
}  // namespace zerorl::model
