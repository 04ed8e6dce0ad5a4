#include "bench/tokens_bench.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>

#include "absl/strings/str_format.h"
#include "bench/bench_flags.h"
#include "core/runtime/llama_model.h"
#include "core/runtime/llama_session.h"
#include "core/runtime/sampler.h"
#include "core/util/resource_usage.h"
#include "core/util/status_macros.h"
#include "core/util/thread_pool.h"
#include "nlohmann/json.hpp"

namespace seedlm {
namespace {

constexpr char kUsage[] =
    "usage: seedlm-bench tokens --model PATH [--tokens N] [--threads T] "
    "[--json]\n"
    "Load time, generation tokens/s (greedy, from BOS) and peak RSS of one\n"
    "model (llama2.c, Hugging Face directory or .seedlm). Flags:\n";

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

struct Flags {
  std::string model;
  int64_t tokens = 64, threads = 0;
  bool json = false;
};

absl::Status Run(const Flags& f) {
  if (f.model.empty()) return absl::InvalidArgumentError("--model is required");
  if (f.tokens < 1 || f.tokens > (1 << 20)) {
    return absl::InvalidArgumentError("--tokens must be in 1..1048576");
  }
  auto t = Clock::now();
  ASSIGN_OR_RETURN(auto model, LlamaModel::Load(f.model));
  const double load_s = Since(t);
  ThreadPool pool(static_cast<int>(f.threads));
  const int n = static_cast<int>(
      std::min<int64_t>(f.tokens, model->config().max_seq_len));
  LlamaSession session(model.get(), &pool, n);
  int32_t tok = 1;
  t = Clock::now();
  for (int i = 0; i < n; ++i) {
    ASSIGN_OR_RETURN(absl::Span<const float> logits, session.Forward(tok));
    tok = ArgMax(logits);
  }
  const double gen_s = Since(t);
  const WeightStats& s = model->stats();
  nlohmann::json j = {{"model", f.model},
                      {"kind", model->file_kind()},
                      {"threads", pool.num_threads()},
                      {"tokens", n},
                      {"load_seconds", load_s},
                      {"tokens_per_s", n / gen_s},
                      {"weight_bytes", s.total_bytes},
                      {"packed_tensors", s.packed_tensors},
                      {"peak_rss_mib", PeakRssMiB()}};
  if (f.json) {
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf(
        "%s (%s): load %.2f s, %d tokens in %.2f s = %.2f tokens/s "
        "(%d threads), weights %.1f MiB in memory, peak RSS %.1f MiB\n",
        f.model.c_str(), model->file_kind().c_str(), load_s, n, gen_s,
        n / gen_s, pool.num_threads(), s.total_bytes / 1048576.0, PeakRssMiB());
  }
  return absl::OkStatus();
}

}  // namespace

int TokensMain(const std::vector<std::string>& args) {
  Flags f;
  FlagSet flags;
  flags.AddString("model", &f.model, "model file or directory");
  flags.AddInt("tokens", &f.tokens, "forward passes to time");
  flags.AddInt("threads", &f.threads, "threads (0: all cores)");
  flags.AddBool("json", &f.json, "print JSON");
  if (absl::Status s = flags.Parse(args); !s.ok() || flags.WantsHelp()) {
    if (!s.ok()) {
      std::fprintf(stderr, "seedlm-bench tokens: %s\n",
                   std::string(s.message()).c_str());
    }
    std::fprintf(s.ok() ? stdout : stderr, "%s%s", kUsage,
                 flags.Usage().c_str());
    return s.ok() ? 0 : 2;
  }
  if (absl::Status s = Run(f); !s.ok()) {
    std::fprintf(stderr, "seedlm-bench tokens: %s\n",
                 std::string(s.message()).c_str());
    return s.code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  return 0;
}

}  // namespace seedlm
