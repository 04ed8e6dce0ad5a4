#include "core/format/container_testing.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <utility>

#include "core/codec/packed_matrix.h"
#include "core/codec/trellis_format.h"
#include "core/format/container.h"
#include "core/format/container_internal.h"
#include "core/util/crc32.h"
#include "core/util/dtype.h"
#include "core/util/file_util.h"
#include "core/util/status_macros.h"

namespace seedlm {
namespace container_testing {
namespace ci = container_internal;

namespace {

// xorshift32: portable and deterministic (std distributions are not).
uint32_t Next(uint32_t* s) {
  uint32_t x = *s;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  *s = x;
  return x;
}

TensorEntry Seedlm(std::string name, std::vector<int64_t> shape,
                   const char* preset) {
  TensorEntry e;
  e.name = std::move(name);
  e.shape = std::move(shape);
  e.storage = Storage::kSeedLM;
  e.codec = *PresetByName(preset);
  return e;
}

TensorEntry Trellis(std::string name, std::vector<int64_t> shape,
                    CodecConfig codec) {
  TensorEntry e;
  e.name = std::move(name);
  e.shape = std::move(shape);
  e.storage = Storage::kTrellis;
  e.codec = codec;
  return e;
}

TensorEntry Raw(std::string name, std::vector<int64_t> shape, Storage s) {
  TensorEntry e;
  e.name = std::move(name);
  e.shape = std::move(shape);
  e.storage = s;
  return e;
}

}  // namespace

std::vector<uint8_t> RandomBlocksPayload(const TensorEntry& e, uint32_t seed,
                                         std::vector<Block>* blocks) {
  const CodecConfig& c = e.codec;
  const uint64_t n = static_cast<uint64_t>(e.num_blocks());
  std::vector<uint8_t> out(PackedBytes(n, c.bits_per_block()), 0);
  uint32_t s = seed | 1u;
  if (blocks != nullptr) blocks->clear();
  for (uint64_t i = 0; i < n; ++i) {
    Block b;
    b.seed = 1 + Next(&s) % c.num_seeds();
    b.e = static_cast<int8_t>(
        c.e_lo() + static_cast<int>(Next(&s) % (c.e_hi() - c.e_lo() + 1)));
    for (int p = 0; p < c.P && p < kMaxP; ++p) {  // (bound for GCC 12)
      b.q[p] = static_cast<int8_t>(
          c.q_lo() + static_cast<int>(Next(&s) % (c.q_hi() - c.q_lo() + 1)));
    }
    PackBlock(c.layout(), b, out.data(), i);
    if (blocks != nullptr) blocks->push_back(b);
  }
  return out;
}

std::vector<uint8_t> RandomTrellisPayload(const TensorEntry& e, uint32_t seed) {
  const TrellisLayout l = MakeTrellisLayout(e.codec.trellis);
  const int64_t cols = e.cols();
  const uint64_t rb = TrellisRowBytes(l, cols);
  const uint64_t bits = static_cast<uint64_t>(TrellisStoredWeights(l, cols)) *
                        static_cast<uint64_t>(l.R);
  std::vector<uint8_t> out(static_cast<size_t>(rb * e.rows()), 0);
  uint32_t s = seed | 1u;
  for (int64_t r = 0; r < e.rows(); ++r) {
    uint8_t* row = out.data() + r * rb;
    // Scales in [2^-12, 2^-4) (or +0.0), as an encoder's would be.
    // Two draws in a fixed order (exponent first: function arguments have
    // no evaluation order, and the golden file depends on it).
    float scale = 0.0f;
    if (r % 5 != 4) {
      const int exponent = -12 + static_cast<int>(Next(&s) % 8);
      const float mantissa = 1.0f + (Next(&s) % 4096) / 4096.0f;
      scale = std::ldexp(mantissa, exponent);
    }
    uint32_t u = 0;
    std::memcpy(&u, &scale, 4);
    for (int k = 0; k < 4; ++k) row[k] = static_cast<uint8_t>(u >> (8 * k));
    for (uint64_t b = 0; b < bits; ++b) {
      WriteBitsMsb(row + kTrellisScaleBytes, b, 1, Next(&s) >> 31);
    }
  }
  return out;
}

std::vector<uint8_t> RandomRawPayload(const TensorEntry& e, uint32_t seed) {
  const DType t = static_cast<DType>(e.storage);
  const size_t es = DTypeSize(t);
  std::vector<uint8_t> out;
  uint32_t s = seed | 1u;
  for (int64_t i = 0; i < e.num_elements(); ++i) {
    const float f =
        static_cast<float>(static_cast<int32_t>(Next(&s) % 2001) - 1000) /
        1024.0f;
    uint32_t bits = 0;
    if (t == DType::kF32) {
      std::memcpy(&bits, &f, 4);
    } else {
      bits = t == DType::kF16 ? FloatToHalf(f) : FloatToBFloat16(f);
    }
    for (size_t k = 0; k < es; ++k) {
      out.push_back(static_cast<uint8_t>(bits >> (8 * k)));
    }
  }
  return out;
}

std::vector<TestTensor> SampleTensors() {
  std::vector<TestTensor> t;
  t.push_back({Raw("norm.weight", {3}, Storage::kF32), {}});
  t.push_back({Raw("embed.weight", {2, 3}, Storage::kF16), {}});
  t.push_back({Raw("head.bias", {5}, Storage::kBF16), {}});
  t.push_back({Seedlm("layers.0.q_proj.weight", {3, 20}, "4bit"), {}});
  t.push_back({Seedlm("layers.0.mlp.up.weight", {2, 2, 30}, "3bit"), {}});
  TensorEntry i8 = Seedlm("layers.0.o_proj.weight", {2, 9}, "4bit-i8");
  i8.exponent_bias = -3;
  i8.exponent_mode = ExponentMode::kFit;
  t.push_back({i8, {}});
  for (size_t i = 0; i < t.size(); ++i) {
    const uint32_t seed = 1000 + static_cast<uint32_t>(i);
    t[i].payload = t[i].entry.storage == Storage::kSeedLM
                       ? RandomBlocksPayload(t[i].entry, seed)
                       : RandomRawPayload(t[i].entry, seed);
  }
  return t;
}

std::vector<TestTensor> TrellisSampleTensors() {
  std::vector<TestTensor> t;
  t.push_back({Raw("norm.weight", {3}, Storage::kF32), {}});
  t.push_back({Seedlm("layers.0.q_proj.weight", {3, 20}, "4bit"), {}});
  t.push_back(
      {Trellis("layers.0.k_proj.weight", {3, 300}, *PresetByName("4bit-t")),
       {}});
  t.push_back(
      {Trellis("layers.0.mlp.up.weight", {2, 2, 172}, *PresetByName("3bit-t")),
       {}});
  t.push_back(
      {Trellis("layers.0.v_proj.weight", {1, 5}, *PresetByName("2bit-t")), {}});
  CodecConfig custom = *PresetByName("4bit-t");
  custom.trellis = TrellisParams{12, 4, 64, false};
  t.push_back({Trellis("layers.0.o_proj.weight", {4, 130}, custom), {}});
  for (size_t i = 0; i < t.size(); ++i) {
    const uint32_t seed = 2000 + static_cast<uint32_t>(i);
    const TensorEntry& e = t[i].entry;
    t[i].payload =
        e.storage == Storage::kTrellis  ? RandomTrellisPayload(e, seed)
        : e.storage == Storage::kSeedLM ? RandomBlocksPayload(e, seed)
                                        : RandomRawPayload(e, seed);
  }
  return t;
}

std::map<std::string, std::string> SampleMetadata() {
  return {{"arch.config", "{\"hidden_size\": 20, \"num_layers\": 1}"},
          {"source.format", "safetensors"},
          {"tokenizer.data", std::string("\x00\x01tok\xff", 6)},
          {"tokenizer.format", "test"}};
}

absl::StatusOr<std::string> WriteContainer(
    const std::string& path, const std::vector<TestTensor>& tensors,
    const std::map<std::string, std::string>& metadata) {
  ASSIGN_OR_RETURN(auto w, ContainerWriter::Create(path, metadata));
  for (const TestTensor& t : tensors) {
    RETURN_IF_ERROR(w->AddTensor(t.entry, t.payload));
  }
  RETURN_IF_ERROR(w->Finish());
  return ReadFileToString(path, uint64_t{1} << 30);
}

void RepairChecksums(std::string* bytes) {
  const uint64_t size = bytes->size();
  if (size < kContainerHeaderSize) return;
  uint8_t* data = reinterpret_cast<uint8_t*>(&(*bytes)[0]);
  const ci::Header h = ci::DecodeHeader(data);
  if (h.directory_offset <= size) {
    const uint64_t dir_size =
        std::min(h.directory_size, size - h.directory_offset);
    uint8_t* dir = data + h.directory_offset;
    ci::ByteReader r(dir, dir_size);
    for (uint32_t i = 0; i < h.tensor_count; ++i) {
      const uint64_t start = r.position();
      TensorEntry e;
      if (!ci::DecodeEntry(&r, &e).empty()) break;
      if (e.offset > size || e.size > size - e.offset) continue;
      const uint32_t crc = Crc32(data + e.offset, e.size);
      ci::StoreU32(
          dir + start + ci::EntryCrcOffset(e.name.size(), e.shape.size()), crc);
    }
    ci::StoreU32(data + ci::kOffIndexCrc,
                 Crc32(dir, size - h.directory_offset));
  }
  ci::StoreU32(data + ci::kOffHeaderCrc, Crc32(data, ci::kOffHeaderCrc));
}

}  // namespace container_testing
}  // namespace seedlm
