#include "bench/serve_bench.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "bench/bench_flags.h"
#include "core/runtime/batch_engine.h"
#include "core/runtime/llama_model.h"
#include "core/util/resource_usage.h"
#include "core/util/status_macros.h"
#include "nlohmann/json.hpp"

namespace seedlm {
namespace {

constexpr char kUsage[] =
    "usage: seedlm-bench serve --model PATH [--concurrency 1,4,8,16]\n"
    "    [--prompt-tokens N] [--output-tokens N] [--threads T] [--rounds R]\n"
    "    [--json]\n"
    "Aggregate and per-stream tokens/s and time to first token of the\n"
    "batching engine at each concurrency, batched (--max-batch N) vs one at\n"
    "a time (--max-batch 1). Flags:\n";

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

struct Flags {
  std::string model, concurrency = "1,4,8,16";
  int64_t prompt_tokens = 32, output_tokens = 32, threads = 0, rounds = 2;
  bool json = false;
};

struct Load {
  double wall_s = 0, aggregate_tps = 0, stream_tps = 0;
  double ttft_p50 = 0, ttft_p99 = 0;
  int64_t tokens = 0;
};

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(p * v.size()));
  return v[i];
}

// N client threads, `rounds` requests each, against a fresh engine.
absl::StatusOr<Load> RunLoad(const LlamaModel& model, int max_batch, int n,
                             const Flags& f) {
  EngineOptions o;
  o.max_batch = max_batch;
  o.max_queue = n;
  o.threads = f.threads > 0
                  ? static_cast<int>(f.threads)
                  : static_cast<int>(std::thread::hardware_concurrency());
  o.context = static_cast<int>(f.prompt_tokens + f.output_tokens);
  ASSIGN_OR_RETURN(auto engine, BatchEngine::Create(&model, nullptr, o));
  const int vocab = model.config().vocab_size;
  std::vector<std::vector<double>> ttft(n), stream_tps(n);
  std::vector<absl::Status> errors(n);
  std::vector<int64_t> tokens(n, 0);
  const auto start = Clock::now();
  std::vector<std::thread> clients;
  for (int c = 0; c < n; ++c) {
    clients.emplace_back([&, c] {
      for (int r = 0; r < f.rounds; ++r) {
        CompletionRequest req;
        uint64_t x = 0x9E3779B97F4A7C15ull * (c * 131 + r + 1);
        req.prompt_ids.push_back(1);
        for (int i = 1; i < f.prompt_tokens; ++i) {
          x ^= x << 13, x ^= x >> 7, x ^= x << 17;
          req.prompt_ids.push_back(static_cast<int32_t>(x % vocab));
        }
        req.max_tokens = static_cast<int>(f.output_tokens);
        req.stop_at_eos = false;
        auto s = engine->Submit(req);
        if (!s.ok()) {
          errors[c] = s.status();
          return;
        }
        std::vector<TokenEvent> ev;
        while ((*s)->Read(&ev, absl::InfiniteFuture())) {
        }
        const CompletionSummary& sum = (*s)->summary();
        if (!sum.status.ok()) {
          errors[c] = sum.status;
          return;
        }
        // The engine's own clock: first token, and the rest after it.
        ttft[c].push_back(sum.first_token_seconds);
        const double decode = sum.total_seconds - sum.first_token_seconds;
        if (sum.completion_tokens > 1 && decode > 0) {
          stream_tps[c].push_back((sum.completion_tokens - 1) / decode);
        }
        tokens[c] += static_cast<int64_t>(ev.size());
      }
    });
  }
  for (std::thread& t : clients) t.join();
  Load out;
  out.wall_s = Since(start);
  std::vector<double> all_ttft, all_tps;
  for (int c = 0; c < n; ++c) {
    RETURN_IF_ERROR(errors[c]);
    out.tokens += tokens[c];
    all_ttft.insert(all_ttft.end(), ttft[c].begin(), ttft[c].end());
    all_tps.insert(all_tps.end(), stream_tps[c].begin(), stream_tps[c].end());
  }
  out.aggregate_tps = out.tokens / out.wall_s;
  double sum = 0;
  for (double v : all_tps) sum += v;
  out.stream_tps = all_tps.empty() ? 0 : sum / all_tps.size();
  out.ttft_p50 = Percentile(all_ttft, 0.5);
  out.ttft_p99 = Percentile(all_ttft, 0.99);
  return out;
}

nlohmann::json ToJson(const Load& l) {
  return {{"wall_seconds", l.wall_s},
          {"tokens", l.tokens},
          {"aggregate_tokens_per_s", l.aggregate_tps},
          {"stream_tokens_per_s", l.stream_tps},
          {"ttft_p50_seconds", l.ttft_p50},
          {"ttft_p99_seconds", l.ttft_p99}};
}

absl::Status Run(const Flags& f) {
  if (f.model.empty()) return absl::InvalidArgumentError("--model is required");
  if (f.prompt_tokens < 1 || f.output_tokens < 1 || f.rounds < 1 ||
      f.prompt_tokens + f.output_tokens > (1 << 16) || f.rounds > 1000) {
    return absl::InvalidArgumentError(
        "--prompt-tokens, --output-tokens and --rounds must be positive");
  }
  std::vector<int> levels;
  for (absl::string_view part : absl::StrSplit(f.concurrency, ',')) {
    int v = 0;
    if (!absl::SimpleAtoi(part, &v) || v < 1 || v > 256) {
      return absl::InvalidArgumentError("--concurrency: numbers in 1..256");
    }
    levels.push_back(v);
  }
  ASSIGN_OR_RETURN(auto model, LlamaModel::Load(f.model));
  {
    // Warm-up (page faults of the weights, the pool's threads): untimed.
    Flags one = f;
    one.rounds = 1;
    RETURN_IF_ERROR(RunLoad(*model, 1, 1, one).status());
  }
  nlohmann::json rows = nlohmann::json::array();
  if (!f.json) {
    std::printf("%s (%s), prompt %lld + output %lld tokens, %lld rounds\n",
                f.model.c_str(), model->file_kind().c_str(),
                static_cast<long long>(f.prompt_tokens),
                static_cast<long long>(f.output_tokens),
                static_cast<long long>(f.rounds));
    std::printf("%5s | %-28s | %-28s | %s\n", "N",
                "batched: agg tok/s, stream, ttft p50/p99 s",
                "unbatched: agg tok/s, stream, ttft p50/p99 s", "ratio");
  }
  for (int n : levels) {
    ASSIGN_OR_RETURN(const Load batched, RunLoad(*model, n, n, f));
    ASSIGN_OR_RETURN(const Load alone, RunLoad(*model, 1, n, f));
    const double ratio = batched.aggregate_tps / alone.aggregate_tps;
    rows.push_back({{"concurrency", n},
                    {"batched", ToJson(batched)},
                    {"unbatched", ToJson(alone)},
                    {"ratio", ratio}});
    if (!f.json) {
      std::printf(
          "%5d | %8.1f %7.1f %5.2f/%5.2f | %8.1f %7.1f %5.2f/%5.2f | "
          "%.2fx\n",
          n, batched.aggregate_tps, batched.stream_tps, batched.ttft_p50,
          batched.ttft_p99, alone.aggregate_tps, alone.stream_tps,
          alone.ttft_p50, alone.ttft_p99, ratio);
    }
  }
  if (f.json) {
    nlohmann::json j = {{"model", f.model},
                        {"kind", model->file_kind()},
                        {"prompt_tokens", f.prompt_tokens},
                        {"output_tokens", f.output_tokens},
                        {"rounds", f.rounds},
                        {"levels", rows},
                        {"peak_rss_mib", PeakRssMiB()}};
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("peak RSS %.1f MiB\n", PeakRssMiB());
  }
  return absl::OkStatus();
}

}  // namespace

int ServeMain(const std::vector<std::string>& args) {
  Flags f;
  FlagSet flags;
  flags.AddString("model", &f.model, "model file or directory");
  flags.AddString("concurrency", &f.concurrency, "comma-separated levels");
  flags.AddInt("prompt-tokens", &f.prompt_tokens, "prompt length (ids)");
  flags.AddInt("output-tokens", &f.output_tokens, "tokens generated");
  flags.AddInt("threads", &f.threads, "engine threads (0: all cores)");
  flags.AddInt("rounds", &f.rounds, "requests per client thread");
  flags.AddBool("json", &f.json, "print JSON");
  if (absl::Status s = flags.Parse(args); !s.ok() || flags.WantsHelp()) {
    if (!s.ok()) {
      std::fprintf(stderr, "seedlm-bench serve: %s\n",
                   std::string(s.message()).c_str());
    }
    std::fprintf(s.ok() ? stdout : stderr, "%s%s", kUsage,
                 flags.Usage().c_str());
    return s.ok() ? 0 : 2;
  }
  if (absl::Status s = Run(f); !s.ok()) {
    std::fprintf(stderr, "seedlm-bench serve: %s\n",
                 std::string(s.message()).c_str());
    return s.code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  return 0;
}

}  // namespace seedlm
