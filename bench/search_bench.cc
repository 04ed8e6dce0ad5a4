#include "bench/search_bench.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "bench/bench_flags.h"
#include "core/codec/trellis.h"
#include "core/compress/compress_options.h"
#include "core/compress/tensor_compressor.h"
#include "core/search/equivalence.h"
#include "core/search/fast_search.h"
#include "core/search/reference_search.h"
#include "core/search/trellis_search.h"
#include "core/util/status_macros.h"
#include "nlohmann/json.hpp"

namespace seedlm {
namespace {

constexpr char kUsage[] =
    "usage: seedlm-bench search [flags]\n"
    "Blocks per second of the fast exact seed search and of the reference\n"
    "search in the same run (the reference on the first --reference-blocks\n"
    "blocks, whose results must equal the fast ones), and optionally of a\n"
    "whole-matrix compress (--tensor ROWSxCOLS). Trellis presets (4bit-t,\n"
    "3bit-t, ...) encode --trellis-rows rows of --trellis-cols weights, one\n"
    "row per thread, and the reference the first --reference-blocks rows\n"
    "(default 1); rates are also given in weights/s. Flags:\n";

struct SearchFlags {
  std::string preset = "4bit";
  std::string mode = "search";
  int64_t blocks = 20000;
  int64_t reference_blocks = 0;  // 0: max(50, blocks / 100)
  int64_t threads = 0;
  std::string simd = "auto";
  std::string kind = "gauss-0.02";
  std::string tensor;
  uint64_t seed = 1;
  bool json = false;
  int64_t trellis_rows = 16;
  int64_t trellis_cols = 4096;
  int64_t trellis_l = 0;  // 0: the preset's L
};

struct BenchRow {
  std::string preset, mode, simd, kind;
  int threads = 0;
  double setup_s = 0.0;
  int64_t fast_blocks = 0, reference_blocks = 0;
  double fast_s = 0.0, reference_s = 0.0;
  double fast_cpu_s = 0.0;  // process CPU time of the fast search
  FastSearchStats stats;
  int64_t mismatches = 0;
  int64_t tensor_rows = 0, tensor_cols = 0, tensor_blocks = 0;
  double tensor_s = 0.0;
  int64_t weights_per_block = 0;  // C; for trellis rows the row length
  bool trellis = false;
  double fast_rate() const { return fast_blocks / fast_s; }
  double weight_rate() const { return fast_rate() * weights_per_block; }
  double reference_rate() const { return reference_blocks / reference_s; }
};

// CPU seconds used by the whole process so far (all threads).
double CpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

double Seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
      .count();
}

// Times CompressMatrix on a rows x cols Gaussian (σ = 0.02) float matrix.
absl::Status TimeTensor(const BlockSearcher& fast, const std::string& spec,
                        uint64_t seed, ThreadPool* pool, BenchRow* row) {
  std::vector<std::string> parts = absl::StrSplit(spec, 'x');
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &row->tensor_rows) ||
      !absl::SimpleAtoi(parts[1], &row->tensor_cols) || row->tensor_rows <= 0 ||
      row->tensor_cols <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tensor must be ROWSxCOLS (got '", spec, "')"));
  }
  SearchOptions one = fast.options();
  one.codec.C = 1;
  one.codec.P = 1;
  const std::vector<double> g = GenerateBlocks(
      one, BlockKind::kGauss02, row->tensor_rows * row->tensor_cols, seed);
  const std::vector<float> w(g.begin(), g.end());
  const auto t0 = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(
      CompressedMatrix m,
      CompressMatrix(fast, w, row->tensor_rows, row->tensor_cols, pool, {}));
  row->tensor_s = Seconds(t0);
  row->tensor_blocks = m.geometry.num_blocks();
  return absl::OkStatus();
}

TrellisSearchImpl TrellisImplFor(SimdLevel simd) {
  switch (simd) {
    case SimdLevel::kScalar:
      return TrellisSearchImpl::kPortable;
    case SimdLevel::kAvx2:
      return TrellisSearchImpl::kAvx2;
    case SimdLevel::kAvx512:
      return TrellisSearchImpl::kAvx512;
    default:
      return ResolveTrellisSearchImpl(TrellisSearchImpl::kAuto);
  }
}

// Encodes `rows` rows of t (one row per ParallelFor index) into out.
absl::Status EncodeTrellisRows(const TrellisParams& t, const float* w,
                               int64_t rows, int64_t cols,
                               TrellisSearchImpl impl, ThreadPool* pool,
                               std::vector<uint8_t>* out) {
  const uint64_t rb = TrellisRowBytes(MakeTrellisLayout(t), cols);
  out->assign(rows * rb, 0);
  std::vector<absl::Status> st(rows);
  pool->ParallelFor(rows, 1, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      st[r] = TrellisEncodeRow(t, absl::MakeConstSpan(w + r * cols, cols),
                               absl::MakeSpan(out->data() + r * rb, rb), impl);
    }
  });
  for (const absl::Status& s : st) RETURN_IF_ERROR(s);
  return absl::OkStatus();
}

// A trellis preset: rows of --kind weights, fast impl vs the reference.
absl::StatusOr<BenchRow> RunTrellis(const SearchFlags& f,
                                    const std::string& preset,
                                    const CodecConfig& codec,
                                    ThreadPool* pool) {
  BenchRow row;
  row.trellis = true;
  TrellisParams t = codec.trellis;
  if (f.trellis_l > 0) t.L = static_cast<int>(f.trellis_l);
  CodecConfig check = codec;
  check.trellis = t;
  RETURN_IF_ERROR(check.Validate());
  if (f.trellis_rows < 1 || f.trellis_cols < 1) {
    return absl::InvalidArgumentError("--trellis-rows/--trellis-cols < 1");
  }
  ASSIGN_OR_RETURN(SimdLevel simd, ParseSimdLevel(f.simd));
  ASSIGN_OR_RETURN(BlockKind kind, ParseBlockKind(f.kind));
  const TrellisSearchImpl impl = TrellisImplFor(simd);
  if (!TrellisSearchImplSupported(impl)) {
    return absl::FailedPreconditionError(
        absl::StrCat("trellis search ", TrellisSearchImplName(impl),
                     " is not supported here"));
  }
  row.preset = f.trellis_l > 0 ? absl::StrCat(preset, "/L", t.L) : preset;
  row.mode = "-";
  row.kind = f.kind;
  row.simd = TrellisSearchImplName(impl);
  row.threads = pool->num_threads();
  row.weights_per_block = f.trellis_cols;
  SearchOptions one;
  ASSIGN_OR_RETURN(one.codec, PresetByName(kDefaultPreset));
  one.codec.C = 1;
  one.codec.P = 1;
  const int64_t rows = f.trellis_rows, cols = f.trellis_cols;
  const std::vector<double> g = GenerateBlocks(one, kind, rows * cols, f.seed);
  const std::vector<float> w(g.begin(), g.end());
  TrellisCodeTable(t.L);  // built once, outside the timing
  std::vector<uint8_t> a, b;
  row.fast_blocks = rows;
  auto t0 = std::chrono::steady_clock::now();
  const double cpu0 = CpuSeconds();
  RETURN_IF_ERROR(EncodeTrellisRows(t, w.data(), rows, cols, impl, pool, &a));
  row.fast_cpu_s = CpuSeconds() - cpu0;
  row.fast_s = Seconds(t0);
  row.reference_blocks =
      std::min(rows, f.reference_blocks > 0 ? f.reference_blocks : 1);
  t0 = std::chrono::steady_clock::now();
  RETURN_IF_ERROR(EncodeTrellisRows(t, w.data(), row.reference_blocks, cols,
                                    TrellisSearchImpl::kReference, pool, &b));
  row.reference_s = Seconds(t0);
  const uint64_t rb = TrellisRowBytes(MakeTrellisLayout(t), cols);
  for (int64_t r = 0; r < row.reference_blocks; ++r) {
    row.mismatches += !std::equal(b.begin() + r * rb, b.begin() + (r + 1) * rb,
                                  a.begin() + r * rb);
  }
  return row;
}

absl::StatusOr<BenchRow> RunOne(const SearchFlags& f, const std::string& preset,
                                ThreadPool* pool) {
  {
    ASSIGN_OR_RETURN(CodecConfig codec, PresetByName(preset));
    if (codec.is_trellis()) return RunTrellis(f, preset, codec, pool);
  }
  BenchRow row;
  SearchOptions opt;
  ASSIGN_OR_RETURN(opt.codec, PresetByName(preset));
  ASSIGN_OR_RETURN(opt.mode, ParseExponentMode(f.mode));
  // Where the compressor would choose the bias (codecs without a block
  // exponent: the bias sets the scale), a fixed one: where its bias search
  // starts for the generated sigma = 0.02 blocks.
  if (!DefaultExponentBias(opt.codec).has_value()) {
    opt.exponent_bias = InitialExponentBias(0.02);
  }
  ASSIGN_OR_RETURN(SimdLevel simd, ParseSimdLevel(f.simd));
  ASSIGN_OR_RETURN(BlockKind kind, ParseBlockKind(f.kind));
  row.preset = preset;
  row.mode = f.mode;
  row.kind = f.kind;
  row.threads = pool->num_threads();
  auto t0 = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(std::unique_ptr<FastSearcher> fast,
                   FastSearcher::Create(opt, simd));
  ASSIGN_OR_RETURN(std::unique_ptr<ReferenceSearcher> ref,
                   ReferenceSearcher::Create(opt));
  row.setup_s = Seconds(t0);
  row.simd = SimdLevelName(fast->simd_level());
  row.weights_per_block = opt.codec.C;
  row.fast_blocks = f.blocks;
  row.reference_blocks = std::min(
      f.blocks, f.reference_blocks > 0 ? f.reference_blocks
                                       : std::max<int64_t>(50, f.blocks / 100));
  const std::vector<double> w = GenerateBlocks(opt, kind, f.blocks, f.seed);
  std::vector<BlockResult> a(f.blocks), b(row.reference_blocks);
  t0 = std::chrono::steady_clock::now();
  const double cpu0 = CpuSeconds();
  RETURN_IF_ERROR(fast->Search(w, absl::MakeSpan(a), pool, {}));
  row.fast_cpu_s = CpuSeconds() - cpu0;
  row.fast_s = Seconds(t0);
  row.stats = fast->stats();
  t0 = std::chrono::steady_clock::now();
  RETURN_IF_ERROR(
      ref->Search(absl::MakeConstSpan(w).subspan(0, b.size() * opt.codec.C),
                  absl::MakeSpan(b), pool, {}));
  row.reference_s = Seconds(t0);
  for (size_t i = 0; i < b.size(); ++i)
    row.mismatches += !SameResult(a[i], b[i]);
  if (!f.tensor.empty()) {
    RETURN_IF_ERROR(TimeTensor(*fast, f.tensor, f.seed, pool, &row));
  }
  return row;
}

std::string FormatTable(const std::vector<BenchRow>& rows) {
  std::string out = absl::StrFormat(
      "%-8s %-6s %-8s %3s %8s %10s %9s %9s %7s %9s %8s %7s %7s %5s\n", "preset",
      "mode", "simd", "thr", "blocks", "fast b/s", "b/cpu-s", "weights/s",
      "ref", "ref b/s", "speedup", "scored", "rescans", "setup");
  for (const BenchRow& r : rows) {
    absl::StrAppendFormat(
        &out,
        "%-8s %-6s %-8s %3d %8d %10.0f %9.0f %9.0f %7d %9.1f %8.0f %7.2f "
        "%7d %4.1fs\n",
        r.preset, r.mode, r.simd, r.threads, r.fast_blocks, r.fast_rate(),
        r.fast_blocks / r.fast_cpu_s, r.weight_rate(), r.reference_blocks,
        r.reference_rate(), r.fast_rate() / r.reference_rate(),
        static_cast<double>(r.stats.scored_seeds) / r.fast_blocks,
        r.stats.rescans, r.setup_s);
    if (r.tensor_blocks > 0) {
      absl::StrAppendFormat(
          &out, "  compress %dx%d: %d blocks in %.2f s = %.0f blocks/s\n",
          r.tensor_rows, r.tensor_cols, r.tensor_blocks, r.tensor_s,
          r.tensor_blocks / r.tensor_s);
    }
    if (r.mismatches > 0) {
      absl::StrAppendFormat(&out, "  MISMATCH: %d of %d reference blocks\n",
                            r.mismatches, r.reference_blocks);
    }
  }
  // Trellis rows side by side with the first block preset of the run.
  const BenchRow* base = nullptr;
  for (const BenchRow& r : rows) {
    if (!r.trellis && base == nullptr) base = &r;
  }
  for (const BenchRow& r : rows) {
    if (!r.trellis || base == nullptr) continue;
    absl::StrAppendFormat(
        &out, "%s %.0f weights/s vs %s %.0f weights/s: %.2fx\n", r.preset,
        r.weight_rate(), base->preset, base->weight_rate(),
        r.weight_rate() / base->weight_rate());
  }
  absl::StrAppend(&out,
                  "trellis rows: a block is a row (--trellis-cols weights), "
                  "ref = reference rows.\n"
                  "b/s: wall-clock blocks/s; b/cpu-s: blocks per CPU second "
                  "(per thread, robust to a shared machine); scored: seeds "
                  "scored exactly per block.\n");
  return out;
}

std::string FormatJson(const std::vector<BenchRow>& rows) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const BenchRow& r : rows) {
    nlohmann::ordered_json j = {
        {"preset", r.preset},
        {"mode", r.mode},
        {"simd", r.simd},
        {"kind", r.kind},
        {"threads", r.threads},
        {"setup_s", r.setup_s},
        {"fast_blocks", r.fast_blocks},
        {"fast_s", r.fast_s},
        {"fast_blocks_per_s", r.fast_rate()},
        {"fast_blocks_per_cpu_s", r.fast_blocks / r.fast_cpu_s},
        {"weights_per_s", r.weight_rate()},
        {"reference_blocks", r.reference_blocks},
        {"reference_s", r.reference_s},
        {"reference_blocks_per_s", r.reference_rate()},
        {"speedup", r.fast_rate() / r.reference_rate()},
        {"scored_seeds_per_block",
         static_cast<double>(r.stats.scored_seeds) / r.fast_blocks},
        {"rescans", r.stats.rescans},
        {"exhaustive_blocks", r.stats.exhaustive_blocks},
        {"mismatches", r.mismatches}};
    if (r.tensor_blocks > 0) {
      j["tensor"] = {{"rows", r.tensor_rows},
                     {"cols", r.tensor_cols},
                     {"blocks", r.tensor_blocks},
                     {"seconds", r.tensor_s},
                     {"blocks_per_s", r.tensor_blocks / r.tensor_s}};
    }
    out.push_back(j);
  }
  return nlohmann::ordered_json({{"rows", out}}).dump(1) + "\n";
}

void AddFlags(SearchFlags* f, FlagSet* flags) {
  flags->AddString("preset", &f->preset, "preset(s), comma-separated, or all");
  flags->AddString("mode", &f->mode, "exponent mode: search, fit or paper");
  flags->AddInt("blocks", &f->blocks, "blocks encoded by the fast search");
  flags->AddInt("reference-blocks", &f->reference_blocks,
                "blocks encoded by the reference (0: max(50, blocks/100))");
  flags->AddInt("threads", &f->threads, "search threads (0 = all cores)");
  flags->AddString("simd", &f->simd, "auto, scalar, avx2 or avx512");
  flags->AddString("kind", &f->kind, "block generator (equivalence.h)");
  flags->AddString("tensor", &f->tensor,
                   "also time compressing a ROWSxCOLS Gaussian matrix");
  flags->AddUint("seed", &f->seed, "generator seed");
  flags->AddBool("json", &f->json, "print JSON instead of a table");
  flags->AddInt("trellis-rows", &f->trellis_rows,
                "trellis presets: rows encoded by the fast search");
  flags->AddInt("trellis-cols", &f->trellis_cols,
                "trellis presets: weights per row");
  flags->AddInt("trellis-l", &f->trellis_l,
                "trellis presets: state bits L instead of the preset's (0)");
}

}  // namespace

int SearchMain(const std::vector<std::string>& args) {
  SearchFlags f;
  FlagSet flags;
  AddFlags(&f, &flags);
  absl::Status s = flags.Parse(args);
  if (flags.WantsHelp()) {
    std::printf("%s%s", kUsage, flags.Usage().c_str());
    return 0;
  }
  if (s.ok() && f.blocks < 1) s = absl::InvalidArgumentError("--blocks < 1");
  if (!s.ok()) {
    std::fprintf(stderr, "seedlm-bench search: %s\n", s.ToString().c_str());
    return 2;
  }
  const std::vector<std::string> presets =
      f.preset == "all" ? PresetNames() : SplitList(f.preset);
  ThreadPool pool(static_cast<int>(f.threads));
  std::vector<BenchRow> rows;
  int64_t mismatches = 0;
  for (const std::string& preset : presets) {
    absl::StatusOr<BenchRow> row = RunOne(f, preset, &pool);
    if (!row.ok()) {
      std::fprintf(stderr, "seedlm-bench search: %s\n",
                   row.status().ToString().c_str());
      return row.status().code() == absl::StatusCode::kInvalidArgument ||
                     row.status().code() == absl::StatusCode::kNotFound
                 ? 2
                 : 1;
    }
    mismatches += row->mismatches;
    rows.push_back(*row);
  }
  const std::string out = f.json ? FormatJson(rows) : FormatTable(rows);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return mismatches == 0 ? 0 : 1;
}

}  // namespace seedlm
