// CRC-32C (Castagnoli, polynomial 0x1EDC6F41 reflected as 0x82F63B78), the checksum of
// iSCSI, ext4 and LevelDB, written here from the definition. Weight updates carry one per
// tensor piece so that a corrupted or mis-assembled frame is refused, never loaded.
//
//   uint32_t crc = Crc32c(data, size);
//   uint32_t same = Crc32cExtend(Crc32c(data, 10), data + 10, size - 10);
//
// On x86-64 CPUs with SSE4.2 the crc32 instruction is used, on three interleaved streams
// (~20 GB/s on one core); everywhere else a table-driven loop (slicing by 8, ~2 GB/s). Both
// give identical results; the choice is made once, at the first call.
#ifndef ZERORL_CORE_CRC32C_H_
#define ZERORL_CORE_CRC32C_H_

#include <cstddef>
#include <cstdint>

namespace zerorl::core {

// The CRC-32C of `size` bytes at `data` (`data` may be null when `size` is 0).
// Crc32c("123456789", 9) == 0xE3069283.
uint32_t Crc32c(const void* data, size_t size);

// The CRC-32C of A followed by B, given `crc` == Crc32c(A) and B = (`data`, `size`).
uint32_t Crc32cExtend(uint32_t crc, const void* data, size_t size);

namespace internal {
// The portable table-driven version, exposed so tests can compare it with the hardware one.
uint32_t Crc32cExtendPortable(uint32_t crc, const void* data, size_t size);
// True when Crc32cExtend uses the CPU's crc32 instruction.
bool Crc32cUsesHardware();
}  // namespace internal

}  // namespace zerorl::core

#endif  // ZERORL_CORE_CRC32C_H_
