// Seeded fuzzing of the message decoder: random bytes, truncations, bit flips, numbers that
// lie, values of the wrong JSON type, other protocol versions, and headers spliced onto
// another message's frames. Decode() must never crash or read out of bounds (the
// sanitizer build runs this under ASan + UBSan), and whatever it accepts must survive
// Encode() and decode to the same message again.
//
// ZERORL_FUZZ_ITERATIONS (default 500 per mutator and type) and ZERORL_FUZZ_SEED (default 1)
// make longer or different runs: ZERORL_FUZZ_ITERATIONS=100000 core_test
// --gtest_filter='MessagesFuzz*'.
#include <algorithm>
#include <cstdlib>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/wire/message_testing.h"
#include "wire/messages.h"

namespace zerorl::wire {
namespace {

using ::testing::HasSubstr;
using ::zerorl::testing::IsOk;
using ::zerorl::testing::StatusIs;

int EnvInt(const char* name, int fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::atoi(value) : fallback;
}

class Fuzzer {
 public:
  explicit Fuzzer(uint32_t seed) : rng_(seed) {}

  size_t Below(size_t n) {
    return n == 0 ? 0 : std::uniform_int_distribution<size_t>(0, n - 1)(rng_);
  }
  bool OneIn(size_t n) { return Below(n) == 0; }

  std::string RandomBytes(size_t max_size) {
    std::string bytes(Below(max_size + 1), '\0');
    for (char& c : bytes) c = static_cast<char>(Below(256));
    return bytes;
  }

  // A number a header could hold, chosen to hit edges: 0, -1, powers of two and their
  // neighbours, the largest integers, fractions, huge doubles.
  void SetInterestingNumber(rapidjson::Value& v) {
    switch (Below(10)) {
      case 0: v.SetUint64(0); break;
      case 1: v.SetInt64(-1); break;
      case 2: v.SetUint64((uint64_t{1} << Below(64)) + Below(3) - 1); break;
      case 3: v.SetUint64(UINT64_MAX - Below(3)); break;
      case 4: v.SetInt64(INT64_MIN + static_cast<int64_t>(Below(3))); break;
      case 5: v.SetDouble(0.5 + static_cast<double>(Below(100))); break;
      case 6: v.SetDouble(1e300); break;
      case 7: v.SetUint64(Below(64)); break;
      case 8: v.SetInt64(-static_cast<int64_t>(Below(1 << 20))); break;
      default: v.SetUint64(v.IsUint64() ? v.GetUint64() + Below(5) - 2 : 1); break;
    }
  }

  // Replaces `v` by a value of a random (usually other) JSON type.
  void SetOtherType(rapidjson::Value& v, rapidjson::Document::AllocatorType& a) {
    switch (Below(6)) {
      case 0: v.SetNull(); break;
      case 1: v.SetBool(OneIn(2)); break;
      case 2: v.SetString("fuzz", a); break;
      case 3:
        v.SetArray();
        v.PushBack(1, a);
        break;
      case 4:
        v.SetObject();
        v.AddMember("k", 1, a);
        break;
      default: SetInterestingNumber(v); break;
    }
  }

  // Every value in the document, depth first.
  static void Collect(rapidjson::Value& v, std::vector<rapidjson::Value*>* out) {
    out->push_back(&v);
    if (v.IsArray()) {
      for (auto& e : v.GetArray()) Collect(e, out);
    } else if (v.IsObject()) {
      for (auto& m : v.GetObject()) Collect(m.value, out);
    }
  }

  std::mt19937_64& rng() { return rng_; }

 private:
  std::mt19937_64 rng_;
};

// Checks the decoder's contract on one input; returns true when it was accepted.
bool CheckDecode(const Frames& frames, const std::string& what) {
  absl::StatusOr<Message> message = Decode(frames);
  if (!message.ok()) {
    EXPECT_FALSE(message.status().message().empty()) << what;
    return false;
  }
  absl::StatusOr<Frames> again = Encode(*message);
  EXPECT_THAT(again, IsOk()) << what << ": accepted but does not re-encode: " << again.status();
  if (!again.ok()) return true;
  absl::StatusOr<Message> back = Decode(*again);
  EXPECT_THAT(back, IsOk()) << what << ": re-encoded message does not decode: " << back.status();
  if (back.ok()) {
    EXPECT_EQ(testing::Difference(*message, *back), "") << what;
  }
  return true;
}

class MessagesFuzzTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const Message& m : testing::ExampleMessages()) {
      absl::StatusOr<Frames> frames = Encode(m);
      ASSERT_THAT(frames, IsOk());
      valid_.push_back(*frames);
    }
  }
  int iterations() const { return EnvInt("ZERORL_FUZZ_ITERATIONS", 500); }
  uint32_t seed() const { return static_cast<uint32_t>(EnvInt("ZERORL_FUZZ_SEED", 1)); }

  std::vector<Frames> valid_;  // one encoded example per type, in MessageType order
};

TEST_F(MessagesFuzzTest, RandomFramesAreRefused) {
  Fuzzer f(seed());
  const std::string prefixes[] = {"", "{", "{\"protocol\":1,\"type\":\"Rollouts\",",
                                  "{\"protocol\":1,\"type\":\"WeightUpdate\",\"frame_bytes\":["};
  for (int i = 0; i < iterations() * 4; ++i) {
    Frames frames;
    size_t count = f.Below(7);
    for (size_t j = 0; j < count; ++j) {
      std::string bytes = f.RandomBytes(64);
      if (j == 0) bytes = prefixes[f.Below(4)] + bytes;
      frames.push_back(Frame::FromString(bytes));
    }
    EXPECT_FALSE(CheckDecode(frames, "random frames #" + std::to_string(i)));
  }
}

TEST_F(MessagesFuzzTest, TruncationsAreRefusedOrConsistent) {
  Fuzzer f(seed() + 1);
  for (int i = 0; i < iterations(); ++i) {
    for (const Frames& valid : valid_) {
      Frames frames = valid;
      if (f.OneIn(2) && frames.size() > 1) {
        frames.resize(1 + f.Below(frames.size() - 1));
      } else {
        size_t which = f.Below(frames.size());
        frames[which] = Frame::Copy(frames[which].data(), f.Below(frames[which].size() + 1));
      }
      CheckDecode(frames, "truncation #" + std::to_string(i));
    }
  }
}

TEST_F(MessagesFuzzTest, BitFlipsAreRefusedOrConsistent) {
  Fuzzer f(seed() + 2);
  for (int i = 0; i < iterations(); ++i) {
    for (size_t t = 0; t < valid_.size(); ++t) {
      Frames frames = valid_[t];
      size_t which = f.Below(frames.size());
      std::string bytes(frames[which].view());
      if (bytes.empty()) continue;
      size_t flips = std::min<size_t>(1 + f.Below(3), bytes.size() * 8);
      std::set<size_t> bits;  // distinct, so two flips never cancel
      while (bits.size() < flips) bits.insert(f.Below(bytes.size() * 8));
      for (size_t bit : bits) bytes[bit / 8] ^= static_cast<char>(1u << (bit % 8));
      frames[which] = Frame::FromString(bytes);
      bool accepted = CheckDecode(frames, "bit flip #" + std::to_string(i));
      if (which > 0 && static_cast<MessageType>(t) == MessageType::kWeightUpdate) {
        // Weight bytes are checksummed: up to three flipped bits are always caught.
        EXPECT_FALSE(accepted) << "flipped weight bits were accepted, #" << i;
      }
    }
  }
}

TEST_F(MessagesFuzzTest, LyingNumbersAreRefusedOrConsistent) {
  Fuzzer f(seed() + 3);
  int accepted = 0, total = 0;
  for (int i = 0; i < iterations(); ++i) {
    for (const Frames& valid : valid_) {
      Frames frames = testing::EditHeader(valid, [&](rapidjson::Document& d) {
        std::vector<rapidjson::Value*> values;
        Fuzzer::Collect(d, &values);
        std::vector<rapidjson::Value*> numbers;
        for (rapidjson::Value* v : values) {
          if (v->IsNumber()) numbers.push_back(v);
        }
        size_t lies = 1 + f.Below(2);
        for (size_t k = 0; k < lies && !numbers.empty(); ++k) {
          f.SetInterestingNumber(*numbers[f.Below(numbers.size())]);
        }
      });
      accepted += CheckDecode(frames, "lying number #" + std::to_string(i)) ? 1 : 0;
      ++total;
    }
  }
  // Both outcomes occur, so the mutations reach past the first check.
  EXPECT_GT(accepted, 0);
  EXPECT_LT(accepted, total);
}

TEST_F(MessagesFuzzTest, WrongJsonShapesAreRefusedOrConsistent) {
  Fuzzer f(seed() + 4);
  int accepted = 0, total = 0;
  for (int i = 0; i < iterations(); ++i) {
    for (const Frames& valid : valid_) {
      Frames frames = testing::EditHeader(valid, [&](rapidjson::Document& d) {
        std::vector<rapidjson::Value*> values;
        Fuzzer::Collect(d, &values);
        rapidjson::Value* v = values[1 + f.Below(values.size() - 1)];  // never the root
        if (v->IsObject() && v->MemberCount() > 0 && f.OneIn(2)) {
          v->RemoveMember(v->MemberBegin() + static_cast<long>(f.Below(v->MemberCount())));
        } else {
          f.SetOtherType(*v, d.GetAllocator());
        }
      });
      accepted += CheckDecode(frames, "wrong shape #" + std::to_string(i)) ? 1 : 0;
      ++total;
    }
  }
  EXPECT_GT(accepted, 0);  // e.g. a capability or metric removed
  EXPECT_LT(accepted, total);
}

TEST_F(MessagesFuzzTest, OtherProtocolVersionsAreAlwaysRefusedNamingBoth) {
  Fuzzer f(seed() + 5);
  for (int i = 0; i < iterations(); ++i) {
    const Frames& valid = valid_[f.Below(valid_.size())];
    uint32_t version = static_cast<uint32_t>(f.rng()());
    if (version == kProtocolVersion) continue;
    Frames frames =
        testing::EditHeader(valid, [&](rapidjson::Document& d) { d["protocol"].SetUint(version); });
    absl::StatusOr<Message> m = Decode(frames);
    ASSERT_THAT(m, StatusIs(absl::StatusCode::kFailedPrecondition,
                            HasSubstr("version " + std::to_string(version))));
  }
}

TEST_F(MessagesFuzzTest, SplicedHeadersAreRefusedOrConsistent) {
  Fuzzer f(seed() + 6);
  for (int i = 0; i < iterations(); ++i) {
    const Frames& a = valid_[f.Below(valid_.size())];
    const Frames& b = valid_[f.Below(valid_.size())];
    Frames frames = b;
    frames[0] = a[0];
    CheckDecode(frames, "splice #" + std::to_string(i));
  }
}

}  // namespace
}  // namespace zerorl::wire
