#include "wire/messages.h"

#include <cmath>
#include <limits>

#include "core/json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/wire/message_testing.h"

namespace zerorl::wire {
namespace {

using testing::Difference;
using testing::EditHeader;
using ::testing::HasSubstr;
using testing::WithHeader;
using ::zerorl::testing::IsOk;
using ::zerorl::testing::StatusIs;

Frames MustEncode(const Message& m) {
  absl::StatusOr<Frames> frames = Encode(m);
  EXPECT_THAT(frames, IsOk());
  return frames.ok() ? *frames : Frames{};
}

void ExpectRoundTrip(const Message& m) {
  absl::StatusOr<Message> back = Decode(MustEncode(m));
  ASSERT_THAT(back, IsOk());
  EXPECT_EQ(Difference(m, *back), "");
}

// The error of decoding `frames`, which must fail with `code`.
std::string DecodeError(const Frames& frames,
                        absl::StatusCode code = absl::StatusCode::kInvalidArgument) {
  absl::StatusOr<Message> m = Decode(frames);
  EXPECT_THAT(m, StatusIs(code));
  return std::string(m.status().message());
}

TEST(MessagesTest, EveryTypeRoundTrips) {
  for (const Message& m : testing::ExampleMessages()) {
    SCOPED_TRACE(MessageTypeName(TypeOf(m)));
    ExpectRoundTrip(m);
  }
}

TEST(MessagesTest, EmptyBatchesRoundTrip) {
  ExpectRoundTrip(PromptBatch{});
  ExpectRoundTrip(Rollouts{});
  ExpectRoundTrip(ScoredGroups{});
  ExpectRoundTrip(WeightUpdate{});
  ExpectRoundTrip(Metrics{});
  ExpectRoundTrip(Shutdown{});
  ScoredGroups no_functions;
  no_functions.completions.push_back({3, 1, 0.5, {}});
  ExpectRoundTrip(no_functions);
}

TEST(MessagesTest, ExtremeValuesRoundTrip) {
  Heartbeat h{std::numeric_limits<int64_t>::max()};
  ExpectRoundTrip(h);
  Rollouts r;
  r.batch_id = std::numeric_limits<uint64_t>::max();
  r.completions.push_back(
      {std::numeric_limits<uint64_t>::max(),
       std::numeric_limits<int32_t>::max(),
       std::numeric_limits<int64_t>::max(),
       FinishReason::kLength,
       {std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max()},
       {-std::numeric_limits<float>::infinity(), std::nanf("")},
       std::string(1 << 20, 'x')});
  ExpectRoundTrip(r);
  WeightUpdate w;
  w.chunk_index = kMaxWeightChunks - 1;
  w.chunk_count = kMaxWeightChunks;
  w.pieces.push_back({"empty", config::DType::kFloat32, {0, 4096}, 0, Frame()});
  ExpectRoundTrip(w);
}

TEST(MessagesTest, CountsAtTheLimitsRoundTrip) {
  ScoredGroups s;
  for (size_t i = 0; i < kMaxRewardFunctions; ++i) s.functions.push_back("f" + std::to_string(i));
  s.completions.resize(2);
  for (ScoredCompletion& c : s.completions) c.scores.resize(kMaxRewardFunctions);
  ExpectRoundTrip(s);
  Metrics m;
  for (size_t i = 0; i < kMaxMapEntries; ++i) m.values["m" + std::to_string(i)] = i * 0.5;
  ExpectRoundTrip(m);
  PromptBatch p;
  p.sampling.stop.assign(256, "</answer>");
  ExpectRoundTrip(p);
  m.values["one too many"] = 1;
  EXPECT_THAT(Encode(m), StatusIs(absl::StatusCode::kInvalidArgument,
                                  "encoding Metrics: 65537 values, over the limit of 65536"));
}

TEST(MessagesTest, HeaderIsJsonWithVersionTypeAndFrameSizes) {
  Frames frames = MustEncode(testing::ExampleRollouts());
  ASSERT_EQ(frames.size(), 6u);
  absl::StatusOr<rapidjson::Document> header = core::ParseJson(frames[0].view());
  ASSERT_THAT(header, IsOk());
  EXPECT_EQ((*header)["protocol"].GetUint(), kProtocolVersion);
  EXPECT_STREQ((*header)["type"].GetString(), "Rollouts");
  const rapidjson::Value& sizes = (*header)["frame_bytes"];
  ASSERT_EQ(sizes.Size(), 5u);
  EXPECT_EQ(sizes[0].GetUint64(), (3 + 1 + 0) * sizeof(int32_t));  // completion tokens
  EXPECT_EQ(sizes[1].GetUint64(), (3 + 1 + 0) * sizeof(float));    // log-probs
}

TEST(MessagesTest, WeightPiecesTravelWithoutCopies) {
  WeightUpdate m = testing::ExampleWeightUpdate();
  Frames frames = MustEncode(m);
  ASSERT_EQ(frames.size(), 4u);
  EXPECT_EQ(frames[1].data(), m.pieces[0].data.data());  // encode borrows
  absl::StatusOr<WeightUpdate> back = DecodeAs<WeightUpdate>(frames);
  ASSERT_THAT(back, IsOk());
  EXPECT_EQ(back->pieces[1].data.data(), frames[2].data());  // decode borrows
}

TEST(MessagesTest, EmptyMessageIsRefused) {
  EXPECT_EQ(DecodeError({}), "empty message (no frames)");
}

TEST(MessagesTest, HeaderThatIsNotJsonIsRefused) {
  EXPECT_THAT(DecodeError({Frame::FromString("\x01\x02garbage")}),
              HasSubstr("header: not JSON (Invalid value. at byte 0)"));
}

TEST(MessagesTest, HeaderThatIsNotAnObjectIsRefused) {
  EXPECT_EQ(DecodeError({Frame::FromString("[1,2]")}),
            "header: must be a JSON object, got an array");
}

TEST(MessagesTest, HeaderWithoutProtocolIsRefused) {
  EXPECT_EQ(DecodeError({Frame::FromString(R"({"type":"Heartbeat"})")}),
            "header: no \"protocol\" version (not a zerorl peer?)");
}

TEST(MessagesTest, OtherProtocolVersionIsRefusedNamingBoth) {
  Frames frames = EditHeader(MustEncode(Heartbeat{}), [](rapidjson::Document& d) {
    d["protocol"].SetUint(kProtocolVersion + 1);
  });
  EXPECT_EQ(DecodeError(frames, absl::StatusCode::kFailedPrecondition),
            "peer speaks zerorl protocol version 2, this process speaks version 1: run the "
            "same zerorl build on every node");
}

TEST(MessagesTest, UnknownTypeIsRefused) {
  Frames frames = EditHeader(MustEncode(Heartbeat{}),
                             [](rapidjson::Document& d) { d["type"].SetString("Goodbye"); });
  EXPECT_EQ(DecodeError(frames), "header: unknown message type 'Goodbye'");
}

TEST(MessagesTest, MissingFrameIsRefused) {
  Frames frames = MustEncode(testing::ExamplePromptBatch());
  frames.pop_back();
  EXPECT_EQ(DecodeError(frames),
            "header: frame_bytes lists 2 frames after the header, the message has 1 (truncated?)");
}

TEST(MessagesTest, TruncatedFrameIsRefused) {
  Frames frames = MustEncode(testing::ExamplePromptBatch());
  frames[1] = Frame::Copy(frames[1].data(), frames[1].size() - 3);
  EXPECT_EQ(DecodeError(frames), "header: frame 1 has 25 bytes, frame_bytes says 28");
}

TEST(MessagesTest, LyingTokenCountIsRefused) {
  Frames frames = EditHeader(MustEncode(testing::ExamplePromptBatch()), [](rapidjson::Document& d) {
    d["prompts"][0]["tokens"].SetUint64(5);
  });
  EXPECT_EQ(DecodeError(frames),
            "PromptBatch: prompts: token frame: the header's lengths add up "
            "to 8 x 4 bytes, the frame has 28");
}

TEST(MessagesTest, OverflowingLengthsAreRefused) {
  Frames frames = EditHeader(MustEncode(testing::ExampleRollouts()), [](rapidjson::Document& d) {
    d["completions"][0]["text_bytes"].SetUint64(std::numeric_limits<uint64_t>::max());
  });
  EXPECT_EQ(DecodeError(frames),
            "Rollouts: completions: text frame: the header's lengths overflow 64 bits");
}

TEST(MessagesTest, LengthTimesElementSizeOverflowIsRefused) {
  Frames frames = EditHeader(MustEncode(testing::ExampleRollouts()), [](rapidjson::Document& d) {
    d["completions"][0]["tokens"].SetUint64(uint64_t{1} << 62);
  });
  EXPECT_THAT(DecodeError(frames),
              HasSubstr("Rollouts: completions: token frame: the header's "
                        "lengths add up to 4611686018427387905 x 4 bytes, the frame has 16"));
}

TEST(MessagesTest, UnknownKeyIsRefused) {
  Frames frames = EditHeader(MustEncode(testing::ExampleHello()), [](rapidjson::Document& d) {
    d.AddMember("extra", 1, d.GetAllocator());
  });
  EXPECT_EQ(DecodeError(frames), "Hello: unknown key 'extra'");
}

TEST(MessagesTest, RepeatedKeyIsRefused) {
  std::string header = std::string(MustEncode(Heartbeat{3})[0].view());
  header.insert(1, "\"policy_version\":4,");
  EXPECT_EQ(DecodeError({Frame::FromString(header)}),
            "Heartbeat: key 'policy_version' appears more than once");
}

TEST(MessagesTest, MissingKeyIsRefused) {
  Frames frames = EditHeader(MustEncode(testing::ExampleHello()),
                             [](rapidjson::Document& d) { d.RemoveMember("worker_id"); });
  EXPECT_EQ(DecodeError(frames), "Hello: worker_id: missing");
}

TEST(MessagesTest, WrongFieldTypeIsRefused) {
  Frames frames = EditHeader(MustEncode(Heartbeat{}), [](rapidjson::Document& d) {
    d["policy_version"].SetString("three");
  });
  EXPECT_EQ(DecodeError(frames),
            "Heartbeat: policy_version: must be an integer in "
            "[-1, 9223372036854775807], got a string");
}

TEST(MessagesTest, FractionalIdIsRefused) {
  Frames frames = EditHeader(MustEncode(testing::ExampleRollouts()), [](rapidjson::Document& d) {
    d["completions"][1]["prompt_id"].SetDouble(1.5);
  });
  EXPECT_EQ(DecodeError(frames),
            "Rollouts: completions[1].prompt_id: must be an integer in "
            "[0, 18446744073709551615], got 1.5");
}

TEST(MessagesTest, ExtraFrameForTheTypeIsRefused) {
  Frames frames = MustEncode(Heartbeat{});
  frames.push_back(Frame::FromString("x"));
  frames = EditHeader(
      frames, [](rapidjson::Document& d) { d["frame_bytes"].PushBack(1, d.GetAllocator()); });
  EXPECT_EQ(DecodeError(frames), "Heartbeat: message: has 2 frames, expected 1");
}

TEST(MessagesTest, UnknownFinishReasonIsRefused) {
  Frames frames = EditHeader(MustEncode(testing::ExampleRollouts()), [](rapidjson::Document& d) {
    d["completions"][2]["finish_reason"].SetString("tired");
  });
  EXPECT_EQ(DecodeError(frames),
            "Rollouts: completions[2].finish_reason: must be \"stop\", "
            "\"length\" or \"abort\"");
}

TEST(MessagesTest, UnknownScoreMarkIsRefused) {
  Frames frames = MustEncode(testing::ExampleScoredGroups());
  std::string marks(frames[3].view());
  marks[4] = 9;
  frames[3] = Frame::FromString(marks);
  EXPECT_EQ(DecodeError(frames),
            "ScoredGroups: completions[1].scores[1]: mark 9 is not 0 (ok), "
            "1 (not applicable) or 2 (error)");
}

TEST(MessagesTest, DetailLengthsMustMatchFunctions) {
  Frames frames =
      EditHeader(MustEncode(testing::ExampleScoredGroups()),
                 [](rapidjson::Document& d) { d["completions"][0]["detail_bytes"].PopBack(); });
  EXPECT_EQ(DecodeError(frames),
            "ScoredGroups: completions[0].detail_bytes: has 2 entries for 3 functions");
}

TEST(MessagesTest, CorruptWeightBytesAreDataLoss) {
  Frames frames = MustEncode(testing::ExampleWeightUpdate());
  std::string bytes(frames[2].view());
  bytes[7] ^= 0x10;
  frames[2] = Frame::FromString(bytes);
  EXPECT_THAT(DecodeError(frames, absl::StatusCode::kDataLoss),
              HasSubstr("WeightUpdate: pieces[1] ('model.norm.weight' at byte 20): CRC-32C "
                        "mismatch"));
}

TEST(MessagesTest, WeightPiecePastTheTensorIsRefused) {
  Frames frames =
      EditHeader(MustEncode(testing::ExampleWeightUpdate()),
                 [](rapidjson::Document& d) { d["pieces"][1]["offset"].SetUint64(24); });
  EXPECT_EQ(DecodeError(frames),
            "WeightUpdate: pieces[1].offset: bytes [24, +20) run past the "
            "tensor's 40 bytes");
}

TEST(MessagesTest, WeightOffsetBeyondTheTensorIsRefused) {
  Frames frames =
      EditHeader(MustEncode(testing::ExampleWeightUpdate()), [](rapidjson::Document& d) {
        d["pieces"][1]["offset"].SetUint64(std::numeric_limits<uint64_t>::max());
      });
  EXPECT_EQ(DecodeError(frames),
            "WeightUpdate: pieces[1].offset: must be an integer in [0, 40], "
            "got 18446744073709551615");
}

TEST(MessagesTest, WeightShapeOverflowIsRefused) {
  Frames frames =
      EditHeader(MustEncode(testing::ExampleWeightUpdate()), [](rapidjson::Document& d) {
        rapidjson::Value& shape = d["pieces"][0]["shape"];
        shape[0].SetInt64(int64_t{1} << 40);
        shape[1].SetInt64(int64_t{1} << 40);
      });
  EXPECT_EQ(DecodeError(frames),
            "WeightUpdate: pieces[0].shape: tensor is over the limit of 1099511627776 bytes");
}

TEST(MessagesTest, MisalignedWeightPieceIsRefused) {
  Frames frames = EditHeader(MustEncode(testing::ExampleWeightUpdate()),
                             [](rapidjson::Document& d) { d["pieces"][1]["offset"].SetUint64(2); });
  EXPECT_EQ(DecodeError(frames),
            "WeightUpdate: pieces[1].offset: offset 2 and size 20 must be "
            "multiples of 4 (fp32)");
}

TEST(MessagesTest, UnknownDTypeIsRefused) {
  Frames frames =
      EditHeader(MustEncode(testing::ExampleWeightUpdate()),
                 [](rapidjson::Document& d) { d["pieces"][2]["dtype"].SetString("int8"); });
  EXPECT_EQ(DecodeError(frames),
            "WeightUpdate: pieces[2].dtype: must be \"bf16\", \"fp32\" or \"fp16\"");
}

TEST(MessagesTest, ChunkIndexBeyondCountIsRefused) {
  Frames frames = EditHeader(MustEncode(testing::ExampleWeightUpdate()),
                             [](rapidjson::Document& d) { d["chunk_index"].SetUint(3); });
  EXPECT_EQ(DecodeError(frames), "WeightUpdate: chunk_index: must be an integer in [0, 2], got 3");
}

TEST(MessagesTest, DeeplyNestedHeaderIsRefusedWithoutRecursion) {
  std::string header = "{\"protocol\":1,\"type\":\"Metrics\",\"frame_bytes\":[],\"values\":" +
                       std::string(1 << 20, '[') + std::string(1 << 20, ']') + "}";
  EXPECT_EQ(DecodeError({Frame::FromString(header)}),
            "Metrics: values: must be an object, got an array");
}

TEST(MessagesTest, SamplingOutOfRangeIsRefused) {
  Frames frames = EditHeader(MustEncode(testing::ExamplePromptBatch()),
                             [](rapidjson::Document& d) { d["sampling"]["n"].SetInt(0); });
  EXPECT_EQ(DecodeError(frames),
            "PromptBatch: sampling.n: must be an integer in [1, 1048576], got 0");
}

TEST(MessagesTest, MapValuesOfTheWrongTypeAreRefused) {
  Frames frames = EditHeader(MustEncode(testing::ExampleMetrics()), [](rapidjson::Document& d) {
    d["values"]["rollout/tokens_per_s"].SetString("fast");
  });
  EXPECT_EQ(DecodeError(frames), "Metrics: values.'rollout/tokens_per_s': must be a number");
  std::string header = std::string(MustEncode(testing::ExampleHello())[0].view());
  header.replace(header.find("\"device\""), 8, "\"note\"");
  EXPECT_EQ(DecodeError({Frame::FromString(header)}),
            "Hello: capabilities.'note': appears more than once");
}

TEST(MessagesTest, DecodeAsNamesBothTypes) {
  absl::StatusOr<PromptBatch> m = DecodeAs<PromptBatch>(MustEncode(Shutdown{"bye"}));
  ASSERT_THAT(m, StatusIs(absl::StatusCode::kInvalidArgument,
                          "expected a PromptBatch message, got Shutdown"));
}

TEST(MessagesTest, EncodeRefusesNonUtf8HeaderStrings) {
  Hello hello = testing::ExampleHello();
  hello.hostname = "bad\xC3";
  absl::StatusOr<Frames> frames = Encode(hello);
  ASSERT_THAT(
      frames,
      StatusIs(absl::StatusCode::kInvalidArgument,
               "encoding Hello: hostname: not valid UTF-8 (send bytes in a frame instead)"));
}

TEST(MessagesTest, EncodeRefusesLogprobsThatDoNotMatchTokens) {
  Rollouts r = testing::ExampleRollouts();
  r.completions[1].logprobs.push_back(-1.0f);
  absl::StatusOr<Frames> frames = Encode(r);
  ASSERT_THAT(frames, StatusIs(absl::StatusCode::kInvalidArgument,
                               "encoding Rollouts: completions[1]: 2 log-probs for 1 tokens"));
}

TEST(MessagesTest, EncodeRefusesScoresThatDoNotMatchFunctions) {
  ScoredGroups s = testing::ExampleScoredGroups();
  s.completions[0].scores.pop_back();
  absl::StatusOr<Frames> frames = Encode(s);
  ASSERT_THAT(frames, StatusIs(absl::StatusCode::kInvalidArgument,
                               "encoding ScoredGroups: completions[0]: 2 scores for 3 functions"));
}

TEST(MessagesTest, EncodeRefusesCountsOverTheLimits) {
  ScoredGroups s;
  s.functions.resize(kMaxRewardFunctions + 1, "f");
  absl::StatusOr<Frames> frames = Encode(s);
  ASSERT_THAT(frames,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "encoding ScoredGroups: 257 reward functions, over the limit of 256"));
}

}  // namespace
}  // namespace zerorl::wire
