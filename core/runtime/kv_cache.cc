#include "core/runtime/kv_cache.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/util/status_macros.h"

namespace seedlm {
namespace {

uint64_t Bytes(int num_layers, int capacity, int kv_dim) {
  return 2 * sizeof(float) * static_cast<uint64_t>(num_layers) *
         static_cast<uint64_t>(capacity) * static_cast<uint64_t>(kv_dim);
}

}  // namespace

absl::StatusOr<KvCache> KvCache::Create(const LlamaConfig& config,
                                        int layer_begin, int layer_end,
                                        int capacity) {
  RETURN_IF_ERROR(CheckLayerRange(config, layer_begin, layer_end));
  if (capacity < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("KV cache capacity must be >= 1, got ", capacity));
  }
  return KvCache(config, layer_begin, layer_end, capacity);
}

KvCache::KvCache(const LlamaConfig& config, int layer_begin, int layer_end,
                 int capacity)
    : layer_begin_(layer_begin),
      layer_end_(layer_end),
      capacity_(capacity),
      kv_dim_(config.n_kv_heads * config.head_dim),
      length_(layer_end - layer_begin, 0),
      k_(layer_end - layer_begin),
      v_(layer_end - layer_begin) {}

uint64_t KvCache::BytesFor(const LlamaConfig& config, int num_layers,
                           int capacity) {
  return Bytes(num_layers, capacity, config.n_kv_heads * config.head_dim);
}

uint64_t KvCache::bytes() const {
  uint64_t n = 0;
  for (size_t i = 0; i < k_.size(); ++i) {
    n += (k_[i].capacity() + v_[i].capacity()) * sizeof(float);
  }
  return n;
}

uint64_t KvCache::capacity_bytes() const {
  return Bytes(layer_end_ - layer_begin_, capacity_, kv_dim_);
}

// Makes room for `positions` positions in covered layer `index`: at least
// doubling (for amortized appends), never past capacity(), allocating
// exactly that (reserve, then resize within it).
void KvCache::Grow(int index, int positions) {
  const size_t have = k_[index].size() / std::max(1, kv_dim_);
  if (static_cast<size_t>(positions) <= have) return;
  Allocate(index,
           std::min<size_t>(capacity_, std::max<size_t>(positions, 2 * have)));
}

// Sizes covered layer `index` to exactly `positions` positions (reserve,
// then resize within it); never shrinks.
void KvCache::Allocate(int index, size_t positions) {
  const size_t floats = positions * static_cast<size_t>(kv_dim_);
  if (k_[index].size() >= floats) return;
  k_[index].reserve(floats);
  v_[index].reserve(floats);
  k_[index].resize(floats);
  v_[index].resize(floats);
}

void KvCache::Reserve(int positions) {
  positions = std::min(positions, capacity_);
  for (size_t i = 0; i < k_.size(); ++i) {
    Allocate(static_cast<int>(i), static_cast<size_t>(positions));
  }
}

void KvCache::Clear() { std::fill(length_.begin(), length_.end(), 0); }

absl::Status KvCache::CheckWrite(int begin, int end, int pos, int n) const {
  if (n < 1 || pos < 0 || begin > end) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad KV cache write: layers [", begin, ", ", end,
                     "), positions ", pos, " + ", n));
  }
  if (begin < layer_begin_ || end > layer_end_) {
    return absl::FailedPreconditionError(
        absl::StrCat("layers [", begin, ", ", end, ") are not all in the KV ",
                     "cache's range [", layer_begin_, ", ", layer_end_, ")"));
  }
  for (int l = begin; l < end; ++l) {
    if (length(l) < pos) {
      return absl::FailedPreconditionError(
          absl::StrCat("layer ", l, " of the KV cache holds ", length(l),
                       " positions, so position ", pos, " would leave a gap"));
    }
  }
  if (static_cast<int64_t>(pos) + n > capacity_) {
    return absl::OutOfRangeError(absl::StrCat("KV cache of ", capacity_,
                                              " positions is full (at ", pos,
                                              ", +", n, ")"));
  }
  return absl::OkStatus();
}

void KvCache::Write(int layer, int pos, int n, const float* k, const float* v) {
  const int i = layer - layer_begin_;
  Grow(i, pos + n);
  const size_t offset = static_cast<size_t>(pos) * kv_dim_;
  const size_t count = static_cast<size_t>(n) * kv_dim_;
  std::copy_n(k, count, k_[i].begin() + offset);
  std::copy_n(v, count, v_[i].begin() + offset);
  length_[i] = pos + n;
}

}  // namespace seedlm
