// CRC-32 (ISO-HDLC, the zlib/PNG/gzip polynomial) of byte ranges, used for the
// checksums of the .seedlm container. Thin wrapper over zlib's crc32.
#ifndef SEEDLM_CORE_UTIL_CRC32_H_
#define SEEDLM_CORE_UTIL_CRC32_H_

#include <cstddef>
#include <cstdint>

namespace seedlm {

// CRC of `n` bytes, continuing from `crc` (0 to start). Crc32("123456789") is
// 0xCBF43926.
uint32_t Crc32(const void* data, size_t n, uint32_t crc = 0);

}  // namespace seedlm

#endif  // SEEDLM_CORE_UTIL_CRC32_H_
