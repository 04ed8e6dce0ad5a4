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
  const int q_dim = c_.n_heads * c_.head_dim;
  const int kv_dim = c_.n_kv_heads * c_.head_dim;
  x_.resize(c_.dim);
  xb_.resize(std::max(c_.dim, q_dim));
  q_.resize(q_dim);
  k_.resize(kv_dim);
  v_.resize(kv_dim);
  att_out_.resize(q_dim);
  h1_.resize(c_.hidden_dim);
  h3_.resize(c_.hidden_dim);
  logits_.resize(c_.vocab_size);
  rope_cos_.resize(c_.head_dim / 2);
  rope_sin_.resize(c_.head_dim / 2);
  k_cache_.resize(c_.n_layers);
  v_cache_.resize(c_.n_layers);
}

void LlamaSession::Rope(float* v, int n_heads) const {
  const int half = c_.head_dim / 2;
  for (int h = 0; h < n_heads; ++h) {
    float* head = v + h * c_.head_dim;
    for (int i = 0; i < half; ++i) {
      // Interleaved: pair (2i, 2i+1); half split: pair (i, i + half).
      const int a = c_.rope_style == RopeStyle::kInterleaved ? 2 * i : i;
      const int b =
          c_.rope_style == RopeStyle::kInterleaved ? 2 * i + 1 : i + half;
      const float x0 = head[a], x1 = head[b];
      head[a] = x0 * rope_cos_[i] - x1 * rope_sin_[i];
      head[b] = x0 * rope_sin_[i] + x1 * rope_cos_[i];
    }
  }
}

void LlamaSession::Attention(int layer) {
  const int hd = c_.head_dim;
  const int kv_dim = c_.n_kv_heads * hd;
  const int group = c_.n_heads / c_.n_kv_heads;
  const int n = pos_ + 1;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  const float* kc = k_cache_[layer].data();
  const float* vc = v_cache_[layer].data();
  auto head_fn = [&](int64_t h_begin, int64_t h_end) {
    for (int64_t h = h_begin; h < h_end; ++h) {
      const float* q = &q_[h * hd];
      const int64_t kvh = h / group;
      float* s = &scores_[h * context_];
      float max_s = -INFINITY;
      for (int t = 0; t < n; ++t) {
        s[t] = DotF32(q, kc + static_cast<int64_t>(t) * kv_dim + kvh * hd, hd) *
               scale;
        max_s = std::max(max_s, s[t]);
      }
      float sum = 0;
      for (int t = 0; t < n; ++t) {
        s[t] = std::exp(s[t] - max_s);
        sum += s[t];
      }
      float* out = &att_out_[h * hd];
      std::fill_n(out, hd, 0.0f);
      for (int t = 0; t < n; ++t) {
        const float a = s[t] / sum;
        const float* v = vc + static_cast<int64_t>(t) * kv_dim + kvh * hd;
        for (int i = 0; i < hd; ++i) out[i] += a * v[i];
      }
    }
  };
  const int64_t work = static_cast<int64_t>(n) * hd * c_.n_heads;
  if (pool_ == nullptr || pool_->num_threads() == 1 || work < 65536) {
    head_fn(0, c_.n_heads);
  } else {
    pool_->ParallelFor(c_.n_heads, 1, head_fn);
  }
}

absl::StatusOr<absl::Span<const float>> LlamaSession::Forward(int32_t token) {
  if (token < 0 || token >= c_.vocab_size) {
    return absl::InvalidArgumentError(absl::StrCat(
        "token ", token, " outside the vocabulary of ", c_.vocab_size));
  }
  if (pos_ >= context_) {
    return absl::OutOfRangeError(
        absl::StrCat("context of ", context_, " tokens is full"));
  }
  const LlamaModel& m = *model_;
  const int dim = c_.dim;
  const int kv_dim = c_.n_kv_heads * c_.head_dim;
  m.embedding().GetRow(token, x_.data());
  for (int i = 0; i < c_.head_dim / 2; ++i) {
    const double freq =
        std::pow(c_.rope_theta, -2.0 * i / static_cast<double>(c_.head_dim));
    const double angle = static_cast<double>(pos_) * freq;
    rope_cos_[i] = static_cast<float>(std::cos(angle));
    rope_sin_[i] = static_cast<float>(std::sin(angle));
  }
  if (scores_.size() < static_cast<size_t>(c_.n_heads) * context_) {
    scores_.resize(static_cast<size_t>(c_.n_heads) * context_);
  }
  for (int l = 0; l < c_.n_layers; ++l) {
    const LlamaModel::Layer& L = m.layer(l);
    RmsNorm(x_.data(), L.attn_norm.data(), dim, c_.norm_eps, xb_.data());
    MatVec(*L.wq, xb_.data(), q_.data(), pool_);
    MatVec(*L.wk, xb_.data(), k_.data(), pool_);
    MatVec(*L.wv, xb_.data(), v_.data(), pool_);
    Rope(q_.data(), c_.n_heads);
    Rope(k_.data(), c_.n_kv_heads);
    std::vector<float>& kc = k_cache_[l];
    std::vector<float>& vc = v_cache_[l];
    kc.resize(static_cast<size_t>(pos_ + 1) * kv_dim);
    vc.resize(static_cast<size_t>(pos_ + 1) * kv_dim);
    std::copy(k_.begin(), k_.end(),
              kc.begin() + static_cast<int64_t>(pos_) * kv_dim);
    std::copy(v_.begin(), v_.end(),
              vc.begin() + static_cast<int64_t>(pos_) * kv_dim);
    Attention(l);
    MatVec(*L.wo, att_out_.data(), xb_.data(), pool_);
    for (int i = 0; i < dim; ++i) x_[i] += xb_[i];
    RmsNorm(x_.data(), L.ffn_norm.data(), dim, c_.norm_eps, xb_.data());
    MatVec(*L.w1, xb_.data(), h1_.data(), pool_);
    MatVec(*L.w3, xb_.data(), h3_.data(), pool_);
    for (int i = 0; i < c_.hidden_dim; ++i) {
      const float g = h1_[i];
      h1_[i] = g / (1.0f + std::exp(-g)) * h3_[i];
    }
    MatVec(*L.w2, h1_.data(), xb_.data(), pool_);
    for (int i = 0; i < dim; ++i) x_[i] += xb_[i];
  }
  RmsNorm(x_.data(), m.final_norm().data(), dim, c_.norm_eps, xb_.data());
  MatVec(m.output(), xb_.data(), logits_.data(), pool_);
  ++pos_;
  return absl::Span<const float>(logits_);
}

}  // namespace seedlm
