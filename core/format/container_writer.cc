// ContainerWriter: streams tensor payloads into an AtomicFileWriter (64-byte
// aligned, zero padding), then appends directory and metadata and rewrites the
// header at offset 0 (docs/FORMAT.md).
#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/codec/packed_matrix.h"
#include "core/codec/trellis.h"
#include "core/format/container.h"
#include "core/format/container_internal.h"
#include "core/util/crc32.h"
#include "core/util/file_util.h"
#include "core/util/status_macros.h"

namespace seedlm {
namespace ci = container_internal;

namespace {

absl::Status ValidateMetadataKey(const std::string& key) {
  if (key.empty() || key.size() > kMaxMetadataKeyBytes ||
      key.find('\0') != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("metadata key must be 1..", kMaxMetadataKeyBytes,
                     " bytes without NUL (got ", key.size(), " bytes)"));
  }
  return absl::OkStatus();
}

}  // namespace

ContainerWriter::ContainerWriter(std::unique_ptr<AtomicFileWriter> file)
    : file_(std::move(file)) {}

ContainerWriter::~ContainerWriter() = default;

absl::StatusOr<std::unique_ptr<ContainerWriter>> ContainerWriter::Create(
    const std::string& path, std::map<std::string, std::string> metadata) {
  for (const auto& kv : metadata)
    RETURN_IF_ERROR(ValidateMetadataKey(kv.first));
  ASSIGN_OR_RETURN(std::unique_ptr<AtomicFileWriter> file,
                   AtomicFileWriter::Create(path));
  // Placeholder header; Finish() rewrites it.
  const std::string zeros(kContainerHeaderSize, '\0');
  RETURN_IF_ERROR(file->Append(zeros));
  std::unique_ptr<ContainerWriter> w(new ContainerWriter(std::move(file)));
  w->metadata_ = std::move(metadata);
  return w;
}

absl::Status ContainerWriter::CheckUsable() const {
  if (!failed_.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("container writer failed earlier: ", failed_.message()));
  }
  if (finished_) {
    return absl::FailedPreconditionError("container writer already finished");
  }
  return absl::OkStatus();
}

absl::Status ContainerWriter::Fail(absl::Status s) {
  if (failed_.ok()) failed_ = s;
  file_.reset();  // removes the temp file
  return s;
}

absl::Status ContainerWriter::SetMetadata(const std::string& key,
                                          std::string value) {
  RETURN_IF_ERROR(CheckUsable());
  RETURN_IF_ERROR(ValidateMetadataKey(key));
  metadata_[key] = std::move(value);
  return absl::OkStatus();
}

absl::Status ContainerWriter::AddTensor(const TensorEntry& entry,
                                        absl::Span<const uint8_t> payload) {
  RETURN_IF_ERROR(CheckUsable());
  if (in_tensor_) {
    return absl::FailedPreconditionError("AddTensor inside BeginTensor");
  }
  RETURN_IF_ERROR(ValidateTensorEntry(entry));
  ASSIGN_OR_RETURN(const uint64_t expected, ExpectedPayloadBytes(entry));
  if (payload.size() != expected) {
    return absl::InvalidArgumentError(
        absl::StrCat("tensor '", entry.name, "': payload is ", payload.size(),
                     " bytes, expected ", expected));
  }
  if (names_.count(entry.name) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("duplicate tensor name '", entry.name, "'"));
  }
  if (entry.storage == Storage::kSeedLM) {
    RETURN_IF_ERROR(CheckNoSeedZero(entry.codec.layout(), payload,
                                    static_cast<uint64_t>(entry.num_blocks()),
                                    PayloadOrigin::kCallerInput, 0,
                                    absl::StrCat("tensor '", entry.name, "'")));
  }
  if (entry.storage == Storage::kTrellis) {
    RETURN_IF_ERROR(CheckTrellisScales(
        MakeGeometry(entry.codec, entry.rows(), entry.cols()), payload,
        PayloadOrigin::kCallerInput,
        absl::StrCat("tensor '", entry.name, "'")));
  }
  RETURN_IF_ERROR(BeginTensor(entry));
  RETURN_IF_ERROR(AppendPayload(payload));
  return EndTensor();
}

absl::Status ContainerWriter::BeginTensor(const TensorEntry& entry) {
  RETURN_IF_ERROR(CheckUsable());
  if (in_tensor_) {
    return absl::FailedPreconditionError("BeginTensor inside BeginTensor");
  }
  ASSIGN_OR_RETURN(expected_, ExpectedPayloadBytes(entry));
  if (names_.count(entry.name) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("duplicate tensor name '", entry.name, "'"));
  }
  const uint64_t offset = ci::AlignUp(file_->size());
  const std::string pad(offset - file_->size(), '\0');
  absl::Status s = file_->Append(pad);
  if (!s.ok()) return Fail(s);
  current_ = entry;
  // The canonical codec (container.h): what the reader will return.
  if (current_.storage == Storage::kSeedLM) {
    current_.codec.trellis = TrellisParams();
  } else {
    current_.codec = CodecConfig();
    current_.exponent_mode = ExponentMode::kSearch;
    current_.exponent_bias = 0;
    if (entry.storage == Storage::kTrellis) {
      current_.codec.family = CodecFamily::kTrellis;
      current_.codec.trellis = entry.codec.trellis;
    }
  }
  current_.offset = offset;
  current_.size = expected_;
  current_.crc = 0;
  received_ = 0;
  next_seed_block_ = 0;
  in_tensor_ = true;
  return absl::OkStatus();
}

// Checks the seed of every block whose seed bits are complete once `data` is
// appended. A seed may straddle the previous piece: tail_ holds its last four
// bytes (a K <= 24 bit field spans at most four bytes).
absl::Status ContainerWriter::CheckSeeds(absl::Span<const uint8_t> data) {
  const uint64_t base = received_;
  const uint64_t total_bits = (base + data.size()) * 8;
  const BlockLayout l = current_.codec.layout();
  const uint64_t n = static_cast<uint64_t>(current_.num_blocks());
  for (; next_seed_block_ < n; ++next_seed_block_) {
    const uint64_t pos = next_seed_block_ * static_cast<uint64_t>(l.bits());
    if (pos + static_cast<uint64_t>(l.K) > total_bits) break;
    const uint64_t first = pos / 8;
    const uint64_t last = (pos + static_cast<uint64_t>(l.K) - 1) / 8;
    uint8_t buf[4];
    for (uint64_t k = first; k <= last; ++k) {
      buf[k - first] = k >= base ? data[k - base] : tail_[k + 4 - base];
    }
    if (ReadBits(buf, pos - first * 8, l.K) == 0) {
      return SeedZeroError(PayloadOrigin::kCallerInput, next_seed_block_, 0,
                           absl::StrCat("tensor '", current_.name, "'"));
    }
  }
  return absl::OkStatus();
}

// Checks the scale of every trellis row whose four scale bytes are complete
// once `data` is appended (a scale may straddle pieces: tail_, as above).
absl::Status ContainerWriter::CheckScales(absl::Span<const uint8_t> data) {
  const uint64_t base = received_;
  const uint64_t total = base + data.size();
  const uint64_t rb =
      MakeGeometry(current_.codec, current_.rows(), current_.cols())
          .trellis_row_bytes();
  const uint64_t rows = static_cast<uint64_t>(current_.rows());
  for (; next_seed_block_ < rows; ++next_seed_block_) {
    const uint64_t pos = next_seed_block_ * rb;
    if (pos + kTrellisScaleBytes > total) break;
    uint8_t buf[kTrellisScaleBytes];
    for (uint64_t k = pos; k < pos + kTrellisScaleBytes; ++k) {
      buf[k - pos] = k >= base ? data[k - base] : tail_[k + 4 - base];
    }
    const float s = TrellisStoredScale(buf);
    if (!TrellisScaleValid(s)) {
      return absl::InvalidArgumentError(
          absl::StrCat("tensor '", current_.name, "': row ", next_seed_block_,
                       " has an invalid trellis scale ", s));
    }
  }
  return absl::OkStatus();
}

// Keeps the last four bytes of the stream once `data` is appended.
void ContainerWriter::RememberTail(absl::Span<const uint8_t> data) {
  const uint64_t base = received_;
  uint8_t next_tail[4];
  for (uint64_t j = 0; j < 4; ++j) {
    const uint64_t k = base + data.size() + j;  // byte k - 4 of the stream
    next_tail[j] = k >= base + 4 ? data[k - 4 - base] : tail_[k - base];
  }
  std::copy(next_tail, next_tail + 4, tail_);
}

absl::Status ContainerWriter::AppendPayload(absl::Span<const uint8_t> data) {
  RETURN_IF_ERROR(CheckUsable());
  if (!in_tensor_) {
    return absl::FailedPreconditionError("AppendPayload outside BeginTensor");
  }
  if (data.size() > expected_ - received_) {
    return Fail(absl::InvalidArgumentError(
        absl::StrCat("tensor '", current_.name, "': more than ", expected_,
                     " payload bytes appended")));
  }
  if (current_.is_packed()) {
    absl::Status s = current_.storage == Storage::kSeedLM ? CheckSeeds(data)
                                                          : CheckScales(data);
    if (!s.ok()) return Fail(s);
    RememberTail(data);
  }
  absl::Status s = file_->Append(data.data(), data.size());
  if (!s.ok()) return Fail(s);
  current_.crc = Crc32(data.data(), data.size(), current_.crc);
  received_ += data.size();
  return absl::OkStatus();
}

absl::Status ContainerWriter::EndTensor() {
  RETURN_IF_ERROR(CheckUsable());
  if (!in_tensor_) {
    return absl::FailedPreconditionError("EndTensor outside BeginTensor");
  }
  if (received_ != expected_) {
    return Fail(absl::InvalidArgumentError(
        absl::StrCat("tensor '", current_.name, "': payload is ", received_,
                     " bytes, expected ", expected_)));
  }
  in_tensor_ = false;
  names_[current_.name] = tensors_.size();
  tensors_.push_back(std::move(current_));
  current_ = TensorEntry();
  return absl::OkStatus();
}

absl::Status ContainerWriter::Finish() {
  RETURN_IF_ERROR(CheckUsable());
  if (in_tensor_) {
    return absl::FailedPreconditionError("Finish inside BeginTensor");
  }
  if (tensors_.size() > UINT32_MAX || metadata_.size() > UINT32_MAX) {
    return Fail(absl::InvalidArgumentError("too many tensors or metadata"));
  }
  std::string index;
  for (const TensorEntry& e : tensors_) ci::EncodeEntry(e, &index);
  const uint64_t directory_size = index.size();
  for (const auto& kv : metadata_) {
    ci::EncodeMetadataEntry(kv.first, kv.second, &index);
  }
  ci::Header h;
  h.version = ContainerVersionFor(std::any_of(
      tensors_.begin(), tensors_.end(),
      [](const TensorEntry& e) { return e.storage == Storage::kTrellis; }));
  h.directory_offset = file_->size();
  h.directory_size = directory_size;
  h.metadata_offset = h.directory_offset + directory_size;
  h.metadata_size = index.size() - directory_size;
  h.file_size = h.directory_offset + index.size();
  h.tensor_count = static_cast<uint32_t>(tensors_.size());
  h.metadata_count = static_cast<uint32_t>(metadata_.size());
  h.index_crc = Crc32(index.data(), index.size());
  const std::string header = ci::EncodeHeader(h);
  absl::Status s = file_->Append(index);
  if (s.ok()) s = file_->WriteAt(0, header.data(), header.size());
  if (s.ok()) s = file_->Commit();
  if (!s.ok()) return Fail(s);
  finished_ = true;
  return absl::OkStatus();
}

}  // namespace seedlm
