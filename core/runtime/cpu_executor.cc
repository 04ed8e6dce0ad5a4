#include "core/runtime/cpu_executor.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/util/status_macros.h"

namespace seedlm {
namespace {

// Bounds beyond which the options are surely a mistake (and the byte counts
// below could overflow).
constexpr int kMaxSequences = 1 << 16;
constexpr int kMaxThreads = 1024;
constexpr int kMaxStepTokens = 1 << 20;

absl::Status CheckOptions(const LlamaConfig& c, const CpuExecutorOptions& o) {
  if (o.context < 1 || o.context > c.max_seq_len) {
    return absl::InvalidArgumentError(
        absl::StrCat("executor context ", o.context, " is outside [1, ",
                     c.max_seq_len, "] (the model's positions)"));
  }
  if (o.max_sequences < 1 || o.max_sequences > kMaxSequences || o.threads < 1 ||
      o.threads > kMaxThreads || o.max_step_tokens < 1 ||
      o.max_step_tokens > kMaxStepTokens) {
    return absl::InvalidArgumentError(absl::StrCat(
        "executor options: need 1 <= max_sequences <= ", kMaxSequences,
        ", 1 <= threads <= ", kMaxThreads,
        ", 1 <= max_step_tokens <= ", kMaxStepTokens, " (got ", o.max_sequences,
        ", ", o.threads, ", ", o.max_step_tokens, ")"));
  }
  return absl::OkStatus();
}

// Storage of layer `l`'s weights: its seven matrices as held, and its norms.
uint64_t LayerWeightBytes(const LlamaModel::Layer& l) {
  uint64_t bytes = (l.attn_norm.size() + l.ffn_norm.size()) * sizeof(float);
  for (const LinearWeight* w : {l.wq.get(), l.wk.get(), l.wv.get(), l.wo.get(),
                                l.w1.get(), l.w2.get(), l.w3.get()}) {
    bytes += w->StorageBytes();
  }
  return bytes;
}

}  // namespace

CpuExecutor::CpuExecutor(const LlamaModel* model,
                         std::unique_ptr<LlamaModel> owned, int layer_begin,
                         int layer_end, const CpuExecutorOptions& options)
    : owned_(std::move(owned)),
      model_(model),
      layer_begin_(layer_begin),
      layer_end_(layer_end),
      options_(options) {}

absl::StatusOr<std::unique_ptr<CpuExecutor>> CpuExecutor::Create(
    const LlamaModel* model, int layer_begin, int layer_end,
    const CpuExecutorOptions& options) {
  if (model == nullptr) return absl::InvalidArgumentError("no model");
  const LlamaConfig& c = model->config();
  RETURN_IF_ERROR(CheckOptions(c, options));
  if (layer_begin >= layer_end || layer_begin < model->layer_begin() ||
      layer_end > model->layer_end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("executor layers [", layer_begin, ", ", layer_end,
                     ") are empty or not among the model's layers [",
                     model->layer_begin(), ", ", model->layer_end(), ")"));
  }
  std::unique_ptr<CpuExecutor> ex(
      new CpuExecutor(model, nullptr, layer_begin, layer_end, options));
  RETURN_IF_ERROR(ex->AllocateCaches());
  return ex;
}

absl::StatusOr<std::unique_ptr<CpuExecutor>> CpuExecutor::Create(
    std::unique_ptr<LlamaModel> model, const CpuExecutorOptions& options) {
  if (model == nullptr) return absl::InvalidArgumentError("no model");
  const LlamaModel* raw = model.get();
  ASSIGN_OR_RETURN(std::unique_ptr<CpuExecutor> ex,
                   Create(raw, raw->layer_begin(), raw->layer_end(), options));
  ex->owned_ = std::move(model);
  return ex;
}

// Sets up the forward pass, the caches and the byte counts.
absl::Status CpuExecutor::AllocateCaches() {
  const LlamaConfig& c = model_->config();
  const int layers = layer_end_ - layer_begin_;
  const uint64_t cache_bytes = KvCache::BytesFor(c, layers, options_.context);
  if (cache_bytes != 0 && static_cast<uint64_t>(options_.max_sequences) >
                              UINT64_MAX / 2 / cache_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat(options_.max_sequences, " KV caches of ", cache_bytes,
                     " bytes cannot be allocated"));
  }
  ThreadPool* pool = options_.pool;
  if (pool == nullptr) {
    own_pool_ = std::make_unique<ThreadPool>(options_.threads);
    pool = own_pool_.get();
  }
  forward_ = std::make_unique<LlamaForward>(model_, pool);
  caches_.reserve(options_.max_sequences);
  for (int i = 0; i < options_.max_sequences; ++i) {
    ASSIGN_OR_RETURN(KvCache cache, KvCache::Create(c, layer_begin_, layer_end_,
                                                    options_.context));
    cache.Reserve(options_.context);  // up front: load cannot grow memory
    caches_.push_back(std::move(cache));
  }
  // Taken from the back: cache 0 first.
  for (int i = options_.max_sequences - 1; i >= 0; --i) free_.push_back(i);
  seqs_.reserve(options_.max_sequences);

  if (model_->layer_begin() == layer_begin_ &&
      model_->layer_end() == layer_end_) {
    const WeightStats& s = model_->stats();
    weight_bytes_ = s.linear_bytes + static_cast<uint64_t>(layers) * 2 *
                                         static_cast<uint64_t>(c.dim) *
                                         sizeof(float);
  } else {
    for (int l = layer_begin_; l < layer_end_; ++l) {
      weight_bytes_ += LayerWeightBytes(model_->layer(l));
    }
  }
  memory_bytes_ = weight_bytes_ + OverheadBytes(c, layers, options_);
  return absl::OkStatus();
}

uint64_t CpuExecutor::OverheadBytes(const LlamaConfig& c, int layers,
                                    const CpuExecutorOptions& options) {
  const uint64_t sequences =
      static_cast<uint64_t>(std::max(options.max_sequences, 0));
  const uint64_t caches =
      KvCache::BytesFor(c, layers, std::max(options.context, 0)) * sequences;
  // LlamaForward's per-row buffers (Resize) for the largest step planned.
  const uint64_t rows =
      sequences * static_cast<uint64_t>(std::max(options.max_step_tokens, 0));
  const uint64_t q_dim = static_cast<uint64_t>(c.n_heads) * c.head_dim;
  const uint64_t kv_dim = static_cast<uint64_t>(c.n_kv_heads) * c.head_dim;
  const uint64_t per_row =
      std::max<uint64_t>(c.dim, q_dim)              // xb_
      + 2 * q_dim                                   // q_, att_out_
      + 2 * kv_dim                                  // k_, v_
      + 2 * static_cast<uint64_t>(c.hidden_dim)     // h1_, h3_
      + static_cast<uint64_t>(c.head_dim / 2) * 2;  // rope cos, sin
  // Attention scores: every head over at most `context` positions.
  const uint64_t scores = static_cast<uint64_t>(c.n_heads) *
                          static_cast<uint64_t>(std::max(options.context, 0));
  return caches + (rows * per_row + scores) * sizeof(float);
}

std::string CpuExecutor::description() const {
  return absl::StrCat("cpu (in-process, layers [", layer_begin_, ", ",
                      layer_end_, "))");
}

absl::Status CpuExecutor::Open(int64_t seq) {
  if (open_.count(seq) != 0) {
    return absl::AlreadyExistsError(
        absl::StrCat("sequence ", seq, " is already open"));
  }
  if (free_.empty()) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "all ", options_.max_sequences, " sequences of the executor are open"));
  }
  const int index = free_.back();
  free_.pop_back();
  caches_[index].Clear();
  open_.emplace(seq, index);
  return absl::OkStatus();
}

void CpuExecutor::Close(int64_t seq) {
  auto it = open_.find(seq);
  if (it == open_.end()) return;
  free_.push_back(it->second);
  open_.erase(it);
}

absl::Status CpuExecutor::Step(absl::Span<const ExecutorRows> rows,
                               absl::Span<float> hidden) {
  seqs_.clear();
  uint64_t floats = 0;
  const uint64_t dim = static_cast<uint64_t>(model_->config().dim);
  for (size_t i = 0; i < rows.size(); ++i) {
    const ExecutorRows& r = rows[i];
    auto it = open_.find(r.seq);
    if (it == open_.end()) {
      return absl::NotFoundError(
          absl::StrCat("sequence ", r.seq, " is not open"));
    }
    for (size_t j = 0; j < i; ++j) {
      if (rows[j].seq == r.seq) {
        return absl::InvalidArgumentError(
            absl::StrCat("sequence ", r.seq, " appears twice in a step"));
      }
    }
    if (r.n < 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("sequence ", r.seq, " has ", r.n, " rows"));
    }
    floats += static_cast<uint64_t>(r.n) * dim;
    seqs_.push_back({&caches_[it->second], r.pos, r.n});
  }
  if (rows.empty() || floats != hidden.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the rows hold ", floats, " floats, the hidden states ",
                     hidden.size()));
  }
  return forward_->RunLayersBatch(layer_begin_, layer_end_, seqs_, hidden);
}

}  // namespace seedlm
