#include "worker/unit_runner.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/codec/packed_matrix.h"
#include "core/compress/unit_compressor.h"
#include "core/compress/unit_rows.h"
#include "core/util/crc32.h"
#include "core/util/file_util.h"
#include "core/util/status_macros.h"

namespace seedlm::worker {
namespace {

// realpath(3) of `path`, or the errno's status.
absl::StatusOr<std::string> RealPath(const std::string& path) {
  char* r = ::realpath(path.c_str(), nullptr);
  if (r == nullptr) return ErrnoToStatus(errno, "cannot resolve", path);
  std::string out(r);
  std::free(r);
  return out;
}

// True iff the resolved path `p` is `root` or lies under it.
bool Inside(const std::string& root, const std::string& p) {
  if (p == root) return true;
  const std::string prefix = absl::EndsWith(root, "/") ? root : root + "/";
  return absl::StartsWith(p, prefix);
}

std::string StatFingerprint(const struct stat& st) {
  return absl::StrCat(st.st_dev, ":", st.st_ino, ":", st.st_size, ":",
                      st.st_mtim.tv_sec, ".", st.st_mtim.tv_nsec, ";");
}

// The sizes and mtimes of the model at `resolved` (a file, or a directory
// and every entry in it); PERMISSION_DENIED when an entry of a directory
// resolves outside `root`.
absl::StatusOr<std::string> Fingerprint(const std::string& root,
                                        const std::string& resolved) {
  struct stat st;
  if (::stat(resolved.c_str(), &st) != 0) {
    return ErrnoToStatus(errno, "cannot stat", resolved);
  }
  std::string fp = StatFingerprint(st);
  if (!S_ISDIR(st.st_mode)) return fp;
  DIR* dir = ::opendir(resolved.c_str());
  if (dir == nullptr) return ErrnoToStatus(errno, "cannot list", resolved);
  std::vector<std::string> names;
  while (const struct dirent* e = ::readdir(dir)) {
    const std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    const std::string p = resolved + "/" + name;
    absl::StatusOr<std::string> real = RealPath(p);
    if (!real.ok()) continue;  // dangling: the reader fails if it needs it
    if (!Inside(root, *real)) {
      return absl::PermissionDeniedError(
          absl::StrCat(p, " resolves outside the model root"));
    }
    if (::stat(real->c_str(), &st) != 0) continue;
    absl::StrAppend(&fp, name, "=", StatFingerprint(st));
  }
  return fp;
}

absl::Status Invalid(const UnitTask& t, const std::string& what) {
  return absl::InvalidArgumentError(
      absl::StrCat("job ", t.job_id, " unit ", t.unit_index, ": ", what));
}

// The checks of RunUnit on the task's shape (INVALID_ARGUMENT).
absl::Status ValidateTask(const UnitTask& t) {
  if (absl::Status s = t.search.Validate(); !s.ok()) {
    return Invalid(t, std::string(s.message()));
  }
  if (t.rows < 1 || t.cols < 1 || t.rows > kMaxMatrixElements / t.cols) {
    return Invalid(t, absl::StrCat("a matrix of ", t.rows, " x ", t.cols));
  }
  if (t.stored.has_value() == t.reference.has_value()) {
    return Invalid(t, "needs exactly one of stored rows and a reference");
  }
  if (t.reference.has_value() &&
      (t.reference->model_path.size() > kMaxRefPathBytes ||
       t.reference->tensor_name.size() > kMaxRefPathBytes)) {
    return Invalid(t, "reference path or tensor name too long");
  }
  if (t.kind == UnitKind::kChooseBias) {
    if (t.row_begin != 0 || t.row_end != t.rows || t.payload_bytes != 0) {
      return Invalid(t, absl::StrCat("a bias unit covers rows 0..", t.rows,
                                     " and has no payload"));
    }
    if (kBiasSampleRows * t.cols > kMaxUnitElements) {
      return Invalid(t, absl::StrCat(t.cols, " columns"));
    }
    return absl::OkStatus();
  }
  if (absl::Status s = CheckRowRange(t.rows, t.row_begin, t.row_end); !s.ok()) {
    return Invalid(t, std::string(s.message()));
  }
  if (t.row_end - t.row_begin > kMaxUnitElements / t.cols) {
    return Invalid(t, absl::StrCat(t.row_end - t.row_begin, " rows of ", t.cols,
                                   " elements"));
  }
  const PayloadRange want = RowRangePayload(
      MakeGeometry(t.search.codec, t.rows, t.cols), t.row_begin, t.row_end);
  if (t.payload_bytes != want.bytes) {
    return Invalid(t, absl::StrCat("payload of ", t.payload_bytes,
                                   " bytes, the rows pack into ", want.bytes));
  }
  return absl::OkStatus();
}

// The unit's rows read from the referenced model; any error means the
// reference cannot be used (rows unavailable).
absl::StatusOr<std::vector<uint8_t>> ReferencedRows(const UnitTask& t,
                                                    ModelRoot* root,
                                                    DType* dtype) {
  const RowsReference& ref = *t.reference;
  if (root == nullptr) {
    return absl::FailedPreconditionError("the worker has no --model-root");
  }
  ASSIGN_OR_RETURN(std::shared_ptr<const ModelSource> model,
                   root->Get(ref.model_path));
  ASSIGN_OR_RETURN(const size_t index, model->Find(ref.tensor_name));
  const TensorInfo& info = model->tensors()[index];
  int64_t rows = info.shape.empty() ? 0 : 1;
  for (size_t d = 0; d + 1 < info.shape.size(); ++d) rows *= info.shape[d];
  if (info.shape.empty() || rows != t.rows || info.shape.back() != t.cols) {
    return absl::FailedPreconditionError(
        absl::StrCat(ref.model_path, ": ", ref.tensor_name, " is not a ",
                     t.rows, " x ", t.cols, " matrix"));
  }
  ASSIGN_OR_RETURN(
      std::vector<uint8_t> bytes,
      UnitStoredRows(*model, index, t.kind, t.row_begin, t.row_end));
  const uint32_t crc = Crc32(bytes.data(), bytes.size());
  if (crc != ref.rows_crc32) {
    root->Evict(ref.model_path);
    return absl::DataLossError(
        absl::StrCat(ref.model_path, ": ", ref.tensor_name, " rows ",
                     t.row_begin, "..", t.row_end, " have CRC-32 ", crc,
                     ", the coordinator's is ", ref.rows_crc32));
  }
  *dtype = info.dtype;
  return bytes;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ModelRoot>> ModelRoot::Open(
    const std::string& root, int capacity) {
  ASSIGN_OR_RETURN(std::string real, RealPath(root));
  struct stat st;
  if (::stat(real.c_str(), &st) != 0) {
    return ErrnoToStatus(errno, "cannot stat", root);
  }
  if (!S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat("model root ", root, " is not a directory"));
  }
  return std::unique_ptr<ModelRoot>(
      new ModelRoot(std::move(real), std::max(1, capacity)));
}

absl::StatusOr<std::shared_ptr<const ModelSource>> ModelRoot::Get(
    const std::string& relative_path) {
  if (relative_path.empty() || relative_path.size() > kMaxRefPathBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("model path of ", relative_path.size(), " bytes"));
  }
  if (relative_path.front() == '/') {
    return absl::PermissionDeniedError(
        absl::StrCat(relative_path, " is not relative to the model root"));
  }
  ASSIGN_OR_RETURN(std::string resolved, RealPath(root_ + "/" + relative_path));
  if (!Inside(root_, resolved)) {
    return absl::PermissionDeniedError(
        absl::StrCat(relative_path, " resolves outside the model root"));
  }
  ASSIGN_OR_RETURN(std::string fp, Fingerprint(root_, resolved));
  {
    MutexLock lock(&mu_);
    for (auto it = cache_.begin(); it != cache_.end(); ++it) {
      if (it->path != relative_path) continue;
      if (it->fingerprint == fp) {
        cache_.splice(cache_.begin(), cache_, it);
        return cache_.front().model;
      }
      cache_.erase(it);
      break;
    }
  }
  ASSIGN_OR_RETURN(std::unique_ptr<ModelSource> opened, OpenModel(resolved));
  std::shared_ptr<const ModelSource> model = std::move(opened);
  MutexLock lock(&mu_);
  cache_.remove_if([&](const Entry& e) { return e.path == relative_path; });
  cache_.push_front(Entry{relative_path, std::move(fp), model});
  while (static_cast<int>(cache_.size()) > capacity_) cache_.pop_back();
  return model;
}

void ModelRoot::Evict(const std::string& relative_path) {
  MutexLock lock(&mu_);
  cache_.remove_if([&](const Entry& e) { return e.path == relative_path; });
}

absl::StatusOr<UnitOutcome> RunUnit(const UnitTask& task, ModelRoot* model_root,
                                    ThreadPool* pool,
                                    const SearchCallbacks& callbacks,
                                    SearchAlgorithm algorithm) {
  RETURN_IF_ERROR(ValidateTask(task));
  ASSIGN_OR_RETURN(const CodecHandshake mine,
                   CodecHandshakeFor(task.search.codec));
  RETURN_IF_ERROR(CheckHandshake(mine, task.handshake));
  UnitOutcome out;
  std::vector<uint8_t> fetched;
  absl::Span<const uint8_t> data;
  DType dtype = DType::kF32;
  if (task.stored.has_value()) {
    const StoredRows& s = *task.stored;
    const uint32_t crc = Crc32(s.bytes.data(), s.bytes.size());
    if (crc != s.crc32) {
      return absl::DataLossError(absl::StrCat(
          "job ", task.job_id, " unit ", task.unit_index, ": rows have CRC-32 ",
          crc, ", the lease says ", s.crc32));
    }
    data = s.bytes;
    dtype = s.dtype;
  } else {
    absl::StatusOr<std::vector<uint8_t>> rows =
        ReferencedRows(task, model_root, &dtype);
    if (!rows.ok()) {
      out.kind = UnitOutcome::Kind::kRowsUnavailable;
      out.unavailable = rows.status();
      return out;
    }
    fetched = std::move(*rows);
    data = fetched;
  }
  ASSIGN_OR_RETURN(RowReader read,
                   StoredRowsReader(dtype, data, task.kind, task.rows,
                                    task.cols, task.row_begin, task.row_end));
  if (task.kind == UnitKind::kChooseBias) {
    out.kind = UnitOutcome::Kind::kBias;
    ASSIGN_OR_RETURN(out.exponent_bias,
                     ChooseExponentBias(task.search, algorithm, task.rows,
                                        task.cols, read, pool, callbacks));
    return out;
  }
  ASSIGN_OR_RETURN(
      UnitResult r,
      CompressRows(task.search, algorithm, task.rows, task.cols, task.row_begin,
                   task.row_end, read, pool, callbacks));
  if (r.payload.size() != task.payload_bytes) {
    return absl::InternalError(absl::StrCat("the unit packed into ",
                                            r.payload.size(), " bytes, not ",
                                            task.payload_bytes));
  }
  out.kind = UnitOutcome::Kind::kRows;
  out.payload = std::move(r.payload);
  out.sums = r.sums;
  out.blocks =
      (task.row_end - task.row_begin) *
      MakeGeometry(task.search.codec, task.rows, task.cols).blocks_per_row();
  return out;
}

}  // namespace seedlm::worker
