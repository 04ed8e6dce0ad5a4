#include "core/compress/model_compressor.h"

#include <algorithm>
#include <chrono>
#include <map>

#include "absl/strings/str_cat.h"
#include "core/compress/checkpoint.h"
#include "core/compress/compression_plan.h"
#include "core/compress/unit_compressor.h"
#include "core/search/searcher_factory.h"
#include "core/util/crc32.h"
#include "core/util/file_util.h"
#include "core/util/status_macros.h"

namespace seedlm {
namespace {

double SecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
      .count();
}

// The searchers of a plan, one per exponent bias, created on first use.
class SearcherCache {
 public:
  SearcherCache(const CompressionPlan& plan, SearchAlgorithm algorithm)
      : plan_(plan), algorithm_(algorithm) {}
  SearchAlgorithm algorithm() const { return algorithm_; }

  absl::StatusOr<const BlockSearcher*> Get(int bias) {
    std::unique_ptr<BlockSearcher>& s = searchers_[bias];
    if (s == nullptr) {
      ASSIGN_OR_RETURN(s, CreateSearcher(plan_.SearchFor(bias), algorithm_));
    }
    return s.get();
  }

 private:
  const CompressionPlan& plan_;
  SearchAlgorithm algorithm_;
  std::map<int, std::unique_ptr<BlockSearcher>> searchers_;
};

// What the local run shares between tensors.
struct LocalRun {
  const CompressionPlan& plan;
  SearcherCache& searchers;
  Checkpoint& ckpt;
  ThreadPool* pool;
};

// Compresses tensor t into the checkpoint: its bias unit (if automatic),
// then its row units in row order. `cb` sees the tensor's blocks.
absl::StatusOr<CheckpointEntry> CompressTensor(LocalRun& run, size_t t,
                                               uint32_t input_crc,
                                               const RowReader& read,
                                               const SearchCallbacks& cb) {
  const CompressionPlan& plan = run.plan;
  const PlannedTensor& p = plan.tensors[t];
  const auto t0 = std::chrono::steady_clock::now();
  int bias = 0;
  if (p.exponent_bias.has_value()) {
    bias = *p.exponent_bias;
  } else {
    ASSIGN_OR_RETURN(bias,
                     ChooseUnitBias(plan, p.first_unit, read,
                                    run.searchers.algorithm(), run.pool, cb));
  }
  ASSIGN_OR_RETURN(const BlockSearcher* searcher, run.searchers.Get(bias));
  RETURN_IF_ERROR(run.ckpt.BeginTensor(t));
  auto sink = [&](absl::Span<const uint8_t> bytes) {
    return run.ckpt.Append(bytes);
  };
  const int64_t bpr = p.geometry.blocks_per_row();
  ErrorSums sums;
  for (size_t u = p.first_unit; u < p.first_unit + p.num_units; ++u) {
    const WorkUnit& unit = plan.units[u];
    if (unit.kind != UnitKind::kCompressRows) continue;
    SearchCallbacks ucb;
    ucb.cancel = cb.cancel;
    if (cb.progress) {
      ucb.progress = [&](int64_t done, int64_t) {
        cb.progress(unit.row_begin * bpr + done, p.geometry.num_blocks());
      };
    }
    ASSIGN_OR_RETURN(ErrorSums s, CompressUnitTo(plan, u, *searcher, read, sink,
                                                 run.pool, ucb));
    sums = AddUnitErrors(sums, s);
  }
  CheckpointEntry e;
  e.input_crc = input_crc;
  e.sq_error = sums.sq_error;
  e.sq_norm = sums.sq_norm;
  e.seconds = SecondsSince(t0);
  e.exponent_bias = bias;
  RETURN_IF_ERROR(run.ckpt.CommitTensor(t, e));
  if (!run.ckpt.Lookup(t, e.input_crc, &e)) {
    return absl::DataLossError(
        absl::StrCat("checkpoint of ", p.name, " did not read back intact"));
  }
  return e;
}

// Tensor t's entry: from the checkpoint when it holds the tensor for the same
// input bytes (*reused = true), else compressed into it.
absl::StatusOr<CheckpointEntry> ReuseOrCompress(LocalRun& run,
                                                const ModelSource& source,
                                                size_t t,
                                                const SearchCallbacks& cb,
                                                bool* reused) {
  ASSIGN_OR_RETURN(absl::Span<const uint8_t> raw, source.RawBytes(t));
  CheckpointEntry e;
  const uint32_t input_crc = Crc32(raw.data(), raw.size());
  *reused = run.ckpt.Lookup(t, input_crc, &e);
  if (*reused) {
    const int64_t blocks = run.plan.tensors[t].geometry.num_blocks();
    if (cb.progress) cb.progress(blocks, blocks);
  } else {
    ASSIGN_OR_RETURN(RowReader read, SourceRowReader(source, t));
    ASSIGN_OR_RETURN(e, CompressTensor(run, t, input_crc, read, cb));
  }
  source.ReleasePages(t);
  return e;
}

// Serves unit payloads to AssembleContainer from the checkpoint's per-tensor
// payload files (units are asked for in plan order, so one file at a time).
class CheckpointPayloads {
 public:
  CheckpointPayloads(const CompressionPlan& plan, const Checkpoint& ckpt)
      : plan_(plan), ckpt_(ckpt) {}

  absl::Status Provide(size_t unit, const PayloadSink& sink) {
    const WorkUnit& u = plan_.units[unit];
    if (file_ == nullptr || tensor_ != u.tensor) {
      file_.reset();
      ASSIGN_OR_RETURN(file_, MappedFile::Open(ckpt_.PayloadPath(u.tensor)));
      tensor_ = u.tensor;
    }
    if (u.payload_offset + u.payload_bytes > file_->size()) {
      return absl::DataLossError(absl::StrCat(
          file_->path(), " ends before the payload of unit ", unit));
    }
    constexpr uint64_t kChunk = 16 << 20;
    const uint64_t end = u.payload_offset + u.payload_bytes;
    for (uint64_t off = u.payload_offset; off < end; off += kChunk) {
      const uint64_t n = std::min(kChunk, end - off);
      RETURN_IF_ERROR(sink(absl::MakeConstSpan(file_->data() + off, n)));
      file_->DropPages(off, n);
    }
    return absl::OkStatus();
  }

 private:
  const CompressionPlan& plan_;
  const Checkpoint& ckpt_;
  size_t tensor_ = 0;
  std::unique_ptr<MappedFile> file_;
};

}  // namespace

absl::StatusOr<CompressReport> CompressModel(
    const ModelSource& source, const std::string& out_path,
    const CompressOptions& options, ThreadPool* pool,
    const CompressCallbacks& callbacks) {
  const auto t_start = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(const CompressionPlan plan,
                   PlanCompression(source, options));
  SearcherCache searchers(plan, options.algorithm);
  // Fail before touching the checkpoint if the codec's tables cannot be
  // built (they do not depend on the bias).
  RETURN_IF_ERROR(searchers.Get(options.exponent_bias.value_or(0)).status());
  ASSIGN_OR_RETURN(
      std::unique_ptr<Checkpoint> ckpt,
      Checkpoint::Open(out_path, plan.fingerprint, options.resume));
  LocalRun run{plan, searchers, *ckpt, pool};
  const size_t n = plan.tensors.size();
  std::vector<int> biases(n, 0);
  std::vector<ErrorSums> sums(n);
  std::vector<double> seconds(n, 0.0);
  CompressReport report;
  int64_t blocks_before = 0;
  for (size_t t = 0; t < n; ++t) {
    const PlannedTensor& p = plan.tensors[t];
    if (!p.compressed) continue;
    SearchCallbacks cb;
    cb.cancel = callbacks.cancel;
    if (callbacks.progress) {
      cb.progress = [&](int64_t done, int64_t) {
        callbacks.progress(p.name, blocks_before + done, plan.total_blocks);
      };
    }
    bool reused = false;
    ASSIGN_OR_RETURN(const CheckpointEntry e,
                     ReuseOrCompress(run, source, t, cb, &reused));
    report.reused_tensors += reused ? 1 : 0;
    blocks_before += p.geometry.num_blocks();
    biases[t] = e.exponent_bias;
    sums[t].sq_error = e.sq_error;
    sums[t].sq_norm = e.sq_norm;
    seconds[t] = e.seconds;
  }
  report.tensors = PlanReport(plan, biases, sums);
  for (size_t t = 0; t < n; ++t) report.tensors[t].seconds = seconds[t];
  CheckpointPayloads payloads(plan, *ckpt);
  RETURN_IF_ERROR(AssembleContainer(
      plan, source, biases,
      [&](size_t unit, const PayloadSink& sink) {
        return payloads.Provide(unit, sink);
      },
      out_path));
  RETURN_IF_ERROR(ckpt->Remove());
  report.seconds = SecondsSince(t_start);
  return report;
}

}  // namespace seedlm
