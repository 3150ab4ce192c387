// metrics/tensorboard.h: TFRecord framing, the hand-encoded Event protobuf, and MetricsSink's
// TensorBoard mirror, decoded by protoc (an independent decoder) and compared to the rows.
#include "metrics/tensorboard.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cmath>

#include "core/json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "metrics/sink.h"
#include "tests/dashboard/event_decode.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_support.h"

namespace zerorl::dashboard {
namespace {

using ::testing::HasSubstr;
using ::testing::Pair;
using testing::TempDir;
using ::zerorl::testing::IsOk;
using ::zerorl::testing::StatusIs;

std::string Bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}

#define REQUIRE_PROTOC()                                                                  \
  do {                                                                                    \
    if (::access(testing::kProtoc, X_OK) != 0) {                                          \
      GTEST_SKIP() << testing::kProtoc << " not found: apt-get install protobuf-compiler"; \
    }                                                                                     \
  } while (0)

TEST(TensorBoardTest, MaskedCrcOfKnownValues) {
  // Expected values from a bit-by-bit CRC-32C and the TFRecord mask, computed independently.
  EXPECT_EQ(metrics::MaskedCrc32c("", 0), 0xa282ead8u);
  EXPECT_EQ(metrics::MaskedCrc32c("123456789", 9), 0xc78ab0e5u);
  EXPECT_EQ(metrics::MaskedCrc32c(std::string(8, '\0').data(), 8), 0x07980329u);
}

TEST(TensorBoardTest, FrameIsLengthCrcDataCrc) {
  std::string record = metrics::FrameTfRecord("123456789");
  ASSERT_EQ(record.size(), 8u + 4u + 9u + 4u);
  EXPECT_EQ(record.substr(0, 8), Bytes({9, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(record.substr(8, 4), Bytes({0x37, 0xf9, 0x71, 0x39}));  // masked CRC of the length
  EXPECT_EQ(record.substr(12, 9), "123456789");
  EXPECT_EQ(record.substr(21, 4), Bytes({0xe5, 0xb0, 0x8a, 0xc7}));  // masked CRC of the data
}

TEST(TensorBoardTest, ScalarEventBytes) {
  std::string event = metrics::EncodeScalarEvent(1.0, 300, {{"a", 1.0f}});
  std::string expected = Bytes({0x09, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f,  // wall_time 1.0
                                0x10, 0xac, 0x02,                     // step 300
                                0x2a, 0x0a,                           // summary, 10 bytes
                                0x0a, 0x08,                           // value, 8 bytes
                                0x0a, 0x01, 'a',                      // tag "a"
                                0x15, 0, 0, 0x80, 0x3f});             // simple_value 1.0f
  EXPECT_EQ(event, expected);
}

TEST(TensorBoardTest, FileVersionEventBytes) {
  EXPECT_EQ(metrics::EncodeFileVersionEvent(0.0, "brain.Event:2"),
            Bytes({0x09, 0, 0, 0, 0, 0, 0, 0, 0, 0x1a, 13}) + "brain.Event:2");
}

TEST(TensorBoardTest, ProtocDecodesEncodedEvent) {
  REQUIRE_PROTOC();
  absl::StatusOr<testing::DecodedEvent> event =
      testing::DecodeEventWithProtoc(metrics::EncodeScalarEvent(
          1700000000.5, 7, {{"kl", 0.5f}, {"reward/mean", -1.25f}, {"lr", 1e-6f}}));
  ASSERT_THAT(event, IsOk());
  EXPECT_EQ(event->wall_time, 1700000000.5);
  EXPECT_EQ(event->step, 7);
  EXPECT_THAT(event->scalars,
              ::testing::ElementsAre(Pair("kl", 0.5f), Pair("reward/mean", -1.25f), Pair("lr", 1e-6f)));
}

TEST(TensorBoardTest, WriterNamesFileAndStartsWithFileVersion) {
  REQUIRE_PROTOC();
  TempDir dir;
  absl::StatusOr<std::unique_ptr<metrics::TensorBoardWriter>> writer =
      metrics::TensorBoardWriter::Open(dir.Path("run/tensorboard"));
  ASSERT_THAT(writer, IsOk());
  EXPECT_THAT((*writer)->path(), HasSubstr(dir.Path("run/tensorboard/events.out.tfevents.")));
  // A second writer in the same second gets its own file.
  absl::StatusOr<std::unique_ptr<metrics::TensorBoardWriter>> second =
      metrics::TensorBoardWriter::Open(dir.Path("run/tensorboard"));
  ASSERT_THAT(second, IsOk());
  EXPECT_NE((*second)->path(), (*writer)->path());
  ASSERT_THAT((*writer)->WriteScalars(2, {{"x", 3.0f}}), IsOk());
  absl::StatusOr<std::vector<std::string>> records = testing::ReadTfRecords((*writer)->path());
  ASSERT_THAT(records, IsOk());
  ASSERT_EQ(records->size(), 2u);
  absl::StatusOr<testing::DecodedEvent> first = testing::DecodeEventWithProtoc((*records)[0]);
  ASSERT_THAT(first, IsOk());
  EXPECT_EQ(first->file_version, "brain.Event:2");
  EXPECT_GT(first->wall_time, 1.6e9);
}

TEST(TensorBoardTest, OpenUnderAFileIsNotFound) {
  TempDir dir;
  std::string file = dir.WriteFile("plain", "x");
  absl::StatusOr<std::unique_ptr<metrics::TensorBoardWriter>> writer =
      metrics::TensorBoardWriter::Open(file + "/tb");
  ASSERT_THAT(writer, StatusIs(absl::StatusCode::kNotFound, HasSubstr(file)));
}

TEST(TensorBoardTest, CorruptRecordIsDataLoss) {
  TempDir dir;
  std::string record = metrics::FrameTfRecord(metrics::EncodeScalarEvent(1.0, 1, {{"a", 1.0f}}));
  record[14] ^= 1;
  absl::StatusOr<std::vector<std::string>> records =
      testing::ReadTfRecords(dir.WriteFile("events.out.tfevents.1.h", record));
  ASSERT_THAT(records, StatusIs(absl::StatusCode::kDataLoss, HasSubstr("data CRC mismatch")));
}

TEST(TensorBoardTest, MetricsSinkMirrorsNumbersOfEveryRow) {
  REQUIRE_PROTOC();
  TempDir dir;
  absl::StatusOr<std::unique_ptr<metrics::MetricsSink>> sink =
      metrics::MetricsSink::Open(dir.Path("metrics.jsonl"), metrics::MetricsSink::kTruncate);
  ASSERT_THAT(sink, IsOk());
  ASSERT_THAT((*sink)->EnableTensorBoard(dir.Path("tensorboard")), IsOk());
  metrics::MetricsRow sft, step1, step2, no_step;
  sft.Add("phase", "sft").Add("sft_step", 1).Add("sft/loss", 2.5);
  step1.Add("step", 1).Add("phase", "grpo").Add("reward/mean", 0.25).Add("kl", std::nan(""))
      .Add("entropy", 1.75).Add("loss", 0.0).Add("sft/loss", -0.0).Add("grad_norm", 0.123456789).Add("ok", true)
      .Add("completions/max_length", int64_t{512}).Add("tokens", size_t{1} << 40);
  step2.Add("step", 2).Add("phase", "eval").Add("eval/gsm8k/pass@1", 0.5);
  no_step.Add("reward/mean", 9.0);
  for (const metrics::MetricsRow* row : {&sft, &step1, &step2, &no_step}) {
    ASSERT_THAT((*sink)->Write(*row), IsOk());
  }
  absl::StatusOr<std::map<int64_t, std::map<std::string, float>>> scalars =
      testing::DecodeEventDir(dir.Path("tensorboard"));
  ASSERT_THAT(scalars, IsOk());
  std::map<int64_t, std::map<std::string, float>> expected = {
      {1, {{"sft/loss", -0.0f}, {"reward/mean", 0.25f}, {"entropy", 1.75f}, {"loss", 0.0f},
           {"grad_norm", 0.123456789f}, {"completions/max_length", 512.0f},
           {"tokens", static_cast<float>(size_t{1} << 40)}}},
      {2, {{"eval/gsm8k/pass@1", 0.5f}}}};
  EXPECT_EQ(*scalars, expected);
}

TEST(TensorBoardTest, EnableFailureLeavesSinkWorking) {
  TempDir dir;
  std::string file = dir.WriteFile("plain", "x");
  absl::StatusOr<std::unique_ptr<metrics::MetricsSink>> sink =
      metrics::MetricsSink::Open(dir.Path("metrics.jsonl"), metrics::MetricsSink::kTruncate);
  ASSERT_THAT(sink, IsOk());
  absl::Status enabled = (*sink)->EnableTensorBoard(file + "/tb");
  EXPECT_THAT(enabled, StatusIs(absl::StatusCode::kNotFound));
  metrics::MetricsRow row;
  row.Add("step", 1);
  EXPECT_THAT((*sink)->Write(row), IsOk());
  EXPECT_EQ(core::ReadFile(dir.Path("metrics.jsonl")).value(), "{\"step\":1}\n");
}

}  // namespace
}  // namespace zerorl::dashboard
