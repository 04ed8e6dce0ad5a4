// `seedlm inspect`: the header and tensor directory of a .seedlm file, or the
// decoded blocks of one tensor.
#include <cstdio>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "client/cli/args.h"
#include "client/cli/commands.h"
#include "core/format/container.h"
#include "core/util/status_macros.h"
#include "nlohmann/json.hpp"

namespace seedlm::cli {
namespace {

// All payload bits of a tensor, including its side data (for seedlm, the
// 8-bit exponent bias; codec parameters are per-tensor constants).
uint64_t TensorBits(const TensorEntry& t) {
  return 8 * t.size + (t.storage == Storage::kSeedLM ? 8 : 0);
}

absl::Status ParseRange(const std::string& s, int64_t* a, int64_t* b) {
  std::vector<std::string> parts = absl::StrSplit(s, ':');
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], a) ||
      !absl::SimpleAtoi(parts[1], b) || *a < 0 || *b < *a) {
    return absl::InvalidArgumentError(
        absl::StrCat("--blocks expects A:B with 0 <= A <= B, got '", s, "'"));
  }
  return absl::OkStatus();
}

absl::Status PrintBlocks(const ContainerReader& r, const std::string& name,
                         const std::string& range, bool json) {
  ASSIGN_OR_RETURN(size_t ti, r.FindTensor(name));
  const TensorEntry& t = r.tensors()[ti];
  if (t.storage != Storage::kSeedLM) {
    return absl::InvalidArgumentError(
        absl::StrCat("tensor ", name, " is stored as ", StorageName(t.storage),
                     ", not seedlm blocks"));
  }
  int64_t a = 0, b = 0;
  RETURN_IF_ERROR(ParseRange(range, &a, &b));
  if (b > t.num_blocks()) {
    return absl::OutOfRangeError(absl::StrCat("--blocks ", range, ": tensor ",
                                              name, " has ", t.num_blocks(),
                                              " blocks"));
  }
  const int64_t bpr = t.blocks_per_row();
  nlohmann::json blocks = nlohmann::json::array();
  for (int64_t i = a; i < b; ++i) {
    ASSIGN_OR_RETURN(Block blk, r.GetBlock(ti, i / bpr, i % bpr));
    std::vector<int> q(blk.q, blk.q + t.codec.P);
    if (json) {
      blocks.push_back({{"index", i},
                        {"row", i / bpr},
                        {"seed", blk.seed},
                        {"e", blk.e},
                        {"q", q}});
    } else {
      std::printf("block %lld (row %lld, %lld): seed %u e %d q [%s]\n",
                  static_cast<long long>(i), static_cast<long long>(i / bpr),
                  static_cast<long long>(i % bpr), blk.seed, blk.e,
                  absl::StrJoin(q, " ").c_str());
    }
  }
  if (json)
    std::printf("%s\n", nlohmann::json{{"blocks", blocks}}.dump(2).c_str());
  return absl::OkStatus();
}

nlohmann::json TensorJson(const TensorEntry& t) {
  nlohmann::json j = {{"name", t.name},
                      {"shape", t.shape},
                      {"storage", StorageName(t.storage)},
                      {"weights", t.num_elements()},
                      {"bits", TensorBits(t)}};
  if (t.storage == Storage::kSeedLM) {
    j["codec"] = {{"C", t.codec.C},
                  {"P", t.codec.P},
                  {"K", t.codec.K},
                  {"Q", t.codec.Q},
                  {"E", t.codec.E},
                  {"variant", VariantName(t.codec.variant)},
                  {"preset", PresetName(t.codec)},
                  {"exponent_mode", ExponentModeName(t.exponent_mode)},
                  {"exponent_bias", t.exponent_bias}};
  }
  return j;
}

void PrintSummary(const ContainerReader& r, const std::string& path) {
  std::printf("%s: .seedlm version %u, %llu bytes, %zu tensors\n", path.c_str(),
              r.version(), static_cast<unsigned long long>(r.file_size()),
              r.tensors().size());
  for (const auto& [key, value] : r.metadata()) {
    const bool text = key != "tokenizer.data" && value.size() <= 200;
    std::printf("  meta %-22s %s\n", key.c_str(),
                text ? value.c_str()
                     : absl::StrCat("(", value.size(), " bytes)").c_str());
  }
  std::printf("%-40s %-14s %-7s %-8s %10s %9s\n", "tensor", "shape", "storage",
              "codec", "weights", "bits/w");
  for (const TensorEntry& t : r.tensors()) {
    const int64_t n = t.num_elements();
    std::printf(
        "%-40s %-14s %-7s %-8s %10lld %9.3f\n", t.name.c_str(),
        absl::StrCat("[", absl::StrJoin(t.shape, "x"), "]").c_str(),
        StorageName(t.storage),
        t.storage == Storage::kSeedLM ? PresetName(t.codec).c_str() : "-",
        static_cast<long long>(n), n ? double(TensorBits(t)) / n : 0.0);
  }
}

}  // namespace

absl::Status RunInspect(int argc, char** argv) {
  FlagSpec spec;
  spec.with_value = {"tensor", "blocks"};
  spec.boolean = {"json"};
  ASSIGN_OR_RETURN(Args args, ParseArgs(argc, argv, 2, spec));
  if (args.positional.size() != 1) {
    return absl::InvalidArgumentError(
        "usage: seedlm inspect FILE.seedlm [--json] [--tensor NAME --blocks "
        "A:B]");
  }
  if (args.Has("tensor") != args.Has("blocks")) {
    return absl::InvalidArgumentError("--tensor and --blocks go together");
  }
  ASSIGN_OR_RETURN(std::unique_ptr<ContainerReader> r,
                   ContainerReader::Open(args.positional[0]));
  const bool json = args.Bool("json");
  if (args.Has("tensor")) {
    return PrintBlocks(*r, args.Get("tensor"), args.Get("blocks"), json);
  }
  if (!json) {
    PrintSummary(*r, args.positional[0]);
    return absl::OkStatus();
  }
  nlohmann::json tensors = nlohmann::json::array();
  for (const TensorEntry& t : r->tensors()) tensors.push_back(TensorJson(t));
  nlohmann::json meta = nlohmann::json::object();
  for (const auto& [key, value] : r->metadata()) {
    meta[key] = key == "tokenizer.data"
                    ? nlohmann::json(absl::StrCat(value.size(), " bytes"))
                    : nlohmann::json(value);
  }
  nlohmann::json out = {{"version", r->version()},
                        {"file_bytes", r->file_size()},
                        {"metadata", meta},
                        {"tensors", tensors}};
  std::printf("%s\n",
              out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
                  .c_str());
  return absl::OkStatus();
}

}  // namespace seedlm::cli
