// The attention keys and values of one sequence, for a range of layers.
//
// A KvCache belongs to one sequence. It covers the layers [layer_begin,
// layer_end) of a model (an executor that holds only some layers allocates
// only those) and at most capacity() positions, fixed at creation, so that a
// server can bound the memory of each sequence (capacity_bytes()). Storage
// grows with use up to that bound (Reserve allocates it ahead).
//
// Each covered layer holds the keys and values of positions [0, length(l)),
// position-major: position t's key of kv head h is
// keys(l)[t * kv_dim() + h * head_dim]. The forward pass (llama_forward.h)
// writes positions [pos, pos + n) of each layer it runs; writing at pos <
// length(l) overwrites (and forgets) the positions from pos on.
//
// Thread-safety: not thread-safe; a cache is used by one thread at a time.
// Movable, not copyable.

#ifndef SEEDLM_CORE_RUNTIME_KV_CACHE_H_
#define SEEDLM_CORE_RUNTIME_KV_CACHE_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/runtime/llama_config.h"

namespace seedlm {

class KvCache {
 public:
  // An empty cache for layers [layer_begin, layer_end) of a model with
  // `config`, holding up to `capacity` positions. INVALID_ARGUMENT unless
  // 0 <= layer_begin <= layer_end <= config.n_layers and capacity >= 1.
  static absl::StatusOr<KvCache> Create(const LlamaConfig& config,
                                        int layer_begin, int layer_end,
                                        int capacity);
  // As Create, without the checks. REQUIRES: the arguments Create accepts.
  KvCache(const LlamaConfig& config, int layer_begin, int layer_end,
          int capacity);

  KvCache(KvCache&&) = default;
  KvCache& operator=(KvCache&&) = default;
  KvCache(const KvCache&) = delete;
  KvCache& operator=(const KvCache&) = delete;

  // The bytes a cache of `num_layers` layers and `capacity` positions holds
  // when full (keys and values, float32).
  static uint64_t BytesFor(const LlamaConfig& config, int num_layers,
                           int capacity);

  int layer_begin() const { return layer_begin_; }
  int layer_end() const { return layer_end_; }
  bool covers(int layer) const {
    return layer >= layer_begin_ && layer < layer_end_;
  }
  int capacity() const { return capacity_; }
  int kv_dim() const { return kv_dim_; }
  // Positions of `layer` that hold a key and a value. REQUIRES: covers(layer).
  int length(int layer) const { return length_[layer - layer_begin_]; }

  // Bytes allocated now, and the most this cache can ever allocate.
  uint64_t bytes() const;
  uint64_t capacity_bytes() const;

  // Allocates room for `positions` positions in every covered layer (at
  // most capacity()), so that later writes up to there do not allocate.
  void Reserve(int positions);
  // Forgets every position (length 0 everywhere); keeps the storage.
  void Clear();

  // OK iff positions [pos, pos + n) of every layer of [begin, end) may be
  // written: INVALID_ARGUMENT for n < 1, pos < 0 or begin > end;
  // FAILED_PRECONDITION for a layer the cache does not cover or whose
  // length is below pos (a gap); OUT_OF_RANGE when pos + n > capacity().
  absl::Status CheckWrite(int begin, int end, int pos, int n) const;

  // Stores the keys and values of positions [pos, pos + n) of `layer` (each
  // n x kv_dim() row-major) and sets length(layer) to pos + n.
  // REQUIRES: CheckWrite(layer, layer + 1, pos, n) is OK.
  void Write(int layer, int pos, int n, const float* k, const float* v);

  // length(layer) x kv_dim() floats, valid until the next Write or Reserve.
  // REQUIRES: covers(layer).
  const float* keys(int layer) const { return k_[layer - layer_begin_].data(); }
  const float* values(int layer) const {
    return v_[layer - layer_begin_].data();
  }

 private:
  void Grow(int index, int positions);
  void Allocate(int index, size_t positions);

  int layer_begin_ = 0;
  int layer_end_ = 0;
  int capacity_ = 0;
  int kv_dim_ = 0;
  std::vector<int> length_;                // per covered layer
  std::vector<std::vector<float>> k_, v_;  // per covered layer
};

}  // namespace seedlm

#endif  // SEEDLM_CORE_RUNTIME_KV_CACHE_H_
