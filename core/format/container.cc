// Shared parts of the .seedlm container: tensor entries, their validation and
// sizes, and the byte encodings of docs/FORMAT.md used by writer and reader.
#include "core/format/container.h"

#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"
#include "core/codec/packed_matrix.h"
#include "core/format/container_internal.h"
#include "core/util/crc32.h"

namespace seedlm {
namespace {

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();

bool IsRaw(Storage s) {
  return s == Storage::kF32 || s == Storage::kF16 || s == Storage::kBF16;
}

absl::Status BadEntry(const TensorEntry& e, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("tensor '", e.name, "': ", what));
}

// rows * TrellisRowBytes(cols) fits int64, computed without overflow (so that
// MakeGeometry(...).payload_bytes() is exact). REQUIRES: e.codec valid.
absl::Status CheckTrellisSize(const TensorEntry& e) {
  const TrellisLayout l = MakeTrellisLayout(e.codec.trellis);
  const int64_t cols = e.cols();
  int64_t bits = 0, total = 0;
  // cols <= max - T keeps the ring count and the padded length in range.
  if (cols > kInt64Max - l.T ||
      __builtin_mul_overflow(TrellisStoredWeights(l, cols),
                             static_cast<int64_t>(l.R), &bits) ||
      bits > kInt64Max - 7 ||
      __builtin_mul_overflow(e.rows(), (bits + 7) / 8 + kTrellisScaleBytes,
                             &total)) {
    return BadEntry(e, "payload size overflows int64");
  }
  return absl::OkStatus();
}

}  // namespace

const char* StorageName(Storage s) {
  switch (s) {
    case Storage::kF32:
      return "f32";
    case Storage::kF16:
      return "f16";
    case Storage::kBF16:
      return "bf16";
    case Storage::kSeedLM:
      return "seedlm";
    case Storage::kTrellis:
      return "trellis";
  }
  return "?";
}

int64_t TensorEntry::num_elements() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

int64_t TensorEntry::rows() const {
  int64_t n = 1;
  for (size_t i = 0; i + 1 < shape.size(); ++i) n *= shape[i];
  return n;
}

int64_t TensorEntry::cols() const { return shape.empty() ? 1 : shape.back(); }

int64_t TensorEntry::blocks_per_row() const {
  return MakeGeometry(codec, rows(), cols()).blocks_per_row();
}

absl::Status ValidateTensorEntry(const TensorEntry& e) {
  if (e.name.empty()) return BadEntry(e, "empty name");
  if (e.name.size() > kMaxTensorNameBytes) {
    return BadEntry(e, absl::StrCat("name is ", e.name.size(),
                                    " bytes, more than ", kMaxTensorNameBytes));
  }
  if (e.name.find('\0') != std::string::npos) {
    return BadEntry(e, "name contains a NUL byte");
  }
  if (static_cast<uint8_t>(e.storage) >
      static_cast<uint8_t>(Storage::kTrellis)) {
    return BadEntry(
        e, absl::StrCat("unknown storage kind ", static_cast<int>(e.storage)));
  }
  if (e.shape.size() > static_cast<size_t>(kMaxTensorRank)) {
    return BadEntry(
        e, absl::StrCat("rank ", e.shape.size(), " exceeds ", kMaxTensorRank));
  }
  if (e.is_packed() && e.shape.empty()) {
    return BadEntry(e, absl::StrCat("a ", StorageName(e.storage),
                                    " tensor needs at least one dimension"));
  }
  // The product of the nonzero dims must fit: then every partial product
  // (rows(), num_elements()) does too.
  int64_t product = 1;
  for (int64_t d : e.shape) {
    if (d < 0) return BadEntry(e, absl::StrCat("negative dimension ", d));
    if (d != 0 && __builtin_mul_overflow(product, d, &product)) {
      return BadEntry(e, "element count overflows int64");
    }
  }
  if (IsRaw(e.storage)) {
    int64_t bytes = 0;
    const int64_t esize =
        static_cast<int64_t>(DTypeSize(static_cast<DType>(e.storage)));
    if (__builtin_mul_overflow(product, esize, &bytes)) {
      return BadEntry(e, "payload size overflows int64");
    }
    return absl::OkStatus();
  }
  if (e.codec.is_trellis() != (e.storage == Storage::kTrellis)) {
    return BadEntry(
        e, absl::StrCat("storage ", StorageName(e.storage), " needs the ",
                        e.codec.is_trellis() ? "block" : "trellis",
                        " codec family"));
  }
  absl::Status codec = e.codec.Validate();
  if (!codec.ok()) return BadEntry(e, codec.message());
  if (e.storage == Storage::kTrellis) return CheckTrellisSize(e);
  if (static_cast<uint8_t>(e.exponent_mode) >
      static_cast<uint8_t>(ExponentMode::kPaper)) {
    return BadEntry(e, "unknown exponent mode");
  }
  if (e.exponent_bias < -128 || e.exponent_bias > 127) {
    return BadEntry(e, absl::StrCat("exponent bias ", e.exponent_bias,
                                    " is outside the int8 range"));
  }
  // blocks <= product (ceil(cols / C) <= cols), but blocks * bits may not fit.
  int64_t bits = 0;
  if (__builtin_mul_overflow(e.num_blocks(),
                             static_cast<int64_t>(e.bits_per_block()), &bits) ||
      bits > kInt64Max - 7) {
    return BadEntry(e, "payload size overflows int64");
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> ExpectedPayloadBytes(const TensorEntry& e) {
  absl::Status s = ValidateTensorEntry(e);
  if (!s.ok()) return s;
  if (e.is_packed()) {
    return MakeGeometry(e.codec, e.rows(), e.cols()).payload_bytes();
  }
  return static_cast<uint64_t>(e.num_elements()) *
         DTypeSize(static_cast<DType>(e.storage));
}

namespace container_internal {

void PutU8(std::string* out, uint8_t v) {
  out->push_back(static_cast<char>(v));
}
void PutU16(std::string* out, uint16_t v) {
  for (int i = 0; i < 2; ++i) PutU8(out, static_cast<uint8_t>(v >> (8 * i)));
}
void PutU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) PutU8(out, static_cast<uint8_t>(v >> (8 * i)));
}
void PutU64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) PutU8(out, static_cast<uint8_t>(v >> (8 * i)));
}

uint16_t LoadU16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] | (p[1] << 8));
}
uint32_t LoadU32(const uint8_t* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
uint64_t LoadU64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
void StoreU32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

std::string EncodeHeader(const Header& h) {
  std::string out(kContainerMagic, sizeof(kContainerMagic));
  PutU32(&out, h.version);
  PutU32(&out, h.header_size);
  PutU64(&out, h.file_size);
  PutU64(&out, h.directory_offset);
  PutU64(&out, h.directory_size);
  PutU64(&out, h.metadata_offset);
  PutU64(&out, h.metadata_size);
  PutU32(&out, h.tensor_count);
  PutU32(&out, h.metadata_count);
  PutU32(&out, h.index_crc);
  PutU32(&out, Crc32(out.data(), out.size()));
  return out;
}

Header DecodeHeader(const uint8_t* p) {
  Header h;
  h.version = LoadU32(p + kOffVersion);
  h.header_size = LoadU32(p + kOffHeaderSize);
  h.file_size = LoadU64(p + kOffFileSize);
  h.directory_offset = LoadU64(p + kOffDirectoryOffset);
  h.directory_size = LoadU64(p + kOffDirectorySize);
  h.metadata_offset = LoadU64(p + kOffMetadataOffset);
  h.metadata_size = LoadU64(p + kOffMetadataSize);
  h.tensor_count = LoadU32(p + kOffTensorCount);
  h.metadata_count = LoadU32(p + kOffMetadataCount);
  h.index_crc = LoadU32(p + kOffIndexCrc);
  h.header_crc = LoadU32(p + kOffHeaderCrc);
  return h;
}

void EncodeEntry(const TensorEntry& e, std::string* out) {
  PutU16(out, static_cast<uint16_t>(e.name.size()));
  out->append(e.name);
  PutU8(out, static_cast<uint8_t>(e.storage));
  PutU8(out, static_cast<uint8_t>(e.shape.size()));
  if (e.storage == Storage::kSeedLM) {
    const CodecConfig& c = e.codec;
    for (int v : {c.C, c.P, c.K, c.Q, c.E}) PutU8(out, static_cast<uint8_t>(v));
    PutU8(out, static_cast<uint8_t>(c.variant));
    PutU8(out, static_cast<uint8_t>(e.exponent_mode));
    PutU8(out, static_cast<uint8_t>(static_cast<int8_t>(e.exponent_bias)));
  } else if (e.storage == Storage::kTrellis) {
    const TrellisParams& t = e.codec.trellis;
    PutU8(out, static_cast<uint8_t>(t.L));
    PutU8(out, static_cast<uint8_t>(t.R));
    PutU8(out, static_cast<uint8_t>(__builtin_ctz(static_cast<unsigned>(t.T))));
    PutU8(out, t.rotate ? 1 : 0);
    out->append(4, '\0');
  } else {
    out->append(8, '\0');
  }
  for (int64_t d : e.shape) PutU64(out, static_cast<uint64_t>(d));
  PutU64(out, e.offset);
  PutU64(out, e.size);
  PutU32(out, e.crc);
}

void EncodeMetadataEntry(const std::string& key, const std::string& value,
                         std::string* out) {
  PutU32(out, static_cast<uint32_t>(key.size()));
  out->append(key);
  PutU64(out, value.size());
  out->append(value);
}

bool ByteReader::ReadBytes(uint64_t n, const uint8_t** p) {
  if (n > remaining()) return false;
  *p = data_ + pos_;
  pos_ += n;
  return true;
}
bool ByteReader::ReadU8(uint8_t* v) {
  const uint8_t* p;
  if (!ReadBytes(1, &p)) return false;
  *v = *p;
  return true;
}
bool ByteReader::ReadU16(uint16_t* v) {
  const uint8_t* p;
  if (!ReadBytes(2, &p)) return false;
  *v = LoadU16(p);
  return true;
}
bool ByteReader::ReadU32(uint32_t* v) {
  const uint8_t* p;
  if (!ReadBytes(4, &p)) return false;
  *v = LoadU32(p);
  return true;
}
bool ByteReader::ReadU64(uint64_t* v) {
  const uint8_t* p;
  if (!ReadBytes(8, &p)) return false;
  *v = LoadU64(p);
  return true;
}

namespace {

// The eight codec bytes of a trellis entry: L, R, log2(T), rotate, four zero
// bytes. Range checks beyond these (L, R, T) are CodecConfig::Validate's.
std::string DecodeTrellisBytes(const uint8_t* f, CodecConfig* c) {
  for (int i = 4; i < 8; ++i) {
    if (f[i] != 0) return "nonzero reserved codec byte in a trellis tensor";
  }
  if (f[2] > 30) return absl::StrCat("trellis log2(T) ", f[2], " too large");
  if (f[3] > 1)
    return absl::StrCat("trellis rotate flag ", f[3], " is not 0/1");
  *c = CodecConfig();
  c->family = CodecFamily::kTrellis;
  c->trellis = TrellisParams{f[0], f[1], 1 << f[2], f[3] == 1};
  return "";
}

}  // namespace

std::string DecodeEntry(ByteReader* r, TensorEntry* e) {
  uint16_t name_len = 0;
  const uint8_t* p = nullptr;
  if (!r->ReadU16(&name_len)) return "truncated";
  if (name_len == 0 || name_len > kMaxTensorNameBytes) {
    return absl::StrCat("name length ", name_len, " is outside 1..",
                        kMaxTensorNameBytes);
  }
  if (!r->ReadBytes(name_len, &p)) return "truncated in the name";
  e->name.assign(reinterpret_cast<const char*>(p), name_len);
  uint8_t f[10];
  for (uint8_t& b : f) {
    if (!r->ReadU8(&b)) return "truncated";
  }
  if (f[0] > static_cast<uint8_t>(Storage::kTrellis)) {
    return absl::StrCat("unknown storage kind ", f[0]);
  }
  if (f[1] > kMaxTensorRank) {
    return absl::StrCat("rank ", f[1], " exceeds ", kMaxTensorRank);
  }
  e->storage = static_cast<Storage>(f[0]);
  if (e->storage == Storage::kSeedLM) {
    if (f[7] > static_cast<uint8_t>(Variant::kI8)) return "unknown variant";
    if (f[8] > static_cast<uint8_t>(ExponentMode::kPaper)) {
      return "unknown exponent mode";
    }
    e->codec = CodecConfig();
    e->codec.C = f[2];
    e->codec.P = f[3];
    e->codec.K = f[4];
    e->codec.Q = f[5];
    e->codec.E = f[6];
    e->codec.variant = static_cast<Variant>(f[7]);
    e->exponent_mode = static_cast<ExponentMode>(f[8]);
    e->exponent_bias = static_cast<int8_t>(f[9]);
  } else if (e->storage == Storage::kTrellis) {
    const std::string err = DecodeTrellisBytes(f + 2, &e->codec);
    if (!err.empty()) return err;
    e->exponent_mode = ExponentMode::kSearch;
    e->exponent_bias = 0;
  } else {
    for (int i = 2; i < 10; ++i) {
      if (f[i] != 0) return "nonzero codec bytes in a raw tensor";
    }
    e->codec = CodecConfig();
    e->exponent_mode = ExponentMode::kSearch;
    e->exponent_bias = 0;
  }
  e->shape.assign(f[1], 0);
  for (int64_t& d : e->shape) {
    uint64_t v = 0;
    if (!r->ReadU64(&v)) return "truncated in the shape";
    if (v > static_cast<uint64_t>(kInt64Max)) {
      return absl::StrCat("dimension ", v, " exceeds int64");
    }
    d = static_cast<int64_t>(v);
  }
  if (!r->ReadU64(&e->offset) || !r->ReadU64(&e->size) ||
      !r->ReadU32(&e->crc)) {
    return "truncated";
  }
  return "";
}

}  // namespace container_internal
}  // namespace seedlm
