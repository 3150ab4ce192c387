// Internal to datasets/: a small deterministic random number generator.
//
// The standard library's distributions (std::uniform_int_distribution, std::shuffle) are
// allowed to differ between libstdc++ and libc++, so a run resumed on another machine could
// see another order. Everything here is specified bit for bit: SplitMix64 (Steele, Lea and
// Flood 2014) for the stream and Lemire's multiply-shift with rejection for bounded draws.
#ifndef ZERORL_DATASETS_INTERNAL_RNG_H_
#define ZERORL_DATASETS_INTERNAL_RNG_H_

#include <cstdint>
#include <utility>
#include <vector>

namespace zerorl::datasets::internal {

// Mixes two words into one seed, so that (seed, epoch) or (seed, index) pairs give
// unrelated streams.
inline uint64_t MixSeed(uint64_t a, uint64_t b) {
  uint64_t z = a * 0x9E3779B97F4A7C15ull + b + 0x632BE59BD9B4E019ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}

  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }

  // Uniform in [0, n); n must be > 0.
  uint64_t Below(uint64_t n) {
    unsigned __int128 m = static_cast<unsigned __int128>(Next()) * n;
    uint64_t low = static_cast<uint64_t>(m);
    if (low < n) {
      uint64_t threshold = (0 - n) % n;
      while (low < threshold) {
        m = static_cast<unsigned __int128>(Next()) * n;
        low = static_cast<uint64_t>(m);
      }
    }
    return static_cast<uint64_t>(m >> 64);
  }

  // Uniform in [lo, hi]; lo <= hi.
  int64_t Range(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(Below(static_cast<uint64_t>(hi - lo) + 1));
  }

  // Fisher-Yates, front to back.
  template <typename T>
  void Shuffle(std::vector<T>& values) {
    for (size_t i = 0; i + 1 < values.size(); ++i) {
      size_t j = i + static_cast<size_t>(Below(values.size() - i));
      std::swap(values[i], values[j]);
    }
  }

 private:
  uint64_t state_;
};

}  // namespace zerorl::datasets::internal

#endif  // ZERORL_DATASETS_INTERNAL_RNG_H_
