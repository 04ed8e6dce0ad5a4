// The handshake of a coordinator and its remote compression workers: two
// builds may mix work units only if they would compress every block to the
// same bits. The seed search is defined by the codec and by each seed's
// matrix and float64 pseudo-inverse (SeedTable, core/search/seed_table.h,
// computed with Eigen: a different Eigen, compiler or flags could change a
// last bit), so the handshake carries the codec's id and a CRC-32 of the seed
// table this build computes. A trellis codec (spec §13) has no seed table:
// its CRC covers the code table, the scale rule and the encoding of a probe
// row (TrellisTableCrc32). A
// coordinator refuses a worker whose handshake differs from its own
// (CheckHandshake).
#ifndef SEEDLM_CORE_COMPRESS_HANDSHAKE_H_
#define SEEDLM_CORE_COMPRESS_HANDSHAKE_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/codec/codec.h"

namespace seedlm {

// The codec's canonical id, e.g. "C8-P3-K16-Q4-E4-paper": every parameter of
// CodecConfig, in this order, with the variant's name (VariantName). A
// trellis codec: "T-L16-R4-T256-rot" (L, R, T, then "rot" or "norot").
std::string CodecId(const CodecConfig& codec);

struct CodecHandshake {
  std::string codec_id;         // CodecId(codec)
  uint32_t seed_table_crc = 0;  // SeedTableCrc32 of the codec's table(s)

  friend bool operator==(const CodecHandshake& a, const CodecHandshake& b) {
    return a.codec_id == b.codec_id && a.seed_table_crc == b.seed_table_crc;
  }
  friend bool operator!=(const CodecHandshake& a, const CodecHandshake& b) {
    return !(a == b);
  }
};

// CRC-32 (core/util/crc32.h) of this serialisation of the seed table of
// `codec`: for each seed s = 1 .. num_seeds in order, its matrix M (C x P
// int32, row-major, each as 4 bytes little-endian two's complement) followed
// by its pseudo-inverse (P x C float64, row-major, each as the 8 bytes of its
// IEEE-754 binary64 bit pattern, little-endian). No header, no padding.
// Builds the table (SeedTable::Get, shared) if needed and hashes it (19-38 MB
// for the presets); use CodecHandshakeFor, which caches the result. Errors of
// SeedTable::Get (INVALID_ARGUMENT for an invalid codec, RESOURCE_EXHAUSTED for
// a table over its size cap). A trellis codec: TrellisTableCrc32.
absl::StatusOr<uint32_t> SeedTableCrc32(const CodecConfig& codec);

// Columns of the probe row TrellisTableCrc32 encodes: a full ring and a
// short last one for T = 256.
inline constexpr uint32_t kTrellisProbeCols = 300;

// CRC-32 of this serialisation of what defines a trellis codec's encoding
// besides its parameters: the code table (TrellisCodeTable(L): 2^L float32,
// state 0 first, each as the 4 bytes of its IEEE-754 binary32 bit pattern,
// little-endian), then TrellisScaleDivisor(R) as 8 bytes (binary64, LE),
// then the TrellisEncodeRow bytes of the probe row w_c = (float)(x >> 8) /
// 2^23 - 1, x = (c + 1) * 2654435761 mod 2^32, c < kTrellisProbeCols (so
// builds whose rotation, scale rule or search differ disagree too). ~256 KiB
// hashed and one short row encoded for L = 16. INVALID_ARGUMENT for a block
// or invalid codec.
absl::StatusOr<uint32_t> TrellisTableCrc32(const CodecConfig& codec);

// This build's handshake for `codec`, computed once per codec per process
// and cached (thread-safe; concurrent first calls may both compute it).
// Errors as SeedTableCrc32.
absl::StatusOr<CodecHandshake> CodecHandshakeFor(const CodecConfig& codec);

// OK iff `theirs` equals `mine`; FAILED_PRECONDITION naming what differs
// (codec, or the seed tables: "builds disagree") otherwise.
absl::Status CheckHandshake(const CodecHandshake& mine,
                            const CodecHandshake& theirs);

}  // namespace seedlm

#endif  // SEEDLM_CORE_COMPRESS_HANDSHAKE_H_
