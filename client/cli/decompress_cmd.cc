// `seedlm decompress`: every tensor of a .seedlm file back as float32
// safetensors (seedlm and trellis tensors through their normative decodes).
//
// Streamed: the file is verified first (every CRC, seed and trellis scale, so
// a corrupt file writes nothing), then the safetensors header is written from
// the directory and each tensor is decoded and appended kDecodeChunkElements
// at a time, so memory stays at one chunk (4 MiB, plus one trellis row)
// whatever the model's size; the output appears atomically when complete.
// The bytes equal what WriteSafetensors gives for the whole decoded model.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/cli/args.h"
#include "client/cli/command_docs.h"
#include "client/cli/commands.h"
#include "client/cli/output_paths.h"
#include "core/format/container.h"
#include "core/model/safetensors_stream_writer.h"
#include "core/util/status_macros.h"

namespace seedlm::cli {
namespace {

// Verifies every tensor, releasing each payload's pages after its check.
absl::Status VerifyContainer(const ContainerReader& r,
                             const std::string& path) {
  for (size_t i = 0; i < r.tensors().size(); ++i) {
    const absl::Status s = r.VerifyTensor(i);
    if (!s.ok()) {
      return absl::Status(s.code(), absl::StrCat(path, ": ", s.message()));
    }
    r.ReleasePages(i);
  }
  return absl::OkStatus();
}

// Decodes tensor i piece by piece into `w` through `chunk`.
absl::Status StreamTensor(const ContainerReader& r, size_t i,
                          std::vector<float>* chunk,
                          SafetensorsStreamWriter* w) {
  const int64_t n = r.tensors()[i].num_elements();
  for (int64_t begin = 0; begin < n;) {
    const int64_t len =
        std::min<int64_t>(n - begin, static_cast<int64_t>(chunk->size()));
    const absl::Span<float> piece(chunk->data(), static_cast<size_t>(len));
    RETURN_IF_ERROR(r.DecodeRangeToFloat32(i, begin, piece));
    RETURN_IF_ERROR(w->Append(absl::Span<const uint8_t>(
        reinterpret_cast<const uint8_t*>(piece.data()),
        piece.size() * sizeof(float))));
    begin += len;
  }
  r.ReleasePages(i);
  return absl::OkStatus();
}

}  // namespace

absl::Status RunDecompress(int argc, char** argv) {
  ASSIGN_OR_RETURN(Args args, ParseCommandArgs("decompress", argc, argv));
  if (args.positional.size() != 2) {
    return absl::InvalidArgumentError(
        "usage: seedlm decompress IN.seedlm OUT.safetensors");
  }
  RETURN_IF_ERROR(
      CheckOutputAgainstInputs(args.positional[1], {args.positional[0]}));
  ASSIGN_OR_RETURN(std::unique_ptr<ContainerReader> r,
                   ContainerReader::Open(args.positional[0]));
  RETURN_IF_ERROR(VerifyContainer(*r, args.positional[0]));
  std::vector<TensorInfo> infos;
  for (const TensorEntry& t : r->tensors()) {
    infos.push_back(TensorInfo{t.name, t.shape, DType::kF32});
  }
  ASSIGN_OR_RETURN(std::unique_ptr<SafetensorsStreamWriter> w,
                   SafetensorsStreamWriter::Create(
                       args.positional[1], infos,
                       {{"format", "pt"}, {"seedlm.source", "decompress"}}));
  std::vector<float> chunk(static_cast<size_t>(kDecodeChunkElements));
  for (size_t i = 0; i < r->tensors().size(); ++i) {
    RETURN_IF_ERROR(StreamTensor(*r, i, &chunk, w.get()));
  }
  return w->Finish();
}

}  // namespace seedlm::cli
