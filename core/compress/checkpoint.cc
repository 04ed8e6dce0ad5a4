#include "core/compress/checkpoint.h"

#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "core/util/crc32.h"
#include "core/util/status_macros.h"
#include "nlohmann/json.hpp"

namespace seedlm {
namespace {

namespace fs = std::filesystem;
constexpr char kManifest[] = "manifest.json";
constexpr int kCheckpointVersion = 1;

absl::Status FsError(const std::error_code& ec, const std::string& what) {
  return absl::UnknownError(absl::StrCat(what, ": ", ec.message()));
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
  const std::string manifest = dir + "/" + kManifest;
  std::error_code ec;
  if (resume && fs::exists(manifest, ec)) {
    ASSIGN_OR_RETURN(std::string text, ReadFileToString(manifest, 1 << 20));
    const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("fingerprint") ||
        !j["fingerprint"].is_string() ||
        j.value("version", 0) != kCheckpointVersion) {
      return absl::DataLossError(
          absl::StrCat("checkpoint manifest ", manifest, " is corrupt"));
    }
    if (j["fingerprint"].get<std::string>() != fingerprint) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cannot resume: ", dir,
          " was made for another input model or other options (rerun "
          "without --resume to start over)"));
    }
    return std::unique_ptr<Checkpoint>(new Checkpoint(dir));
  }
  fs::remove_all(dir, ec);
  if (ec) return FsError(ec, "cannot remove old checkpoint " + dir);
  fs::create_directories(dir, ec);
  if (ec) return FsError(ec, "cannot create checkpoint directory " + dir);
  const nlohmann::json j = {{"version", kCheckpointVersion},
                            {"fingerprint", fingerprint}};
  RETURN_IF_ERROR(WriteFileAtomically(manifest, j.dump(2)));
  return std::unique_ptr<Checkpoint>(new Checkpoint(dir));
}

bool Checkpoint::Lookup(size_t index, uint32_t input_crc,
                        CheckpointEntry* entry) const {
  absl::StatusOr<std::string> text =
      ReadFileToString(EntryPath(index), 1 << 16);
  if (!text.ok()) return false;
  const nlohmann::json j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return false;
  CheckpointEntry e;
  e.input_crc = j.value("input_crc", 0u);
  e.payload_bytes = j.value("payload_bytes", uint64_t{0});
  e.payload_crc = j.value("payload_crc", 0u);
  e.sq_error = j.value("sq_error", 0.0);
  e.sq_norm = j.value("sq_norm", 0.0);
  e.seconds = j.value("seconds", 0.0);
  e.exponent_bias = j.value("exponent_bias", 0);
  if (e.input_crc != input_crc) return false;
  absl::StatusOr<std::unique_ptr<MappedFile>> payload =
      MappedFile::Open(PayloadPath(index));
  if (!payload.ok() || (*payload)->size() != e.payload_bytes ||
      Crc32((*payload)->data(), (*payload)->size()) != e.payload_crc) {
    return false;
  }
  *entry = e;
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
  RETURN_IF_ERROR(pending_->Commit());
  pending_.reset();
  entry.payload_bytes = pending_bytes_;
  entry.payload_crc = pending_crc_;
  const nlohmann::json j = {{"input_crc", entry.input_crc},
                            {"payload_bytes", entry.payload_bytes},
                            {"payload_crc", entry.payload_crc},
                            {"sq_error", entry.sq_error},
                            {"sq_norm", entry.sq_norm},
                            {"seconds", entry.seconds},
                            {"exponent_bias", entry.exponent_bias}};
  return WriteFileAtomically(EntryPath(index), j.dump(2));
}

absl::Status Checkpoint::Remove() {
  std::error_code ec;
  fs::remove_all(dir_, ec);
  if (ec) return FsError(ec, "cannot remove checkpoint " + dir_);
  return absl::OkStatus();
}

}  // namespace seedlm
