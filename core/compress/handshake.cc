#include "core/compress/handshake.h"

#include <cstring>
#include <map>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/codec/trellis.h"
#include "core/search/seed_table.h"
#include "core/search/trellis_search.h"
#include "core/util/crc32.h"
#include "core/util/mutex.h"
#include "core/util/status_macros.h"

namespace seedlm {
namespace {

void PutLe(uint64_t v, int bytes, std::vector<uint8_t>& out) {
  for (int i = 0; i < bytes; ++i) {
    out.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
}

}  // namespace

std::string CodecId(const CodecConfig& c) {
  if (c.is_trellis()) {
    const TrellisParams& t = c.trellis;
    return absl::StrCat("T-L", t.L, "-R", t.R, "-T", t.T,
                        t.rotate ? "-rot" : "-norot");
  }
  return absl::StrCat("C", c.C, "-P", c.P, "-K", c.K, "-Q", c.Q, "-E", c.E, "-",
                      VariantName(c.variant));
}

absl::StatusOr<uint32_t> TrellisTableCrc32(const CodecConfig& codec) {
  if (!codec.is_trellis()) {
    return absl::InvalidArgumentError("not a trellis codec");
  }
  RETURN_IF_ERROR(codec.Validate());
  const TrellisParams& t = codec.trellis;
  const float* code = TrellisCodeTable(t.L);
  std::vector<uint8_t> buf;
  buf.reserve((size_t{4} << t.L) + 8);
  for (uint32_t s = 0; s < (1u << t.L); ++s) {
    uint32_t bits;
    std::memcpy(&bits, &code[s], sizeof(bits));
    PutLe(bits, 4, buf);
  }
  const double divisor = TrellisScaleDivisor(t.R);
  uint64_t bits;
  std::memcpy(&bits, &divisor, sizeof(bits));
  PutLe(bits, 8, buf);
  std::vector<float> probe(kTrellisProbeCols);
  for (uint32_t c = 0; c < kTrellisProbeCols; ++c) {
    const uint32_t x = (c + 1) * 2654435761u;
    probe[c] = static_cast<float>(x >> 8) / 8388608.0f - 1.0f;  // exact
  }
  std::vector<uint8_t> row(
      TrellisRowBytes(MakeTrellisLayout(t), kTrellisProbeCols));
  RETURN_IF_ERROR(TrellisEncodeRow(t, probe, absl::MakeSpan(row)));
  buf.insert(buf.end(), row.begin(), row.end());
  return Crc32(buf.data(), buf.size());
}

absl::StatusOr<uint32_t> SeedTableCrc32(const CodecConfig& codec) {
  if (codec.is_trellis()) return TrellisTableCrc32(codec);
  ASSIGN_OR_RETURN(std::shared_ptr<const SeedTable> table,
                   SeedTable::Get(codec));
  const size_t cp = static_cast<size_t>(codec.C) * codec.P;
  constexpr uint32_t kSeedsPerChunk = 4096;
  std::vector<uint8_t> buf;
  buf.reserve(kSeedsPerChunk * cp * 12);
  uint32_t crc = 0;
  const uint32_t n = table->num_seeds();
  for (uint32_t s = 1; s <= n; ++s) {
    const int32_t* m = table->matrix(s);
    const double* pinv = table->pinv(s);
    for (size_t i = 0; i < cp; ++i) {
      PutLe(static_cast<uint32_t>(m[i]), 4, buf);
    }
    for (size_t i = 0; i < cp; ++i) {
      uint64_t bits;
      std::memcpy(&bits, &pinv[i], sizeof(bits));
      PutLe(bits, 8, buf);
    }
    if (s % kSeedsPerChunk == 0 || s == n) {
      crc = Crc32(buf.data(), buf.size(), crc);
      buf.clear();
    }
  }
  return crc;
}

absl::StatusOr<CodecHandshake> CodecHandshakeFor(const CodecConfig& codec) {
  static auto* mu = new Mutex();
  static auto* cache = new std::map<std::string, CodecHandshake>();
  const std::string id = CodecId(codec);
  {
    MutexLock lock(mu);
    const auto it = cache->find(id);
    if (it != cache->end()) return it->second;
  }
  CodecHandshake h;
  h.codec_id = id;
  ASSIGN_OR_RETURN(h.seed_table_crc, SeedTableCrc32(codec));
  MutexLock lock(mu);
  cache->emplace(id, h);
  return h;
}

absl::Status CheckHandshake(const CodecHandshake& mine,
                            const CodecHandshake& theirs) {
  if (mine.codec_id != theirs.codec_id) {
    return absl::FailedPreconditionError(
        absl::StrCat("handshake: codec ", theirs.codec_id, " offered, ",
                     mine.codec_id, " expected"));
  }
  if (mine.seed_table_crc != theirs.seed_table_crc) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "handshake: the builds disagree on the seed table of %s (CRC-32 "
        "%08x here, %08x there): their searches may differ, do not mix them",
        mine.codec_id, mine.seed_table_crc, theirs.seed_table_crc));
  }
  return absl::OkStatus();
}

}  // namespace seedlm
