// Compression with a trellis codec (spec §13) through the block codec's entry
// points: matrices, row ranges, plans, units, the handshake and whole models.
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "core/codec/trellis.h"
#include "core/compress/handshake.h"
#include "core/compress/model_compressor.h"
#include "core/compress/plan_test_util.h"
#include "core/compress/tensor_compressor.h"
#include "core/compress/unit_compressor.h"
#include "core/format/container.h"
#include "core/model/model_test_util.h"
#include "core/model/safetensors.h"
#include "core/search/searcher_factory.h"
#include "core/search/trellis_search.h"
#include "core/util/crc32.h"
#include "core/util/file_util.h"
#include "gtest/gtest.h"

namespace seedlm {
namespace {

using testing_util::ScratchDir;
using testing_util::WriteOddModel;

std::vector<float> Gaussian(size_t n, uint32_t seed, double sigma) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> g(0.0, sigma);
  std::vector<float> w(n);
  for (float& x : w) x = static_cast<float>(g(rng));
  return w;
}

std::unique_ptr<BlockSearcher> Searcher(
    const char* preset, SearchAlgorithm algo = SearchAlgorithm::kFast) {
  SearchOptions o;
  o.codec = *PresetByName(preset);
  return *CreateSearcher(o, algo);
}

// The whole matrix is the rows encoded one by one with TrellisEncodeRow,
// concatenated; the error sums are the rows' errors and the weights' squares;
// thread count and algorithm change nothing. 270 columns: a full ring and a
// short last one; 9 rows on a pool of 3 threads.
TEST(TrellisCompressTest, MatrixIsTheRowsEncodedOneByOne) {
  const int64_t rows = 9, cols = 270;
  const std::vector<float> w = Gaussian(rows * cols, 3, 0.02);
  for (const char* preset : {"4bit-t", "2bit-t"}) {
    const CodecConfig codec = *PresetByName(preset);
    auto searcher = Searcher(preset);
    ThreadPool pool(3);
    auto m = CompressMatrix(*searcher, w, rows, cols, &pool, {});
    ASSERT_TRUE(m.ok()) << m.status();
    ASSERT_TRUE(m->geometry.is_trellis());
    const uint64_t rb = m->geometry.trellis_row_bytes();
    ASSERT_EQ(m->payload.size(), rows * rb);
    double se = 0.0, sn = 0.0;
    for (int64_t r = 0; r < rows; ++r) {
      std::vector<uint8_t> want(rb);
      double err = 0.0;
      ASSERT_TRUE(TrellisEncodeRow(
                      codec.trellis, absl::MakeConstSpan(&w[r * cols], cols),
                      absl::MakeSpan(want), TrellisSearchImpl::kAuto, &err)
                      .ok());
      EXPECT_TRUE(
          std::equal(want.begin(), want.end(), m->payload.begin() + r * rb))
          << preset << " row " << r;
      se += err;
    }
    for (float v : w) sn += double(v) * v;
    EXPECT_EQ(m->sq_error, se);
    EXPECT_EQ(m->sq_norm, sn);
    EXPECT_GT(m->rel_error(), 0.0);
    EXPECT_LT(m->rel_error(), 0.5);
    auto single = CompressMatrix(*searcher, w, rows, cols, nullptr, {});
    ASSERT_TRUE(single.ok());
    EXPECT_EQ(single->payload, m->payload);
    EXPECT_EQ(single->sq_error, m->sq_error);
  }
  auto fast = CompressMatrix(*Searcher("3bit-t"), w, rows, cols, nullptr, {});
  auto ref = CompressMatrix(*Searcher("3bit-t", SearchAlgorithm::kReference), w,
                            rows, cols, nullptr, {});
  ASSERT_TRUE(fast.ok() && ref.ok());
  EXPECT_EQ(fast->payload, ref->payload);
}

// Any aligned split of the rows compresses into slices of the whole payload
// that concatenate to it; each slice's sums add up to the whole's.
TEST(TrellisCompressTest, RowRangesConcatenateToTheWholePayload) {
  const int64_t rows = 27, cols = 40;
  const std::vector<float> w = Gaussian(rows * cols, 5, 0.02);
  auto searcher = Searcher("4bit-t");
  auto whole = *CompressMatrix(*searcher, w, rows, cols, nullptr, {});
  auto read = [&](int64_t r0, int64_t r1, absl::Span<float> out) {
    std::memcpy(out.data(), &w[r0 * cols], (r1 - r0) * cols * sizeof(float));
    return absl::OkStatus();
  };
  for (const std::vector<int64_t>& cuts : std::vector<std::vector<int64_t>>{
           {0, 27}, {0, 8, 27}, {0, 16, 24, 27}}) {
    std::vector<uint8_t> joined;
    double se = 0.0;
    for (size_t i = 0; i + 1 < cuts.size(); ++i) {
      std::vector<uint8_t> part;
      auto sink = [&](absl::Span<const uint8_t> b) {
        part.insert(part.end(), b.begin(), b.end());
        return absl::OkStatus();
      };
      auto s = CompressRowRange(*searcher, rows, cols, cuts[i], cuts[i + 1],
                                read, sink, nullptr, {}, /*slice_blocks=*/1);
      ASSERT_TRUE(s.ok()) << s.status();
      const PayloadRange pr =
          RowRangePayload(whole.geometry, cuts[i], cuts[i + 1]);
      EXPECT_EQ(pr.offset, joined.size());
      EXPECT_EQ(pr.bytes, part.size());
      EXPECT_EQ(pr.offset, cuts[i] * whole.geometry.trellis_row_bytes());
      joined.insert(joined.end(), part.begin(), part.end());
      se += s->sq_error;
    }
    EXPECT_EQ(joined, whole.payload);
    EXPECT_NEAR(se, whole.sq_error, 1e-12 * whole.sq_norm);
  }
}

// Progress counts rings and ends at the matrix's; cancellation stops with
// CANCELLED; a block search, a non-finite weight or a bias are refused.
TEST(TrellisCompressTest, ProgressCancelAndErrors) {
  const int64_t rows = 9, cols = 20;
  std::vector<float> w = Gaussian(rows * cols, 8, 0.02);
  auto searcher = Searcher("4bit-t");
  int64_t last = -1, total = -1;
  SearchCallbacks cb;
  cb.progress = [&](int64_t done, int64_t all) {
    EXPECT_GT(done, last);
    last = done;
    total = all;
  };
  ASSERT_TRUE(CompressMatrix(*searcher, w, rows, cols, nullptr, cb).ok());
  EXPECT_EQ(
      total,
      rows *
          MakeGeometry(searcher->options().codec, rows, cols).blocks_per_row());
  EXPECT_EQ(last, total);
  std::atomic<bool> cancel{true};
  EXPECT_EQ(
      CompressMatrix(*searcher, w, rows, cols, nullptr, {nullptr, &cancel})
          .status()
          .code(),
      absl::StatusCode::kCancelled);
  std::vector<BlockResult> out(1);
  std::vector<double> blk(8, 0.0);
  EXPECT_EQ(searcher->Search(blk, absl::MakeSpan(out), nullptr, {}).code(),
            absl::StatusCode::kFailedPrecondition);
  w[5 * cols + 3] = std::numeric_limits<float>::quiet_NaN();
  const absl::Status bad =
      CompressMatrix(*searcher, w, rows, cols, nullptr, {}).status();
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.message().find("row 5"), absl::string_view::npos) << bad;
  SearchOptions biased;
  biased.codec = *PresetByName("4bit-t");
  biased.exponent_bias = -3;
  EXPECT_EQ(CreateSearcher(biased, SearchAlgorithm::kFast).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// Options: the bias of a trellis codec is the fixed 0; anything else, and a
// mode other than `search`, is refused.
TEST(TrellisCompressTest, OptionsFixTheBiasAtZero) {
  const CodecConfig t = *PresetByName("4bit-t");
  EXPECT_EQ(DefaultExponentBias(t), std::optional<int>(0));
  CompressOptions o = CompressOptions::ForCodec(t);
  EXPECT_TRUE(o.Validate().ok());
  o.exponent_bias.reset();
  EXPECT_EQ(o.Validate().code(), absl::StatusCode::kInvalidArgument);
  o.exponent_bias = 2;
  EXPECT_EQ(o.Validate().code(), absl::StatusCode::kInvalidArgument);
  o.exponent_bias = 0;
  o.mode = ExponentMode::kFit;
  EXPECT_EQ(o.Validate().code(), absl::StatusCode::kInvalidArgument);
}

// A trellis plan: no bias unit, whole-row units of about unit_blocks * 8
// weights at row_begin * row_bytes, a fingerprint of its own per preset.
TEST(TrellisCompressTest, PlanUnitsHoldWholeRows) {
  ScratchDir dir;
  auto source = *OpenModel(WriteOddModel(dir));
  const CompressOptions o = CompressOptions::ForCodec(*PresetByName("4bit-t"));
  for (int64_t unit_blocks : {1, 4, 20, 1 << 16}) {
    auto plan = PlanCompression(*source, o, unit_blocks);
    ASSERT_TRUE(plan.ok()) << plan.status();
    for (const PlannedTensor& p : plan->tensors) {
      if (!p.compressed) continue;
      EXPECT_FALSE(p.exponent_bias.value_or(1) != 0) << p.name;
      const int64_t step = RunRowCount(p.geometry, unit_blocks);
      EXPECT_EQ(step % kPayloadRowAlignment, 0);
      EXPECT_GE(step * p.geometry.cols,
                std::min<int64_t>(unit_blocks * 8, p.geometry.cols));
      uint64_t next = 0;
      int64_t next_row = 0;
      for (size_t u = p.first_unit; u < p.first_unit + p.num_units; ++u) {
        const WorkUnit& unit = plan->units[u];
        ASSERT_EQ(unit.kind, UnitKind::kCompressRows) << p.name;
        EXPECT_EQ(unit.row_begin, next_row);
        EXPECT_EQ(unit.payload_offset, next);
        EXPECT_EQ(unit.payload_offset,
                  unit.row_begin * p.geometry.trellis_row_bytes());
        EXPECT_TRUE(unit.row_end - unit.row_begin == step ||
                    unit.row_end == p.geometry.rows);
        next += unit.payload_bytes;
        next_row = unit.row_end;
      }
      EXPECT_EQ(next_row, p.geometry.rows);
      EXPECT_EQ(next, p.geometry.payload_bytes());
    }
  }
  const auto t4 = *PlanCompression(*source, o);
  const auto t3 = *PlanCompression(
      *source, CompressOptions::ForCodec(*PresetByName("3bit-t")));
  const auto b4 = *PlanCompression(
      *source, CompressOptions::ForCodec(*PresetByName("4bit")));
  CompressOptions norot = o;
  norot.codec.trellis.rotate = false;
  EXPECT_NE(t4.fingerprint, t3.fingerprint);
  EXPECT_NE(t4.fingerprint, b4.fingerprint);
  EXPECT_NE(t4.fingerprint, PlanCompression(*source, norot)->fingerprint);
  EXPECT_EQ(t4.metadata.at(kMetaPreset), "4bit-t");
}

// Units compressed one at a time (as workers do) concatenate into the
// matrix's payload.
TEST(TrellisCompressTest, UnitsConcatenateToTheTensorPayload) {
  ScratchDir dir;
  auto source = *OpenModel(WriteOddModel(dir));
  const CompressOptions o = CompressOptions::ForCodec(*PresetByName("3bit-t"));
  auto plan = *PlanCompression(*source, o, /*unit_blocks=*/4);
  for (size_t t = 0; t < plan.tensors.size(); ++t) {
    const PlannedTensor& p = plan.tensors[t];
    if (!p.compressed) continue;
    std::vector<uint8_t> joined;
    for (size_t u = p.first_unit; u < p.first_unit + p.num_units; ++u) {
      auto r = CompressUnit(plan, u, 0, *source, SearchAlgorithm::kFast,
                            nullptr, {});
      ASSERT_TRUE(r.ok()) << r.status();
      joined.insert(joined.end(), r->payload.begin(), r->payload.end());
    }
    auto read = *SourceRowReader(*source, t);
    std::vector<float> w(p.geometry.rows * p.geometry.cols);
    ASSERT_TRUE(read(0, p.geometry.rows, absl::MakeSpan(w)).ok());
    auto whole = *CompressMatrix(*Searcher("3bit-t"), w, p.geometry.rows,
                                 p.geometry.cols, nullptr, {});
    EXPECT_EQ(joined, whole.payload) << p.name;
  }
}

// The handshake: a trellis id, and a CRC over the code table, the scale
// divisor and a probe row's encoding, written out independently here.
TEST(TrellisCompressTest, Handshake) {
  const uint16_t one = 1;
  uint8_t first = 0;
  std::memcpy(&first, &one, 1);
  const CodecConfig t4 = *PresetByName("4bit-t");
  EXPECT_EQ(CodecId(t4), "T-L16-R4-T256-rot");
  CodecConfig norot = t4;
  norot.trellis.rotate = false;
  EXPECT_EQ(CodecId(norot), "T-L16-R4-T256-norot");
  if (first == 1) {
    const double div = TrellisScaleDivisor(4);
    uint32_t crc = Crc32(TrellisCodeTable(16), sizeof(float) << 16);
    crc = Crc32(&div, sizeof(div), crc);
    std::vector<float> probe(300);
    for (uint32_t c = 0; c < 300; ++c) {
      probe[c] = float(((c + 1) * 2654435761u) >> 8) / 8388608.0f - 1.0f;
    }
    std::vector<uint8_t> row(
        TrellisRowBytes(MakeTrellisLayout(t4.trellis), 300));
    ASSERT_TRUE(TrellisEncodeRow(t4.trellis, probe, absl::MakeSpan(row)).ok());
    crc = Crc32(row.data(), row.size(), crc);
    EXPECT_EQ(*SeedTableCrc32(t4), crc);
  }
  const CodecHandshake h4 = *CodecHandshakeFor(t4);
  const CodecHandshake h3 = *CodecHandshakeFor(*PresetByName("3bit-t"));
  EXPECT_NE(h4, h3);
  EXPECT_TRUE(CheckHandshake(h4, h4).ok());
  CodecHandshake other_build = h4;
  other_build.seed_table_crc ^= 1;
  EXPECT_EQ(CheckHandshake(h4, other_build).code(),
            absl::StatusCode::kFailedPrecondition);
}

// Whether this build's container writer stores trellis tensors yet (the
// container's Storage::kTrellis support lands separately); the model-level
// tests below need it.
bool ContainerStoresTrellis(const ScratchDir& dir) {
  auto w = ContainerWriter::Create(dir.File("probe.seedlm"), {});
  if (!w.ok()) return false;
  TensorEntry e;
  e.name = "probe";
  e.shape = {1, 4};
  e.storage = Storage::kTrellis;
  e.codec = *PresetByName("4bit-t");
  const std::vector<uint8_t> payload(
      MakeGeometry(e.codec, 1, 4).payload_bytes(), 0);
  return (*w)->AddTensor(e, payload).ok() && (*w)->Finish().ok();
}

// Two compressed tensors (3 x 16, 5 x 8): an interrupted run can finish the
// first only.
std::string WriteTwoTensorModel(const ScratchDir& dir) {
  const std::vector<float> a = Gaussian(48, 5, 0.02), b = Gaussian(40, 6, 0.02);
  auto span = [](const std::vector<float>& v) {
    return absl::Span<const uint8_t>(reinterpret_cast<const uint8_t*>(v.data()),
                                     v.size() * 4);
  };
  const std::string model = dir.File("two.safetensors");
  EXPECT_TRUE(
      WriteSafetensors(
          model,
          {{TensorInfo{"layers.0.attention.wq.weight", {3, 16}, DType::kF32},
            span(a)},
           {TensorInfo{"layers.0.attention.wk.weight", {5, 8}, DType::kF32},
            span(b)}},
          {})
          .ok());
  return model;
}

// CompressModel with 4bit-t writes trellis entries whose payloads are the
// matrices' CompressMatrix payloads, and reports every stored bit.
TEST(TrellisModelTest, CompressModelWritesTrellisEntries) {
  ScratchDir dir;
  if (!ContainerStoresTrellis(dir)) {
    GTEST_SKIP() << "the container writer does not store trellis tensors yet";
  }
  auto source = *OpenModel(WriteTwoTensorModel(dir));
  const CompressOptions opt =
      CompressOptions::ForCodec(*PresetByName("4bit-t"));
  const std::string out = dir.File("t.seedlm");
  auto report = CompressModel(*source, out, opt, nullptr, {});
  ASSERT_TRUE(report.ok()) << report.status();
  auto reader = *ContainerReader::Open(out);
  for (size_t t = 0; t < 2; ++t) {
    const TensorReport& r = report->tensors[t];
    const size_t i = *reader->FindTensor(r.name);
    const TensorEntry& e = reader->tensors()[i];
    EXPECT_EQ(e.storage, Storage::kTrellis);
    EXPECT_EQ(e.codec, opt.codec);
    EXPECT_EQ(e.exponent_bias, 0);
    auto read = *SourceRowReader(*source, t);
    const int64_t rows = e.rows(), cols = e.cols();
    std::vector<float> w(rows * cols);
    ASSERT_TRUE(read(0, rows, absl::MakeSpan(w)).ok());
    auto m = *CompressMatrix(*Searcher("4bit-t"), w, rows, cols, nullptr, {});
    const absl::Span<const uint8_t> payload = *reader->Payload(i);
    EXPECT_EQ(std::vector<uint8_t>(payload.begin(), payload.end()), m.payload);
    EXPECT_EQ(r.storage, Storage::kTrellis);
    EXPECT_EQ(r.bits_per_weight, m.geometry.bits_per_weight());
    EXPECT_EQ(r.bits_per_weight, 8.0 * payload.size() / (rows * cols));
    EXPECT_EQ(r.rel_error, m.rel_error());
  }
}

// Interrupt after the first tensor, resume: the file equals an uninterrupted
// run's; another trellis preset cannot resume the checkpoint.
TEST(TrellisModelTest, ResumeIsByteIdentical) {
  ScratchDir dir;
  if (!ContainerStoresTrellis(dir)) {
    GTEST_SKIP() << "the container writer does not store trellis tensors yet";
  }
  auto source = *OpenModel(WriteTwoTensorModel(dir));
  CompressOptions opt = CompressOptions::ForCodec(*PresetByName("4bit-t"));
  const std::string clean = dir.File("clean.seedlm");
  ASSERT_TRUE(CompressModel(*source, clean, opt, nullptr, {}).ok());
  const std::string out = dir.File("resumed.seedlm");
  std::atomic<bool> cancel{false};
  CompressCallbacks cb;
  cb.cancel = &cancel;
  cb.progress = [&](const std::string& name, int64_t, int64_t) {
    if (name == "layers.0.attention.wk.weight") cancel = true;
  };
  ASSERT_EQ(CompressModel(*source, out, opt, nullptr, cb).status().code(),
            absl::StatusCode::kCancelled);
  CompressOptions other = CompressOptions::ForCodec(*PresetByName("3bit-t"));
  other.resume = true;
  EXPECT_EQ(CompressModel(*source, out, other, nullptr, {}).status().code(),
            absl::StatusCode::kFailedPrecondition);
  opt.resume = true;
  auto report = CompressModel(*source, out, opt, nullptr, {});
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->reused_tensors, 1);
  EXPECT_EQ(*ReadFileToString(out, 1 << 20), *ReadFileToString(clean, 1 << 20));
}

}  // namespace
}  // namespace seedlm
