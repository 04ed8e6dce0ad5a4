// `seedlm`: compress, inspect, decompress and run models, submit
// compression jobs to a coordinator, and ask an inference server for
// completions (docs/ARCHITECTURE.md).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "client/cli/commands.h"
#include "client/cli/output.h"
#include "core/util/cpu_features.h"

namespace {

constexpr char kUsage[] =
    "usage: seedlm <command> [args]\n"
    "\n"
    "commands:\n"
    "  compress MODEL OUT.seedlm [--preset 4bit-p4|4bit-i8|4bit|3bit-i8|3bit|\n"
    "           4bit-t|3bit-t|2bit-t]\n"
    "           [--exponent search|fit|paper] [--bias auto|N] [--threads N]\n"
    "           [--include REGEX]... [--exclude REGEX]... [--tokenizer FILE]\n"
    "           [--search fast|reference] [--resume] [--json]\n"
    "           [--chat-template FILE]\n"
    "      Compress a llama2.c .bin, a Hugging Face directory, a .safetensors\n"
    "      or a GGUF (F32/F16/BF16) model and print a per-tensor table\n"
    "      (default: preset 4bit-p4, its per-tensor bias chosen by the\n"
    "      encoder). The seed-trellis presets (-t) have no exponent: with\n"
    "      them --bias other than 0 and --exponent other than search are\n"
    "      rejected.\n"
    "      Finished tensors are checkpointed in OUT.seedlm.ckpt/; --resume\n"
    "      continues an interrupted run with the same input and options.\n"
    "      A Hugging Face model's chat template and stop ids are carried\n"
    "      over; --chat-template FILE attaches (or replaces) a Jinja chat\n"
    "      template for seedlm-serve's /v1/chat/completions.\n"
    "  inspect FILE.seedlm [--json] [--tensor NAME --blocks A:B]\n"
    "      Show the header and tensors, or blocks A..B-1 of one tensor\n"
    "      (reads the directory; payload checksums are not verified).\n"
    "  verify FILE.seedlm [--json]\n"
    "      Check the whole file: header, directory, every tensor's payload\n"
    "      checksum and seeds; exit 1 naming the first bad tensor.\n"
    "  decompress IN.seedlm OUT.safetensors\n"
    "      Write every tensor back as float32 (streamed: memory stays\n"
    "      small whatever the model's size).\n"
    "  synth OUT_DIR --arch llama --dim D --hidden H --layers N [--heads N]\n"
    "        [--kv-heads N] [--vocab N] [--seed S] [--dtype bf16|f16|f32]\n"
    "      Write a synthetic Hugging Face checkpoint (random weights at\n"
    "      realistic scales) for speed and memory measurements.\n"
    "  generate MODEL --prompt TEXT [--max-tokens N] [--temperature T]\n"
    "           [--top-p P] [--seed S] [--threads N] [--tokenizer FILE] "
    "[--json]\n"
    "      Stream a completion (greedy unless --temperature > 0) from a\n"
    "      llama2.c .bin, a Hugging Face directory or a .seedlm file.\n"
    "      --tokenizer FILE (here and in perplexity) replaces the model's own\n"
    "      tokenizer, a .seedlm file's embedded one included.\n"
    "  perplexity MODEL TEXT_FILE [--ctx N] [--max-chars N]\n"
    "           [--reference MODEL2] [--threads N] [--tokenizer FILE] "
    "[--json]\n"
    "      Perplexity over the text (docs/QUALITY.md recipe); with\n"
    "      --reference also KL(MODEL2 || MODEL) and top-1 agreement.\n"
    "\n"
    "service commands (a coordinator; each takes --coordinator HOST:PORT\n"
    "[--token T] [--tls-ca CA.pem] [--connect-timeout S]):\n"
    "  submit MODEL OUT.seedlm [--preset P] [--exponent M] [--bias auto|N]\n"
    "         [--include REGEX]... [--exclude REGEX]... [--tokenizer FILE]\n"
    "         [--server-path] [--name S] [--detach]\n"
    "      Upload MODEL (or, with --server-path, name a path under the\n"
    "      coordinator's model root), submit it with the options of\n"
    "      compress, show progress and download the result to OUT; rides\n"
    "      through a coordinator restart. The job id goes to stderr first;\n"
    "      --detach prints it and returns. Exit 1 if the job fails or is\n"
    "      cancelled.\n"
    "  jobs [--json]\n"
    "      List your jobs: id, state, blocks done/total, name.\n"
    "  watch JOB [--json]\n"
    "      Follow a job with the progress bar until it ends; --json: one\n"
    "      line per update instead, the JSON API's v1.Job shape.\n"
    "  cancel JOB | delete JOB\n"
    "      Stop a queued or running job | remove a job and its files.\n"
    "  fetch JOB OUT.seedlm\n"
    "      Download a finished job's result (a cut download resumes from\n"
    "      OUT.part; checked against its sha256).\n"
    "\n"
    "inference server commands (a seedlm-serve process):\n"
    "  complete --server HOST:PORT --prompt TEXT [--max-tokens N]\n"
    "           [--temperature T] [--top-p P] [--seed S] [--stop S]...\n"
    "           [--stream] [--json] [--token T | --token-file F]\n"
    "           [--tls-ca CA.pem] [--connect-timeout S]\n"
    "      A completion over gRPC (greedy unless --temperature > 0; default\n"
    "      256 tokens): printed when done, or with --stream as it comes.\n"
    "      --json prints the text, token ids, finish reason and usage\n"
    "      (with --stream: one JSON line per token, then the summary).\n";

// A standard descriptor closed at start would be reused by the next open()
// (an output file could then receive what is printed): each closed one is
// opened read-only on /dev/null, so that writes to it fail (EBADF) and are
// reported like any other failed write.
void OccupyClosedStdFds() {
  for (int fd = 0; fd <= 2; ++fd) {
    if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    const int got = ::open("/dev/null", O_RDONLY);
    if (got >= 0 && got != fd) ::close(got);  // only when fd was the lowest
  }
}

// Ends a command: stdout is flushed and closed (a failed write anywhere is
// an error even when the command succeeded), then the one-line error, if any,
// goes to stderr. INVALID_ARGUMENT exits 2, every other error 1.
int Finish(const std::string& cmd, absl::Status s) {
  const absl::Status out = seedlm::cli::CloseStdout();
  if (s.ok()) s = out;
  if (s.ok()) return 0;
  std::fprintf(stderr, "seedlm %s: %s\n", cmd.c_str(),
               std::string(s.message()).c_str());
  return s.code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  OccupyClosedStdFds();
  // The SIMD override is read here, once, and passed down (cpu_features.h).
  if (absl::Status simd =
          seedlm::SetSimdLevelCapFrom(std::getenv("SEEDLM_SIMD"));
      !simd.ok()) {
    std::fprintf(stderr, "seedlm: %s\n", std::string(simd.message()).c_str());
    return 2;
  }
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  if (!std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") ||
      !std::strcmp(argv[1], "help")) {
    return Finish("help", seedlm::cli::WriteStdout(kUsage));
  }
  const std::string cmd = argv[1];
  absl::Status s;
  if (cmd == "compress") {
    s = seedlm::cli::RunCompress(argc, argv);
  } else if (cmd == "inspect") {
    s = seedlm::cli::RunInspect(argc, argv);
  } else if (cmd == "decompress") {
    s = seedlm::cli::RunDecompress(argc, argv);
  } else if (cmd == "verify") {
    s = seedlm::cli::RunVerify(argc, argv);
  } else if (cmd == "synth") {
    s = seedlm::cli::RunSynth(argc, argv);
  } else if (cmd == "generate") {
    s = seedlm::cli::RunGenerate(argc, argv);
  } else if (cmd == "perplexity") {
    s = seedlm::cli::RunPerplexity(argc, argv);
  } else if (cmd == "submit") {
    s = seedlm::cli::RunSubmit(argc, argv);
  } else if (cmd == "jobs") {
    s = seedlm::cli::RunJobs(argc, argv);
  } else if (cmd == "watch") {
    s = seedlm::cli::RunWatch(argc, argv);
  } else if (cmd == "cancel") {
    s = seedlm::cli::RunCancel(argc, argv);
  } else if (cmd == "delete") {
    s = seedlm::cli::RunDelete(argc, argv);
  } else if (cmd == "fetch") {
    s = seedlm::cli::RunFetch(argc, argv);
  } else if (cmd == "complete") {
    s = seedlm::cli::RunComplete(argc, argv);
  } else {
    std::fprintf(stderr, "seedlm: unknown command '%s' (try seedlm --help)\n",
                 cmd.c_str());
    return 2;
  }
  return Finish(cmd, s);
}
