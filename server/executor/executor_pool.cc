// ExecutorPool: plans layers over the attached executors, loads them, and
// runs steps through the chain (falling back to the in-process executor).
#include "server/executor/executor_pool.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/memory/memory.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/runtime/kv_cache.h"
#include "core/runtime/layer_plan.h"
#include "core/util/status_macros.h"
#include "server/common/logging.h"

namespace seedlm::serve {
namespace {

using AttachedList = std::vector<std::shared_ptr<AttachedExecutor>>;

CpuExecutorOptions LocalOptions(const ExecutorPoolOptions& options) {
  CpuExecutorOptions o;
  o.context = options.build.context;
  o.max_sequences = options.build.max_sequences;
  o.max_step_tokens = options.build.max_step_tokens;
  o.threads = options.local_threads;
  return o;
}

ExecutorPoolOptions WithLayers(ExecutorPoolOptions options,
                               const LlamaModel& model) {
  options.build.n_layers = model.config().n_layers;
  return options;
}

// "executor ex-2 (host, layers [3, 6))".
// Weights (elements) of one layer: the seven matrices and two norms.
int64_t LayerElements(const LlamaConfig& c) {
  const int64_t q = static_cast<int64_t>(c.n_heads) * c.head_dim;
  const int64_t kv = static_cast<int64_t>(c.n_kv_heads) * c.head_dim;
  return c.dim * (2 * q + 2 * kv) +
         3 * static_cast<int64_t>(c.dim) * c.hidden_dim +
         2 * static_cast<int64_t>(c.dim);
}

std::string Named(const AttachedExecutor& e) {
  return absl::StrCat("executor ", e.id(), " (",
                      e.announcement().name.empty() ? e.announcement().kind
                                                    : e.announcement().name,
                      ", layers [", e.layer_begin(), ", ", e.layer_end(), "))");
}

// `status` of `e` as the UNAVAILABLE a failed step or open returns, naming
// the executor (once).
absl::Status FailedStatus(const AttachedExecutor& e, const absl::Status& st) {
  if (absl::StartsWith(st.message(), absl::StrCat("executor ", e.id(), " "))) {
    return absl::UnavailableError(st.message());
  }
  return absl::UnavailableError(
      absl::StrCat(Named(e), " failed: ", st.message()));
}

ExecutorPlacementInfo Placement(const AttachedExecutor& e, LayerRange range) {
  ExecutorPlacementInfo p;
  p.id = e.id();
  p.kind = e.announcement().kind;
  p.name = e.announcement().name;
  p.layers = range;
  p.weight_bytes = range.empty() ? 0 : e.weight_bytes();
  return p;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ExecutorPool>> ExecutorPool::Create(
    const LlamaModel* model, const WeightSource* weights,
    const ExecutorPoolOptions& options) {
  ASSIGN_OR_RETURN(std::unique_ptr<CpuExecutor> local,
                   CpuExecutor::Create(model, 0, model->config().n_layers,
                                       LocalOptions(options)));
  auto pool = absl::WrapUnique(new ExecutorPool(
      model, weights, WithLayers(options, *model), std::move(local)));
  pool->chain_ = {pool->local_.get()};
  MutexLock l(&pool->mu_);
  pool->plans_ = 1;
  return pool;
}

ExecutorPool::ExecutorPool(const LlamaModel* model, const WeightSource* weights,
                           const ExecutorPoolOptions& options,
                           std::unique_ptr<CpuExecutor> local)
    : model_(model),
      weights_(weights),
      options_(options),
      local_(std::move(local)) {}

ExecutorPool::~ExecutorPool() { Shutdown(); }

void ExecutorPool::Attach(std::shared_ptr<AttachedExecutor> executor) {
  bool refused = false;
  {
    MutexLock l(&mu_);
    if (shutdown_) {
      refused = true;
    } else {
      attached_.push_back(executor);
      replan_ = true;
    }
  }
  if (refused) {
    executor->Fail(absl::UnavailableError("the server is shutting down"));
  }
}

void ExecutorPool::Detach(const std::string& id) {
  MutexLock l(&mu_);
  attached_.erase(std::remove_if(attached_.begin(), attached_.end(),
                                 [&](const auto& e) { return e->id() == id; }),
                  attached_.end());
  // Only an executor that holds layers changes the chain.
  for (const ExecutorPlacementInfo& p : placements_) {
    if (p.id == id && !p.layers.empty()) replan_ = true;
  }
}

std::vector<ExecutorPlacementInfo> ExecutorPool::Placements() const {
  MutexLock l(&mu_);
  return placements_;
}

int64_t ExecutorPool::plans() const {
  MutexLock l(&mu_);
  return plans_;
}

int ExecutorPool::attached_count() const {
  MutexLock l(&mu_);
  return static_cast<int>(
      std::count_if(attached_.begin(), attached_.end(),
                    [](const auto& e) { return e->alive(); }));
}

void ExecutorPool::Shutdown() {
  AttachedList attached;
  {
    MutexLock l(&mu_);
    shutdown_ = true;
    attached.swap(attached_);
    if (!placements_.empty()) replan_ = true;
  }
  for (const auto& e : attached) {
    e->Fail(absl::UnavailableError("the server is shutting down"));
  }
}

// ---- The engine thread's side.

absl::Status ExecutorPool::Open(int64_t seq) {
  for (size_t i = 0; i < chain_.size(); ++i) {
    absl::Status st = chain_[i]->Open(seq);
    if (st.ok()) continue;
    for (size_t j = 0; j < i; ++j) chain_[j]->Close(seq);
    for (const auto& e : chain_owned_) {
      if (e.get() == chain_[i] && !e->alive()) {
        replan_ = true;
        return FailedStatus(*e, st);
      }
    }
    return st;
  }
  return absl::OkStatus();
}

void ExecutorPool::Close(int64_t seq) {
  for (Executor* e : chain_) e->Close(seq);
}

absl::Status ExecutorPool::Run(absl::Span<const ExecutorRows> rows,
                               absl::Span<float> hidden) {
  for (Executor* e : chain_) {
    const absl::Status st = e->Step(rows, hidden);
    if (st.ok()) continue;
    for (const auto& remote : chain_owned_) {
      if (remote.get() != e) continue;
      const absl::Status failed = FailedStatus(*remote, st);
      remote->Fail(failed);
      replan_ = true;
      return failed;
    }
    return st;  // the in-process executor's
  }
  return absl::OkStatus();
}

bool ExecutorPool::ReplanPending() const { return replan_.load(); }

absl::Status ExecutorPool::Replan() {
  replan_ = false;
  AttachedList candidates;
  bool shutdown = false;
  {
    MutexLock l(&mu_);
    attached_.erase(std::remove_if(attached_.begin(), attached_.end(),
                                   [](const auto& e) { return !e->alive(); }),
                    attached_.end());
    candidates = attached_;
    shutdown = shutdown_;
  }
  chain_owned_.clear();
  chain_ = {local_.get()};
  if (shutdown) candidates.clear();
  absl::Status why = absl::OkStatus();
  absl::StatusOr<std::vector<uint64_t>> layer_bytes = weights_->LayerBytes();
  if (!layer_bytes.ok()) why = layer_bytes.status();
  // Each try either succeeds or drops an executor.
  while (layer_bytes.ok() && !candidates.empty()) {
    absl::StatusOr<std::vector<LayerRange>> plan =
        PlanFor(*layer_bytes, candidates);
    if (!plan.ok()) {
      why = plan.status();
      break;
    }
    why = LoadPlan(*plan, candidates);
    if (!why.ok()) continue;
    why = InstallPlan(*plan, candidates);
    if (why.ok()) return why;
    break;
  }
  // In-process: the executors left stand by (and free what they hold).
  std::vector<ExecutorPlacementInfo> placements;
  for (const auto& e : candidates) {
    const absl::Status st = e->Load(LayerRange{}, *weights_, options_.build);
    if (st.ok())
      placements.push_back(Placement(*e, LayerRange{}));
    else
      e->Fail(st);
  }
  MutexLock l(&mu_);
  placements_ = std::move(placements);
  ++plans_;
  if (why.ok()) {
    obs::LogInfo("plan applied: every layer in-process", {{"plan", plans_}});
  } else {
    obs::LogWarn("plan applied: every layer in-process",
                 {{"plan", plans_}, {"error", why.ToString()}});
  }
  return why;
}

absl::StatusOr<std::vector<LayerRange>> ExecutorPool::PlanFor(
    absl::Span<const uint64_t> layer_bytes,
    const std::vector<std::shared_ptr<AttachedExecutor>>& candidates) const {
  const LlamaConfig& config = model_->config();
  const uint64_t kv_per_layer =
      KvCache::BytesFor(config, 1, options_.build.context) *
      static_cast<uint64_t>(options_.build.max_sequences);
  std::vector<uint64_t> per_layer(layer_bytes.begin(), layer_bytes.end());
  for (uint64_t& b : per_layer) b += kv_per_layer;
  // The step buffers: what an executor holds besides weights and caches.
  const uint64_t fixed =
      CpuExecutor::OverheadBytes(config, 0, LocalOptions(options_));
  std::vector<ExecutorCapacity> capacities;
  for (const auto& e : candidates) {
    capacities.push_back(
        {e->announcement().threads, e->announcement().memory_bytes});
  }
  return PlanLayers(per_layer, capacities, fixed);
}

absl::Status ExecutorPool::LoadPlan(
    const std::vector<LayerRange>& plan,
    std::vector<std::shared_ptr<AttachedExecutor>>& candidates) {
  for (size_t i = 0; i < candidates.size(); ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    const absl::Status st =
        candidates[i]->Load(plan[i], *weights_, options_.build);
    if (st.ok() && !plan[i].empty()) {
      // What the wire carried against the same layers' dense sizes.
      const double weights =
          static_cast<double>(LayerElements(model_->config()) * plan[i].size());
      weight_bytes_streamed_ += candidates[i]->weight_bytes();
      obs::LogInfo(
          "executor loaded: weights streamed as stored",
          {{"executor", Named(*candidates[i])},
           {"layers", absl::StrCat("[", plan[i].begin, ", ", plan[i].end, ")")},
           {"seconds",
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
                .count()},
           {"bytes", candidates[i]->weight_bytes()},
           {"bf16_bytes", static_cast<uint64_t>(weights * 2)},
           {"fp32_bytes", static_cast<uint64_t>(weights * 4)}});
    }
    if (st.ok()) continue;
    const std::string name = Named(*candidates[i]);
    candidates[i]->Fail(st);
    candidates.erase(candidates.begin() + static_cast<ptrdiff_t>(i));
    return absl::Status(st.code(),
                        absl::StrCat(name, " could not load: ", st.message()));
  }
  return absl::OkStatus();
}

absl::Status ExecutorPool::InstallPlan(
    const std::vector<LayerRange>& plan,
    const std::vector<std::shared_ptr<AttachedExecutor>>& candidates) {
  std::vector<ExecutorPlacementInfo> placements, standby;
  chain_.clear();
  chain_owned_.clear();
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (plan[i].empty()) {
      standby.push_back(Placement(*candidates[i], plan[i]));
      continue;
    }
    placements.push_back(Placement(*candidates[i], plan[i]));
    chain_owned_.push_back(candidates[i]);
    chain_.push_back(candidates[i].get());
  }
  const absl::Status checked = CheckChain(chain_, model_->config().n_layers);
  if (!checked.ok()) {
    chain_owned_.clear();
    chain_ = {local_.get()};
    return checked;
  }
  placements.insert(placements.end(), standby.begin(), standby.end());
  std::string summary;
  for (const ExecutorPlacementInfo& p : placements) {
    absl::StrAppend(&summary, summary.empty() ? "" : ", ", p.id, " [",
                    p.layers.begin, ", ", p.layers.end, ")");
  }
  MutexLock l(&mu_);
  placements_ = std::move(placements);
  ++plans_;
  obs::LogInfo(
      "plan applied",
      {{"plan", plans_},
       {"executors", summary.empty() ? "every layer in-process" : summary}});
  return absl::OkStatus();
}

}  // namespace seedlm::serve
