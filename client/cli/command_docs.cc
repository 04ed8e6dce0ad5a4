#include "client/cli/command_docs.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/cli/compress_flags.h"
#include "core/search/searcher_factory.h"
#include "core/util/cli_surface.h"
#include "core/util/dtype.h"

namespace seedlm::cli {
namespace {

using K = FlagValueKind;

FlagDoc Bool(const std::string& name, const std::string& help) {
  return {.name = name, .kind = K::kNone, .help = help};
}
FlagDoc Value(const std::string& name, K kind, const std::string& value_name,
              const std::string& help, const std::string& def = "") {
  return {.name = name,
          .kind = kind,
          .value_name = value_name,
          .help = help,
          .default_value = def};
}

FlagDoc Json(const std::string& what) { return Bool("json", what); }
FlagDoc Threads() {
  return Value("threads", K::kNumber, "N",
               "worker threads, 0..1024 (0: all cores)", "0");
}
FlagDoc Tokenizer() {
  return Value("tokenizer", K::kFile, "FILE",
               "a tokenizer (tokenizer.bin or tokenizer.json) replacing the "
               "model's own, a .seedlm file's embedded one included");
}

std::vector<FlagDoc> ConnectionFlags() {
  return {Value("coordinator", K::kText, "HOST:PORT",
                "the coordinator's address (required)"),
          Value("token", K::kText, "T", "bearer token"),
          Value("tls-ca", K::kFile, "CA.pem", "PEM CA bundle: dial TLS"),
          Value("connect-timeout", K::kNumber, "S",
                "seconds to wait for a coordinator that is still starting, "
                "1..86400",
                "30")};
}

// `flags` + --help (every command takes it).
std::vector<FlagDoc> With(std::vector<FlagDoc> flags,
                          const std::vector<FlagDoc>& more = {}) {
  flags.insert(flags.end(), more.begin(), more.end());
  flags.push_back(HelpFlagDoc());
  return flags;
}

CommandDoc Compress() {
  std::vector<FlagDoc> flags = CompressionFlagDocs();
  flags.push_back(Threads());
  flags.push_back(Tokenizer());
  flags.push_back(Value("search", K::kChoice, "A",
                        "the seed search (same results; reference is "
                        "the slow definition).",
                        "fast"));
  flags.back().choices = {SearchAlgorithmName(SearchAlgorithm::kFast),
                          SearchAlgorithmName(SearchAlgorithm::kReference)};
  flags.push_back(Value("chat-template", K::kFile, "FILE",
                        "attach (or replace) a Jinja chat template for "
                        "seedlm-serve's /v1/chat/completions"));
  flags.push_back(Bool("resume",
                       "continue an interrupted run from OUT.seedlm.ckpt/ "
                       "(same input and options)"));
  flags.push_back(Json("print the report as JSON"));
  return {.name = "compress",
          .synopsis = "MODEL OUT.seedlm [flags]",
          .summary = "compress a model into a .seedlm file",
          .description =
              "Compress a llama2.c .bin, a Hugging Face directory, a "
              ".safetensors or a GGUF (F32/F16/BF16) model and print a "
              "per-tensor table (default: preset 4bit-p4, its per-tensor bias "
              "chosen by the encoder).\n\nFinished tensors are checkpointed "
              "in OUT.seedlm.ckpt/; --resume continues an interrupted run. A "
              "Hugging Face model's chat template and stop ids are carried "
              "over.",
          .flags = With(flags)};
}

CommandDoc Generate() {
  return {
      .name = "generate",
      .synopsis = "MODEL --prompt TEXT [flags]",
      .summary = "stream a completion from a model",
      .description =
          "Stream a completion (greedy unless --temperature > 0) from a "
          "llama2.c .bin, a Hugging Face directory or a .seedlm file.",
      .flags = With(
          {Value("prompt", K::kText, "TEXT",
                 "the prompt (empty: start from BOS alone)"),
           Value("max-tokens", K::kNumber, "N", "tokens to generate", "256"),
           Value("temperature", K::kNumber, "T",
                 "sampling temperature, 0..100 (0: greedy)", "0"),
           Value("top-p", K::kNumber, "P", "nucleus sampling, 0..1", "1"),
           Value("seed", K::kNumber, "S", "sampling seed"), Threads(),
           Tokenizer(), Json("print the text, tokens and timings as JSON")})};
}

CommandDoc Perplexity() {
  return {.name = "perplexity",
          .synopsis = "MODEL TEXT_FILE [flags]",
          .summary = "perplexity (and KL against a reference) over a text",
          .description =
              "Perplexity over the text (docs/QUALITY.md recipe); with "
              "--reference also KL(MODEL2 || MODEL) and top-1 "
              "agreement.",
          .flags =
              With({Value("ctx", K::kNumber, "N",
                          "context per window (0: the model's)", "0"),
                    Value("max-chars", K::kNumber, "N",
                          "read at most N characters of the text"),
                    Value("reference", K::kFile, "MODEL2",
                          "also compare against this model"),
                    Threads(), Tokenizer(), Json("print the result as JSON")})};
}

CommandDoc Synth() {
  return {
      .name = "synth",
      .synopsis = "OUT_DIR --arch llama --dim D --hidden H --layers N [flags]",
      .summary = "write a synthetic full-size checkpoint",
      .description =
          "Write a synthetic Hugging Face checkpoint (random "
          "weights at realistic scales) for speed and memory "
          "measurements.",
      .flags =
          With({{.name = "arch",
                 .kind = K::kChoice,
                 .help = "architecture",
                 .choices = {"llama"},
                 .default_value = "llama"},
                Value("dim", K::kNumber, "D", "model dimension"),
                Value("hidden", K::kNumber, "H", "feed-forward dimension"),
                Value("layers", K::kNumber, "N", "transformer layers"),
                Value("heads", K::kNumber, "N", "attention heads"),
                Value("kv-heads", K::kNumber, "N", "key/value heads"),
                Value("vocab", K::kNumber, "N", "vocabulary size"),
                Value("seed", K::kNumber, "S", "random seed", "1"),
                {.name = "dtype",
                 .kind = K::kChoice,
                 .help = "stored type",
                 .choices = {DTypeName(DType::kBF16), DTypeName(DType::kF16),
                             DTypeName(DType::kF32)},
                 .default_value = "bf16"}})};
}

std::vector<CommandDoc> LocalCommands() {
  return {
      Compress(),
      {.name = "inspect",
       .synopsis = "FILE.seedlm [--json] [--tensor NAME --blocks A:B]",
       .summary = "show a .seedlm file's header and tensors, or blocks",
       .description = "Show the header and tensors, or blocks A..B-1 of one "
                      "tensor (reads the directory; payload checksums are not "
                      "verified).",
       .flags = With({Json("print JSON"),
                      Value("tensor", K::kText, "NAME", "the tensor to show"),
                      Value("blocks", K::kText, "A:B",
                            "the blocks of --tensor to show, one per line")})},
      {.name = "verify",
       .synopsis = "FILE.seedlm [--json]",
       .summary = "check a .seedlm file completely",
       .description = "Check the whole file: header, directory, every "
                      "tensor's payload checksum and seeds; exit 1 naming the "
                      "first bad tensor.",
       .flags = With({Json("print JSON")})},
      {.name = "decompress",
       .synopsis = "IN.seedlm OUT.safetensors",
       .summary = "write a .seedlm file back as float32 safetensors",
       .description = "Write every tensor back as float32 (streamed: memory "
                      "stays small whatever the model's size).",
       .flags = With({})},
      Synth(),
      Generate(),
      Perplexity(),
  };
}

CommandDoc JobCommand(const std::string& name, const std::string& synopsis,
                      const std::string& summary, bool json) {
  std::vector<FlagDoc> flags = ConnectionFlags();
  if (json) flags.push_back(Json("print JSON (the JSON API's v1.Job shape)"));
  return {.name = name,
          .synopsis = synopsis + " --coordinator HOST:PORT [flags]",
          .summary = summary,
          .description = summary,
          .flags = With(flags),
          .positionals = PositionalKind::kNone};
}

std::vector<CommandDoc> ServiceCommands() {
  std::vector<FlagDoc> submit = ConnectionFlags();
  for (FlagDoc& f : CompressionFlagDocs()) submit.push_back(f);
  submit.push_back(Tokenizer());
  submit.push_back(Bool("server-path",
                        "MODEL names a path under the coordinator's "
                        "--model-root instead of a local model to upload"));
  submit.push_back(Value("name", K::kText, "S",
                         "the job's display name (default: MODEL's file "
                         "name), at most 256 bytes"));
  submit.push_back(Bool("detach", "print the job id and return"));
  return {
      {.name = "submit",
       .synopsis = "--coordinator HOST:PORT MODEL OUT.seedlm [flags]",
       .summary = "compress on a coordinator's workers, download the result",
       .description =
           "Upload MODEL (or, with --server-path, name a path under the "
           "coordinator's model root), submit it with the options of "
           "compress, show progress and download the result to OUT; rides "
           "through a coordinator restart. The job id goes to stderr first; "
           "--detach prints it and returns. Exit 1 if the job fails or is "
           "cancelled.",
       .flags = With(submit)},
      JobCommand("jobs", "", "list your jobs: id, state, blocks, name", true),
      JobCommand("watch", "JOB", "follow a job until it ends", true),
      JobCommand("cancel", "JOB", "stop a queued or running job", false),
      JobCommand("delete", "JOB", "remove a job and its files", false),
      [] {
        CommandDoc d = JobCommand(
            "fetch", "JOB OUT.seedlm",
            "download a finished job's result (a cut download resumes "
            "from OUT.part; checked against its sha256)",
            false);
        d.positionals = PositionalKind::kFiles;
        return d;
      }(),
  };
}

CommandDoc Complete() {
  return {
      .name = "complete",
      .synopsis = "--server HOST:PORT --prompt TEXT [flags]",
      .summary = "a completion from a seedlm-serve server over gRPC",
      .description =
          "A completion over gRPC (greedy unless --temperature > 0; default "
          "256 tokens): printed when done, or with --stream as it comes. "
          "--json prints the text, token ids, finish reason and usage (with "
          "--stream: one JSON line per token, then the summary).",
      .flags = With(
          {Value("server", K::kText, "HOST:PORT",
                 "the seedlm-serve gRPC address (required)"),
           Value("prompt", K::kText, "TEXT", "the prompt (required)"),
           Value("max-tokens", K::kNumber, "N", "tokens to generate", "256"),
           Value("temperature", K::kNumber, "T", "sampling temperature", "0"),
           Value("top-p", K::kNumber, "P", "nucleus sampling, 0..1", "1"),
           Value("seed", K::kNumber, "S", "sampling seed"),
           {.name = "stop",
            .kind = K::kText,
            .value_name = "S",
            .help = "stop at this text",
            .repeated = true},
           Bool("stream", "print pieces as they come"),
           Json("print JSON"),
           Value("token", K::kText, "T", "bearer token"),
           Value("token-file", K::kFile, "F", "read the bearer token here"),
           Value("tls-ca", K::kFile, "CA.pem", "PEM CA bundle: dial TLS"),
           Value("connect-timeout", K::kNumber, "S",
                 "seconds to wait for the server, 1..86400", "30")}),
      .positionals = PositionalKind::kNone};
}

std::vector<CommandDoc> BuiltinCommands() {
  return {{.name = "help",
           .synopsis = "[COMMAND]",
           .summary = "this overview, or a command's usage and flags",
           .description = "Print this overview, or COMMAND's usage and flags.",
           .flags = With({}),
           .positionals = PositionalKind::kCommands},
          {.name = "version",
           .synopsis = "",
           .summary = "print the version line (also --version)",
           .description = "Print the release, the git revision and the newest "
                          ".seedlm format this build reads.",
           .flags = With({}),
           .positionals = PositionalKind::kNone},
          {.name = "completion",
           .synopsis = "bash",
           .summary = "print a bash completion script",
           .description = "Print a bash completion script for seedlm "
                          "(subcommands, flags, presets, files). Load it "
                          "with: source <(seedlm completion bash)",
           .flags = With({}),
           .positionals = PositionalKind::kChoices,
           .positional_choices = {"bash"}}};
}

}  // namespace

const std::vector<CommandDoc>& CommandDocs() {
  static const std::vector<CommandDoc>* docs = [] {
    auto* d = new std::vector<CommandDoc>(LocalCommands());
    for (CommandDoc& c : ServiceCommands()) d->push_back(std::move(c));
    d->push_back(Complete());
    for (CommandDoc& c : BuiltinCommands()) d->push_back(std::move(c));
    return d;
  }();
  return *docs;
}

const CommandDoc* FindCommandDoc(absl::string_view name) {
  for (const CommandDoc& d : CommandDocs()) {
    if (d.name == name) return &d;
  }
  return nullptr;
}

FlagSpec ToFlagSpec(const CommandDoc& doc) {
  FlagSpec spec;
  for (const FlagDoc& f : doc.flags) {
    (f.kind == FlagValueKind::kNone ? spec.boolean : spec.with_value)
        .insert(f.name);
    if (f.repeated) spec.repeated.insert(f.name);
  }
  return spec;
}

absl::StatusOr<Args> ParseCommandArgs(absl::string_view name, int argc,
                                      char** argv) {
  const CommandDoc* doc = FindCommandDoc(name);
  if (doc == nullptr) {
    return absl::InternalError(absl::StrCat("no table for command ", name));
  }
  return ParseArgs(argc, argv, 2, ToFlagSpec(*doc));
}

bool AsksForHelp(int argc, char** argv, int first, const FlagSpec& spec) {
  for (int i = first; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--") return false;
    if (a == "--help" || a == "-h") return true;
    if (a.size() > 2 && a.compare(0, 2, "--") == 0 &&
        a.find('=') == std::string::npos &&
        spec.with_value.count(a.substr(2))) {
      ++i;  // its value
    }
  }
  return false;
}

std::string SeedlmOverview() {
  return OverviewText(
      "seedlm",
      "Compress LLM weights into pseudo-random generator seeds, inspect and "
      "run the result, submit compression jobs to a seedlm-coordinator and "
      "ask a seedlm-serve server for completions.",
      CommandDocs());
}

std::string SeedlmCommandHelp(const CommandDoc& doc) {
  return CommandHelpText(absl::StrCat("seedlm ", doc.name), doc);
}

std::string SeedlmBashCompletion() {
  const CommandDoc top = {.name = "seedlm",
                          .flags = {HelpFlagDoc(), VersionFlagDoc()}};
  return BashCompletionScript("seedlm", top, CommandDocs());
}

}  // namespace seedlm::cli
