#include "bench/coordinator_bench.h"

#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/bench_flags.h"
#include "bench/child_process.h"
#include "bench/fake_worker.h"
#include "bench/prepared_units.h"
#include "core/codec/codec.h"
#include "core/compress/compress_options.h"
#include "core/compress/compression_plan.h"
#include "core/compress/handshake.h"
#include "core/model/model_source.h"
#include "core/util/file_util.h"
#include "core/util/json_util.h"
#include "core/util/status_macros.h"
#include "core/util/thread_pool.h"
#include "proto/rpc/credentials.h"
#include "proto/rpc/status.h"
#include "seedlm/v1/compression.grpc.pb.h"

namespace seedlm {
namespace {

using Clock = std::chrono::steady_clock;

constexpr char kUsage[] =
    "usage: seedlm-bench coordinator [--workers 1,4,16] [--verify-blocks 8,0]\n"
    "    [--preset P] [--tensors N --rows R --cols C --period-rows P]\n"
    "    [--unit-blocks N] [--repeats N] [--coordinator-bin PATH]\n"
    "    [--work-dir DIR] [--keep] [--timeout S] [--json]\n"
    "Units/s, MB/s, CPU per unit and peak RSS of a real seedlm-coordinator\n"
    "fed by K fake workers that answer every lease at once with a\n"
    "precomputed result. Flags:\n";

constexpr char kModelName[] = "model.safetensors";

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

struct Flags {
  std::string workers = "1,4,16";
  std::string verify_blocks = "8,0";
  std::string preset = kDefaultPreset;
  int64_t tensors = 16, rows = 4096, cols = 4096, period_rows = 128;
  int64_t unit_blocks = 0;  // 0: the coordinator's default
  int64_t repeats = 1;
  int64_t threads = 0;  // for precomputing; 0: all cores
  std::string coordinator_bin;
  std::string work_dir;
  bool keep = false;
  int64_t timeout = 300;
  bool json = false;
};

struct Config {
  int workers = 1;
  int verify = 8;
  int repeat = 0;
};

struct RunResult {
  Config config;
  int64_t units = 0, blocks = 0;
  double plan_s = 0, phase_s = 0, assembly_s = 0;
  double units_per_s = 0, blocks_per_s = 0, mb_per_s = 0;
  double cpu_s = 0, cpu_ms_per_unit = 0, cpu_total_s = 0;
  double hwm_mib = 0, anon_mib = 0, file_mib = 0;  // at the end
  int64_t rows_bytes = 0, payload_bytes = 0;
  uint64_t result_bytes = 0;
  std::string result_sha256;
};

// What every run shares: the model, its plan and the answers.
struct Setup {
  std::string work_dir;
  bool own_work_dir = false;  // made by the bench: removed at the end
  std::string model_dir;      // the coordinators' --model-root
  CompressionPlan plan;
  PreparedUnits prepared;
  CodecHandshake handshake;
};

// A time and the coordinator's resource use then, marked once by a worker
// thread; the bench's thread waits for the last one.
class Marks {
 public:
  struct Mark {
    Clock::time_point time;
    ProcStats stats;
    bool set = false;
  };
  explicit Marks(pid_t pid) : pid_(pid) {}
  void SetFirst() { Set(&first_); }
  void SetLast() { Set(&last_); }
  // True once the last mark is set; waits up to `d` for it.
  bool WaitLast(std::chrono::milliseconds d) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, d, [this] { return last_.set; });
  }
  Mark first() {
    std::lock_guard<std::mutex> lock(mu_);
    return first_;
  }
  Mark last() {
    std::lock_guard<std::mutex> lock(mu_);
    return last_;
  }

 private:
  void Set(Mark* m) {
    const Clock::time_point now = Clock::now();
    absl::StatusOr<ProcStats> s = ReadProcStats(pid_);
    std::lock_guard<std::mutex> lock(mu_);
    m->time = now;
    if (s.ok()) m->stats = *s;
    m->set = true;
    cv_.notify_all();
  }
  const pid_t pid_;
  std::mutex mu_;
  std::condition_variable cv_;
  Mark first_, last_;
};

absl::StatusOr<std::vector<int>> ParseIntList(const std::string& text,
                                              const char* flag, int lo,
                                              int hi) {
  std::vector<int> out;
  for (const std::string& item : SplitList(text)) {
    int v = 0;
    if (!absl::SimpleAtoi(item, &v) || v < lo || v > hi) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", flag, ": '", item, "' is not in ", lo, "..", hi));
    }
    out.push_back(v);
  }
  if (out.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("--", flag, ": empty"));
  }
  return out;
}

std::string DefaultCoordinatorBin() {
  std::error_code ec;
  const std::filesystem::path self =
      std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? "seedlm-coordinator"
            : (self.parent_path() / "seedlm-coordinator").string();
}

absl::StatusOr<Setup> MakeSetup(const Flags& f) {
  Setup s;
  if (f.work_dir.empty()) {
    std::string tmpl = (std::filesystem::temp_directory_path() /
                        "seedlm-coordinator-bench-XXXXXX")
                           .string();
    if (mkdtemp(tmpl.data()) == nullptr) {
      return ErrnoToStatus(errno, "cannot make a directory", tmpl);
    }
    s.work_dir = tmpl;
    s.own_work_dir = true;
  } else {
    s.work_dir = f.work_dir;
  }
  s.model_dir = s.work_dir + "/model";
  std::error_code ec;
  std::filesystem::create_directories(s.model_dir, ec);
  if (ec) return ErrnoToStatus(ec.value(), "cannot make", s.model_dir);
  RepeatingModelOptions m;
  m.tensors = f.tensors;
  m.rows = f.rows;
  m.cols = f.cols;
  m.period_rows = f.period_rows;
  const std::string model = s.model_dir + "/" + kModelName;
  RETURN_IF_ERROR(WriteRepeatingModel(model, m));
  ASSIGN_OR_RETURN(std::unique_ptr<ModelSource> source, OpenModel(model));
  // The options the coordinator derives from a job that names only the
  // preset (server/coordinator/job_spec.cc ToCompressOptions).
  ASSIGN_OR_RETURN(const CodecConfig codec, PresetByName(f.preset));
  const CompressOptions options = CompressOptions::ForCodec(codec);
  ASSIGN_OR_RETURN(
      s.plan,
      PlanCompression(*source, options,
                      f.unit_blocks > 0 ? f.unit_blocks : kDefaultUnitBlocks));
  ThreadPool pool(static_cast<int>(f.threads));
  ASSIGN_OR_RETURN(s.prepared, PrepareUnits(s.plan, *source, &pool));
  ASSIGN_OR_RETURN(s.handshake, CodecHandshakeFor(s.plan.codec));
  return s;
}

// Waits for the coordinator's --ready-file; returns its "listen" address.
absl::StatusOr<std::string> WaitReady(ChildProcess& child,
                                      const std::string& ready_file) {
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  while (Clock::now() < deadline) {
    if (!child.Running()) {
      return absl::UnavailableError("the coordinator exited while starting");
    }
    absl::StatusOr<std::string> text = ReadFileToString(ready_file, 1 << 16);
    if (text.ok()) {
      ASSIGN_OR_RETURN(const Json j, ParseJson(*text, "ready file"));
      return JsonString(j, "listen", "ready file");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return absl::DeadlineExceededError("the coordinator did not get ready");
}

absl::StatusOr<v1::Job> GetJob(v1::CompressionService::Stub& stub,
                               const std::string& id) {
  v1::GetJobRequest req;
  req.set_job_id(id);
  v1::Job job;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(30));
  const grpc::Status s = stub.GetJob(&context, req, &job);
  if (!s.ok()) return rpc::FromGrpcStatus(s);
  if (job.state() == v1::JOB_STATE_FAILED ||
      job.state() == v1::JOB_STATE_CANCELLED) {
    return absl::AbortedError(absl::StrCat("job ", id, " ended in state ",
                                           job.state(), ": ", job.error()));
  }
  return job;
}

absl::StatusOr<v1::Job> Submit(v1::CompressionService::Stub& stub,
                               const Flags& f) {
  v1::SubmitJobRequest req;
  req.mutable_model()->set_server_path(kModelName);
  req.mutable_options()->set_preset(f.preset);
  req.set_display_name("seedlm-bench coordinator");
  v1::Job job;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(30));
  const grpc::Status s = stub.SubmitJob(&context, req, &job);
  if (!s.ok()) return rpc::FromGrpcStatus(s);
  return job;
}

// Waits until every unit is accepted (the last mark), watching for a failed
// run or job and the deadline.
absl::Status WaitForUnits(v1::CompressionService::Stub& stub,
                          const std::string& id, const FakeWorkerRun& run,
                          Marks& marks, Clock::time_point deadline) {
  while (!marks.WaitLast(std::chrono::milliseconds(500))) {
    RETURN_IF_ERROR(run.error());
    RETURN_IF_ERROR(GetJob(stub, id).status());
    if (Clock::now() > deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("timed out with ", run.accepted.load(), " of ",
                       run.units_expected, " units accepted"));
    }
  }
  return run.error();
}

absl::StatusOr<v1::Job> WaitForEnd(v1::CompressionService::Stub& stub,
                                   const std::string& id,
                                   Clock::time_point deadline) {
  for (;;) {
    ASSIGN_OR_RETURN(v1::Job job, GetJob(stub, id));
    if (job.state() == v1::JOB_STATE_SUCCEEDED) return job;
    if (Clock::now() > deadline) {
      return absl::DeadlineExceededError("timed out waiting for assembly");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// One job through the running coordinator at `address` with c.workers fake
// workers.
absl::StatusOr<RunResult> Measure(const Setup& setup, const Flags& f,
                                  const Config& c, pid_t pid,
                                  const std::string& address) {
  FakeWorkerRun run;
  Marks marks(pid);
  run.prepared = &setup.prepared;
  run.units_expected = static_cast<int64_t>(setup.plan.units.size());
  run.on_first_lease = [&marks] { marks.SetFirst(); };
  run.on_last_unit = [&marks] { marks.SetLast(); };
  std::vector<std::unique_ptr<FakeWorker>> workers;
  for (int i = 0; i < c.workers; ++i) {
    workers.push_back(std::make_unique<FakeWorker>(
        address, absl::StrCat("fake-", i), setup.handshake, &run));
    RETURN_IF_ERROR(workers.back()->Register());
  }
  auto stub = v1::CompressionService::NewStub(
      rpc::Dial(address, grpc::InsecureChannelCredentials()));
  ASSIGN_OR_RETURN(const ProcStats before, ReadProcStats(pid));
  const Clock::time_point submitted = Clock::now();
  const Clock::time_point deadline =
      submitted + std::chrono::seconds(f.timeout);
  ASSIGN_OR_RETURN(const v1::Job job, Submit(*stub, f));
  run.job_id = job.id();
  for (auto& w : workers) w->StartLeasing();
  RETURN_IF_ERROR(WaitForUnits(*stub, job.id(), run, marks, deadline));
  ASSIGN_OR_RETURN(const v1::Job done, WaitForEnd(*stub, job.id(), deadline));
  const Clock::time_point ended = Clock::now();
  ASSIGN_OR_RETURN(const ProcStats after, ReadProcStats(pid));
  for (auto& w : workers) w->Stop();

  const Marks::Mark first = marks.first(), last = marks.last();
  RunResult r;
  r.config = c;
  r.units = run.accepted;
  r.blocks = setup.plan.total_blocks;
  r.rows_bytes = run.rows_bytes;
  r.payload_bytes = run.payload_bytes;
  r.plan_s = Seconds(first.time - submitted);
  r.phase_s = Seconds(last.time - first.time);
  r.assembly_s = Seconds(ended - last.time);
  const double phase = std::max(r.phase_s, 1e-9);
  r.units_per_s = static_cast<double>(r.units) / phase;
  r.blocks_per_s = static_cast<double>(r.blocks) / phase;
  r.mb_per_s =
      static_cast<double>(r.rows_bytes + r.payload_bytes) / 1e6 / phase;
  r.cpu_s = last.stats.cpu_seconds - first.stats.cpu_seconds;
  r.cpu_ms_per_unit =
      1000 * r.cpu_s / static_cast<double>(std::max<int64_t>(1, r.units));
  r.cpu_total_s = after.cpu_seconds - before.cpu_seconds;
  r.hwm_mib = static_cast<double>(after.hwm_kib) / 1024;
  r.anon_mib = static_cast<double>(after.rss_anon_kib) / 1024;
  r.file_mib = static_cast<double>(after.rss_file_kib) / 1024;
  r.result_bytes = done.result_size_bytes();
  r.result_sha256 = done.result_sha256();
  return r;
}

absl::StatusOr<RunResult> RunOnce(const Setup& setup, const Flags& f,
                                  const Config& c) {
  const std::string tag =
      absl::StrCat("k", c.workers, "-v", c.verify, "-r", c.repeat);
  const std::string state = setup.work_dir + "/state-" + tag;
  const std::string ready = setup.work_dir + "/ready-" + tag + ".json";
  const std::string log = setup.work_dir + "/coordinator-" + tag + ".log";
  std::vector<std::string> argv = {
      f.coordinator_bin, "--state-dir",         state,
      "--listen",        "127.0.0.1:0",         "--model-root",
      setup.model_dir,   "--ready-file",        ready,
      "--verify-blocks", absl::StrCat(c.verify)};
  if (f.unit_blocks > 0) {
    argv.push_back("--unit-blocks");
    argv.push_back(absl::StrCat(f.unit_blocks));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<ChildProcess> coordinator,
                   ChildProcess::Start(argv, log));
  absl::StatusOr<RunResult> r;
  absl::StatusOr<std::string> address = WaitReady(*coordinator, ready);
  if (address.ok()) {
    r = Measure(setup, f, c, coordinator->pid(), *address);
  } else {
    r = address.status();
  }
  coordinator->Stop(std::chrono::seconds(20));
  if (!r.ok()) {
    return absl::Status(r.status().code(),
                        absl::StrCat(tag, ": ", r.status().message(),
                                     " (coordinator log: ", log, ")"));
  }
  std::error_code ec;
  if (!f.keep) std::filesystem::remove_all(state, ec);
  return r;
}

void PrintTable(const Setup& s, const Flags& f,
                const std::vector<RunResult>& runs) {
  std::printf(
      "coordinator capacity: preset %s; model %lld x %lld x %lld bf16 "
      "(rows repeat every %lld); %zu units (%lld blocks); answers prepared "
      "in %.1f s (%lld searches)\n",
      f.preset.c_str(), static_cast<long long>(f.tensors),
      static_cast<long long>(f.rows), static_cast<long long>(f.cols),
      static_cast<long long>(f.period_rows), s.plan.units.size(),
      static_cast<long long>(s.plan.total_blocks), s.prepared.seconds,
      static_cast<long long>(s.prepared.distinct));
  std::printf("%7s %6s %3s %6s %8s %8s %10s %8s %9s %6s %7s %7s %9s %9s %9s\n",
              "workers", "verify", "rep", "units", "phase_s", "units/s",
              "Mblocks/s", "MB/s", "cpu_ms/u", "cpu%", "plan_s", "asm_s",
              "peak_MiB", "anon_MiB", "file_MiB");
  for (const RunResult& r : runs) {
    std::printf(
        "%7d %6d %3d %6lld %8.2f %8.1f %10.2f %8.1f %9.2f %6.0f %7.2f %7.2f "
        "%9.1f %9.1f %9.1f\n",
        r.config.workers, r.config.verify, r.config.repeat + 1,
        static_cast<long long>(r.units), r.phase_s, r.units_per_s,
        r.blocks_per_s / 1e6, r.mb_per_s, r.cpu_ms_per_unit,
        100 * r.cpu_s / std::max(r.phase_s, 1e-9), r.plan_s, r.assembly_s,
        r.hwm_mib, r.anon_mib, r.file_mib);
  }
}

Json ToJson(const Setup& s, const Flags& f,
            const std::vector<RunResult>& runs) {
  Json out = {{"preset", f.preset},
              {"tensors", f.tensors},
              {"rows", f.rows},
              {"cols", f.cols},
              {"period_rows", f.period_rows},
              {"unit_blocks", s.plan.unit_blocks},
              {"units", s.plan.units.size()},
              {"blocks", s.plan.total_blocks},
              {"prepare_seconds", s.prepared.seconds},
              {"prepared_searches", s.prepared.distinct},
              {"runs", Json::array()}};
  for (const RunResult& r : runs) {
    out["runs"].push_back({{"workers", r.config.workers},
                           {"verify_blocks", r.config.verify},
                           {"repeat", r.config.repeat},
                           {"units", r.units},
                           {"phase_seconds", r.phase_s},
                           {"units_per_second", r.units_per_s},
                           {"blocks_per_second", r.blocks_per_s},
                           {"mb_per_second", r.mb_per_s},
                           {"rows_bytes", r.rows_bytes},
                           {"payload_bytes", r.payload_bytes},
                           {"cpu_seconds", r.cpu_s},
                           {"cpu_ms_per_unit", r.cpu_ms_per_unit},
                           {"cpu_seconds_total", r.cpu_total_s},
                           {"plan_seconds", r.plan_s},
                           {"assembly_seconds", r.assembly_s},
                           {"peak_rss_mib", r.hwm_mib},
                           {"end_rss_anon_mib", r.anon_mib},
                           {"end_rss_file_mib", r.file_mib},
                           {"result_bytes", r.result_bytes},
                           {"result_sha256", r.result_sha256}});
  }
  return out;
}

absl::Status Run(const Flags& f) {
  ASSIGN_OR_RETURN(const std::vector<int> ks,
                   ParseIntList(f.workers, "workers", 1, 256));
  ASSIGN_OR_RETURN(const std::vector<int> vs,
                   ParseIntList(f.verify_blocks, "verify-blocks", 0, 1 << 20));
  if (f.repeats < 1 || f.repeats > 100 || f.timeout < 1 || f.unit_blocks < 0) {
    return absl::InvalidArgumentError(
        "--repeats 1..100, --timeout >= 1, --unit-blocks >= 0");
  }
  ASSIGN_OR_RETURN(Setup setup, MakeSetup(f));
  std::vector<RunResult> runs;
  for (int rep = 0; rep < f.repeats; ++rep) {
    for (int v : vs) {
      for (int k : ks) {
        ASSIGN_OR_RETURN(RunResult r, RunOnce(setup, f, Config{k, v, rep}));
        if (!runs.empty() && r.result_sha256 != runs[0].result_sha256) {
          return absl::InternalError(absl::StrCat(
              "run k", k, " v", v, ": result sha256 ", r.result_sha256,
              " differs from the first run's ", runs[0].result_sha256));
        }
        std::fprintf(stderr, "  workers %d, verify %d: %.1f units/s\n", k, v,
                     r.units_per_s);
        runs.push_back(std::move(r));
      }
    }
  }
  if (f.json) {
    std::printf("%s\n", DumpJson(ToJson(setup, f, runs), 2).c_str());
  } else {
    PrintTable(setup, f, runs);
  }
  std::error_code ec;
  if (setup.own_work_dir && !f.keep) {
    std::filesystem::remove_all(setup.work_dir, ec);
  }
  return absl::OkStatus();
}

}  // namespace

int CoordinatorMain(const std::vector<std::string>& args) {
  Flags f;
  FlagSet flags;
  flags.AddString("workers", &f.workers, "fake worker counts K, a list");
  flags.AddString("verify-blocks", &f.verify_blocks,
                  "the coordinator's --verify-blocks, a list");
  flags.AddString("preset", &f.preset, "the job's preset");
  flags.AddInt("tensors", &f.tensors, "tensors of the synthetic model");
  flags.AddInt("rows", &f.rows, "rows of each tensor");
  flags.AddInt("cols", &f.cols, "columns of each tensor");
  flags.AddInt("period-rows", &f.period_rows,
               "rows repeat with this period (fewer searches to prepare)");
  flags.AddInt("unit-blocks", &f.unit_blocks,
               "the coordinator's --unit-blocks (0 = its default)");
  flags.AddInt("repeats", &f.repeats, "runs of every configuration");
  flags.AddInt("threads", &f.threads,
               "threads preparing the answers (0 = all)");
  flags.AddString("coordinator-bin", &f.coordinator_bin,
                  "seedlm-coordinator binary (default: beside this one)");
  flags.AddString("work-dir", &f.work_dir,
                  "model and state directories (default: a new temp dir)");
  flags.AddBool("keep", &f.keep, "keep state directories and the work dir");
  flags.AddInt("timeout", &f.timeout, "seconds one run may take");
  flags.AddBool("json", &f.json, "print JSON instead of the table");
  if (absl::Status s = flags.Parse(args); !s.ok()) {
    std::fprintf(stderr, "seedlm-bench coordinator: %s\n%s%s",
                 std::string(s.message()).c_str(), kUsage,
                 flags.Usage().c_str());
    return 2;
  }
  if (flags.WantsHelp()) {
    std::printf("%s%s", kUsage, flags.Usage().c_str());
    return 0;
  }
  if (f.coordinator_bin.empty()) f.coordinator_bin = DefaultCoordinatorBin();
  if (absl::Status s = Run(f); !s.ok()) {
    std::fprintf(stderr, "seedlm-bench coordinator: %s\n",
                 s.ToString().c_str());
    return absl::IsInvalidArgument(s) ? 2 : 1;
  }
  return 0;
}

}  // namespace seedlm
