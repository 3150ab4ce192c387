#include "rollout/rng.h"

#include <set>

#include "gtest/gtest.h"

namespace zerorl::rollout {
namespace {

// Known-answer vectors of Random123 (kat_vectors, philox4x32_10).
TEST(PhiloxTest, MatchesRandom123KnownAnswers) {
  EXPECT_EQ(Philox4x32({0, 0, 0, 0}, {0, 0}),
            (PhiloxCounter{0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u}));
  EXPECT_EQ(Philox4x32({0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu},
                       {0xffffffffu, 0xffffffffu}),
            (PhiloxCounter{0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu}));
  EXPECT_EQ(Philox4x32({0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u},
                       {0xa4093822u, 0x299f31d0u}),
            (PhiloxCounter{0xd16cfe09u, 0x94fdcceBu, 0x5001e420u, 0x24126ea1u}));
}

TEST(PhiloxTest, UniformIsInUnitIntervalAndDependsOnEveryInput) {
  std::set<double> seen;
  for (uint64_t seed : {0ull, 1ull, 1ull << 40}) {
    for (uint64_t stream : {0ull, 1ull, 1ull << 33}) {
      for (uint64_t step : {0ull, 1ull, 1ull << 35}) {
        double u = UniformDouble(seed, stream, step);
        EXPECT_GE(u, 0.0);
        EXPECT_LT(u, 1.0);
        seen.insert(u);
      }
    }
  }
  EXPECT_EQ(seen.size(), 27u);  // the high halves of seed, stream and step all count
  EXPECT_EQ(UniformDouble(7, 3, 11), UniformDouble(7, 3, 11));
}

TEST(PhiloxTest, UniformMeanAndVarianceAreRight) {
  double sum = 0, sum_sq = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    double u = UniformDouble(5, 0, i);
    sum += u;
    sum_sq += u * u;
  }
  double mean = sum / n, var = sum_sq / n - mean * mean;
  EXPECT_NEAR(mean, 0.5, 0.005);
  EXPECT_NEAR(var, 1.0 / 12, 0.002);
}

}  // namespace
}  // namespace zerorl::rollout
