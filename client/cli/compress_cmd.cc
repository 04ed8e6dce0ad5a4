// `seedlm compress`: model in, .seedlm out, per-tensor table on stdout.

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "client/cli/args.h"
#include "client/cli/command_docs.h"
#include "client/cli/commands.h"
#include "client/cli/compress_flags.h"
#include "client/cli/output_paths.h"
#include "client/cli/progress_bar.h"
#include "client/cli/runtime_flags.h"
#include "core/compress/model_compressor.h"
#include "core/tokenizer/chat_template.h"
#include "core/util/json_util.h"
#include "core/util/resource_usage.h"
#include "core/util/status_macros.h"
#include "nlohmann/json.hpp"

namespace seedlm::cli {
namespace {

// The shared compression flags (compress_flags.h) plus --resume, --search.
absl::StatusOr<CompressOptions> OptionsFromArgs(const Args& args) {
  ASSIGN_OR_RETURN(CompressOptions opt, CompressOptionsFromArgs(args));
  opt.resume = args.Bool("resume");
  ASSIGN_OR_RETURN(opt.algorithm,
                   ParseSearchAlgorithm(args.Get("search", "fast")));
  return opt;
}

std::string ShapeString(const std::vector<int64_t>& shape) {
  return absl::StrCat("[", absl::StrJoin(shape, "x"), "]");
}

void PrintTable(const CompressReport& r, const std::string& out_path,
                uint64_t file_bytes) {
  std::printf("%-40s %-12s %-7s %9s %9s %8s\n", "tensor", "shape", "storage",
              "bits/w", "rel.err", "seconds");
  int64_t all_w = 0, comp_w = 0, blocks = 0;
  uint64_t comp_bytes = 0;
  double se = 0, sn = 0, secs = 0;
  for (const TensorReport& t : r.tensors) {
    const bool packed = t.storage == Storage::kSeedLM;
    std::printf("%-40s %-12s %-7s %9.3f %9s %8s\n", t.name.c_str(),
                ShapeString(t.shape).c_str(), StorageName(t.storage),
                t.bits_per_weight,
                packed ? absl::StrFormat("%.4f", t.rel_error).c_str() : "-",
                packed ? absl::StrFormat("%.2f", t.seconds).c_str() : "-");
    all_w += t.weights;
    if (packed) {
      comp_w += t.weights;
      comp_bytes += t.payload_bytes;
      se += t.sq_error;
      sn += t.sq_norm;
      secs += t.seconds;
      blocks += t.blocks;
    }
  }
  std::printf(
      "total: %zu tensors, %lld weights; %lld compressed at %.3f bits/weight, "
      "rel.err %.4f, %.1f s (%.0f blocks/s)\n",
      r.tensors.size(), static_cast<long long>(all_w),
      static_cast<long long>(comp_w), comp_w ? 8.0 * comp_bytes / comp_w : 0.0,
      sn > 0 ? std::sqrt(se / sn) : 0.0, secs, secs > 0 ? blocks / secs : 0.0);
  std::printf("wrote %s: %llu bytes (%.3f bits/weight over all weights)\n",
              out_path.c_str(), static_cast<unsigned long long>(file_bytes),
              all_w ? 8.0 * file_bytes / all_w : 0.0);
  if (r.reused_tensors > 0) {
    std::printf("resumed: %d compressed tensors taken from the checkpoint\n",
                r.reused_tensors);
  }
  std::printf("peak RSS %.1f MiB, wall %.1f s\n", PeakRssMiB(), r.seconds);
}

nlohmann::json ReportJson(const CompressReport& r) {
  nlohmann::json tensors = nlohmann::json::array();
  for (const TensorReport& t : r.tensors) {
    tensors.push_back({{"name", t.name},
                       {"shape", t.shape},
                       {"storage", StorageName(t.storage)},
                       {"weights", t.weights},
                       {"bits_per_weight", t.bits_per_weight},
                       {"rel_error", t.rel_error},
                       {"blocks", t.blocks},
                       {"exponent_bias", t.exponent_bias},
                       {"seconds", t.seconds}});
  }
  // Every stored bit of the compressed tensors (block padding, trellis row
  // scales) per weight of those tensors; 0 when none is compressed.
  double bits = 0.0, weights = 0.0;
  for (const TensorReport& t : r.tensors) {
    if (t.storage != Storage::kSeedLM && t.storage != Storage::kTrellis) {
      continue;
    }
    bits += 8.0 * static_cast<double>(t.payload_bytes);
    weights += static_cast<double>(t.weights);
  }
  return {{"tensors", tensors},
          {"bits_per_weight", weights > 0 ? bits / weights : 0.0},
          {"seconds", r.seconds},
          {"reused_tensors", r.reused_tensors},
          {"peak_rss_mib", PeakRssMiB()}};
}

// The chat template the container will carry must be one the server can
// render: an explicit --chat-template outside the supported Jinja subset is
// an error (the parse's status); a checkpoint's own one only warns, since
// the model is still worth compressing for plain completions.
absl::Status CheckChatTemplate(const ModelMetadata& m,
                               const std::string& flag_path) {
  if (m.chat_template.empty()) return absl::OkStatus();
  absl::Status parsed = ChatTemplate::Parse(m.chat_template).status();
  if (parsed.ok()) return absl::OkStatus();
  if (!flag_path.empty()) {
    return absl::Status(
        parsed.code(),
        absl::StrCat("--chat-template ", flag_path, ": ", parsed.message()));
  }
  std::fprintf(stderr,
               "warning: the model's chat template cannot be served (%s); "
               "it is kept, but chat completions will be refused\n",
               std::string(parsed.message()).c_str());
  return absl::OkStatus();
}

}  // namespace

absl::Status RunCompress(int argc, char** argv) {
  ASSIGN_OR_RETURN(Args args, ParseCommandArgs("compress", argc, argv));
  if (args.positional.size() != 2) {
    return absl::InvalidArgumentError(
        "usage: seedlm compress MODEL OUT.seedlm [flags] (see seedlm --help)");
  }
  const std::string& out = args.positional[1];
  // Before any work: OUT must not be an input nor anything but a file.
  std::vector<std::string> inputs =
      ModelInputPaths(args.positional[0], args.Get("tokenizer"));
  if (args.Has("chat-template")) inputs.push_back(args.Get("chat-template"));
  RETURN_IF_ERROR(CheckOutputAgainstInputs(out, inputs));
  ASSIGN_OR_RETURN(CompressOptions opt, OptionsFromArgs(args));
  ASSIGN_OR_RETURN(long long threads, args.GetInt("threads", 0));
  if (threads < 0 || threads > 1024) {
    return absl::InvalidArgumentError("--threads must be in 0..1024");
  }
  OpenModelOptions mopt;
  mopt.tokenizer_path = args.Get("tokenizer");
  mopt.chat_template_path = args.Get("chat-template");
  ASSIGN_OR_RETURN(std::unique_ptr<ModelSource> source,
                   OpenModel(args.positional[0], mopt));
  RETURN_IF_ERROR(
      CheckChatTemplate(source->metadata(), mopt.chat_template_path));
  ThreadPool pool(static_cast<int>(threads));
  ProgressBar bar;
  CompressCallbacks cb;
  cb.progress = [&](const std::string& name, int64_t done, int64_t total) {
    bar.Update(name, done, total);
  };
  absl::StatusOr<CompressReport> report =
      CompressModel(*source, out, opt, &pool, cb);
  bar.Clear();
  if (!report.ok()) return report.status();
  ASSIGN_OR_RETURN(std::unique_ptr<ContainerReader> written,
                   ContainerReader::Open(out));
  if (args.Bool("json")) {
    // DumpJson: tensor names from the model may be invalid UTF-8.
    std::printf("%s\n", DumpJson(ReportJson(*report), 2).c_str());
  } else {
    PrintTable(*report, out, written->file_size());
  }
  return absl::OkStatus();
}

}  // namespace seedlm::cli
