// The `.seedlm` container: one file that holds a whole model — compressed
// (SeedLM-packed) and uncompressed tensors plus the metadata (architecture,
// tokenizer, provenance) needed to serve it with nothing else.
//
// docs/FORMAT.md documents the bytes; this header is the API:
//   * ContainerWriter streams tensors into a temp file one at a time and makes
//     the file appear atomically (temp + rename) only when Finish() succeeds.
//     The output is a pure function of the inputs (no timestamps or paths), so
//     writing the same tensors and metadata twice gives identical files.
//   * ContainerReader maps a file (or takes a buffer) and validates it. It
//     never crashes and never allocates in proportion to a header field that
//     was not first bounded by the real file size, whatever the input.
//
// Status codes (the same everywhere in this module):
//   INVALID_ARGUMENT     not a .seedlm file (bad magic); a caller's bad entry,
//                        name, metadata key, payload size or output size.
//   UNIMPLEMENTED        the file's format version is newer than this reader.
//   DATA_LOSS            the file is corrupt or truncated: checksum mismatch,
//                        impossible field, inconsistent size or offset.
//   OUT_OF_RANGE         a tensor / row / block index past the end.
//   NOT_FOUND            FindTensor of an absent name (and missing files).
//   FAILED_PRECONDITION  writer calls in the wrong order or after a failure.
//   Others (PERMISSION_DENIED, RESOURCE_EXHAUSTED, ...) come from file I/O.
#ifndef SEEDLM_CORE_FORMAT_CONTAINER_H_
#define SEEDLM_CORE_FORMAT_CONTAINER_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/codec/block_format.h"
#include "core/codec/codec.h"
#include "core/util/dtype.h"

namespace seedlm {

class AtomicFileWriter;
class MappedFile;
namespace container_internal {
struct Header;
}  // namespace container_internal

// --- Format constants (docs/FORMAT.md) ---
inline constexpr char kContainerMagic[8] = {'S', 'E', 'E',  'D',
                                            'L', 'M', '\0', '\1'};
// The newest format version this reader reads (it reads 1 and 2). A writer
// writes version 1 when a file holds no trellis tensor, so files without one
// stay byte-identical to (and readable by) the version-1 release, and version
// 2 when it holds at least one (docs/FORMAT.md, "Versioning").
inline constexpr uint32_t kContainerVersion = 2;
// The version a writer gives a file: 2 iff it holds a trellis tensor.
constexpr uint32_t ContainerVersionFor(bool holds_trellis) {
  return holds_trellis ? 2 : 1;
}
inline constexpr uint32_t kContainerHeaderSize = 72;
inline constexpr uint64_t kPayloadAlignment = 64;
inline constexpr size_t kMaxTensorNameBytes = 4096;
inline constexpr size_t kMaxMetadataKeyBytes = 4096;
inline constexpr int kMaxTensorRank = 8;
// Elements per piece when a command decodes a tensor in bounded memory
// (ContainerReader::DecodeRangeToFloat32; `seedlm decompress` holds one piece,
// 4 MiB of float32, whatever the tensor's size).
inline constexpr int64_t kDecodeChunkElements = int64_t{1} << 20;

// How a tensor's payload is stored. Values 0..2 equal DType's; the numbers are
// part of the format and never change.
enum class Storage : uint8_t {
  kF32 = 0,     // raw little-endian binary32
  kF16 = 1,     // raw little-endian binary16
  kBF16 = 2,    // raw little-endian bfloat16
  kSeedLM = 3,  // SeedLM blocks packed by block_format.h's PackBlock
  // Seed-trellis rows (trellis_format.h, spec §13): codec.family ==
  // CodecFamily::kTrellis and codec.trellis hold the parameters. Files that
  // hold such a tensor are format version 2 (docs/FORMAT.md).
  kTrellis = 4,
};

// "f32", "f16", "bf16", "seedlm", "trellis" ("?" for an out-of-range value).
const char* StorageName(Storage s);

// One tensor of the container: what it is and where its payload lies.
//
// A seedlm tensor of shape [d0, ..., dn-1] (n >= 1) is a matrix of
// rows = d0 * ... * dn-2 (1 when n == 1) by cols = dn-1; each row is
// zero-padded to blocks_per_row() = ceil(cols / C) blocks of
// bits_per_block() bits, blocks numbered row by row (spec §10), and the
// payload is PackedBytes(rows * blocks_per_row, bits_per_block) bytes.
// A trellis tensor (same rows x cols view) stores each row in
// TrellisRowBytes(cols) bytes, rows back to back (trellis_format.h); its
// payload is MakeGeometry(codec, rows, cols).payload_bytes() bytes.
// A raw tensor's payload is num_elements() * element size bytes.
//
// The helpers below REQUIRE a valid entry (ValidateTensorEntry OK); entries
// returned by ContainerReader always are.
struct TensorEntry {
  std::string name;  // 1..kMaxTensorNameBytes bytes, no NUL, unique in a file
  std::vector<int64_t> shape;  // 0..kMaxTensorRank dims (>= 1 for packed)
  Storage storage = Storage::kF32;
  // kSeedLM (block family) and kTrellis (trellis family, codec.trellis) only;
  // the writer stores, and the reader returns, the codec in canonical form:
  // defaults for the fields the storage does not use (all of them for raw
  // storage; the block fields, exponent mode and bias for trellis).
  CodecConfig codec;
  ExponentMode exponent_mode = ExponentMode::kSearch;  // encoder provenance
  int exponent_bias = 0;                               // int8 range
  // Filled in by the reader (and ignored by the writer):
  uint64_t offset = 0;  // payload offset in the file
  uint64_t size = 0;    // payload bytes
  uint32_t crc = 0;     // CRC-32 of the payload

  int64_t num_elements() const;
  int64_t rows() const;  // product of all dims but the last (1 for rank <= 1)
  int64_t cols() const;  // last dim (1 for rank 0)
  bool is_packed() const {
    return storage == Storage::kSeedLM || storage == Storage::kTrellis;
  }
  // seedlm only:
  int bits_per_block() const { return codec.bits_per_block(); }
  // seedlm: blocks; trellis: rings (MakeGeometry(codec, rows, cols)).
  int64_t blocks_per_row() const;
  int64_t num_blocks() const { return rows() * blocks_per_row(); }
};

// OK iff `e` describes a storable tensor (name, rank, dims >= 0, element and
// byte counts fit in int64, codec valid and of the storage's family -- block
// for seedlm, trellis for trellis --, bias in int8, enums in range);
// otherwise INVALID_ARGUMENT naming the tensor and the problem.
absl::Status ValidateTensorEntry(const TensorEntry& e);

// The exact payload size of `e`; INVALID_ARGUMENT if the entry is invalid.
absl::StatusOr<uint64_t> ExpectedPayloadBytes(const TensorEntry& e);

// Writes a .seedlm file. Not thread-safe. Usage:
//   ASSIGN_OR_RETURN(auto w, ContainerWriter::Create(path, metadata));
//   RETURN_IF_ERROR(w->AddTensor(entry, payload));      // or Begin/Append/End
//   RETURN_IF_ERROR(w->Finish());
// Nothing appears at `path` until Finish() succeeds; destroying an unfinished
// writer, or any failure, leaves no file (not even the temp file).
// A failed AppendPayload/EndTensor or an I/O error makes the writer failed:
// every later call returns FAILED_PRECONDITION carrying the first error.
class ContainerWriter {
 public:
  // INVALID_ARGUMENT for an empty, over-long (> kMaxMetadataKeyBytes) or
  // NUL-containing metadata key; I/O errors creating the temp file.
  static absl::StatusOr<std::unique_ptr<ContainerWriter>> Create(
      const std::string& path,
      std::map<std::string, std::string> metadata = {});
  ~ContainerWriter();
  ContainerWriter(const ContainerWriter&) = delete;
  ContainerWriter& operator=(const ContainerWriter&) = delete;

  // Adds or replaces a metadata entry (any time before Finish).
  absl::Status SetMetadata(const std::string& key, std::string value);

  // Writes one whole tensor. entry.offset/size/crc are ignored. Fails with
  // INVALID_ARGUMENT (writer stays usable) for an invalid entry, a duplicate
  // name, a payload of the wrong size, a seedlm block with seed 0, or a
  // trellis row whose scale is not finite and >= 0 (CheckTrellisScales).
  absl::Status AddTensor(const TensorEntry& entry,
                         absl::Span<const uint8_t> payload);

  // Streaming form of AddTensor for large payloads: BeginTensor validates the
  // entry like AddTensor; AppendPayload takes the payload in pieces of any
  // size (seeds and trellis scales are checked as they complete, also when
  // they straddle pieces); EndTensor checks that exactly
  // ExpectedPayloadBytes(entry) arrived.
  absl::Status BeginTensor(const TensorEntry& entry);
  absl::Status AppendPayload(absl::Span<const uint8_t> data);
  absl::Status EndTensor();

  // Writes directory, metadata and header (version
  // ContainerVersionFor(any trellis tensor)), then atomically renames the file
  // into place. FAILED_PRECONDITION inside an unfinished BeginTensor.
  absl::Status Finish();

  // Entries written so far (offset/size/crc filled in).
  const std::vector<TensorEntry>& tensors() const { return tensors_; }

 private:
  explicit ContainerWriter(std::unique_ptr<AtomicFileWriter> file);
  absl::Status CheckUsable() const;
  absl::Status Fail(absl::Status s);
  absl::Status CheckSeeds(absl::Span<const uint8_t> data);
  absl::Status CheckScales(absl::Span<const uint8_t> data);
  void RememberTail(absl::Span<const uint8_t> data);

  std::unique_ptr<AtomicFileWriter> file_;
  std::map<std::string, std::string> metadata_;
  std::vector<TensorEntry> tensors_;
  std::map<std::string, size_t> names_;
  absl::Status failed_;  // first fatal error; OK while usable
  bool finished_ = false;
  bool in_tensor_ = false;  // between BeginTensor and EndTensor
  TensorEntry current_;
  uint64_t expected_ = 0;           // payload bytes of current_
  uint64_t received_ = 0;           // payload bytes of current_ so far
  uint64_t next_seed_block_ = 0;    // first block (trellis: row) not checked
  uint8_t tail_[4] = {0, 0, 0, 0};  // last bytes received (seed straddles)
};

// Reads and validates a .seedlm file. All methods are thread-safe.
class ContainerReader {
 public:
  // Maps `path` and validates header, directory, metadata and padding
  // (O(directory), payloads are checked lazily; see VerifyAll).
  static absl::StatusOr<std::unique_ptr<ContainerReader>> Open(
      const std::string& path);
  // Same over an in-memory copy of a file.
  static absl::StatusOr<std::unique_ptr<ContainerReader>> OpenFromBuffer(
      std::string bytes);
  ~ContainerReader();
  ContainerReader(const ContainerReader&) = delete;
  ContainerReader& operator=(const ContainerReader&) = delete;

  uint32_t version() const { return version_; }
  uint64_t file_size() const { return size_; }
  const std::vector<TensorEntry>& tensors() const { return tensors_; }
  const std::map<std::string, std::string>& metadata() const {
    return metadata_;
  }
  // The index of tensor `name`; NOT_FOUND if absent.
  absl::StatusOr<size_t> FindTensor(absl::string_view name) const;

  // The payload of tensor i. The first call for a tensor verifies its CRC
  // (DATA_LOSS on mismatch, then on every later call); later calls are O(1).
  // OUT_OF_RANGE if i >= tensors().size(). The span lives as long as *this.
  absl::StatusOr<absl::Span<const uint8_t>> Payload(size_t i) const;
  // The payload without any verification. REQUIRES: i < tensors().size().
  absl::Span<const uint8_t> UnverifiedPayload(size_t i) const;
  // Hint that tensor i's payload is not needed for now: its pages leave the
  // resident set and are read back on demand (e.g. after verifying a large
  // embedding of which only a few rows will be used). No-op for a buffer
  // opened with OpenFromBuffer or an out-of-range i.
  void ReleasePages(size_t i) const;

  // Block `block_in_row` of row `row` of seedlm tensor `tensor`, in O(1) once
  // the payload is verified. INVALID_ARGUMENT if the tensor is not seedlm
  // (raw or trellis: "not a block-codec tensor"), OUT_OF_RANGE for bad
  // indices, DATA_LOSS for a CRC mismatch or seed 0.
  absl::StatusOr<Block> GetBlock(size_t tensor, int64_t row,
                                 int64_t block_in_row) const;

  // Decodes tensor i into `out` (num_elements() floats, row-major): seedlm by
  // DecodeBlock (row padding dropped), trellis by the normative
  // DecodeTrellisRows (trellis.h), raw kinds by ConvertToFloat32.
  // INVALID_ARGUMENT if out.size() != num_elements(); DATA_LOSS as above,
  // and for a trellis row scale that is not finite and >= 0.
  absl::Status DecodeToFloat32(size_t i, absl::Span<float> out) const;

  // Decodes elements [begin, begin + out.size()) of tensor i in row-major
  // order: exactly that slice of DecodeToFloat32's output, so that a tensor of
  // any size can be decoded piece by piece in O(out.size()) memory.
  // OUT_OF_RANGE if i >= tensors().size() or the range is not inside
  // [0, num_elements()); DATA_LOSS as DecodeToFloat32 (a block with seed 0,
  // or a bad trellis scale, is reported when the range reaches it). A
  // trellis range decodes the whole rows it touches, one at a time: memory
  // O(cols) besides `out`.
  absl::Status DecodeRangeToFloat32(size_t i, int64_t begin,
                                    absl::Span<float> out) const;

  // Verifies tensor i's payload CRC and, for seedlm, that no block has seed 0,
  // for trellis, that every row scale is finite and >= 0 (DATA_LOSS naming
  // the tensor); OUT_OF_RANGE if i >= tensors().size().
  absl::Status VerifyTensor(size_t i) const;
  // VerifyTensor of every tensor in directory order (the first error).
  absl::Status VerifyAll() const;

 private:
  ContainerReader() = default;
  static absl::StatusOr<std::unique_ptr<ContainerReader>> Parse(
      std::unique_ptr<ContainerReader> r);
  absl::Status ParseHeader();
  absl::Status CheckIndexRegion(const container_internal::Header& h);
  absl::Status ParseDirectory();
  absl::Status ParseMetadata();
  absl::Status CheckPayloadLayout();

  std::unique_ptr<MappedFile> mapped_;
  std::string buffer_;
  const uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
  uint32_t version_ = 0;
  uint64_t directory_offset_ = 0, directory_size_ = 0;
  uint64_t metadata_offset_ = 0, metadata_size_ = 0;
  uint32_t tensor_count_ = 0, metadata_count_ = 0;
  std::vector<TensorEntry> tensors_;
  std::map<std::string, size_t, std::less<>> index_;
  std::map<std::string, std::string> metadata_;
  // Per tensor: 0 = CRC not checked yet, 1 = good, 2 = mismatch.
  std::unique_ptr<std::atomic<uint8_t>[]> crc_state_;
};

}  // namespace seedlm

#endif  // SEEDLM_CORE_FORMAT_CONTAINER_H_
