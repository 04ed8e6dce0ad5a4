#include "core/compress/checkpoint.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cfloat>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "core/util/crc32.h"
#include "core/util/json_util.h"
#include "core/util/status_macros.h"

namespace seedlm {
namespace {

constexpr char kManifest[] = "manifest.json";
constexpr int kCheckpointVersion = 2;
// Written before the format marker existed; still recognised as ours.
constexpr int kLegacyCheckpointVersion = 1;
constexpr JsonLimits kManifestLimits{kMaxCheckpointManifestBytes,
                                     kMaxCheckpointJsonDepth};
constexpr JsonLimits kEntryLimits{kMaxCheckpointEntryBytes,
                                  kMaxCheckpointJsonDepth};

bool AllDigits(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// Whether `name` is a temp name AtomicFileWriter gives `base`:
// "<base>.tmp.<pid>" (older builds) or "<base>.tmp.<pid>.<n>".
bool IsTempNameOf(absl::string_view name, absl::string_view base) {
  if (!absl::ConsumePrefix(&name, base) || !absl::ConsumePrefix(&name, ".tmp."))
    return false;
  const size_t dot = name.find('.');
  if (dot == absl::string_view::npos) return AllDigits(name);
  return AllDigits(name.substr(0, dot)) && AllDigits(name.substr(dot + 1));
}

// Whether `name` is one of the files the tool writes into a checkpoint
// other than the manifest: tensor-<i>.payload, tensor-<i>.json and their
// temp names.
bool IsEntryFileName(absl::string_view name) {
  if (!absl::ConsumePrefix(&name, "tensor-")) return false;
  const size_t dot = name.find('.');
  if (dot == absl::string_view::npos || !AllDigits(name.substr(0, dot))) {
    return false;
  }
  absl::string_view rest = name.substr(dot);
  for (absl::string_view ext : {".payload", ".json"}) {
    if (rest == ext || IsTempNameOf(rest, ext)) return true;
  }
  return false;
}

// Deletes the regular files the tool wrote into `dir` (entries, payloads,
// their temp names, and with `manifest` also the manifest and its temps).
absl::Status RemoveOwnedFiles(const std::string& dir, bool manifest) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return ErrnoToStatus(errno, "cannot list", dir);
  std::vector<std::string> names;
  while (const struct dirent* e = ::readdir(d)) {
    const absl::string_view name = e->d_name;
    if (IsEntryFileName(name) || (manifest && IsTempNameOf(name, kManifest))) {
      names.emplace_back(name);
    }
  }
  ::closedir(d);
  if (manifest) names.push_back(kManifest);  // last: it marks the directory
  for (const std::string& name : names) {
    const std::string path = absl::StrCat(dir, "/", name);
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return ErrnoToStatus(errno, "cannot remove", path);
    }
  }
  return absl::OkStatus();
}

absl::Status NotACheckpoint(const std::string& dir, absl::string_view why) {
  return absl::FailedPreconditionError(absl::StrCat(
      dir, " exists and is not a SeedLM checkpoint (", why,
      "); seedlm never deletes or writes into what it did not create: move it "
      "away or choose another output name"));
}

// Reads the manifest of the existing `dir` and checks that the directory is
// ours (a manifest with the format marker, or a version-1 manifest). Returns
// the manifest.
absl::StatusOr<Json> ReadOwnManifest(const std::string& dir) {
  struct stat st;
  if (::lstat(dir.c_str(), &st) != 0) {
    return ErrnoToStatus(errno, "cannot stat", dir);
  }
  if (!S_ISDIR(st.st_mode)) return NotACheckpoint(dir, "not a directory");
  const std::string path = absl::StrCat(dir, "/", kManifest);
  absl::StatusOr<std::string> text =
      ReadFileToString(path, kMaxCheckpointManifestBytes);
  if (!text.ok()) {
    return NotACheckpoint(dir, absl::StrCat("no readable ", kManifest, ": ",
                                            text.status().message()));
  }
  absl::StatusOr<Json> j = ParseJson(*text, path, kManifestLimits);
  if (!j.ok()) return NotACheckpoint(dir, j.status().message());
  if (!j->is_object()) {
    return NotACheckpoint(dir, absl::StrCat(kManifest, " is not an object"));
  }
  const auto format = j->find("format");
  if (format != j->end()) {
    if (format->is_string() && *format == kCheckpointFormat) return *j;
  } else {
    const auto version = j->find("version");
    const auto fp = j->find("fingerprint");
    if (j->size() == 2 && version != j->end() && fp != j->end() &&
        version->is_number_integer() && *version == kLegacyCheckpointVersion &&
        fp->is_string()) {
      return *j;
    }
  }
  return NotACheckpoint(dir, absl::StrCat(kManifest, " has no \"format\": \"",
                                          kCheckpointFormat, "\""));
}

// Checks that the manifest `j` (ours) was made for `fingerprint`.
absl::Status CheckResumable(const Json& j, const std::string& dir,
                            const std::string& fingerprint) {
  const std::string path = absl::StrCat(dir, "/", kManifest);
  auto corrupt = [&](const absl::Status& s) {
    return absl::DataLossError(absl::StrCat("checkpoint manifest ", path,
                                            " is corrupt: ", s.message()));
  };
  absl::StatusOr<int64_t> version =
      JsonInt(j, "version", 0, 1 << 30, "manifest");
  if (!version.ok()) return corrupt(version.status());
  absl::StatusOr<std::string> fp = JsonString(j, "fingerprint", "manifest");
  if (!fp.ok()) return corrupt(fp.status());
  if (*version != kCheckpointVersion && *version != kLegacyCheckpointVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot resume: ", dir, " was made by another version of seedlm ",
        "(checkpoint version ", *version, "; rerun without --resume to start ",
        "over)"));
  }
  if (*fp != fingerprint) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot resume: ", dir,
        " was made for another input model or other options (rerun "
        "without --resume to start over)"));
  }
  return absl::OkStatus();
}

absl::Status WriteManifest(const std::string& dir,
                           const std::string& fingerprint) {
  const Json j = {{"format", kCheckpointFormat},
                  {"version", kCheckpointVersion},
                  {"fingerprint", fingerprint}};
  return WriteFileAtomically(absl::StrCat(dir, "/", kManifest), DumpJson(j, 2));
}

absl::StatusOr<CheckpointEntry> ParseEntry(const std::string& text,
                                           const std::string& path) {
  ASSIGN_OR_RETURN(const Json j, ParseJson(text, path, kEntryLimits));
  CheckpointEntry e;
  ASSIGN_OR_RETURN(const int64_t input_crc,
                   JsonInt(j, "input_crc", 0, UINT32_MAX, path));
  ASSIGN_OR_RETURN(const int64_t bytes,
                   JsonInt(j, "payload_bytes", 0, INT64_MAX, path));
  ASSIGN_OR_RETURN(const int64_t payload_crc,
                   JsonInt(j, "payload_crc", 0, UINT32_MAX, path));
  ASSIGN_OR_RETURN(e.sq_error, JsonNumber(j, "sq_error", 0, DBL_MAX, path));
  ASSIGN_OR_RETURN(e.sq_norm, JsonNumber(j, "sq_norm", 0, DBL_MAX, path));
  ASSIGN_OR_RETURN(e.seconds, JsonNumber(j, "seconds", 0, DBL_MAX, path));
  ASSIGN_OR_RETURN(const int64_t bias,
                   JsonInt(j, "exponent_bias", -128, 127, path));
  e.input_crc = static_cast<uint32_t>(input_crc);
  e.payload_bytes = static_cast<uint64_t>(bytes);
  e.payload_crc = static_cast<uint32_t>(payload_crc);
  e.exponent_bias = static_cast<int>(bias);
  return e;
}

}  // namespace

std::string Checkpoint::DirFor(const std::string& out_path) {
  return out_path + ".ckpt";
}

std::string Checkpoint::PayloadPath(size_t index) const {
  return absl::StrCat(dir_, "/tensor-", index, ".payload");
}

std::string Checkpoint::EntryPath(size_t index) const {
  return absl::StrCat(dir_, "/tensor-", index, ".json");
}

absl::StatusOr<std::unique_ptr<Checkpoint>> Checkpoint::Open(
    const std::string& out_path, const std::string& fingerprint, bool resume) {
  const std::string dir = DirFor(out_path);
  if (::mkdir(dir.c_str(), 0755) == 0) {
    if (absl::Status s = WriteManifest(dir, fingerprint); !s.ok()) {
      ::rmdir(dir.c_str());  // ours and empty: a later run must not refuse it
      return s;
    }
    return std::unique_ptr<Checkpoint>(new Checkpoint(dir));
  }
  if (errno != EEXIST) {
    return ErrnoToStatus(errno, "cannot create checkpoint directory", dir);
  }
  ASSIGN_OR_RETURN(const Json manifest, ReadOwnManifest(dir));
  if (resume) {
    RETURN_IF_ERROR(CheckResumable(manifest, dir, fingerprint));
    return std::unique_ptr<Checkpoint>(new Checkpoint(dir));
  }
  RETURN_IF_ERROR(RemoveOwnedFiles(dir, /*manifest=*/false));
  RETURN_IF_ERROR(WriteManifest(dir, fingerprint));
  return std::unique_ptr<Checkpoint>(new Checkpoint(dir));
}

bool Checkpoint::Lookup(size_t index, uint32_t input_crc,
                        CheckpointEntry* entry) const {
  const std::string path = EntryPath(index);
  absl::StatusOr<std::string> text =
      ReadFileToString(path, kMaxCheckpointEntryBytes);
  if (!text.ok()) return false;
  absl::StatusOr<CheckpointEntry> e = ParseEntry(*text, path);
  if (!e.ok() || e->input_crc != input_crc) return false;
  absl::StatusOr<std::unique_ptr<MappedFile>> payload =
      MappedFile::Open(PayloadPath(index));
  if (!payload.ok() || (*payload)->size() != e->payload_bytes ||
      Crc32((*payload)->data(), (*payload)->size()) != e->payload_crc) {
    return false;
  }
  *entry = *e;
  return true;
}

absl::Status Checkpoint::BeginTensor(size_t index) {
  ASSIGN_OR_RETURN(pending_, AtomicFileWriter::Create(PayloadPath(index)));
  pending_bytes_ = 0;
  pending_crc_ = 0;
  return absl::OkStatus();
}

absl::Status Checkpoint::Append(absl::Span<const uint8_t> bytes) {
  if (pending_ == nullptr)
    return absl::FailedPreconditionError("no tensor begun");
  RETURN_IF_ERROR(pending_->Append(bytes.data(), bytes.size()));
  pending_bytes_ += bytes.size();
  pending_crc_ = Crc32(bytes.data(), bytes.size(), pending_crc_);
  return absl::OkStatus();
}

absl::Status Checkpoint::CommitTensor(size_t index, CheckpointEntry entry) {
  if (pending_ == nullptr)
    return absl::FailedPreconditionError("no tensor begun");
  const absl::Status committed = pending_->Commit();
  pending_.reset();
  RETURN_IF_ERROR(committed);
  entry.payload_bytes = pending_bytes_;
  entry.payload_crc = pending_crc_;
  const Json j = {{"input_crc", entry.input_crc},
                  {"payload_bytes", entry.payload_bytes},
                  {"payload_crc", entry.payload_crc},
                  {"sq_error", entry.sq_error},
                  {"sq_norm", entry.sq_norm},
                  {"seconds", entry.seconds},
                  {"exponent_bias", entry.exponent_bias}};
  return WriteFileAtomically(EntryPath(index), DumpJson(j, 2));
}

absl::Status Checkpoint::Remove() {
  RETURN_IF_ERROR(RemoveOwnedFiles(dir_, /*manifest=*/true));
  if (::rmdir(dir_.c_str()) != 0 && errno != ENOTEMPTY && errno != EEXIST &&
      errno != ENOENT) {
    return ErrnoToStatus(errno, "cannot remove checkpoint", dir_);
  }
  return absl::OkStatus();
}

}  // namespace seedlm
