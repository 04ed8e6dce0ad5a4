// Internals of the .seedlm container shared by the writer, the reader and the
// test/fuzz helpers: the header and directory-entry byte layouts of
// docs/FORMAT.md, little-endian encoding, and a bounds-checked byte cursor.
// Not part of the public API; include only from core/format.
#ifndef SEEDLM_CORE_FORMAT_CONTAINER_INTERNAL_H_
#define SEEDLM_CORE_FORMAT_CONTAINER_INTERNAL_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/format/container.h"

namespace seedlm {
namespace container_internal {

// Byte offsets of the header fields (docs/FORMAT.md, "Header").
inline constexpr size_t kOffVersion = 8;
inline constexpr size_t kOffHeaderSize = 12;
inline constexpr size_t kOffFileSize = 16;
inline constexpr size_t kOffDirectoryOffset = 24;
inline constexpr size_t kOffDirectorySize = 32;
inline constexpr size_t kOffMetadataOffset = 40;
inline constexpr size_t kOffMetadataSize = 48;
inline constexpr size_t kOffTensorCount = 56;
inline constexpr size_t kOffMetadataCount = 60;
inline constexpr size_t kOffIndexCrc = 64;
inline constexpr size_t kOffHeaderCrc = 68;
static_assert(kOffHeaderCrc + 4 == kContainerHeaderSize, "header layout");

// Fixed bytes of a directory entry besides the name and the dims:
// name_len u16, 10 one-byte fields, offset u64, size u64, crc u32.
inline constexpr size_t kEntryFixedBytes = 2 + 10 + 8 + 8 + 4;
inline constexpr size_t kMinEntryBytes = kEntryFixedBytes + 1;  // 1-byte name
// key_len u32 + 1-byte key + value_len u64.
inline constexpr size_t kMinMetadataEntryBytes = 4 + 1 + 8;

// The decoded header (docs/FORMAT.md). header_crc is computed by EncodeHeader.
struct Header {
  uint32_t version = kContainerVersion;
  uint32_t header_size = kContainerHeaderSize;
  uint64_t file_size = 0;
  uint64_t directory_offset = 0;
  uint64_t directory_size = 0;
  uint64_t metadata_offset = 0;
  uint64_t metadata_size = 0;
  uint32_t tensor_count = 0;
  uint32_t metadata_count = 0;
  uint32_t index_crc = 0;
  uint32_t header_crc = 0;
};

// The 72 header bytes, with header_crc = CRC-32 of bytes [0, 68).
std::string EncodeHeader(const Header& h);
// Decodes the fields of a 72-byte header (no validation).
Header DecodeHeader(const uint8_t* p);

// Little-endian appends, byte by byte.
void PutU8(std::string* out, uint8_t v);
void PutU16(std::string* out, uint16_t v);
void PutU32(std::string* out, uint32_t v);
void PutU64(std::string* out, uint64_t v);
// Little-endian loads.
uint16_t LoadU16(const uint8_t* p);
uint32_t LoadU32(const uint8_t* p);
uint64_t LoadU64(const uint8_t* p);
// Overwrites 4 bytes at p with v, little-endian.
void StoreU32(uint8_t* p, uint32_t v);

// The smallest multiple of kPayloadAlignment >= x. REQUIRES: no overflow.
inline uint64_t AlignUp(uint64_t x) {
  return (x + kPayloadAlignment - 1) / kPayloadAlignment * kPayloadAlignment;
}

// Appends the directory entry of `e` (REQUIRES: e valid). Raw kinds write
// zero codec bytes.
void EncodeEntry(const TensorEntry& e, std::string* out);

// Appends one metadata entry.
void EncodeMetadataEntry(const std::string& key, const std::string& value,
                         std::string* out);

// A read cursor over [data, data + size) whose reads fail instead of running
// past the end.
class ByteReader {
 public:
  ByteReader(const uint8_t* data, uint64_t size) : data_(data), size_(size) {}
  uint64_t position() const { return pos_; }
  uint64_t remaining() const { return size_ - pos_; }
  bool ReadU8(uint8_t* v);
  bool ReadU16(uint16_t* v);
  bool ReadU32(uint32_t* v);
  bool ReadU64(uint64_t* v);
  // Points *p at the next n bytes and skips them.
  bool ReadBytes(uint64_t n, const uint8_t** p);

 private:
  const uint8_t* data_;
  uint64_t size_;
  uint64_t pos_ = 0;
};

// Decodes one directory entry at the cursor into *e (fields as stored,
// unvalidated; storage/variant/mode bytes are range-checked). Returns "" on
// success, else a description of what is wrong.
std::string DecodeEntry(ByteReader* r, TensorEntry* e);

// Position of an entry's crc field relative to the entry start.
inline size_t EntryCrcOffset(size_t name_len, size_t rank) {
  return 2 + name_len + 10 + 8 * rank + 16;
}

}  // namespace container_internal
}  // namespace seedlm

#endif  // SEEDLM_CORE_FORMAT_CONTAINER_INTERNAL_H_
