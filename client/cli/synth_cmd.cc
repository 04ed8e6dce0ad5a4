// `seedlm synth`: a synthetic full-size checkpoint for speed and memory work.
#include <cstdio>
#include <string>

#include "client/cli/args.h"
#include "client/cli/command_docs.h"
#include "client/cli/commands.h"
#include "core/model/synth.h"
#include "core/util/status_macros.h"

namespace seedlm::cli {

absl::Status RunSynth(int argc, char** argv) {
  ASSIGN_OR_RETURN(Args args, ParseCommandArgs("synth", argc, argv));
  if (args.positional.size() != 1) {
    return absl::InvalidArgumentError(
        "usage: seedlm synth OUT_DIR --arch llama --dim D --hidden H "
        "--layers N [--heads N] [--kv-heads N] [--vocab N] [--seed S] "
        "[--dtype bf16|f16|f32]");
  }
  SynthOptions o;
  o.arch = args.Get("arch", o.arch);
  ASSIGN_OR_RETURN(o.dim, args.GetInt("dim", o.dim));
  ASSIGN_OR_RETURN(o.hidden, args.GetInt("hidden", o.hidden));
  ASSIGN_OR_RETURN(o.layers, args.GetInt("layers", o.layers));
  ASSIGN_OR_RETURN(o.heads, args.GetInt("heads", o.heads));
  ASSIGN_OR_RETURN(o.kv_heads, args.GetInt("kv-heads", o.kv_heads));
  ASSIGN_OR_RETURN(o.vocab, args.GetInt("vocab", o.vocab));
  ASSIGN_OR_RETURN(long long seed, args.GetInt("seed", 1));
  o.seed = static_cast<uint64_t>(seed);
  ASSIGN_OR_RETURN(o.dtype, ParseDType(args.Get("dtype", "bf16")));
  RETURN_IF_ERROR(WriteSyntheticModel(args.positional[0], o));
  std::printf(
      "wrote %s: llama dim %lld hidden %lld layers %lld vocab %lld (%s)\n",
      args.positional[0].c_str(), static_cast<long long>(o.dim),
      static_cast<long long>(o.hidden), static_cast<long long>(o.layers),
      static_cast<long long>(o.vocab), DTypeName(o.dtype));
  return absl::OkStatus();
}

}  // namespace seedlm::cli
