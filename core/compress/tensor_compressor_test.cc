#include "core/compress/tensor_compressor.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "core/search/reference_search.h"
#include "gtest/gtest.h"

namespace seedlm {
namespace {

std::vector<float> Gaussian(size_t n, uint32_t seed, double sigma) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> g(0.0, sigma);
  std::vector<float> w(n);
  for (float& x : w) x = static_cast<float>(g(rng));
  return w;
}

// Rows that are not a multiple of C: every packed block equals the reference
// search of the zero-padded block, and the reported error is the decode's.
TEST(CompressMatrixTest, PaddedRowsMatchPerBlockReference) {
  for (const char* preset : {"4bit-i8", "3bit"}) {
    SearchOptions opt;
    opt.codec = *PresetByName(preset);
    auto searcher = *ReferenceSearcher::Create(opt);
    const int64_t rows = 3, cols = 13;
    const std::vector<float> w = Gaussian(rows * cols, 9, 0.02);
    ThreadPool pool(2);
    auto m = CompressMatrix(*searcher, w, rows, cols, &pool, {});
    ASSERT_TRUE(m.ok()) << m.status();
    const int C = opt.codec.C;
    ASSERT_EQ(m->geometry.blocks_per_row(), (cols + C - 1) / C);
    ASSERT_EQ(m->payload.size(), m->geometry.payload_bytes());
    auto table = *SeedTable::Get(opt.codec);
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t b = 0; b < m->geometry.blocks_per_row(); ++b) {
        std::vector<double> blk(C, 0.0);
        for (int c = 0; c < C && b * C + c < cols; ++c)
          blk[c] = w[r * cols + b * C + c];
        const BlockResult want = ReferenceSearchBlock(*table, opt, blk.data());
        const Block got = UnpackBlock(opt.codec.layout(), m->payload.data(),
                                      r * m->geometry.blocks_per_row() + b);
        EXPECT_EQ(got, want.block) << preset << " row " << r << " block " << b;
      }
    }
    std::vector<float> dec(rows * cols);
    ASSERT_TRUE(DecodePackedRows(opt.codec, 0, m->geometry, m->payload, 0, rows,
                                 absl::MakeSpan(dec))
                    .ok());
    double se = 0, sn = 0;
    for (size_t i = 0; i < w.size(); ++i) {
      se += (double(w[i]) - dec[i]) * (double(w[i]) - dec[i]);
      sn += double(w[i]) * w[i];
    }
    EXPECT_DOUBLE_EQ(m->sq_error, se);
    EXPECT_DOUBLE_EQ(m->sq_norm, sn);
    EXPECT_GT(m->rel_error(), 0.02);
    EXPECT_LT(m->rel_error(), 0.4);
  }
}

TEST(CompressMatrixTest, RejectsBadInput) {
  SearchOptions opt;
  auto searcher = *ReferenceSearcher::Create(opt);
  std::vector<float> w(16, 0.0f);
  EXPECT_EQ(CompressMatrix(*searcher, w, 3, 5, nullptr, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  w[3] = std::numeric_limits<float>::infinity();
  EXPECT_EQ(CompressMatrix(*searcher, w, 2, 8, nullptr, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(DecodePackedRowsTest, SliceEqualsWhole) {
  SearchOptions opt;
  opt.codec = *PresetByName("3bit-i8");
  auto searcher = *ReferenceSearcher::Create(opt);
  const std::vector<float> w = Gaussian(5 * 7, 4, 0.01);
  auto m = *CompressMatrix(*searcher, w, 5, 7, nullptr, {});
  std::vector<float> all(35), part(14);
  ASSERT_TRUE(DecodePackedRows(opt.codec, 0, m.geometry, m.payload, 0, 5,
                               absl::MakeSpan(all))
                  .ok());
  ASSERT_TRUE(DecodePackedRows(opt.codec, 0, m.geometry, m.payload, 2, 4,
                               absl::MakeSpan(part))
                  .ok());
  for (int i = 0; i < 14; ++i) EXPECT_EQ(part[i], all[14 + i]);
  EXPECT_FALSE(DecodePackedRows(opt.codec, 0, m.geometry, m.payload, 4, 6,
                                absl::MakeSpan(part))
                   .ok());
  std::vector<uint8_t> short_payload(m.payload.begin(), m.payload.end() - 1);
  EXPECT_FALSE(DecodePackedRows(opt.codec, 0, m.geometry, short_payload, 0, 5,
                                absl::MakeSpan(all))
                   .ok());
}

}  // namespace
}  // namespace seedlm

namespace seedlm {
namespace {

// Slices of any size give the same bytes and error as one pass; 36-bit
// blocks make slice boundaries fall inside bytes unless slices are 8 rows.
TEST(CompressMatrixStreamingTest, SliceSizeDoesNotChangeBytes) {
  SearchOptions opt;
  opt.codec = *PresetByName("3bit-i8");
  opt.codec.K = 10;  // a small seed space keeps the reference search fast
  auto searcher = *ReferenceSearcher::Create(opt);
  const int64_t rows = 37, cols = 13;
  const std::vector<float> w = Gaussian(rows * cols, 21, 0.02);
  auto whole = *CompressMatrix(*searcher, w, rows, cols, nullptr, {});
  for (int64_t slice : {1, 5, 16, 1000}) {
    std::vector<uint8_t> bytes;
    int64_t reads = 0;
    auto read = [&](int64_t r0, int64_t r1, absl::Span<float> out) {
      ++reads;
      EXPECT_TRUE((r1 - r0) % 8 == 0 || r1 == rows);  // whole bytes
      std::copy(&w[r0 * cols], &w[r1 * cols], out.begin());
      return absl::OkStatus();
    };
    auto sink = [&](absl::Span<const uint8_t> b) {
      bytes.insert(bytes.end(), b.begin(), b.end());
      return absl::OkStatus();
    };
    auto stats = CompressMatrixStreaming(*searcher, rows, cols, read, sink,
                                         nullptr, {}, slice);
    ASSERT_TRUE(stats.ok()) << stats.status();
    EXPECT_EQ(bytes, whole.payload) << "slice " << slice;
    EXPECT_EQ(stats->sq_error, whole.sq_error);
    if (slice <= 16) {
      EXPECT_GT(reads, 1) << slice;
    }
  }
}

}  // namespace
}  // namespace seedlm

namespace seedlm {
namespace {

double SampleError(const SearchOptions& base, int bias,
                   const std::vector<float>& w, int64_t rows, int64_t cols) {
  SearchOptions o = base;
  o.exponent_bias = bias;
  auto searcher = *CreateSearcher(o, SearchAlgorithm::kFast);
  return CompressMatrix(*searcher, w, rows, cols, nullptr, {})->sq_error;
}

// The chosen bias is a local minimum of the sample's error, the error at it
// is far below the bias-0 error for a codec without block exponents, and
// doubling every weight moves it up by exactly one (the search is
// scale-covariant in powers of two).
TEST(ChooseExponentBiasTest, LocalMinimumAndScaleCovariant) {
  SearchOptions opt;
  opt.codec = *PresetByName("4bit-p4");
  const int64_t rows = 40, cols = 24;  // the sample is every row
  const std::vector<float> w = Gaussian(rows * cols, 3, 0.02);
  auto read_from = [&](const std::vector<float>& m) {
    return [&m](int64_t r0, int64_t r1, absl::Span<float> out) {
      std::copy(&m[r0 * cols], &m[r1 * cols], out.begin());
      return absl::OkStatus();
    };
  };
  auto b = ChooseExponentBias(opt, SearchAlgorithm::kFast, rows, cols,
                              read_from(w), nullptr, {});
  ASSERT_TRUE(b.ok()) << b.status();
  const double e = SampleError(opt, *b, w, rows, cols);
  EXPECT_LE(e, SampleError(opt, *b - 1, w, rows, cols));
  EXPECT_LE(e, SampleError(opt, *b + 1, w, rows, cols));
  EXPECT_LT(e, 0.1 * SampleError(opt, 0, w, rows, cols));
  double norm = 0;
  for (float v : w) norm += double(v) * v;
  EXPECT_LT(std::sqrt(e / norm), 0.12);  // 4bit-p4 on Gaussian: ~0.09

  std::vector<float> w2(w);
  for (float& v : w2) v *= 2;
  auto b2 = ChooseExponentBias(opt, SearchAlgorithm::kFast, rows, cols,
                               read_from(w2), nullptr, {});
  ASSERT_TRUE(b2.ok());
  EXPECT_EQ(*b2, *b + 1);
  // Deterministic, and the reference search agrees.
  EXPECT_EQ(*ChooseExponentBias(opt, SearchAlgorithm::kReference, rows, cols,
                                read_from(w), nullptr, {}),
            *b);
  // An all-zero matrix has no scale to match: 0.
  const std::vector<float> zero(rows * cols, 0.0f);
  EXPECT_EQ(*ChooseExponentBias(opt, SearchAlgorithm::kFast, rows, cols,
                                read_from(zero), nullptr, {}),
            0);
}

// Only the sampled rows are read: min(rows, sample) rows spread evenly.
TEST(ChooseExponentBiasTest, ReadsAnEvenlySpreadSample) {
  SearchOptions opt;
  opt.codec = *PresetByName("4bit-p4");
  const int64_t rows = 1000, cols = 8;
  const std::vector<float> w = Gaussian(rows * cols, 4, 0.01);
  std::vector<int64_t> seen;
  auto read = [&](int64_t r0, int64_t r1, absl::Span<float> out) {
    for (int64_t r = r0; r < r1; ++r) seen.push_back(r);
    std::copy(&w[r0 * cols], &w[r1 * cols], out.begin());
    return absl::OkStatus();
  };
  ASSERT_TRUE(ChooseExponentBias(opt, SearchAlgorithm::kFast, rows, cols, read,
                                 nullptr, {}, 10)
                  .ok());
  EXPECT_EQ(seen, (std::vector<int64_t>{0, 100, 200, 300, 400, 500, 600, 700,
                                        800, 900}));
}

}  // namespace
}  // namespace seedlm
