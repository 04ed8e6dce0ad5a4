#include "core/codec/spec_trellis_goldens.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/codec/codec.h"
#include "core/codec/packed_matrix.h"
#include "core/codec/trellis.h"
#include "core/codec/trellis_format.h"
#include "core/search/trellis_search.h"

namespace seedlm {
namespace {

using Tokens = std::vector<std::string>;
using ArgMap = std::map<std::string, std::string>;

std::string F32(float v) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%.9g", v);
  return buf;
}

std::string Bits(float v) {
  uint32_t b;
  std::memcpy(&b, &v, 4);
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%08x", b);
  return buf;
}

std::string HexBytes(const uint8_t* p, size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    char buf[4];
    std::snprintf(buf, sizeof(buf), "%02x", p[i]);
    s += buf;
  }
  return s;
}

absl::StatusOr<std::string> Get(const ArgMap& a, const std::string& key) {
  auto it = a.find(key);
  if (it == a.end()) {
    return absl::InvalidArgumentError(absl::StrCat("missing ", key, "="));
  }
  return it->second;
}

absl::StatusOr<int64_t> GetInt(const ArgMap& a, const std::string& key) {
  absl::StatusOr<std::string> s = Get(a, key);
  if (!s.ok()) return s.status();
  int64_t v;
  if (absl::StartsWith(*s, "0x") ? absl::SimpleHexAtoi(s->substr(2), &v)
                                 : absl::SimpleAtoi(*s, &v)) {
    return v;
  }
  return absl::InvalidArgumentError(absl::StrCat("bad integer '", *s, "'"));
}

// Comma-separated decimals, each parsed to the nearest float32 (strtof).
absl::StatusOr<std::vector<float>> GetFloats(const ArgMap& a,
                                             const std::string& key) {
  absl::StatusOr<std::string> s = Get(a, key);
  if (!s.ok()) return s.status();
  std::vector<float> out;
  for (absl::string_view t : absl::StrSplit(*s, ',')) {
    const std::string str(t);
    char* end = nullptr;
    out.push_back(std::strtof(str.c_str(), &end));
    if (str.empty() || *end != '\0') {
      return absl::InvalidArgumentError(absl::StrCat("bad number '", t, "'"));
    }
  }
  return out;
}

absl::StatusOr<std::vector<uint8_t>> GetHex(const ArgMap& a,
                                            const std::string& key) {
  absl::StatusOr<std::string> s = Get(a, key);
  if (!s.ok()) return s.status();
  if (s->size() % 2 != 0) return absl::InvalidArgumentError("odd hex length");
  std::vector<uint8_t> out;
  for (size_t i = 0; i < s->size(); i += 2) {
    int v;
    if (!absl::SimpleHexAtoi(s->substr(i, 2), &v)) {
      return absl::InvalidArgumentError(absl::StrCat("bad hex '", *s, "'"));
    }
    out.push_back(static_cast<uint8_t>(v));
  }
  return out;
}

absl::StatusOr<CodecConfig> GetTrellisPreset(const ArgMap& a) {
  absl::StatusOr<std::string> name = Get(a, "preset");
  if (!name.ok()) return name.status();
  absl::StatusOr<CodecConfig> c = PresetByName(*name);
  if (!c.ok()) return c.status();
  if (!c->is_trellis()) {
    return absl::InvalidArgumentError(absl::StrCat(*name, " is not trellis"));
  }
  return c;
}

// trellis_layout preset cols : rings stored row_bytes bits_per_weight
absl::StatusOr<Tokens> Layout(const ArgMap& a) {
  absl::StatusOr<CodecConfig> c = GetTrellisPreset(a);
  absl::StatusOr<int64_t> cols = GetInt(a, "cols");
  if (!c.ok()) return c.status();
  if (!cols.ok()) return cols.status();
  const TrellisLayout l = MakeTrellisLayout(c->trellis);
  char bpw[32];
  std::snprintf(bpw, sizeof(bpw), "%.6g",
                MakeGeometry(*c, 1, *cols).bits_per_weight());
  return Tokens{absl::StrCat("rings=", TrellisRingsPerRow(l, *cols)),
                absl::StrCat("stored=", TrellisStoredWeights(l, *cols)),
                absl::StrCat("row_bytes=", TrellisRowBytes(l, *cols)),
                absl::StrCat("bits_per_weight=", bpw)};
}

// trellis_code states : codes
absl::StatusOr<Tokens> Code(const ArgMap& a) {
  absl::StatusOr<std::string> s = Get(a, "states");
  if (!s.ok()) return s.status();
  Tokens out;
  for (absl::string_view t : absl::StrSplit(*s, ',')) {
    int64_t v;
    if (!absl::SimpleHexAtoi(t.substr(t.find('x') + 1), &v) || v < 0 ||
        v > 0xFFFF) {
      return absl::InvalidArgumentError(absl::StrCat("bad state '", t, "'"));
    }
    out.push_back(absl::StrCat(TrellisCode(static_cast<uint32_t>(v))));
  }
  return out;
}

// trellis_rotate cols v : Rot(v) (or with inverse=1 Rot^-1(v))
absl::StatusOr<Tokens> Rotate(const ArgMap& a) {
  absl::StatusOr<std::vector<float>> v = GetFloats(a, "v");
  if (!v.ok()) return v.status();
  const bool inverse = a.count("inverse") != 0 && a.at("inverse") == "1";
  const int64_t n = static_cast<int64_t>(v->size());
  if (inverse) {
    TrellisUnrotate(n, v->data());
  } else {
    TrellisRotate(n, v->data());
  }
  Tokens out;
  for (float x : *v) out.push_back(F32(x));
  return out;
}

// trellis_encode preset w : scale bits, row bytes (hex), err
absl::StatusOr<Tokens> Encode(const ArgMap& a) {
  absl::StatusOr<CodecConfig> c = GetTrellisPreset(a);
  absl::StatusOr<std::vector<float>> w = GetFloats(a, "w");
  if (!c.ok()) return c.status();
  if (!w.ok()) return w.status();
  const TrellisLayout l = MakeTrellisLayout(c->trellis);
  std::vector<uint8_t> row(TrellisRowBytes(l, static_cast<int64_t>(w->size())));
  double err = 0.0;
  absl::Status s = TrellisEncodeRow(c->trellis, *w, absl::MakeSpan(row),
                                    TrellisSearchImpl::kReference, &err);
  if (!s.ok()) return s;
  char e[32];
  std::snprintf(e, sizeof(e), "err=%.6g", err);
  const float scale = TrellisStoredScale(row.data());
  return Tokens{absl::StrCat("scale=", F32(scale)),
                absl::StrCat("bits=", Bits(scale)),
                absl::StrCat("row=", HexBytes(row.data(), row.size())), e};
}

// trellis_decode preset cols row : the cols decoded float32 weights;
// with rotated=1 the rotated-domain values instead.
absl::StatusOr<Tokens> Decode(const ArgMap& a) {
  absl::StatusOr<CodecConfig> c = GetTrellisPreset(a);
  absl::StatusOr<int64_t> cols = GetInt(a, "cols");
  absl::StatusOr<std::vector<uint8_t>> row = GetHex(a, "row");
  if (!c.ok()) return c.status();
  if (!cols.ok()) return cols.status();
  if (!row.ok()) return row.status();
  const TrellisLayout l = MakeTrellisLayout(c->trellis);
  if (row->size() != TrellisRowBytes(l, *cols)) {
    return absl::InvalidArgumentError("row has the wrong size");
  }
  std::vector<float> out(*cols);
  const bool rotated = a.count("rotated") != 0 && a.at("rotated") == "1";
  if (rotated) {
    TrellisDecodeRowRotated(l, *cols, row->data(), out.data());
  } else {
    TrellisDecodeRow(c->trellis, *cols, row->data(), out.data());
  }
  Tokens t;
  for (float x : out) t.push_back(F32(x));
  return t;
}

// trellis_states preset cols row ring : the ring's states, hex
absl::StatusOr<Tokens> States(const ArgMap& a) {
  absl::StatusOr<CodecConfig> c = GetTrellisPreset(a);
  absl::StatusOr<int64_t> cols = GetInt(a, "cols"), ring = GetInt(a, "ring");
  absl::StatusOr<std::vector<uint8_t>> row = GetHex(a, "row");
  if (!c.ok()) return c.status();
  if (!cols.ok()) return cols.status();
  if (!ring.ok()) return ring.status();
  if (!row.ok()) return row.status();
  const TrellisLayout l = MakeTrellisLayout(c->trellis);
  if (row->size() != TrellisRowBytes(l, *cols) || *ring < 0 ||
      *ring >= TrellisRingsPerRow(l, *cols)) {
    return absl::InvalidArgumentError("bad row or ring");
  }
  const int64_t n = TrellisRingLength(l, *cols, *ring);
  Tokens t;
  for (int64_t i = 0; i < n; ++i) {
    char buf[12];
    std::snprintf(
        buf, sizeof(buf), "%04x",
        TrellisRingState(l, row->data() + kTrellisScaleBytes,
                         static_cast<uint64_t>(*ring) * l.T * l.R, n, i));
    t.push_back(buf);
  }
  return t;
}

}  // namespace

bool IsTrellisGoldenKind(const std::string& kind) {
  return absl::StartsWith(kind, "trellis_");
}

absl::StatusOr<std::vector<std::string>> ComputeTrellisGolden(
    const std::string& kind, const ArgMap& args) {
  if (kind == "trellis_layout") return Layout(args);
  if (kind == "trellis_code") return Code(args);
  if (kind == "trellis_rotate") return Rotate(args);
  if (kind == "trellis_encode") return Encode(args);
  if (kind == "trellis_decode") return Decode(args);
  if (kind == "trellis_states") return States(args);
  return absl::NotFoundError(absl::StrCat("unknown golden kind '", kind, "'"));
}

}  // namespace seedlm
