// Counter-based random numbers for sampling: Philox4x32-10 (Salmon et al., "Parallel random
// numbers: as easy as 1, 2, 3", SC 2011; the generator behind cuRAND and JAX). A draw is a
// pure function of (key, counter), so every sequence gets its own stream with no shared state:
// the token a sequence samples at step t depends on (seed, sample index, t) and its logits
// only, never on which other sequences share the batch or in which order rows are processed.
//
//   double u = UniformDouble(/*seed=*/request.seed, /*stream=*/sample_index, /*step=*/t);
#ifndef ZERORL_ROLLOUT_RNG_H_
#define ZERORL_ROLLOUT_RNG_H_

#include <array>
#include <cstdint>

namespace zerorl::rollout {

using PhiloxCounter = std::array<uint32_t, 4>;
using PhiloxKey = std::array<uint32_t, 2>;

// Ten Philox rounds of `counter` under `key` (Random123's philox4x32_10).
inline PhiloxCounter Philox4x32(PhiloxCounter counter, PhiloxKey key) {
  constexpr uint32_t kMul0 = 0xD2511F53u, kMul1 = 0xCD9E8D57u;
  constexpr uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u;
  for (int round = 0; round < 10; ++round) {
    uint64_t p0 = static_cast<uint64_t>(kMul0) * counter[0];
    uint64_t p1 = static_cast<uint64_t>(kMul1) * counter[2];
    counter = {static_cast<uint32_t>(p1 >> 32) ^ counter[1] ^ key[0], static_cast<uint32_t>(p1),
               static_cast<uint32_t>(p0 >> 32) ^ counter[3] ^ key[1], static_cast<uint32_t>(p0)};
    key[0] += kWeyl0;
    key[1] += kWeyl1;
  }
  return counter;
}

// A uniform double in [0, 1) with 53 random bits, for draw `step` of stream `stream` under
// `seed`.
inline double UniformDouble(uint64_t seed, uint64_t stream, uint64_t step) {
  PhiloxCounter out = Philox4x32(
      {static_cast<uint32_t>(step), static_cast<uint32_t>(step >> 32),
       static_cast<uint32_t>(stream), static_cast<uint32_t>(stream >> 32)},
      {static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)});
  uint64_t bits = ((static_cast<uint64_t>(out[0]) << 32) | out[1]) >> 11;
  return static_cast<double>(bits) * 0x1.0p-53;
}

}  // namespace zerorl::rollout

#endif  // ZERORL_ROLLOUT_RNG_H_
