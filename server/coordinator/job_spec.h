// What a compression job is asked to do, in RPC-free terms: where the model
// is (a path under the coordinator's model root, or an upload) and the
// options of `seedlm compress`. The gRPC adapter fills a JobSpec from a
// SubmitJobRequest; the coordinator validates it (every field bounded),
// stores it as JSON with the job and rebuilds the CompressOptions from it
// after a restart, so a resumed job is planned exactly as before.
//
// Plain value types and pure functions; thread-compatible.
#ifndef SEEDLM_SERVER_COORDINATOR_JOB_SPEC_H_
#define SEEDLM_SERVER_COORDINATOR_JOB_SPEC_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/codec/codec.h"
#include "core/compress/compress_options.h"

namespace seedlm::coordinator {

// Bounds of a request's fields (INVALID_ARGUMENT beyond them).
inline constexpr size_t kMaxPathBytes = 1024;
inline constexpr size_t kMaxPatterns = 64;
inline constexpr size_t kMaxPatternBytes = 1024;
inline constexpr size_t kMaxRequestIdBytes = 128;
inline constexpr size_t kMaxDisplayNameBytes = 256;

enum class BiasPolicy { kPreset, kFixed, kAuto };

struct JobSpec {
  // Exactly one of server_path / upload_id.
  std::string server_path;        // relative to the model root
  std::string upload_id;          // a finished upload
  std::string upload_model_path;  // with upload_id: relative to the upload
  std::string tokenizer_path;     // relative to the same root ("" = default)
  std::string preset;             // "" = kDefaultPreset
  ExponentMode mode = ExponentMode::kSearch;
  BiasPolicy bias_policy = BiasPolicy::kPreset;
  int bias = 0;  // kFixed
  std::vector<std::string> include;
  std::vector<std::string> exclude;
  std::string request_id;
  std::string display_name;
};

// OK, or INVALID_ARGUMENT naming the field: both or neither model source,
// a path that is absolute, has a ".." or empty component, a NUL or is over
// kMaxPathBytes, an unknown preset, a bias outside -128..127, too many or
// too long patterns (or one RE2 rejects), over-long ids or names, text that
// is not valid UTF-8.
absl::Status ValidateJobSpec(const JobSpec& spec);

// The options `seedlm compress` would use for the same flags. REQUIRES:
// ValidateJobSpec(spec).ok().
absl::StatusOr<CompressOptions> ToCompressOptions(const JobSpec& spec);

// JSON round trip (stored with the job). JobSpecFromJson: DATA_LOSS for
// malformed text.
std::string JobSpecToJson(const JobSpec& spec);
absl::StatusOr<JobSpec> JobSpecFromJson(const std::string& text);

// OK iff `path` is a relative path without "." / ".." / empty components
// or NUL bytes, at most kMaxPathBytes (empty allowed when `allow_empty`);
// INVALID_ARGUMENT naming `field` otherwise.
absl::Status CheckRelativePath(const std::string& path,
                               const std::string& field, bool allow_empty);

// root/relative resolved through every symlink (realpath), which must stay
// inside realpath(root): PERMISSION_DENIED "... is outside the model root"
// otherwise; NOT_FOUND when it does not exist; FAILED_PRECONDITION when
// `root` is empty (the coordinator has no --model-root). REQUIRES:
// CheckRelativePath(relative) passed (or relative empty: the root itself).
absl::StatusOr<std::string> ResolveUnderRoot(const std::string& root,
                                             const std::string& relative);

}  // namespace seedlm::coordinator

#endif  // SEEDLM_SERVER_COORDINATOR_JOB_SPEC_H_
