// CreatePackedEngine / CreateBf16Engine: the RTL configurations this build
// has (one Verilated model each, fpga/sim/engine.cmake) and the options they
// accept. Compiled twice: for the tests and the executor (small lane counts
// but for the default preset, to keep the generated code and CI time down),
// and with SEEDLM_FPGA_REPORT_ENGINES for seedlm-fpga-report (the lanes that
// saturate 64 and 128 B/cycle ports).
#include "fpga/sim/engine.h"

#include <algorithm>
#include <cstring>
#include <vector>

#if defined(SEEDLM_FPGA_REPORT_ENGINES)
#include "Vreport_3bit.h"
#include "Vreport_4bit_p4.h"
#include "Vreport_bf16.h"
#else
#include "Vengine_3bit.h"
#include "Vengine_4bit.h"
#include "Vengine_4bit_i8.h"
#include "Vengine_4bit_p4.h"
#include "Vengine_bf16.h"
#endif
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "fpga/sim/verilated_engine.h"

namespace seedlm::fpga {
namespace {

absl::Status CheckRows(int64_t rows, int64_t begin, int64_t end) {
  if (begin < 0 || end > rows || begin > end) {
    return absl::InvalidArgumentError(
        absl::StrCat("rows [", begin, ", ", end, ") of ", rows));
  }
  return absl::OkStatus();
}

template <typename V>
class PackedAdapter final : public PackedEngine {
 public:
  PackedAdapter(const CodecConfig& codec, EngineShape shape, int bpc, int lanes)
      : codec_(codec), core_(std::move(shape), bpc, lanes) {}
  const CodecConfig& codec() const override { return codec_; }
  std::string description() const override { return core_.description(); }

  absl::StatusOr<MatVecStats> MatVec(const kernels::PackedView& m,
                                     const float* x, int64_t row_begin,
                                     int64_t row_end, float* y) override {
    if (!(m.codec == codec_)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the matrix's codec is not the engine's (", core_.shape().name, ")"));
    }
    if (absl::Status s = CheckRows(m.rows, row_begin, row_end); !s.ok()) {
      return s;
    }
    EngineJob job;
    job.data = m.data;
    job.size = m.size;
    job.block_bits = codec_.bits_per_block();
    job.first_bit = static_cast<uint64_t>(row_begin * m.blocks_per_row) *
                    static_cast<uint64_t>(job.block_bits);
    job.rows = row_end - row_begin;
    job.cols = m.cols;
    job.bpr = m.blocks_per_row;
    job.block_weights = codec_.C;
    job.field_scale = m.field_scale;
    job.scale_entries = 1 << codec_.E;
    job.x = x;
    return core_.Run(job, y);
  }

 private:
  CodecConfig codec_;
  VerilatedCore<V> core_;
};

class Bf16Adapter final : public Bf16Engine {
 public:
  Bf16Adapter(EngineShape shape, int bpc, int lanes)
      : core_(std::move(shape), bpc, lanes) {}
  std::string description() const override { return core_.description(); }

  absl::StatusOr<MatVecStats> MatVec(const uint16_t* w, int64_t rows,
                                     int64_t cols, const float* x,
                                     int64_t row_begin, int64_t row_end,
                                     float* y) override {
    if (absl::Status s = CheckRows(rows, row_begin, row_end); !s.ok()) {
      return s;
    }
    // Rows padded to whole groups of 8 weights (zeros past cols).
    const int64_t bpr = (cols + 7) / 8;
    const int64_t n = row_end - row_begin;
    padded_.assign(static_cast<size_t>(n * bpr * 8), 0);
    for (int64_t r = 0; r < n; ++r) {
      std::memcpy(&padded_[static_cast<size_t>(r * bpr * 8)],
                  w + (row_begin + r) * cols,
                  static_cast<size_t>(cols) * sizeof(uint16_t));
    }
    const float one = 1.0f;  // no scale: the port exists, unused
    EngineJob job;
    job.data = reinterpret_cast<const uint8_t*>(padded_.data());
    job.size = padded_.size() * sizeof(uint16_t);
    job.rows = n;
    job.cols = cols;
    job.bpr = bpr;
    job.block_bits = 128;
    job.block_weights = 8;
    job.field_scale = &one;
    job.x = x;
    return core_.Run(job, y);
  }

 private:
#if defined(SEEDLM_FPGA_REPORT_ENGINES)
  VerilatedCore<Vreport_bf16> core_;
#else
  VerilatedCore<Vengine_bf16> core_;
#endif
  std::vector<uint16_t> padded_;
};

template <typename V>
std::unique_ptr<PackedEngine> Make(const CodecConfig& c, EngineShape s, int bpc,
                                   int lanes) {
  return std::make_unique<PackedAdapter<V>>(c, std::move(s), bpc, lanes);
}

struct Built {
  const char* preset;
  EngineShape shape;  // must match the PARAMS of engine.cmake
  std::unique_ptr<PackedEngine> (*make)(const CodecConfig&, EngineShape, int,
                                        int);
};

const std::vector<Built>& BuiltEngines() {
#if defined(SEEDLM_FPGA_REPORT_ENGINES)
  static const auto* built = new std::vector<Built>{
      {"4bit-p4", {"4bit-p4", 32, 128, 2048}, &Make<Vreport_4bit_p4>},
      {"3bit", {"3bit", 14, 64, 1024}, &Make<Vreport_3bit>},
  };
#else
  static const auto* built = new std::vector<Built>{
      {"4bit-p4", {"4bit-p4", 16, 64, 2048}, &Make<Vengine_4bit_p4>},
      {"4bit-i8", {"4bit-i8", 4, 64, 2048}, &Make<Vengine_4bit_i8>},
      {"4bit", {"4bit", 4, 64, 2048}, &Make<Vengine_4bit>},
      {"3bit", {"3bit", 4, 64, 1024}, &Make<Vengine_3bit>},
  };
#endif
  return *built;
}
#if defined(SEEDLM_FPGA_REPORT_ENGINES)
const EngineShape kBf16Shape{"bf16", 8, 128, 2048};
#else
const EngineShape kBf16Shape{"bf16", 4, 64, 2048};
#endif

// The lanes for `options`, or INVALID_ARGUMENT.
absl::StatusOr<int> Lanes(const EngineOptions& options,
                          const EngineShape& shape, int c, int block_bits) {
  const int bpc = options.bytes_per_cycle;
  if (bpc < 4 * c || bpc > shape.max_bpc) {
    return absl::InvalidArgumentError(
        absl::StrCat("bytes per cycle ", bpc, ": the ", shape.name,
                     " engine takes ", 4 * c, "..", shape.max_bpc));
  }
  const int lanes = options.lanes != 0
                        ? options.lanes
                        : std::min(shape.max_lanes, 8 * bpc / block_bits);
  if (lanes < 1 || lanes > shape.max_lanes) {
    return absl::InvalidArgumentError(
        absl::StrCat("lanes ", lanes, ": the ", shape.name, " engine has 1..",
                     shape.max_lanes));
  }
  return lanes;
}

}  // namespace

absl::StatusOr<std::unique_ptr<PackedEngine>> CreatePackedEngine(
    const CodecConfig& codec, const EngineOptions& options) {
  std::vector<std::string> names;
  for (const Built& b : BuiltEngines()) {
    absl::StatusOr<CodecConfig> preset = PresetByName(b.preset);
    if (!preset.ok()) return preset.status();
    names.push_back(b.preset);
    if (!(*preset == codec)) continue;
    absl::StatusOr<int> lanes =
        Lanes(options, b.shape, codec.C, codec.bits_per_block());
    if (!lanes.ok()) return lanes.status();
    return b.make(codec, b.shape, options.bytes_per_cycle, *lanes);
  }
  return absl::UnimplementedError(
      absl::StrCat("the RTL is built for ", absl::StrJoin(names, ", "),
                   ", not for ", PresetName(codec)));
}

absl::StatusOr<std::unique_ptr<Bf16Engine>> CreateBf16Engine(
    const EngineOptions& options) {
  absl::StatusOr<int> lanes = Lanes(options, kBf16Shape, 8, 128);
  if (!lanes.ok()) return lanes.status();
  return std::make_unique<Bf16Adapter>(kBf16Shape, options.bytes_per_cycle,
                                       *lanes);
}

}  // namespace seedlm::fpga
