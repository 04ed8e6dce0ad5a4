// `seedlm decompress`: every tensor of a .seedlm file back as float32
// safetensors (seedlm tensors through the normative decode).
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/cli/args.h"
#include "client/cli/commands.h"
#include "client/cli/output_paths.h"
#include "core/format/container.h"
#include "core/model/safetensors.h"
#include "core/util/status_macros.h"

namespace seedlm::cli {

absl::Status RunDecompress(int argc, char** argv) {
  ASSIGN_OR_RETURN(Args args, ParseArgs(argc, argv, 2, FlagSpec{}));
  if (args.positional.size() != 2) {
    return absl::InvalidArgumentError(
        "usage: seedlm decompress IN.seedlm OUT.safetensors");
  }
  RETURN_IF_ERROR(
      CheckOutputAgainstInputs(args.positional[1], {args.positional[0]}));
  ASSIGN_OR_RETURN(std::unique_ptr<ContainerReader> r,
                   ContainerReader::Open(args.positional[0]));
  RETURN_IF_ERROR(r->VerifyAll());
  std::vector<std::vector<float>> data(r->tensors().size());
  std::vector<std::pair<TensorInfo, absl::Span<const uint8_t>>> out;
  for (size_t i = 0; i < r->tensors().size(); ++i) {
    const TensorEntry& t = r->tensors()[i];
    data[i].resize(static_cast<size_t>(t.num_elements()));
    RETURN_IF_ERROR(r->DecodeToFloat32(i, absl::MakeSpan(data[i])));
    out.push_back({TensorInfo{t.name, t.shape, DType::kF32},
                   absl::Span<const uint8_t>(
                       reinterpret_cast<const uint8_t*>(data[i].data()),
                       data[i].size() * sizeof(float))});
  }
  return WriteSafetensors(args.positional[1], out,
                          {{"format", "pt"}, {"seedlm.source", "decompress"}});
}

}  // namespace seedlm::cli
