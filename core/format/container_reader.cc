// ContainerReader: validation of header, directory, metadata and layout at
// open time; lazy payload CRC checks; block access and decode.
// Every check is listed, with its status code, in docs/FORMAT.md.
#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

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

template <typename... Args>
absl::Status Corrupt(const Args&... args) {
  return absl::DataLossError(absl::StrCat("corrupt .seedlm file: ", args...));
}

// Elements [begin, begin + out.size()) of trellis tensor e: the rows the range
// touches are decoded whole (the rotation mixes a row), one at a time through
// a row buffer. REQUIRES: out not empty and inside the tensor.
absl::Status DecodeTrellisRange(const TensorEntry& e,
                                absl::Span<const uint8_t> payload,
                                int64_t begin, absl::Span<float> out) {
  const PackedGeometry g = MakeGeometry(e.codec, e.rows(), e.cols());
  const int64_t cols = g.cols;  // > 0: the range is not empty
  std::vector<float> row(static_cast<size_t>(cols));
  const int64_t end = begin + static_cast<int64_t>(out.size());
  for (int64_t pos = begin; pos < end;) {
    const int64_t r = pos / cols;
    const int64_t col = pos % cols;
    const absl::Status s =
        DecodeTrellisRows(e.codec, g, payload, r, r + 1, absl::MakeSpan(row));
    if (!s.ok()) return Corrupt("tensor '", e.name, "': ", s.message());
    const int64_t take = std::min(cols - col, end - pos);
    std::copy(row.begin() + col, row.begin() + col + take,
              out.begin() + (pos - begin));
    pos += take;
  }
  return absl::OkStatus();
}

}  // namespace

ContainerReader::~ContainerReader() = default;

absl::StatusOr<std::unique_ptr<ContainerReader>> ContainerReader::Open(
    const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> mapped, MappedFile::Open(path));
  std::unique_ptr<ContainerReader> r(new ContainerReader());
  r->data_ = mapped->data();
  r->size_ = mapped->size();
  r->mapped_ = std::move(mapped);
  absl::StatusOr<std::unique_ptr<ContainerReader>> result = Parse(std::move(r));
  if (!result.ok()) {
    return absl::Status(result.status().code(),
                        absl::StrCat(path, ": ", result.status().message()));
  }
  return result;
}

absl::StatusOr<std::unique_ptr<ContainerReader>>
ContainerReader::OpenFromBuffer(std::string bytes) {
  std::unique_ptr<ContainerReader> r(new ContainerReader());
  r->buffer_ = std::move(bytes);
  r->data_ = reinterpret_cast<const uint8_t*>(r->buffer_.data());
  r->size_ = r->buffer_.size();
  return Parse(std::move(r));
}

absl::StatusOr<std::unique_ptr<ContainerReader>> ContainerReader::Parse(
    std::unique_ptr<ContainerReader> r) {
  RETURN_IF_ERROR(r->ParseHeader());
  RETURN_IF_ERROR(r->ParseDirectory());
  RETURN_IF_ERROR(r->CheckPayloadLayout());
  RETURN_IF_ERROR(r->ParseMetadata());
  r->crc_state_.reset(new std::atomic<uint8_t>[r->tensors_.size()]);
  for (size_t i = 0; i < r->tensors_.size(); ++i) r->crc_state_[i] = 0;
  return r;
}

absl::Status ContainerReader::ParseHeader() {
  const size_t m = static_cast<size_t>(std::min<uint64_t>(size_, 8));
  if (m > 0 && std::memcmp(data_, kContainerMagic, m) != 0) {
    return absl::InvalidArgumentError("not a .seedlm file (bad magic)");
  }
  if (size_ < ci::kOffHeaderSize) {
    return Corrupt("truncated: ", size_, " bytes, less than the ",
                   kContainerHeaderSize, "-byte header");
  }
  version_ = ci::LoadU32(data_ + ci::kOffVersion);
  if (version_ == 0) return Corrupt("format version 0 does not exist");
  if (version_ > kContainerVersion) {
    return absl::UnimplementedError(absl::StrCat(
        ".seedlm format version ", version_, " is newer than this reader (",
        "supports up to ", kContainerVersion, "); upgrade seedlm"));
  }
  if (size_ < kContainerHeaderSize) {
    return Corrupt("truncated: ", size_, " bytes, less than the ",
                   kContainerHeaderSize, "-byte header");
  }
  const ci::Header h = ci::DecodeHeader(data_);
  if (Crc32(data_, ci::kOffHeaderCrc) != h.header_crc) {
    return Corrupt("header checksum mismatch");
  }
  if (h.header_size != kContainerHeaderSize) {
    return Corrupt("header size ", h.header_size, ", expected ",
                   kContainerHeaderSize, " for version ", version_);
  }
  if (h.file_size > size_) {
    return Corrupt("truncated: header says ", h.file_size, " bytes, have ",
                   size_);
  }
  if (h.file_size < size_) {
    return Corrupt(size_ - h.file_size, " trailing bytes after the ",
                   h.file_size, " bytes the header declares");
  }
  return CheckIndexRegion(h);
}

// The directory and metadata tile the end of the file, their CRC matches, and
// the counts fit their regions (this bounds every later allocation).
absl::Status ContainerReader::CheckIndexRegion(
    const container_internal::Header& h) {
  // Directory and metadata: [header_size <= dir_off] dir | meta | EOF.
  if (h.directory_offset < kContainerHeaderSize || h.directory_offset > size_ ||
      h.directory_size > size_ - h.directory_offset ||
      h.metadata_offset != h.directory_offset + h.directory_size ||
      h.metadata_size != size_ - h.metadata_offset) {
    return Corrupt("directory [", h.directory_offset, ", +", h.directory_size,
                   ") and metadata [", h.metadata_offset, ", +",
                   h.metadata_size, ") do not tile the end of the ", size_,
                   "-byte file");
  }
  if (Crc32(data_ + h.directory_offset, size_ - h.directory_offset) !=
      h.index_crc) {
    return Corrupt("directory/metadata checksum mismatch");
  }
  if (h.tensor_count > h.directory_size / ci::kMinEntryBytes) {
    return Corrupt(h.tensor_count, " tensors cannot fit in a ",
                   h.directory_size, "-byte directory");
  }
  if (h.metadata_count > h.metadata_size / ci::kMinMetadataEntryBytes) {
    return Corrupt(h.metadata_count, " metadata entries cannot fit in ",
                   h.metadata_size, " bytes");
  }
  directory_offset_ = h.directory_offset;
  directory_size_ = h.directory_size;
  metadata_offset_ = h.metadata_offset;
  metadata_size_ = h.metadata_size;
  tensor_count_ = h.tensor_count;
  metadata_count_ = h.metadata_count;
  return absl::OkStatus();
}

absl::Status ContainerReader::ParseDirectory() {
  ci::ByteReader r(data_ + directory_offset_, directory_size_);
  tensors_.reserve(tensor_count_);  // bounded by directory_size_ / 33
  for (uint32_t i = 0; i < tensor_count_; ++i) {
    TensorEntry e;
    const std::string err = ci::DecodeEntry(&r, &e);
    if (!err.empty()) return Corrupt("directory entry ", i, ": ", err);
    absl::StatusOr<uint64_t> expected = ExpectedPayloadBytes(e);
    if (!expected.ok()) {
      return Corrupt("directory entry ", i, ": ", expected.status().message());
    }
    if (e.storage == Storage::kTrellis &&
        version_ < ContainerVersionFor(true)) {
      return Corrupt("tensor '", e.name, "': trellis storage in a version ",
                     version_, " file (needs version ",
                     ContainerVersionFor(true), ")");
    }
    if (e.size != *expected) {
      return Corrupt("tensor '", e.name, "': payload size ", e.size,
                     " disagrees with its shape and storage (", *expected,
                     " bytes)");
    }
    if (!index_.emplace(e.name, tensors_.size()).second) {
      return Corrupt("duplicate tensor name '", e.name, "'");
    }
    tensors_.push_back(std::move(e));
  }
  if (r.remaining() != 0) {
    return Corrupt(r.remaining(), " unused bytes at the end of the directory");
  }
  return absl::OkStatus();
}

// Payloads must be exactly where the writer puts them: in directory order,
// each at the next 64-byte boundary, zero padding between, the directory right
// after the last one. So no payload can overlap the header, another payload
// or the directory, and every byte of the file is covered by a check.
absl::Status ContainerReader::CheckPayloadLayout() {
  uint64_t cursor = kContainerHeaderSize;
  for (const TensorEntry& e : tensors_) {
    const uint64_t aligned = ci::AlignUp(cursor);
    if (e.offset > size_ || e.size > size_ - e.offset) {
      return Corrupt("tensor '", e.name, "': payload [", e.offset, ", +",
                     e.size, ") lies outside the ", size_, "-byte file");
    }
    if (e.offset < kContainerHeaderSize) {
      return Corrupt("tensor '", e.name, "': payload at ", e.offset,
                     " overlaps the header");
    }
    if (e.offset + e.size > directory_offset_) {
      return Corrupt("tensor '", e.name, "': payload [", e.offset, ", +",
                     e.size, ") overlaps the directory at ", directory_offset_);
    }
    if (e.offset != aligned) {
      return Corrupt("tensor '", e.name, "': payload at ", e.offset,
                     ", expected ", aligned,
                     " (directory order, 64-byte aligned, no gaps)");
    }
    for (uint64_t k = cursor; k < aligned; ++k) {
      if (data_[k] != 0) return Corrupt("nonzero padding byte at ", k);
    }
    cursor = e.offset + e.size;
  }
  if (cursor != directory_offset_) {
    return Corrupt("directory at ", directory_offset_,
                   ", expected right after the payloads at ", cursor);
  }
  return absl::OkStatus();
}

absl::Status ContainerReader::ParseMetadata() {
  ci::ByteReader r(data_ + metadata_offset_, metadata_size_);
  const std::string* previous = nullptr;
  for (uint32_t i = 0; i < metadata_count_; ++i) {
    uint32_t key_len = 0;
    uint64_t value_len = 0;
    const uint8_t* key = nullptr;
    const uint8_t* value = nullptr;
    if (!r.ReadU32(&key_len))
      return Corrupt("metadata entry ", i, " truncated");
    if (key_len == 0 || key_len > kMaxMetadataKeyBytes) {
      return Corrupt("metadata entry ", i, ": key length ", key_len,
                     " is outside 1..", kMaxMetadataKeyBytes);
    }
    if (!r.ReadBytes(key_len, &key) || !r.ReadU64(&value_len) ||
        !r.ReadBytes(value_len, &value)) {
      return Corrupt("metadata entry ", i, " truncated");
    }
    std::string k(reinterpret_cast<const char*>(key), key_len);
    if (k.find('\0') != std::string::npos) {
      return Corrupt("metadata entry ", i, ": key contains a NUL byte");
    }
    if (previous != nullptr && !(*previous < k)) {
      return Corrupt("metadata keys not strictly increasing at entry ", i);
    }
    auto it = metadata_.emplace_hint(
        metadata_.end(), std::move(k),
        std::string(reinterpret_cast<const char*>(value), value_len));
    previous = &it->first;
  }
  if (r.remaining() != 0) {
    return Corrupt(r.remaining(), " unused bytes at the end of the metadata");
  }
  return absl::OkStatus();
}

absl::StatusOr<size_t> ContainerReader::FindTensor(
    absl::string_view name) const {
  auto it = index_.find(std::string(name));
  if (it == index_.end()) {
    return absl::NotFoundError(absl::StrCat("no tensor named '", name, "'"));
  }
  return it->second;
}

absl::Span<const uint8_t> ContainerReader::UnverifiedPayload(size_t i) const {
  const TensorEntry& e = tensors_[i];
  return absl::Span<const uint8_t>(data_ + e.offset, e.size);
}

void ContainerReader::ReleasePages(size_t i) const {
  if (mapped_ == nullptr || i >= tensors_.size()) return;
  mapped_->DropPages(tensors_[i].offset, tensors_[i].size);
}

absl::StatusOr<absl::Span<const uint8_t>> ContainerReader::Payload(
    size_t i) const {
  if (i >= tensors_.size()) {
    return absl::OutOfRangeError(
        absl::StrCat("tensor index ", i, " >= tensor count ", tensors_.size()));
  }
  const TensorEntry& e = tensors_[i];
  uint8_t state = crc_state_[i].load(std::memory_order_acquire);
  if (state == 0) {  // racing first calls compute the same answer
    state = Crc32(data_ + e.offset, e.size) == e.crc ? 1 : 2;
    crc_state_[i].store(state, std::memory_order_release);
  }
  if (state != 1) {
    return Corrupt("tensor '", e.name, "': payload checksum mismatch");
  }
  return UnverifiedPayload(i);
}

absl::StatusOr<Block> ContainerReader::GetBlock(size_t tensor, int64_t row,
                                                int64_t block_in_row) const {
  ASSIGN_OR_RETURN(absl::Span<const uint8_t> payload, Payload(tensor));
  const TensorEntry& e = tensors_[tensor];
  if (e.storage != Storage::kSeedLM) {
    return absl::InvalidArgumentError(
        absl::StrCat("tensor '", e.name, "' is stored as ",
                     StorageName(e.storage), ", not a block-codec tensor"));
  }
  if (row < 0 || row >= e.rows() || block_in_row < 0 ||
      block_in_row >= e.blocks_per_row()) {
    return absl::OutOfRangeError(
        absl::StrCat("tensor '", e.name, "': block (", row, ", ", block_in_row,
                     ") outside ", e.rows(), " x ", e.blocks_per_row()));
  }
  const uint64_t index =
      static_cast<uint64_t>(row * e.blocks_per_row() + block_in_row);
  Block b = UnpackBlock(e.codec.layout(), payload.data(), index);
  if (b.seed == 0) {
    return SeedZeroError(
        PayloadOrigin::kStored, index, 0,
        absl::StrCat("corrupt .seedlm file: tensor '", e.name, "'"));
  }
  return b;
}

absl::Status ContainerReader::DecodeToFloat32(size_t i,
                                              absl::Span<float> out) const {
  ASSIGN_OR_RETURN(absl::Span<const uint8_t> payload, Payload(i));
  const TensorEntry& e = tensors_[i];
  if (out.size() != static_cast<uint64_t>(e.num_elements())) {
    return absl::InvalidArgumentError(
        absl::StrCat("tensor '", e.name, "' has ", e.num_elements(),
                     " elements, output has ", out.size()));
  }
  if (!e.is_packed()) {
    return ConvertToFloat32(static_cast<DType>(e.storage), payload, out);
  }
  if (out.empty()) return absl::OkStatus();  // rows may be huge if cols == 0
  const absl::Status s = DecodePackedRows(
      e.codec, e.exponent_bias, MakeGeometry(e.codec, e.rows(), e.cols()),
      payload, 0, e.rows(), out);
  if (!s.ok()) return Corrupt("tensor '", e.name, "': ", s.message());
  return absl::OkStatus();
}

absl::Status ContainerReader::DecodeRangeToFloat32(
    size_t i, int64_t begin, absl::Span<float> out) const {
  ASSIGN_OR_RETURN(absl::Span<const uint8_t> payload, Payload(i));
  const TensorEntry& e = tensors_[i];
  const int64_t n = e.num_elements();
  if (begin < 0 || begin > n ||
      static_cast<uint64_t>(n - begin) < static_cast<uint64_t>(out.size())) {
    return absl::OutOfRangeError(
        absl::StrCat("tensor '", e.name, "': elements [", begin, ", +",
                     out.size(), ") outside its ", n, " elements"));
  }
  if (out.empty()) return absl::OkStatus();
  if (e.storage == Storage::kTrellis) {
    return DecodeTrellisRange(e, payload, begin, out);
  }
  if (e.storage != Storage::kSeedLM) {
    const DType type = static_cast<DType>(e.storage);
    const size_t esize = DTypeSize(type);
    return ConvertToFloat32(
        type,
        payload.subspan(static_cast<size_t>(begin) * esize, out.size() * esize),
        out);
  }
  // Block by block, as DecodePackedRows, but starting and ending anywhere.
  const int64_t cols = e.cols();  // > 0: the range is not empty
  const int64_t bpr = e.blocks_per_row();
  const int C = e.codec.C;
  BlockLayout layout = e.codec.layout();
  // A no-op (Validate bounds P), and GCC 12's -Wstringop-overflow then sees
  // that UnpackBlockFast's q[p] stays inside Block::q.
  layout.P = std::min(layout.P, kMaxP);
  float buf[kMaxC];
  const int64_t end = begin + static_cast<int64_t>(out.size());
  for (int64_t pos = begin; pos < end;) {
    const int64_t row = pos / cols;
    const int64_t col = pos % cols;
    const int64_t block = col / C;
    const int64_t c0 = block * C;
    const uint64_t index = static_cast<uint64_t>(row * bpr + block);
    const Block b =
        UnpackBlockFast(layout, payload.data(), payload.size(), index);
    if (b.seed == 0) {
      return SeedZeroError(
          PayloadOrigin::kStored, index, bpr,
          absl::StrCat("corrupt .seedlm file: tensor '", e.name, "'"));
    }
    DecodeBlock(e.codec, e.exponent_bias, b, buf);
    const int64_t in_block = std::min<int64_t>(C, cols - c0) - (col - c0);
    const int64_t take = std::min(in_block, end - pos);
    std::copy(buf + (col - c0), buf + (col - c0) + take,
              out.begin() + (pos - begin));
    pos += take;
  }
  return absl::OkStatus();
}

absl::Status ContainerReader::VerifyTensor(size_t i) const {
  ASSIGN_OR_RETURN(absl::Span<const uint8_t> payload, Payload(i));
  const TensorEntry& e = tensors_[i];
  const std::string what =
      absl::StrCat("corrupt .seedlm file: tensor '", e.name, "'");
  if (e.storage == Storage::kTrellis) {
    return CheckTrellisScales(MakeGeometry(e.codec, e.rows(), e.cols()),
                              payload, PayloadOrigin::kStored, what);
  }
  if (e.storage != Storage::kSeedLM) return absl::OkStatus();
  return CheckNoSeedZero(e.codec.layout(), payload,
                         static_cast<uint64_t>(e.num_blocks()),
                         PayloadOrigin::kStored, 0, what);
}

absl::Status ContainerReader::VerifyAll() const {
  for (size_t i = 0; i < tensors_.size(); ++i) {
    RETURN_IF_ERROR(VerifyTensor(i));
  }
  return absl::OkStatus();
}

}  // namespace seedlm
