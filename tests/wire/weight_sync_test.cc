#include "wire/weight_sync.h"

#include <algorithm>
#include <random>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace zerorl::wire {
namespace {

using ::testing::HasSubstr;
using ::zerorl::testing::IsOk;
using ::zerorl::testing::StatusIs;

NamedTensor Tensor(const std::string& name, config::DType dtype, std::vector<int64_t> shape,
                   uint8_t seed) {
  size_t bytes = DTypeSize(dtype);
  for (int64_t d : shape) bytes *= static_cast<size_t>(d);
  std::string data(bytes, '\0');
  for (size_t i = 0; i < bytes; ++i) data[i] = static_cast<char>(seed + i * 31);
  return NamedTensor{name, dtype, std::move(shape), Frame::FromString(std::move(data))};
}

// Three small tensors and one that spans several 64-byte chunks.
std::vector<NamedTensor> Model() {
  return {Tensor("embed", config::DType::kBFloat16, {10, 8}, 1),  // 160 bytes: cut into 3
          Tensor("norm", config::DType::kFloat32, {4}, 2),        // 16 bytes
          Tensor("empty", config::DType::kFloat16, {0, 3}, 3),    // 0 bytes
          Tensor("head", config::DType::kFloat32, {2, 6}, 4)};    // 48 bytes
}

absl::StatusOr<std::vector<ReceivedTensor>> Assemble(const std::vector<WeightUpdate>& chunks) {
  WeightAssembler assembler;
  for (size_t i = 0; i < chunks.size(); ++i) {
    absl::StatusOr<bool> complete = assembler.Add(chunks[i]);
    if (!complete.ok()) return complete.status();
    EXPECT_EQ(*complete, i + 1 == chunks.size());
  }
  return assembler.Take();
}

void ExpectSameTensors(const std::vector<NamedTensor>& a, const std::vector<ReceivedTensor>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].name, b[i].name);
    EXPECT_EQ(a[i].dtype, b[i].dtype);
    EXPECT_EQ(a[i].shape, b[i].shape);
    EXPECT_EQ(a[i].data.size(), b[i].bytes);
    EXPECT_EQ(a[i].data.view(), b[i].Contiguous().view()) << a[i].name;
    std::string copy(b[i].bytes, '?');
    b[i].CopyTo(copy.data());
    EXPECT_EQ(a[i].data.view(), copy) << a[i].name;
  }
}

TEST(WeightSyncTest, SplitCutsOnlyTensorsBiggerThanAChunk) {
  absl::StatusOr<std::vector<WeightUpdate>> chunks = SplitWeights(3, Model(), 64);
  ASSERT_THAT(chunks, IsOk());
  // embed: 64 + 64 + 32; norm joins embed's last chunk; empty too; head (48) needs a new one.
  ASSERT_EQ(chunks->size(), 4u);
  for (size_t i = 0; i < chunks->size(); ++i) {
    EXPECT_EQ((*chunks)[i].version, 3);
    EXPECT_EQ((*chunks)[i].chunk_index, i);
    EXPECT_EQ((*chunks)[i].chunk_count, 4u);
  }
  EXPECT_EQ((*chunks)[2].pieces.size(), 3u);
  EXPECT_EQ((*chunks)[2].pieces[0].offset, 128u);
  EXPECT_EQ((*chunks)[3].pieces[0].name, "head");
}

TEST(WeightSyncTest, SplitBorrowsTheTensorsMemory) {
  std::vector<NamedTensor> model = Model();
  absl::StatusOr<std::vector<WeightUpdate>> chunks = SplitWeights(0, model, 64);
  ASSERT_THAT(chunks, IsOk());
  EXPECT_EQ((*chunks)[1].pieces[0].data.data(), model[0].data.data() + 64);
}

TEST(WeightSyncTest, TakeKeepsThePiecesWithoutCopying) {
  std::vector<NamedTensor> model = Model();
  absl::StatusOr<std::vector<WeightUpdate>> chunks = SplitWeights(1, model, 64);
  ASSERT_THAT(chunks, IsOk());
  absl::StatusOr<std::vector<ReceivedTensor>> back = Assemble(*chunks);
  ASSERT_THAT(back, IsOk());
  const ReceivedTensor& embed = (*back)[0];
  ASSERT_EQ(embed.pieces.size(), 3u);
  EXPECT_EQ(embed.pieces[1].first, 64u);
  EXPECT_EQ(embed.pieces[1].second.data(), model[0].data.data() + 64);
}

TEST(WeightSyncTest, AssemblesChunksInAnyOrder) {
  std::vector<NamedTensor> model = Model();
  absl::StatusOr<std::vector<WeightUpdate>> chunks = SplitWeights(1, model, 64);
  ASSERT_THAT(chunks, IsOk());
  std::mt19937 rng(3);
  for (int trial = 0; trial < 5; ++trial) {
    std::shuffle(chunks->begin(), chunks->end(), rng);
    absl::StatusOr<std::vector<ReceivedTensor>> back = Assemble(*chunks);
    ASSERT_THAT(back, IsOk());
    ExpectSameTensors(model, *back);
  }
}

TEST(WeightSyncTest, WholeTensorsComeBackWithoutCopies) {
  std::vector<NamedTensor> model = Model();
  absl::StatusOr<std::vector<WeightUpdate>> chunks = SplitWeights(1, model, 1 << 20);
  ASSERT_THAT(chunks, IsOk());
  ASSERT_EQ(chunks->size(), 1u);
  absl::StatusOr<std::vector<ReceivedTensor>> back = Assemble(*chunks);
  ASSERT_THAT(back, IsOk());
  ASSERT_EQ((*back)[0].pieces.size(), 1u);
  EXPECT_EQ((*back)[0].Contiguous().data(), model[0].data.data());
}

TEST(WeightSyncTest, NoTensorsStillAnnounceTheVersion) {
  absl::StatusOr<std::vector<WeightUpdate>> chunks = SplitWeights(9, {});
  ASSERT_THAT(chunks, IsOk());
  ASSERT_EQ(chunks->size(), 1u);
  absl::StatusOr<std::vector<ReceivedTensor>> back = Assemble(*chunks);
  ASSERT_THAT(back, IsOk());
  EXPECT_TRUE(back->empty());
}

TEST(WeightSyncTest, SplitRefusesDataThatDoesNotMatchTheShape) {
  NamedTensor t = Tensor("w", config::DType::kFloat32, {3}, 0);
  t.shape = {4};
  absl::StatusOr<std::vector<WeightUpdate>> chunks = SplitWeights(0, {t});
  ASSERT_THAT(chunks, StatusIs(absl::StatusCode::kInvalidArgument,
                               "tensor 'w': shape and dtype make 16 bytes, data has 12"));
}

TEST(WeightSyncTest, SplitRefusesRepeatedNames) {
  NamedTensor t = Tensor("w", config::DType::kFloat32, {3}, 0);
  absl::StatusOr<std::vector<WeightUpdate>> chunks = SplitWeights(0, {t, t});
  ASSERT_THAT(chunks, StatusIs(absl::StatusCode::kInvalidArgument,
                               "tensor name 'w' is empty, too long or repeated"));
}

TEST(WeightSyncTest, SplitRefusesTinyChunks) {
  absl::StatusOr<std::vector<WeightUpdate>> chunks = SplitWeights(0, Model(), 3);
  ASSERT_THAT(chunks, StatusIs(absl::StatusCode::kInvalidArgument, "chunk_bytes must be >= 4"));
}

TEST(WeightSyncTest, RepeatedChunkIsIgnored) {
  absl::StatusOr<std::vector<WeightUpdate>> chunks = SplitWeights(1, Model(), 64);
  ASSERT_THAT(chunks, IsOk());
  WeightAssembler assembler;
  ASSERT_EQ(*assembler.Add((*chunks)[0]), false);
  ASSERT_EQ(*assembler.Add((*chunks)[0]), false);
  EXPECT_EQ(assembler.chunks_received(), 1u);
}

TEST(WeightSyncTest, StaleVersionIsIgnoredAndNewerOneWins) {
  absl::StatusOr<std::vector<WeightUpdate>> v1 = SplitWeights(1, Model(), 64);
  absl::StatusOr<std::vector<WeightUpdate>> v2 = SplitWeights(2, Model(), 64);
  ASSERT_THAT(v1, IsOk());
  ASSERT_THAT(v2, IsOk());
  WeightAssembler assembler;
  ASSERT_THAT(assembler.Add((*v1)[0]), IsOk());
  ASSERT_THAT(assembler.Add((*v2)[0]), IsOk());  // discards the incomplete version 1
  EXPECT_EQ(assembler.version(), 2);
  EXPECT_EQ(*assembler.Add((*v1)[1]), false);  // stale
  EXPECT_EQ(assembler.chunks_received(), 1u);
  for (size_t i = 1; i < v2->size(); ++i) ASSERT_THAT(assembler.Add((*v2)[i]), IsOk());
  EXPECT_TRUE(assembler.complete());
}

TEST(WeightSyncTest, ChangedChunkCountIsAnError) {
  absl::StatusOr<std::vector<WeightUpdate>> chunks = SplitWeights(1, Model(), 64);
  ASSERT_THAT(chunks, IsOk());
  WeightAssembler assembler;
  ASSERT_THAT(assembler.Add((*chunks)[0]), IsOk());
  WeightUpdate odd = (*chunks)[1];
  odd.chunk_count = 5;
  absl::StatusOr<bool> added = assembler.Add(odd);
  ASSERT_THAT(added, StatusIs(absl::StatusCode::kInvalidArgument,
                              "weight version 1: chunk 1 of 5 does not fit version 1 "
                              "announced with 4 chunks"));
  EXPECT_EQ(assembler.version(), kNoPolicyVersion);  // dropped
}

TEST(WeightSyncTest, ShapeChangeBetweenPiecesIsAnError) {
  absl::StatusOr<std::vector<WeightUpdate>> chunks = SplitWeights(1, Model(), 64);
  ASSERT_THAT(chunks, IsOk());
  WeightAssembler assembler;
  ASSERT_THAT(assembler.Add((*chunks)[0]), IsOk());
  WeightUpdate odd = (*chunks)[1];
  odd.pieces[0].shape = {8, 10};
  absl::StatusOr<bool> added = assembler.Add(odd);
  ASSERT_THAT(added, StatusIs(absl::StatusCode::kInvalidArgument,
                              "weight version 1: tensor 'embed': bf16 [8, 10] here, "
                              "bf16 [10, 8] in an earlier piece"));
}

TEST(WeightSyncTest, OverlappingPiecesAreAnError) {
  absl::StatusOr<std::vector<WeightUpdate>> chunks = SplitWeights(1, Model(), 64);
  ASSERT_THAT(chunks, IsOk());
  WeightAssembler assembler;
  ASSERT_THAT(assembler.Add((*chunks)[0]), IsOk());
  WeightUpdate odd = (*chunks)[1];
  odd.pieces[0].offset = 32;
  absl::StatusOr<bool> added = assembler.Add(odd);
  ASSERT_THAT(
      added,
      StatusIs(absl::StatusCode::kInvalidArgument,
               "weight version 1: tensor 'embed': piece at byte 32 overlaps one received before"));
}

TEST(WeightSyncTest, UncoveredBytesAreAnErrorOnceAllChunksAreIn) {
  absl::StatusOr<std::vector<WeightUpdate>> chunks = SplitWeights(1, Model(), 64);
  ASSERT_THAT(chunks, IsOk());
  (*chunks)[1].pieces.clear();  // embed's bytes [64, 128) never arrive
  WeightAssembler assembler;
  absl::Status status = absl::OkStatus();
  for (const WeightUpdate& chunk : *chunks) {
    absl::StatusOr<bool> added = assembler.Add(chunk);
    if (!added.ok()) status = added.status();
  }
  EXPECT_THAT(
      status,
      StatusIs(
          absl::StatusCode::kInvalidArgument,
          "weight version 1: tensor 'embed': all 4 chunks are in but only 96 of its 160 bytes"));
}

TEST(WeightSyncTest, TakeBeforeCompleteFails) {
  absl::StatusOr<std::vector<WeightUpdate>> chunks = SplitWeights(1, Model(), 64);
  ASSERT_THAT(chunks, IsOk());
  WeightAssembler assembler;
  ASSERT_THAT(assembler.Add((*chunks)[0]), IsOk());
  absl::StatusOr<std::vector<ReceivedTensor>> taken = assembler.Take();
  ASSERT_THAT(taken, StatusIs(absl::StatusCode::kFailedPrecondition,
                              "weight version 1 is incomplete: 1 of 4 chunks"));
}

TEST(WeightSyncTest, ChunksSurviveTheWire) {
  std::vector<NamedTensor> model = Model();
  absl::StatusOr<std::vector<WeightUpdate>> chunks = SplitWeights(4, model, 64);
  ASSERT_THAT(chunks, IsOk());
  WeightAssembler assembler;
  for (const WeightUpdate& chunk : *chunks) {
    absl::StatusOr<Frames> frames = Encode(chunk);
    ASSERT_THAT(frames, IsOk());
    absl::StatusOr<WeightUpdate> back = DecodeAs<WeightUpdate>(*frames);
    ASSERT_THAT(back, IsOk());
    ASSERT_THAT(assembler.Add(*back), IsOk());
  }
  absl::StatusOr<std::vector<ReceivedTensor>> tensors = assembler.Take();
  ASSERT_THAT(tensors, IsOk());
  ExpectSameTensors(model, *tensors);
}

}  // namespace
}  // namespace zerorl::wire
