// `seedlm verify FILE.seedlm [--json]`: the full integrity check of a
// container — header and directory (checked when opening: magic, version,
// checksums, sizes, layout, padding), then every tensor's payload CRC and,
// for seedlm tensors, that no block holds the forbidden seed 0. The first bad
// tensor is named in a DATA_LOSS error (exit 1); a good file prints
// "OK: N tensors, M bytes verified". Payload pages are released after each
// tensor, so memory stays small whatever the file's size.
#include <string>

#include "absl/strings/str_cat.h"
#include "client/cli/args.h"
#include "client/cli/command_docs.h"
#include "client/cli/commands.h"
#include "client/cli/output.h"
#include "core/format/container.h"
#include "core/util/json_util.h"
#include "core/util/status_macros.h"

namespace seedlm::cli {

absl::Status RunVerify(int argc, char** argv) {
  ASSIGN_OR_RETURN(Args args, ParseCommandArgs("verify", argc, argv));
  if (args.positional.size() != 1) {
    return absl::InvalidArgumentError(
        "usage: seedlm verify FILE.seedlm [--json]");
  }
  const std::string& path = args.positional[0];
  const bool json = args.Bool("json");
  absl::StatusOr<std::unique_ptr<ContainerReader>> r =
      ContainerReader::Open(path);
  absl::Status s = r.status();
  std::string bad_tensor;
  for (size_t i = 0; s.ok() && i < (*r)->tensors().size(); ++i) {
    s = (*r)->VerifyTensor(i);
    (*r)->ReleasePages(i);
    if (!s.ok()) {
      bad_tensor = (*r)->tensors()[i].name;
      s = absl::Status(s.code(), absl::StrCat(path, ": ", s.message()));
    }
  }
  if (json) {
    Json j = {{"file", path}, {"ok", s.ok()}};
    if (s.ok()) {
      j["tensors"] = (*r)->tensors().size();
      j["bytes"] = (*r)->file_size();
    } else {
      j["error"] = std::string(s.message());
      j["tensor"] = bad_tensor.empty() ? Json(nullptr) : Json(bad_tensor);
    }
    RETURN_IF_ERROR(WriteStdout(DumpJson(j, 2) + "\n"));
    return s;
  }
  RETURN_IF_ERROR(s);
  return WriteStdout(absl::StrCat("OK: ", (*r)->tensors().size(), " tensors, ",
                                  (*r)->file_size(), " bytes verified\n"));
}

}  // namespace seedlm::cli
