// `seedlm inspect`: the header and tensor directory of a .seedlm file (block
// and trellis codecs), or the decoded blocks of one block-codec tensor. It
// reads the directory only: payload checksums are not verified (it says so;
// `seedlm verify` checks them). Block listings are streamed, one block per line
// as it is decoded, so any range runs in constant memory; every write to stdout
// is checked.
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "client/cli/args.h"
#include "client/cli/command_docs.h"
#include "client/cli/commands.h"
#include "client/cli/output.h"
#include "core/format/container.h"
#include "core/format/metadata_keys.h"
#include "core/util/json_util.h"
#include "core/util/status_macros.h"

namespace seedlm::cli {
namespace {

constexpr char kNotVerified[] =
    "payload checksums not verified (seedlm verify FILE checks them)";

// All payload bits of a tensor, including its side data (for seedlm, the
// 8-bit exponent bias; a trellis payload holds its row scales itself; codec
// parameters are per-tensor constants).
uint64_t TensorBits(const TensorEntry& t) {
  return 8 * t.size + (t.storage == Storage::kSeedLM ? 8 : 0);
}

// Bytes from the file shown on a terminal: control bytes are escaped, so a
// hostile name or value cannot drive the terminal.
std::string Printable(absl::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return absl::CHexEscape(s);
  }
  return std::string(s);
}

// "A:B" with 0 <= A <= B <= num_blocks; INVALID_ARGUMENT otherwise.
absl::Status ParseRange(const std::string& s, const TensorEntry& t, int64_t* a,
                        int64_t* b) {
  std::vector<std::string> parts = absl::StrSplit(s, ':');
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], a) ||
      !absl::SimpleAtoi(parts[1], b) || *a < 0 || *b < *a) {
    return absl::InvalidArgumentError(
        absl::StrCat("--blocks expects A:B with 0 <= A <= B, got '", s, "'"));
  }
  if (*b > t.num_blocks()) {
    return absl::InvalidArgumentError(absl::StrCat("--blocks ", s, ": tensor ",
                                                   Printable(t.name), " has ",
                                                   t.num_blocks(), " blocks"));
  }
  return absl::OkStatus();
}

absl::Status PrintBlocks(const ContainerReader& r, const std::string& name,
                         const std::string& range, bool json) {
  ASSIGN_OR_RETURN(size_t ti, r.FindTensor(name));
  const TensorEntry& t = r.tensors()[ti];
  if (t.storage != Storage::kSeedLM) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tensor ", Printable(name), " is stored as ", StorageName(t.storage),
        ", not seedlm blocks (--blocks lists block-codec tensors only)"));
  }
  int64_t a = 0, b = 0;
  RETURN_IF_ERROR(ParseRange(range, t, &a, &b));
  const int64_t bpr = t.blocks_per_row();  // > 0 when a < b
  if (json) RETURN_IF_ERROR(WriteStdout("{\"blocks\": ["));
  for (int64_t i = a; i < b; ++i) {
    ASSIGN_OR_RETURN(Block blk, r.GetBlock(ti, i / bpr, i % bpr));
    const std::vector<int> q(blk.q, blk.q + t.codec.P);
    std::string line;
    if (json) {
      line =
          absl::StrCat(i == a ? "\n" : ",\n", DumpJson(Json{{"index", i},
                                                            {"row", i / bpr},
                                                            {"seed", blk.seed},
                                                            {"e", blk.e},
                                                            {"q", q}}));
    } else {
      line = absl::StrFormat("block %d (row %d, %d): seed %u e %d q [%s]\n", i,
                             i / bpr, i % bpr, blk.seed, blk.e,
                             absl::StrJoin(q, " "));
    }
    RETURN_IF_ERROR(WriteStdout(line));
  }
  if (json) RETURN_IF_ERROR(WriteStdout("\n]}\n"));
  return absl::OkStatus();
}

double BitsPerWeight(const TensorEntry& t) {
  const int64_t n = t.num_elements();
  return n ? static_cast<double>(TensorBits(t)) / static_cast<double>(n) : 0.0;
}

// The codec column: the preset name, else (trellis) "L12R4T64" (the line
// under the row says whether it is rotated).
std::string CodecLabel(const TensorEntry& t) {
  if (!t.is_packed()) return "-";
  const std::string preset = PresetName(t.codec);
  if (!preset.empty() || t.storage == Storage::kSeedLM) return preset;
  const TrellisParams& p = t.codec.trellis;
  return absl::StrCat("L", p.L, "R", p.R, "T", p.T);
}

// The line under a trellis tensor's row of the summary table.
std::string TrellisLine(const TensorEntry& t) {
  const TrellisParams& p = t.codec.trellis;
  return absl::StrFormat(
      "  trellis L %d, R %d, T %d, %s; %d rings/row, %d rings, 32-bit scale "
      "per row\n",
      p.L, p.R, p.T, p.rotate ? "rotated" : "not rotated", t.blocks_per_row(),
      t.num_blocks());
}

Json TensorJson(const TensorEntry& t) {
  Json j = {{"name", t.name},
            {"shape", t.shape},
            {"storage", StorageName(t.storage)},
            {"weights", t.num_elements()},
            {"bits", TensorBits(t)},
            {"bits_per_weight", BitsPerWeight(t)}};
  if (t.storage == Storage::kTrellis) {
    const TrellisParams& p = t.codec.trellis;
    j["codec"] = {{"family", "trellis"},
                  {"L", p.L},
                  {"R", p.R},
                  {"T", p.T},
                  {"rotate", p.rotate},
                  {"preset", PresetName(t.codec)},
                  {"rings_per_row", t.blocks_per_row()},
                  {"rings", t.num_blocks()}};
  }
  if (t.storage == Storage::kSeedLM) {
    j["codec"] = {{"family", "block"},
                  {"C", t.codec.C},
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

// A chat template in one line: its size and the start of its first line.
std::string TemplateSummary(absl::string_view t) {
  constexpr size_t kShown = 60;
  absl::string_view line = t.substr(0, t.find('\n'));
  const bool cut = line.size() > kShown || line.size() < t.size();
  if (line.size() > kShown) {
    size_t n = kShown;
    while (n > 0 && (static_cast<unsigned char>(line[n]) & 0xC0) == 0x80) --n;
    line = line.substr(0, n);
  }
  return absl::StrCat("(", t.size(), " bytes) ", Printable(line),
                      cut ? " ..." : "");
}

absl::Status PrintSummary(const ContainerReader& r, const std::string& path) {
  RETURN_IF_ERROR(WriteStdout(absl::StrFormat(
      "%s: .seedlm version %u, %u bytes, %u tensors\n", Printable(path),
      r.version(), r.file_size(), r.tensors().size())));
  for (const auto& [key, value] : r.metadata()) {
    const bool text = key != kMetaTokenizerData && value.size() <= 200;
    std::string shown =
        text ? Printable(value) : absl::StrCat("(", value.size(), " bytes)");
    if (key == kMetaChatTemplate) shown = TemplateSummary(value);
    RETURN_IF_ERROR(WriteStdout(
        absl::StrFormat("  meta %-22s %s\n", Printable(key), shown)));
  }
  RETURN_IF_ERROR(WriteStdout(
      absl::StrFormat("%-40s %-14s %-7s %-8s %10s %9s\n", "tensor", "shape",
                      "storage", "codec", "weights", "bits/w")));
  for (const TensorEntry& t : r.tensors()) {
    RETURN_IF_ERROR(WriteStdout(
        absl::StrFormat("%-40s %-14s %-7s %-8s %10d %9.3f\n", Printable(t.name),
                        absl::StrCat("[", absl::StrJoin(t.shape, "x"), "]"),
                        StorageName(t.storage), CodecLabel(t), t.num_elements(),
                        BitsPerWeight(t))));
    if (t.storage == Storage::kTrellis) {
      RETURN_IF_ERROR(WriteStdout(TrellisLine(t)));
    }
  }
  return WriteStdout(absl::StrCat(kNotVerified, "\n"));
}

absl::Status PrintJson(const ContainerReader& r) {
  Json tensors = Json::array();
  for (const TensorEntry& t : r.tensors()) tensors.push_back(TensorJson(t));
  Json meta = Json::object();
  for (const auto& [key, value] : r.metadata()) {
    meta[key] = key == "tokenizer.data"
                    ? Json(absl::StrCat(value.size(), " bytes"))
                    : Json(value);
  }
  const Json out = {{"version", r.version()},
                    {"file_bytes", r.file_size()},
                    {"payloads_verified", false},
                    {"metadata", meta},
                    {"tensors", tensors}};
  return WriteStdout(DumpJson(out, 2) + "\n");
}

}  // namespace

absl::Status RunInspect(int argc, char** argv) {
  ASSIGN_OR_RETURN(Args args, ParseCommandArgs("inspect", argc, argv));
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
  return json ? PrintJson(*r) : PrintSummary(*r, args.positional[0]);
}

}  // namespace seedlm::cli
