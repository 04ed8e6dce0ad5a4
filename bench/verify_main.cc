// seedlm-verify: checks that the fast seed search returns exactly the
// reference's results (seed, e, q and err bits) on many generated blocks
// (core/search/equivalence.h), for every preset and exponent mode.
//
//   seedlm-verify [--blocks N] [--presets P,...] [--modes M,...]
//                 [--kinds K,...] [--bias B] [--threads T] [--seed S]
//                 [--model PATH [--model-blocks M]] [--rings R]
//                 [--reference-rings M] [--trellis-model PATH] [--json]
//
// N blocks per preset x mode (default 100000, a long run: the reference costs
// ~5 ms per block per thread), spread evenly over the block generators; with
// --model also the blocks of a checkpoint's linear tensors (an evenly spread
// sample of M, or all of them when M = 0), as the quality bench reads them.
// Prints one row per preset x mode x generator and exits 1 if any block
// differs (the first mismatches are printed in full), 2 on a usage error.
//
// Trellis presets (4bit-t, ...) are checked ring by ring instead: --rings R
// rows of one ring (T weights) per trellis preset, spread over Gaussian,
// Student-t and outlier rows, plus with --trellis-model (or --model) every
// row of the checkpoint's linear tensors. Every fast implementation this
// CPU runs (AVX-512, AVX2, portable) encodes every row (TrellisEncodeRow:
// rotation, scale, seam and constrained passes) and must give the same
// bytes; the scalar reference (~30 ms a ring) encodes an evenly spread
// subset of --reference-rings rows per data set, which must match too.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "bench/bench_flags.h"
#include "bench/quality_data.h"
#include "core/codec/packed_matrix.h"
#include "core/compress/compress_options.h"
#include "core/search/equivalence.h"
#include "core/search/fast_search.h"
#include "core/search/reference_search.h"
#include "core/search/trellis_search.h"
#include "core/util/cpu_features.h"
#include "core/util/status_macros.h"
#include "core/util/version.h"
#include "nlohmann/json.hpp"

namespace seedlm {
namespace {

constexpr int64_t kNoBias = 1000;  // --bias not given

struct VerifyFlags {
  int64_t blocks = 100000;
  std::string presets;  // default: all
  std::string modes = "search,fit,paper";
  std::string kinds;  // default: all
  int64_t bias = kNoBias;
  int64_t threads = 0;
  uint64_t seed = 1;
  std::string model;
  int64_t model_blocks = 0;
  bool json = false;
  int64_t rings = 100000;
  int64_t reference_rings = 100;
  std::string trellis_model;
};

struct Row {
  std::string preset, mode;
  EquivalenceReport report;
};

// One trellis preset x data set: rings compared between the fast impls and
// against the reference.
struct TrellisRow {
  std::string preset, data, impls;
  int64_t rings = 0, mismatches = 0;
  int64_t reference_rings = 0, reference_mismatches = 0;
  double fast_s = 0.0, reference_s = 0.0;
};

// The sampled model blocks of width C (rows zero-padded), as doubles.
std::vector<double> ModelBlocks(const DataSet& data, int C, int64_t n) {
  std::vector<double> w;
  for (const BlockRef& b : SampleBlocks(data, C, n)) {
    const Matrix& m = data.matrices[b.matrix];
    for (int c = 0; c < C; ++c) {
      const int64_t col = b.col0 + c;
      w.push_back(col < m.cols ? m.w[b.row * m.cols + col] : 0.0);
    }
  }
  return w;
}

void Report(const std::string& preset, const SearchOptions& opt,
            EquivalenceReport r, std::vector<Row>* rows) {
  if (r.mismatches > 0) {
    std::fprintf(stderr, "MISMATCH %s %s:\n%s", preset.c_str(),
                 ExponentModeName(opt.mode), FormatMismatches(r, opt).c_str());
  }
  rows->push_back({preset, ExponentModeName(opt.mode), std::move(r)});
}

absl::Status VerifyOne(const SearchOptions& opt, const std::string& preset,
                       const std::vector<BlockKind>& kinds, int64_t blocks,
                       uint64_t seed, const DataSet* model,
                       int64_t model_blocks, ThreadPool* pool,
                       std::vector<Row>* rows) {
  ASSIGN_OR_RETURN(std::unique_ptr<FastSearcher> fast,
                   FastSearcher::Create(opt));
  ASSIGN_OR_RETURN(std::unique_ptr<ReferenceSearcher> ref,
                   ReferenceSearcher::Create(opt));
  const int64_t k = static_cast<int64_t>(kinds.size());
  for (int64_t i = 0; i < k; ++i) {
    const int64_t n = blocks / k + (i < blocks % k ? 1 : 0);
    if (n == 0) continue;
    ASSIGN_OR_RETURN(
        EquivalenceReport r,
        CompareSearchers(*fast, *ref, kinds[i], n, seed + i, pool));
    Report(preset, opt, std::move(r), rows);
  }
  if (model != nullptr) {
    const std::vector<double> w =
        ModelBlocks(*model, opt.codec.C, model_blocks);
    ASSIGN_OR_RETURN(EquivalenceReport r,
                     CompareSearchersOnBlocks(*fast, *ref, w, "model", pool));
    Report(preset, opt, std::move(r), rows);
  }
  return absl::OkStatus();
}

// Encodes rows `idx` of w (rows x cols) with `impl` into out (row bytes rb).
absl::Status EncodeTrellis(const TrellisParams& t, const Matrix& m,
                           const std::vector<int64_t>& idx,
                           TrellisSearchImpl impl, ThreadPool* pool,
                           std::vector<uint8_t>* out) {
  const uint64_t rb = TrellisRowBytes(MakeTrellisLayout(t), m.cols);
  out->assign(idx.size() * rb, 0);
  std::vector<absl::Status> st(idx.size());
  pool->ParallelFor(
      static_cast<int64_t>(idx.size()), 8, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) {
          st[i] = TrellisEncodeRow(
              t, absl::MakeConstSpan(&m.w[idx[i] * m.cols], m.cols),
              absl::MakeSpan(out->data() + i * rb, rb), impl);
        }
      });
  for (const absl::Status& x : st) RETURN_IF_ERROR(x);
  return absl::OkStatus();
}

// Rows of `out` (row bytes rb) that differ from `want`'s rows `at`.
int64_t DifferingRows(const std::vector<uint8_t>& want,
                      const std::vector<uint8_t>& got, uint64_t rb,
                      const std::vector<int64_t>& at) {
  int64_t bad = 0;
  for (size_t i = 0; i < at.size(); ++i) {
    bad += !std::equal(got.begin() + i * rb, got.begin() + (i + 1) * rb,
                       want.begin() + at[i] * rb);
  }
  return bad;
}

// Compares the fast impls on every row of each matrix of `data` and the
// reference on about `ref_rings` evenly spread rows; one TrellisRow.
absl::Status VerifyTrellisData(const TrellisParams& t,
                               const std::string& preset, const DataSet& data,
                               int64_t ref_rings, ThreadPool* pool,
                               std::vector<TrellisRow>* out) {
  TrellisRow row;
  row.preset = preset;
  row.data = data.name;
  std::vector<TrellisSearchImpl> impls;
  for (TrellisSearchImpl i :
       {TrellisSearchImpl::kAvx512, TrellisSearchImpl::kAvx2,
        TrellisSearchImpl::kPortable}) {
    if (!TrellisSearchImplSupported(i)) continue;
    impls.push_back(i);
    absl::StrAppend(&row.impls, row.impls.empty() ? "" : ",",
                    TrellisSearchImplName(i));
  }
  const TrellisLayout l = MakeTrellisLayout(t);
  int64_t total_rows = 0;
  for (const Matrix& m : data.matrices) total_rows += m.rows;
  for (const Matrix& m : data.matrices) {
    const uint64_t rb = TrellisRowBytes(l, m.cols);
    std::vector<int64_t> all(m.rows), sub;
    for (int64_t r = 0; r < m.rows; ++r) all[r] = r;
    const int64_t want_ref = (ref_rings * m.rows + total_rows - 1) / total_rows;
    for (int64_t k = 0; k < want_ref && k < m.rows; ++k) {
      sub.push_back(k * m.rows / std::min(want_ref, m.rows));
    }
    std::vector<uint8_t> first, got;
    for (size_t i = 0; i < impls.size(); ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      RETURN_IF_ERROR(
          EncodeTrellis(t, m, all, impls[i], pool, i == 0 ? &first : &got));
      row.fast_s +=
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
              .count();
      if (i > 0) row.mismatches += DifferingRows(first, got, rb, all);
    }
    const auto t0 = std::chrono::steady_clock::now();
    RETURN_IF_ERROR(
        EncodeTrellis(t, m, sub, TrellisSearchImpl::kReference, pool, &got));
    row.reference_s +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
            .count();
    row.reference_mismatches += DifferingRows(first, got, rb, sub);
    row.rings += m.rows * TrellisRingsPerRow(l, m.cols);
    row.reference_rings +=
        static_cast<int64_t>(sub.size()) * TrellisRingsPerRow(l, m.cols);
  }
  if (row.mismatches + row.reference_mismatches > 0) {
    std::fprintf(stderr, "MISMATCH trellis %s %s\n", preset.c_str(),
                 data.name.c_str());
  }
  out->push_back(std::move(row));
  return absl::OkStatus();
}

// One trellis preset: --rings generated rows of one ring (Gaussian,
// Student-t, outliers), then the model's rows.
absl::Status VerifyTrellis(const VerifyFlags& f, const std::string& preset,
                           const TrellisParams& t, const DataSet* model,
                           ThreadPool* pool, std::vector<TrellisRow>* out) {
  const BlockKind kinds[] = {BlockKind::kGauss02, BlockKind::kStudentT3,
                             BlockKind::kOutliers};
  SearchOptions one;
  ASSIGN_OR_RETURN(one.codec, PresetByName(kDefaultPreset));
  one.codec.C = 1;
  one.codec.P = 1;
  for (int i = 0; i < 3; ++i) {
    const int64_t n = f.rings / 3 + (i < f.rings % 3 ? 1 : 0);
    if (n == 0) continue;
    DataSet d{BlockKindName(kinds[i]), {}};
    Matrix m{"generated", n, t.T, {}};
    const std::vector<double> g =
        GenerateBlocks(one, kinds[i], n * t.T, f.seed + i);
    m.w.assign(g.begin(), g.end());
    d.matrices.push_back(std::move(m));
    RETURN_IF_ERROR(
        VerifyTrellisData(t, preset, d, f.reference_rings, pool, out));
  }
  if (model != nullptr) {
    RETURN_IF_ERROR(
        VerifyTrellisData(t, preset, *model, f.reference_rings, pool, out));
  }
  return absl::OkStatus();
}

std::string FormatTrellisTable(const std::vector<TrellisRow>& rows) {
  std::string out = absl::StrFormat(
      "%-8s %-12s %8s %-20s %8s %8s %8s %9s %9s\n", "trellis", "data", "rings",
      "fast impls", "mismatch", "ref", "ref-mis", "fast s", "ref s");
  int64_t rings = 0, ref = 0, bad = 0;
  for (const TrellisRow& r : rows) {
    absl::StrAppendFormat(
        &out, "%-8s %-12s %8d %-20s %8d %8d %8d %9.2f %9.2f\n", r.preset,
        r.data, r.rings, r.impls, r.mismatches, r.reference_rings,
        r.reference_mismatches, r.fast_s, r.reference_s);
    rings += r.rings;
    ref += r.reference_rings;
    bad += r.mismatches + r.reference_mismatches;
  }
  absl::StrAppendFormat(
      &out,
      "%s: %d trellis rings compared between the fast impls, %d of them also "
      "with the reference, %d mismatches\n",
      bad == 0 ? "OK" : "FAILED", rings, ref, bad);
  return out;
}

std::string FormatTable(const std::vector<Row>& rows, int threads) {
  std::string out =
      absl::StrFormat("%-8s %-6s %-12s %8s %10s %9s %9s\n", "preset", "mode",
                      "kind", "blocks", "mismatch", "fast s", "ref s");
  int64_t blocks = 0, bad = 0;
  for (const Row& r : rows) {
    absl::StrAppendFormat(&out, "%-8s %-6s %-12s %8d %10d %9.2f %9.2f\n",
                          r.preset, r.mode, r.report.data, r.report.blocks,
                          r.report.mismatches, r.report.fast_seconds,
                          r.report.reference_seconds);
    blocks += r.report.blocks;
    bad += r.report.mismatches;
  }
  absl::StrAppendFormat(&out,
                        "%s: %d blocks compared, %d mismatches (%d threads)\n",
                        bad == 0 ? "OK" : "FAILED", blocks, bad, threads);
  return out;
}

std::string FormatJson(const std::vector<Row>& rows,
                       const std::vector<TrellisRow>& trellis) {
  nlohmann::ordered_json tr = nlohmann::ordered_json::array();
  int64_t rings = 0, ring_bad = 0;
  for (const TrellisRow& r : trellis) {
    tr.push_back({{"preset", r.preset},
                  {"data", r.data},
                  {"rings", r.rings},
                  {"impls", r.impls},
                  {"mismatches", r.mismatches},
                  {"reference_rings", r.reference_rings},
                  {"reference_mismatches", r.reference_mismatches},
                  {"fast_s", r.fast_s},
                  {"reference_s", r.reference_s}});
    rings += r.rings;
    ring_bad += r.mismatches + r.reference_mismatches;
  }
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  int64_t blocks = 0, bad = 0;
  for (const Row& r : rows) {
    out.push_back({{"preset", r.preset},
                   {"mode", r.mode},
                   {"kind", r.report.data},
                   {"blocks", r.report.blocks},
                   {"mismatches", r.report.mismatches},
                   {"fast_s", r.report.fast_seconds},
                   {"reference_s", r.report.reference_seconds}});
    blocks += r.report.blocks;
    bad += r.report.mismatches;
  }
  return nlohmann::ordered_json({{"rows", out},
                                 {"blocks", blocks},
                                 {"mismatches", bad},
                                 {"trellis", tr},
                                 {"trellis_rings", rings},
                                 {"trellis_mismatches", ring_bad}})
             .dump(1) +
         "\n";
}

absl::Status Run(const VerifyFlags& f, std::vector<Row>* rows,
                 std::vector<TrellisRow>* trellis, int* threads) {
  std::vector<BlockKind> kinds;
  if (f.kinds.empty()) {
    kinds = AllBlockKinds();
  } else {
    for (const std::string& k : SplitList(f.kinds)) {
      ASSIGN_OR_RETURN(BlockKind kind, ParseBlockKind(k));
      kinds.push_back(kind);
    }
  }
  const std::vector<std::string> presets =
      f.presets.empty() ? PresetNames() : SplitList(f.presets);
  std::unique_ptr<DataSet> model;
  if (!f.model.empty()) {
    ASSIGN_OR_RETURN(DataSet d, LoadModelDataSet(f.model));
    model = std::make_unique<DataSet>(std::move(d));
  }
  std::unique_ptr<DataSet> trellis_model;
  const std::string& tm = f.trellis_model.empty() ? f.model : f.trellis_model;
  if (!tm.empty()) {
    ASSIGN_OR_RETURN(DataSet d, LoadModelDataSet(tm));
    trellis_model = std::make_unique<DataSet>(std::move(d));
  }
  ThreadPool pool(static_cast<int>(f.threads));
  *threads = pool.num_threads();
  for (const std::string& preset : presets) {
    ASSIGN_OR_RETURN(CodecConfig codec, PresetByName(preset));
    if (codec.is_trellis()) {
      RETURN_IF_ERROR(VerifyTrellis(f, preset, codec.trellis,
                                    trellis_model.get(), &pool, trellis));
      continue;
    }
    for (const std::string& mode : SplitList(f.modes)) {
      SearchOptions opt;
      ASSIGN_OR_RETURN(opt.codec, PresetByName(preset));
      ASSIGN_OR_RETURN(opt.mode, ParseExponentMode(mode));
      // Where the compressor would choose the bias (codecs without a block
      // exponent: the bias sets the scale), unless --bias is given, a fixed
      // one: where its bias search starts for the generated sigma = 0.02 data.
      if (f.bias != kNoBias) {
        opt.exponent_bias = static_cast<int>(f.bias);
      } else if (!DefaultExponentBias(opt.codec).has_value()) {
        opt.exponent_bias = InitialExponentBias(0.02);
      }
      RETURN_IF_ERROR(opt.Validate());
      RETURN_IF_ERROR(VerifyOne(opt, preset, kinds, f.blocks, f.seed,
                                model.get(), f.model_blocks, &pool, rows));
    }
  }
  return absl::OkStatus();
}

}  // namespace
}  // namespace seedlm

int main(int argc, char** argv) {
  // The SIMD override is read here, once, and passed down (cpu_features.h).
  if (absl::Status simd =
          seedlm::SetSimdLevelCapFrom(std::getenv("SEEDLM_SIMD"));
      !simd.ok()) {
    std::fprintf(stderr, "seedlm-verify: %s\n",
                 std::string(simd.message()).c_str());
    return 2;
  }
  using namespace seedlm;  // NOLINT: a small main
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--version") {
      std::printf("%s\n", VersionLine("seedlm-verify").c_str());
      return 0;
    }
  }
  VerifyFlags f;
  FlagSet flags;
  flags.AddInt("blocks", &f.blocks, "blocks per preset x mode");
  flags.AddString("presets", &f.presets,
                  "comma-separated presets (default all)");
  flags.AddString("modes", &f.modes, "comma-separated exponent modes");
  flags.AddString("kinds", &f.kinds,
                  "comma-separated generators (default all)");
  flags.AddInt("bias", &f.bias,
               "exponent bias b of the searches (default 0; -8 for codecs "
               "without a block exponent)");
  flags.AddInt("threads", &f.threads, "threads (0 = all cores)");
  flags.AddUint("seed", &f.seed, "generator seed");
  flags.AddString("model", &f.model,
                  "also compare on a checkpoint's linear tensors");
  flags.AddInt("model-blocks", &f.model_blocks,
               "model blocks per preset x mode (0 = all)");
  flags.AddBool("json", &f.json, "print JSON instead of a table");
  flags.AddInt("rings", &f.rings,
               "trellis presets: generated one-ring rows per preset");
  flags.AddInt("reference-rings", &f.reference_rings,
               "trellis presets: rows per data set also encoded by the "
               "reference");
  flags.AddString("trellis-model", &f.trellis_model,
                  "trellis presets: also every row of this checkpoint "
                  "(default: --model)");
  absl::Status s = flags.Parse(std::vector<std::string>(argv + 1, argv + argc));
  if (flags.WantsHelp()) {
    std::printf(
        "usage: seedlm-verify [flags]\nCompares the fast seed search with the "
        "reference, bit for bit, on generated blocks. Flags:\n%s"
        "  --version  print the version line\n",
        flags.Usage().c_str());
    return 0;
  }
  if (s.ok() && f.blocks < 0) s = absl::InvalidArgumentError("--blocks < 0");
  if (s.ok() && (f.rings < 0 || f.reference_rings < 0)) {
    s = absl::InvalidArgumentError("--rings or --reference-rings < 0");
  }
  std::vector<Row> rows;
  std::vector<TrellisRow> trellis;
  int threads = 0;
  if (s.ok()) s = Run(f, &rows, &trellis, &threads);
  if (!s.ok()) {
    std::fprintf(stderr, "seedlm-verify: %s\n", s.ToString().c_str());
    return s.code() == absl::StatusCode::kInvalidArgument ||
                   s.code() == absl::StatusCode::kNotFound
               ? 2
               : 1;
  }
  std::string out =
      f.json ? FormatJson(rows, trellis) : FormatTable(rows, threads);
  if (!f.json && !trellis.empty()) out += FormatTrellisTable(trellis);
  std::fwrite(out.data(), 1, out.size(), stdout);
  int64_t bad = 0;
  for (const Row& r : rows) bad += r.report.mismatches;
  for (const TrellisRow& r : trellis) {
    bad += r.mismatches + r.reference_mismatches;
  }
  return bad == 0 ? 0 : 1;
}
