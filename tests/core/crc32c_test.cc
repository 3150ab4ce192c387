#include "core/crc32c.h"

#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace zerorl::core {
namespace {

TEST(Crc32cTest, MatchesPublishedCheckValues) {
  EXPECT_EQ(Crc32c("123456789", 9), 0xE3069283u);  // the catalogue's check value
  EXPECT_EQ(Crc32c(nullptr, 0), 0u);
  // RFC 3720 (iSCSI), appendix B.4.
  std::vector<uint8_t> zeros(32, 0), ones(32, 0xFF), up(32), down(32);
  for (int i = 0; i < 32; ++i) {
    up[i] = static_cast<uint8_t>(i);
    down[i] = static_cast<uint8_t>(31 - i);
  }
  EXPECT_EQ(Crc32c(zeros.data(), 32), 0x8A9136AAu);
  EXPECT_EQ(Crc32c(ones.data(), 32), 0x62A8AB43u);
  EXPECT_EQ(Crc32c(up.data(), 32), 0x46DD794Eu);
  EXPECT_EQ(Crc32c(down.data(), 32), 0x113FDB5Cu);
}

TEST(Crc32cTest, ExtendEqualsOneShot) {
  std::string text = "The quick brown fox jumps over the lazy dog, twice over.";
  for (size_t cut = 0; cut <= text.size(); ++cut) {
    uint32_t head = Crc32c(text.data(), cut);
    EXPECT_EQ(Crc32cExtend(head, text.data() + cut, text.size() - cut),
              Crc32c(text.data(), text.size()))
        << "cut at " << cut;
  }
}

TEST(Crc32cTest, HardwareAndPortableAgreeOnEveryLengthAndAlignment) {
  std::mt19937 rng(7);
  std::vector<uint8_t> data(100000 + 16);
  for (auto& b : data) b = static_cast<uint8_t>(rng());
  for (size_t align = 0; align < 8; ++align) {
    // Past 3 x 4096 bytes the hardware path interleaves three streams and combines them.
    for (size_t size : {0, 1, 7, 8, 9, 15, 16, 63, 64, 65, 1000, 4096, 12287, 12288, 12289,
                        24576 + 7, 100000}) {
      EXPECT_EQ(Crc32c(data.data() + align, size),
                internal::Crc32cExtendPortable(0, data.data() + align, size))
          << "align " << align << " size " << size;
    }
  }
  if (!internal::Crc32cUsesHardware()) GTEST_SKIP() << "no SSE4.2: only the portable path ran";
}

TEST(Crc32cTest, ExtendAcrossStripesEqualsOneShot) {
  std::vector<uint8_t> data(50000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 131 + (i >> 9));
  uint32_t whole = Crc32c(data.data(), data.size());
  for (size_t cut : {1, 4095, 12288, 12289, 30000}) {
    EXPECT_EQ(Crc32cExtend(Crc32c(data.data(), cut), data.data() + cut, data.size() - cut), whole)
        << "cut at " << cut;
  }
  EXPECT_EQ(whole, internal::Crc32cExtendPortable(0, data.data(), data.size()));
}

TEST(Crc32cTest, OneFlippedBitChangesTheValue) {
  std::vector<uint8_t> data(1 << 16, 0x5A);
  uint32_t clean = Crc32c(data.data(), data.size());
  for (size_t bit : {0, 7, 8 * 1000 + 3, 8 * 65535 + 7}) {
    data[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    EXPECT_NE(Crc32c(data.data(), data.size()), clean) << "bit " << bit;
    data[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
  }
}

}  // namespace
}  // namespace zerorl::core
