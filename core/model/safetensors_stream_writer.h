// Streaming safetensors writer: the header is computed up front from the
// tensors' names, shapes and dtypes, then the data are appended in pieces of
// any size, so that writing a model of any size needs memory for one piece,
// not for the model (`seedlm decompress`).
//
// The bytes are exactly those of WriteSafetensors (safetensors.h) for the same
// tensors, order and metadata: same sorted-key compact JSON header padded with
// spaces to a multiple of 8, data in the given order. The file is written
// through AtomicFileWriter: nothing appears at the path until Finish()
// succeeds, and a writer destroyed before that (or after any error) leaves no
// file behind.
//
// Errors: INVALID_ARGUMENT for empty, duplicate or "__metadata__" names,
// negative or overflowing shapes (Create), and for more data than the tensors
// hold (Append); FAILED_PRECONDITION for Finish before all data arrived or any
// call after a failure or after Finish; I/O errors as in file_util.h (every
// write is checked). Not thread-safe.
#ifndef SEEDLM_CORE_MODEL_SAFETENSORS_STREAM_WRITER_H_
#define SEEDLM_CORE_MODEL_SAFETENSORS_STREAM_WRITER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/model/model_source.h"
#include "core/util/file_util.h"

namespace seedlm {

class SafetensorsStreamWriter {
 public:
  // Validates `tensors`, creates the temp file and writes the header.
  static absl::StatusOr<std::unique_ptr<SafetensorsStreamWriter>> Create(
      const std::string& path, const std::vector<TensorInfo>& tensors,
      const std::map<std::string, std::string>& metadata);
  ~SafetensorsStreamWriter();
  SafetensorsStreamWriter(const SafetensorsStreamWriter&) = delete;
  SafetensorsStreamWriter& operator=(const SafetensorsStreamWriter&) = delete;

  // Appends the next bytes of the data buffer (the tensors' bytes in the
  // order given to Create, pieces may straddle tensors).
  absl::Status Append(absl::Span<const uint8_t> bytes);
  // Checks that every tensor's bytes arrived and commits the file.
  absl::Status Finish();

  // Bytes of the data buffer in all, and appended so far.
  uint64_t data_bytes() const { return data_bytes_; }
  uint64_t appended() const { return appended_; }
  // The largest single Append so far (what a caller held at once).
  uint64_t largest_append() const { return largest_append_; }

 private:
  explicit SafetensorsStreamWriter(uint64_t data_bytes)
      : data_bytes_(data_bytes) {}
  absl::Status CheckUsable() const;

  std::unique_ptr<AtomicFileWriter> file_;
  const uint64_t data_bytes_;
  uint64_t appended_ = 0;
  uint64_t largest_append_ = 0;
  absl::Status failed_;  // first error; OK while usable
  bool finished_ = false;
};

}  // namespace seedlm

#endif  // SEEDLM_CORE_MODEL_SAFETENSORS_STREAM_WRITER_H_
