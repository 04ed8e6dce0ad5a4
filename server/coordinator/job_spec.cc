#include "server/coordinator/job_spec.h"

#include <climits>
#include <cstdlib>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/model/mapped_source.h"
#include "core/util/json_util.h"
#include "core/util/status_macros.h"
#include "nlohmann/json.hpp"

namespace seedlm::coordinator {
namespace {

using nlohmann::json;

absl::Status CheckText(const std::string& s, size_t max_bytes,
                       const std::string& field) {
  if (s.size() > max_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", s.size(), " bytes, at most ", max_bytes));
  }
  if (s.find('\0') != std::string::npos || !model_internal::IsValidUtf8(s)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": not valid UTF-8 text"));
  }
  return absl::OkStatus();
}

absl::Status CheckPatterns(const std::vector<std::string>& patterns,
                           const std::string& field) {
  if (patterns.size() > kMaxPatterns) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": ", patterns.size(), " patterns, at most ", kMaxPatterns));
  }
  for (const std::string& p : patterns) {
    RETURN_IF_ERROR(CheckText(p, kMaxPatternBytes, field));
  }
  return absl::OkStatus();
}

const char* BiasPolicyName(BiasPolicy p) {
  switch (p) {
    case BiasPolicy::kFixed:
      return "fixed";
    case BiasPolicy::kAuto:
      return "auto";
    case BiasPolicy::kPreset:
      break;
  }
  return "preset";
}

}  // namespace

absl::Status CheckRelativePath(const std::string& path,
                               const std::string& field, bool allow_empty) {
  if (path.empty()) {
    if (allow_empty) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrCat(field, ": empty path"));
  }
  RETURN_IF_ERROR(CheckText(path, kMaxPathBytes, field));
  if (path[0] == '/') {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": \"", path, "\" is absolute; give a relative path"));
  }
  for (absl::string_view part : absl::StrSplit(path, '/')) {
    if (part.empty() || part == "." || part == "..") {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ": \"", path, "\" has an empty, \".\" or \"..\" component"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ResolveUnderRoot(const std::string& root,
                                             const std::string& relative) {
  if (root.empty()) {
    return absl::FailedPreconditionError(
        "this coordinator has no --model-root: upload the model instead");
  }
  std::unique_ptr<char, decltype(&std::free)> real_root(
      ::realpath(root.c_str(), nullptr), &std::free);
  if (!real_root) {
    return absl::FailedPreconditionError(
        absl::StrCat("model root ", root, " is not accessible"));
  }
  std::string joined =
      relative.empty() ? root : absl::StrCat(root, "/", relative);
  std::unique_ptr<char, decltype(&std::free)> real(
      ::realpath(joined.c_str(), nullptr), &std::free);
  if (!real) {
    return absl::NotFoundError(
        absl::StrCat("\"", relative, "\" does not exist under the model root"));
  }
  std::string r(real.get());
  std::string base(real_root.get());
  if (r != base &&
      !(r.size() > base.size() && r.compare(0, base.size(), base) == 0 &&
        (base == "/" || r[base.size()] == '/'))) {
    return absl::PermissionDeniedError(
        absl::StrCat("\"", relative, "\" is outside the model root"));
  }
  return r;
}

absl::Status ValidateJobSpec(const JobSpec& spec) {
  const bool has_path = !spec.server_path.empty();
  const bool has_upload = !spec.upload_id.empty();
  if (has_path == has_upload) {
    return absl::InvalidArgumentError(
        "model: give exactly one of server_path and upload_id");
  }
  if (has_path) {
    RETURN_IF_ERROR(
        CheckRelativePath(spec.server_path, "model.server_path", false));
  } else {
    RETURN_IF_ERROR(CheckText(spec.upload_id, 64, "model.upload_id"));
    RETURN_IF_ERROR(CheckRelativePath(spec.upload_model_path,
                                      "model.upload_model_path", true));
  }
  RETURN_IF_ERROR(
      CheckRelativePath(spec.tokenizer_path, "model.tokenizer_path", true));
  if (!spec.preset.empty()) {
    RETURN_IF_ERROR(CheckText(spec.preset, 64, "options.preset"));
    absl::StatusOr<CodecConfig> codec = PresetByName(spec.preset);
    if (!codec.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("options.preset: ", codec.status().message()));
    }
  }
  if (spec.bias_policy == BiasPolicy::kFixed &&
      (spec.bias < -128 || spec.bias > 127)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "options.exponent_bias: ", spec.bias, " is outside -128..127"));
  }
  RETURN_IF_ERROR(CheckPatterns(spec.include, "options.include"));
  RETURN_IF_ERROR(CheckPatterns(spec.exclude, "options.exclude"));
  RETURN_IF_ERROR(CheckText(spec.request_id, kMaxRequestIdBytes, "request_id"));
  RETURN_IF_ERROR(
      CheckText(spec.display_name, kMaxDisplayNameBytes, "display_name"));
  absl::StatusOr<CompressOptions> options = ToCompressOptions(spec);
  if (!options.ok()) return options.status();
  absl::Status valid = options->Validate();
  if (!valid.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("options: ", valid.message()));
  }
  return absl::OkStatus();
}

absl::StatusOr<CompressOptions> ToCompressOptions(const JobSpec& spec) {
  ASSIGN_OR_RETURN(
      CodecConfig codec,
      PresetByName(spec.preset.empty() ? kDefaultPreset : spec.preset));
  CompressOptions options = CompressOptions::ForCodec(codec);
  options.mode = spec.mode;
  if (spec.bias_policy == BiasPolicy::kFixed) options.exponent_bias = spec.bias;
  if (spec.bias_policy == BiasPolicy::kAuto) options.exponent_bias.reset();
  options.include = spec.include;
  options.exclude = spec.exclude;
  return options;
}

std::string JobSpecToJson(const JobSpec& spec) {
  json j = {{"server_path", spec.server_path},
            {"upload_id", spec.upload_id},
            {"upload_model_path", spec.upload_model_path},
            {"tokenizer_path", spec.tokenizer_path},
            {"preset", spec.preset},
            {"mode", ExponentModeName(spec.mode)},
            {"bias_policy", BiasPolicyName(spec.bias_policy)},
            {"bias", spec.bias},
            {"include", spec.include},
            {"exclude", spec.exclude},
            {"request_id", spec.request_id},
            {"display_name", spec.display_name}};
  return DumpJson(j);
}

absl::StatusOr<JobSpec> JobSpecFromJson(const std::string& text) {
  ASSIGN_OR_RETURN(json j, ParseJson(text, "job spec"));
  JobSpec spec;
  const std::string where = "job spec";
  ASSIGN_OR_RETURN(spec.server_path, JsonString(j, "server_path", where));
  ASSIGN_OR_RETURN(spec.upload_id, JsonString(j, "upload_id", where));
  ASSIGN_OR_RETURN(spec.upload_model_path,
                   JsonString(j, "upload_model_path", where));
  ASSIGN_OR_RETURN(spec.tokenizer_path, JsonString(j, "tokenizer_path", where));
  ASSIGN_OR_RETURN(spec.preset, JsonString(j, "preset", where));
  ASSIGN_OR_RETURN(std::string mode, JsonString(j, "mode", where));
  absl::StatusOr<ExponentMode> m = ParseExponentMode(mode);
  if (!m.ok()) return absl::DataLossError(std::string(m.status().message()));
  spec.mode = *m;
  ASSIGN_OR_RETURN(std::string policy, JsonString(j, "bias_policy", where));
  spec.bias_policy = policy == "fixed"  ? BiasPolicy::kFixed
                     : policy == "auto" ? BiasPolicy::kAuto
                                        : BiasPolicy::kPreset;
  ASSIGN_OR_RETURN(int64_t bias, JsonInt(j, "bias", -128, 127, where));
  spec.bias = static_cast<int>(bias);
  for (const char* key : {"include", "exclude"}) {
    ASSIGN_OR_RETURN(const json* arr, JsonArray(j, key, where));
    auto& out = std::string(key) == "include" ? spec.include : spec.exclude;
    for (const json& p : *arr) {
      if (!p.is_string()) {
        return absl::DataLossError(
            absl::StrCat(where, ".", key, ": expected strings"));
      }
      out.push_back(p.get<std::string>());
    }
  }
  ASSIGN_OR_RETURN(spec.request_id, JsonString(j, "request_id", where));
  ASSIGN_OR_RETURN(spec.display_name, JsonString(j, "display_name", where));
  return spec;
}

}  // namespace seedlm::coordinator
