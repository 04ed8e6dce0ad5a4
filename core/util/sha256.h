// SHA-256 of byte strings and files (OpenSSL's EVP interface underneath), as
// lowercase hex: what jobs, uploads and results are identified and checked
// by. Thread-safe (no shared state).
#ifndef SEEDLM_CORE_UTIL_SHA256_H_
#define SEEDLM_CORE_UTIL_SHA256_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace seedlm {

// An incremental SHA-256. Thread-compatible.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(absl::Span<const uint8_t> data);
  void Update(absl::string_view data);
  // The digest of everything given, as 64 lowercase hex characters. The
  // object must not be used after.
  std::string HexDigest();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The hex SHA-256 of `data`.
std::string Sha256Hex(absl::string_view data);

// The hex SHA-256 of the first `max_bytes` bytes of the regular file at
// `path` (all of it by default), read in 1 MiB pieces. Errors of
// OpenForRead (file_util.h) and of reading.
absl::StatusOr<std::string> Sha256File(const std::string& path,
                                       uint64_t max_bytes = UINT64_MAX);

// True for 64 lowercase hex characters.
bool IsSha256Hex(absl::string_view s);

}  // namespace seedlm

#endif  // SEEDLM_CORE_UTIL_SHA256_H_
