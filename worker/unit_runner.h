// The worker's RPC-free core: runs one leased work unit (a tensor's
// exponent-bias choice or a run of its rows; core/compress/compression_plan.h)
// from the unit's description alone, with no plan. The gRPC loop
// (worker.h) converts a WorkService lease into a UnitTask, calls RunUnit and
// sends the outcome back.
//
// The rows come either with the lease (stored bytes and their CRC-32) or as
// a reference into a model under the worker's --model-root, which the worker
// opens itself (ModelRoot: path confined to the root, models cached). A
// reference that cannot be used for any reason is not an error of the unit:
// the outcome says "rows unavailable" and the coordinator sends the rows.
#ifndef SEEDLM_WORKER_UNIT_RUNNER_H_
#define SEEDLM_WORKER_UNIT_RUNNER_H_

#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/compress/compression_plan.h"
#include "core/compress/handshake.h"
#include "core/compress/tensor_compressor.h"
#include "core/model/model_source.h"
#include "core/search/search_options.h"
#include "core/search/searcher_factory.h"
#include "core/util/dtype.h"
#include "core/util/mutex.h"
#include "core/util/thread_pool.h"

namespace seedlm::worker {

// The most elements of a matrix and of one unit a worker accepts; larger is
// INVALID_ARGUMENT (a unit of the plan is ~64k blocks, well under this).
inline constexpr int64_t kMaxMatrixElements = int64_t{1} << 40;
inline constexpr int64_t kMaxUnitElements = int64_t{1} << 28;
// The longest model path / tensor name of a reference, bytes.
inline constexpr size_t kMaxRefPathBytes = 4096;

// A unit's rows sent with the lease: UnitStoredRows bytes (unit_rows.h).
struct StoredRows {
  DType dtype = DType::kF32;
  std::vector<uint8_t> bytes;
  uint32_t crc32 = 0;  // zlib CRC-32 of `bytes`
};

// A unit's rows to read from a model under the model root.
struct RowsReference {
  std::string model_path;   // relative to the model root
  std::string tensor_name;  // the tensor in that model
  uint32_t rows_crc32 = 0;  // CRC-32 of the unit's UnitStoredRows bytes
};

// A leased unit, as the coordinator described it.
struct UnitTask {
  std::string job_id;
  int64_t unit_index = 0;
  UnitKind kind = UnitKind::kCompressRows;
  // Codec, exponent mode and (kCompressRows) the tensor's exponent bias.
  SearchOptions search;
  // The handshake the result must be made with: must equal this build's
  // CodecHandshakeFor(search.codec).
  CodecHandshake handshake;
  int64_t rows = 0;  // the tensor's matrix: rows x cols
  int64_t cols = 0;
  // kCompressRows: rows [row_begin, row_end), aligned (CheckRowRange), whose
  // payload is payload_bytes long. kChooseBias: [0, rows).
  int64_t row_begin = 0;
  int64_t row_end = 0;
  uint64_t payload_bytes = 0;
  // Exactly one is set.
  std::optional<StoredRows> stored;
  std::optional<RowsReference> reference;
};

// What RunUnit produced.
struct UnitOutcome {
  enum class Kind {
    kBias,             // kChooseBias done: exponent_bias
    kRows,             // kCompressRows done: payload, sums, blocks
    kRowsUnavailable,  // the reference could not be used: `unavailable`
  };
  Kind kind = Kind::kRows;
  int exponent_bias = 0;
  std::vector<uint8_t> payload;  // payload_bytes bytes
  ErrorSums sums;
  int64_t blocks = 0;  // blocks searched (kRows)
  // Why the referenced rows could not be used (kRowsUnavailable): NOT_FOUND
  // (no such file or tensor), PERMISSION_DENIED (outside the root),
  // FAILED_PRECONDITION (no model root, another shape), DATA_LOSS (the rows'
  // CRC differs), or the model reader's error.
  absl::Status unavailable;
};

// The models under a --model-root, opened on demand and cached. A path is
// resolved under the root only: absolute paths, and paths whose real path
// (symlinks resolved) leaves the root, are PERMISSION_DENIED; for a
// directory model (a Hugging Face checkpoint) every file in it must resolve
// inside the root too. A cached model is reopened when its files' sizes or
// modification times change. Thread-safe.
class ModelRoot {
 public:
  // `root` must be an existing directory (NOT_FOUND / INVALID_ARGUMENT
  // otherwise). Keeps at most `capacity` (>= 1) models open, least recently
  // used dropped first.
  static absl::StatusOr<std::unique_ptr<ModelRoot>> Open(
      const std::string& root, int capacity = 4);

  // The model at `relative_path` under the root, shared (it stays valid
  // while the caller holds it, even if evicted). Errors: PERMISSION_DENIED
  // as above, INVALID_ARGUMENT for an empty or overlong path, NOT_FOUND,
  // errors of OpenModel.
  absl::StatusOr<std::shared_ptr<const ModelSource>> Get(
      const std::string& relative_path) ABSL_LOCKS_EXCLUDED(mu_);

  // Forgets the cached model at `relative_path`, if any (its rows did not
  // match: it is reopened next time).
  void Evict(const std::string& relative_path) ABSL_LOCKS_EXCLUDED(mu_);

  const std::string& root() const { return root_; }

 private:
  struct Entry {
    std::string path;         // as asked
    std::string fingerprint;  // sizes and mtimes of its files
    std::shared_ptr<const ModelSource> model;
  };
  ModelRoot(std::string root, int capacity)
      : root_(std::move(root)), capacity_(capacity) {}

  const std::string root_;  // realpath of the root
  const int capacity_;
  Mutex mu_;
  std::list<Entry> cache_ ABSL_GUARDED_BY(mu_);  // most recent first
};

// Runs `task` (its rows from task.stored, or task.reference through
// `model_root`, which may be null: then a reference is rows-unavailable)
// with the given search implementation on `pool` (may be null).
// Pure: the payload, sums and bias are those of CompressUnit /
// ChooseUnitBias of the plan the unit came from. Errors (the unit cannot
// run here; the worker reports them as a failure): FAILED_PRECONDITION when
// task.handshake is not this build's; INVALID_ARGUMENT for bad options,
// sizes, ranges or payload_bytes, or not exactly one row source; DATA_LOSS
// when the stored rows' CRC differs; CANCELLED when callbacks.cancel was
// set; errors of the search. Thread-safe.
absl::StatusOr<UnitOutcome> RunUnit(
    const UnitTask& task, ModelRoot* model_root, ThreadPool* pool,
    const SearchCallbacks& callbacks,
    SearchAlgorithm algorithm = SearchAlgorithm::kFast);

}  // namespace seedlm::worker

#endif  // SEEDLM_WORKER_UNIT_RUNNER_H_
