#include "core/runtime/llama_session.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace seedlm {
namespace {

void RmsNorm(const float* x, const float* w, int n, float eps, float* out) {
  float ss = 0;
  for (int i = 0; i < n; ++i) ss += x[i] * x[i];
  ss = ss / static_cast<float>(n) + eps;
  const float inv = 1.0f / std::sqrt(ss);
  for (int i = 0; i < n; ++i) out[i] = w[i] * (inv * x[i]);
}

}  // namespace

LlamaSession::LlamaSession(const LlamaModel* model, ThreadPool* pool,
                           int context)
    : model_(model), c_(model->config()), pool_(pool) {
  context_ = context > 0 ? context : c_.max_seq_len;
  k_cache_.resize(c_.n_layers);
  v_cache_.resize(c_.n_layers);
  Resize(1);
}

void LlamaSession::Resize(int n) {
  if (n == batch_) return;
  batch_ = n;
  const size_t q_dim = static_cast<size_t>(c_.n_heads) * c_.head_dim;
  const size_t kv_dim = static_cast<size_t>(c_.n_kv_heads) * c_.head_dim;
  x_.resize(n * static_cast<size_t>(c_.dim));
  xb_.resize(n * std::max<size_t>(c_.dim, q_dim));
  q_.resize(n * q_dim);
  k_.resize(n * kv_dim);
  v_.resize(n * kv_dim);
  att_out_.resize(n * q_dim);
  h1_.resize(n * static_cast<size_t>(c_.hidden_dim));
  h3_.resize(n * static_cast<size_t>(c_.hidden_dim));
  logits_.resize(n * static_cast<size_t>(c_.vocab_size));
  rope_cos_.resize(n * static_cast<size_t>(c_.head_dim / 2));
  rope_sin_.resize(n * static_cast<size_t>(c_.head_dim / 2));
}

// Rotates the n_heads heads of v (one token, batch row t).
void LlamaSession::Rope(float* v, int n_heads, int t) const {
  const int half = c_.head_dim / 2;
  const float* cs = &rope_cos_[static_cast<size_t>(t) * half];
  const float* sn = &rope_sin_[static_cast<size_t>(t) * half];
  for (int h = 0; h < n_heads; ++h) {
    float* head = v + h * c_.head_dim;
    for (int i = 0; i < half; ++i) {
      // Interleaved: pair (2i, 2i+1); half split: pair (i, i + half).
      const int a = c_.rope_style == RopeStyle::kInterleaved ? 2 * i : i;
      const int b =
          c_.rope_style == RopeStyle::kInterleaved ? 2 * i + 1 : i + half;
      const float x0 = head[a], x1 = head[b];
      head[a] = x0 * cs[i] - x1 * sn[i];
      head[b] = x0 * sn[i] + x1 * cs[i];
    }
  }
}

// Causal attention of the batch's n tokens (positions pos_ .. pos_ + n - 1)
// over the cache, which already holds their keys and values.
void LlamaSession::Attention(int layer, int n_tokens) {
  const int hd = c_.head_dim;
  const int q_dim = c_.n_heads * hd;
  const int kv_dim = c_.n_kv_heads * hd;
  const int group = c_.n_heads / c_.n_kv_heads;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  const float* kc = k_cache_[layer].data();
  const float* vc = v_cache_[layer].data();
  auto head_fn = [&](int64_t h_begin, int64_t h_end) {
    for (int64_t h = h_begin; h < h_end; ++h) {
      const int64_t kvh = h / group;
      float* s = &scores_[h * context_];
      for (int tok = 0; tok < n_tokens; ++tok) {
        const int n = pos_ + tok + 1;
        const float* q = &q_[static_cast<size_t>(tok) * q_dim + h * hd];
        float max_s = -INFINITY;
        for (int t = 0; t < n; ++t) {
          s[t] =
              DotF32(q, kc + static_cast<int64_t>(t) * kv_dim + kvh * hd, hd) *
              scale;
          max_s = std::max(max_s, s[t]);
        }
        float sum = 0;
        for (int t = 0; t < n; ++t) {
          s[t] = std::exp(s[t] - max_s);
          sum += s[t];
        }
        float* out = &att_out_[static_cast<size_t>(tok) * q_dim + h * hd];
        std::fill_n(out, hd, 0.0f);
        for (int t = 0; t < n; ++t) {
          const float a = s[t] / sum;
          const float* v = vc + static_cast<int64_t>(t) * kv_dim + kvh * hd;
          for (int i = 0; i < hd; ++i) out[i] += a * v[i];
        }
      }
    }
  };
  const int64_t work =
      static_cast<int64_t>(pos_ + n_tokens) * n_tokens * hd * c_.n_heads;
  if (pool_ == nullptr || pool_->num_threads() == 1 || work < 65536) {
    head_fn(0, c_.n_heads);
  } else {
    pool_->ParallelFor(c_.n_heads, 1, head_fn);
  }
}

absl::StatusOr<absl::Span<const float>> LlamaSession::Forward(int32_t token) {
  return ForwardBatch(absl::MakeConstSpan(&token, 1));
}

absl::StatusOr<absl::Span<const float>> LlamaSession::ForwardBatch(
    absl::Span<const int32_t> tokens) {
  const int n = static_cast<int>(tokens.size());
  if (n == 0) return absl::InvalidArgumentError("no tokens to feed");
  for (int32_t token : tokens) {
    if (token < 0 || token >= c_.vocab_size) {
      return absl::InvalidArgumentError(absl::StrCat(
          "token ", token, " outside the vocabulary of ", c_.vocab_size));
    }
  }
  if (static_cast<int64_t>(pos_) + n > context_) {
    return absl::OutOfRangeError(absl::StrCat(
        "context of ", context_, " tokens is full (at ", pos_, ", +", n, ")"));
  }
  Resize(n);
  const LlamaModel& m = *model_;
  const int dim = c_.dim, half = c_.head_dim / 2;
  const int q_dim = c_.n_heads * c_.head_dim;
  const int kv_dim = c_.n_kv_heads * c_.head_dim;
  for (int t = 0; t < n; ++t) {
    m.embedding().GetRow(tokens[t], &x_[static_cast<size_t>(t) * dim]);
    for (int i = 0; i < half; ++i) {
      const double freq =
          std::pow(c_.rope_theta, -2.0 * i / static_cast<double>(c_.head_dim));
      const double angle = static_cast<double>(pos_ + t) * freq;
      rope_cos_[static_cast<size_t>(t) * half + i] =
          static_cast<float>(std::cos(angle));
      rope_sin_[static_cast<size_t>(t) * half + i] =
          static_cast<float>(std::sin(angle));
    }
  }
  if (scores_.size() < static_cast<size_t>(c_.n_heads) * context_) {
    scores_.resize(static_cast<size_t>(c_.n_heads) * context_);
  }
  for (int l = 0; l < c_.n_layers; ++l) {
    const LlamaModel::Layer& L = m.layer(l);
    for (int t = 0; t < n; ++t) {
      RmsNorm(&x_[static_cast<size_t>(t) * dim], L.attn_norm.data(), dim,
              c_.norm_eps, &xb_[static_cast<size_t>(t) * dim]);
    }
    MatMul(*L.wq, xb_.data(), n, q_.data(), pool_);
    MatMul(*L.wk, xb_.data(), n, k_.data(), pool_);
    MatMul(*L.wv, xb_.data(), n, v_.data(), pool_);
    for (int t = 0; t < n; ++t) {
      Rope(&q_[static_cast<size_t>(t) * q_dim], c_.n_heads, t);
      Rope(&k_[static_cast<size_t>(t) * kv_dim], c_.n_kv_heads, t);
    }
    std::vector<float>& kc = k_cache_[l];
    std::vector<float>& vc = v_cache_[l];
    kc.resize(static_cast<size_t>(pos_ + n) * kv_dim);
    vc.resize(static_cast<size_t>(pos_ + n) * kv_dim);
    std::copy_n(k_.begin(), static_cast<size_t>(n) * kv_dim,
                kc.begin() + static_cast<int64_t>(pos_) * kv_dim);
    std::copy_n(v_.begin(), static_cast<size_t>(n) * kv_dim,
                vc.begin() + static_cast<int64_t>(pos_) * kv_dim);
    Attention(l, n);
    MatMul(*L.wo, att_out_.data(), n, xb_.data(), pool_);
    for (size_t i = 0; i < static_cast<size_t>(n) * dim; ++i) x_[i] += xb_[i];
    for (int t = 0; t < n; ++t) {
      RmsNorm(&x_[static_cast<size_t>(t) * dim], L.ffn_norm.data(), dim,
              c_.norm_eps, &xb_[static_cast<size_t>(t) * dim]);
    }
    MatMul(*L.w1, xb_.data(), n, h1_.data(), pool_);
    MatMul(*L.w3, xb_.data(), n, h3_.data(), pool_);
    for (size_t i = 0; i < static_cast<size_t>(n) * c_.hidden_dim; ++i) {
      const float g = h1_[i];
      h1_[i] = g / (1.0f + std::exp(-g)) * h3_[i];
    }
    MatMul(*L.w2, h1_.data(), n, xb_.data(), pool_);
    for (size_t i = 0; i < static_cast<size_t>(n) * dim; ++i) x_[i] += xb_[i];
  }
  for (int t = 0; t < n; ++t) {
    RmsNorm(&x_[static_cast<size_t>(t) * dim], m.final_norm().data(), dim,
            c_.norm_eps, &xb_[static_cast<size_t>(t) * dim]);
  }
  MatMul(m.output(), xb_.data(), n, logits_.data(), pool_);
  pos_ += n;
  return absl::Span<const float>(logits_.data(),
                                 static_cast<size_t>(n) * c_.vocab_size);
}

}  // namespace seedlm
