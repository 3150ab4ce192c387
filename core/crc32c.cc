#include "core/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace zerorl::core {
namespace {

constexpr uint32_t kPolyReflected = 0x82F63B78u;

// kTable[k][b]: the CRC register after feeding byte b followed by k zero bytes.
using Tables = std::array<std::array<uint32_t, 256>, 8>;

constexpr Tables MakeTables() {
  Tables t{};
  for (uint32_t b = 0; b < 256; ++b) {
    uint32_t crc = b;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ ((crc & 1u) ? kPolyReflected : 0u);
    t[0][b] = crc;
  }
  for (int k = 1; k < 8; ++k) {
    for (uint32_t b = 0; b < 256; ++b) t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xFFu];
  }
  return t;
}

constexpr Tables kTables = MakeTables();

uint64_t LoadLe64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));  // the wire and the hosts we build for are little-endian
  return v;
}

#if defined(__x86_64__)
// The crc32 instruction has a latency of 3 cycles but issues every cycle, so three
// independent streams over three stripes run ~3x faster than one; their registers are then
// combined. The CRC register is linear: after A||B it equals Shift_|B|(register after A)
// xor (register of B started from 0), where Shift_k feeds k zero bytes.
constexpr size_t kStripeBytes = 4096;

// Shift by kStripeBytes as four byte-indexed tables of the linear map.
struct StripeShift {
  std::array<std::array<uint32_t, 256>, 4> table;

  StripeShift() {
    uint32_t basis[32];
    for (int bit = 0; bit < 32; ++bit) {
      uint32_t state = 1u << bit;
      for (size_t i = 0; i < kStripeBytes; ++i) state = (state >> 8) ^ kTables[0][state & 0xFF];
      basis[bit] = state;
    }
    for (int j = 0; j < 4; ++j) {
      for (uint32_t b = 0; b < 256; ++b) {
        uint32_t out = 0;
        for (int bit = 0; bit < 8; ++bit) {
          if (b & (1u << bit)) out ^= basis[8 * j + bit];
        }
        table[j][b] = out;
      }
    }
  }
  uint32_t operator()(uint32_t s) const {
    return table[0][s & 0xFF] ^ table[1][(s >> 8) & 0xFF] ^ table[2][(s >> 16) & 0xFF] ^
           table[3][s >> 24];
  }
};

__attribute__((target("sse4.2"))) uint32_t ExtendSse42(uint32_t crc, const uint8_t* p, size_t n) {
  static const StripeShift shift;
  uint64_t state = ~crc;
  for (; n >= 3 * kStripeBytes; n -= 3 * kStripeBytes, p += 3 * kStripeBytes) {
    uint64_t b = 0, c = 0;
    for (size_t i = 0; i < kStripeBytes; i += 8) {
      state = _mm_crc32_u64(state, LoadLe64(p + i));
      b = _mm_crc32_u64(b, LoadLe64(p + kStripeBytes + i));
      c = _mm_crc32_u64(c, LoadLe64(p + 2 * kStripeBytes + i));
    }
    uint32_t ab = shift(static_cast<uint32_t>(state)) ^ static_cast<uint32_t>(b);
    state = shift(ab) ^ static_cast<uint32_t>(c);
  }
  for (; n >= 8; n -= 8, p += 8) state = _mm_crc32_u64(state, LoadLe64(p));
  uint32_t state32 = static_cast<uint32_t>(state);
  for (; n > 0; --n, ++p) state32 = _mm_crc32_u8(state32, *p);
  return ~state32;
}

bool CpuHasSse42() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.2");
}
#endif

}  // namespace

namespace internal {

uint32_t Crc32cExtendPortable(uint32_t crc, const void* data, size_t size) {
  const uint8_t* p = static_cast<const uint8_t*>(data);
  uint32_t state = ~crc;
  for (; size >= 8; size -= 8, p += 8) {
    uint64_t word = LoadLe64(p) ^ state;
    state = kTables[7][word & 0xFF] ^ kTables[6][(word >> 8) & 0xFF] ^
            kTables[5][(word >> 16) & 0xFF] ^ kTables[4][(word >> 24) & 0xFF] ^
            kTables[3][(word >> 32) & 0xFF] ^ kTables[2][(word >> 40) & 0xFF] ^
            kTables[1][(word >> 48) & 0xFF] ^ kTables[0][word >> 56];
  }
  for (; size > 0; --size, ++p) state = (state >> 8) ^ kTables[0][(state ^ *p) & 0xFF];
  return ~state;
}

bool Crc32cUsesHardware() {
#if defined(__x86_64__)
  static const bool has = CpuHasSse42();
  return has;
#else
  return false;
#endif
}

}  // namespace internal

uint32_t Crc32cExtend(uint32_t crc, const void* data, size_t size) {
  if (size == 0) return crc;
#if defined(__x86_64__)
  if (internal::Crc32cUsesHardware()) {
    return ExtendSse42(crc, static_cast<const uint8_t*>(data), size);
  }
#endif
  return internal::Crc32cExtendPortable(crc, data, size);
}

uint32_t Crc32c(const void* data, size_t size) { return Crc32cExtend(0, data, size); }

}  // namespace zerorl::core
