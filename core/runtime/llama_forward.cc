#include "core/runtime/llama_forward.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "core/util/status_macros.h"

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

LlamaForward::LlamaForward(const LlamaModel* model, ThreadPool* pool)
    : model_(model), c_(model->config()), pool_(pool) {
  Resize(1);
}

void LlamaForward::Resize(int n) {
  if (n == batch_) return;
  batch_ = n;
  const size_t q_dim = static_cast<size_t>(c_.n_heads) * c_.head_dim;
  const size_t kv_dim = static_cast<size_t>(c_.n_kv_heads) * c_.head_dim;
  xb_.resize(n * std::max<size_t>(c_.dim, q_dim));
  q_.resize(n * q_dim);
  k_.resize(n * kv_dim);
  v_.resize(n * kv_dim);
  att_out_.resize(n * q_dim);
  h1_.resize(n * static_cast<size_t>(c_.hidden_dim));
  h3_.resize(n * static_cast<size_t>(c_.hidden_dim));
  rope_cos_.resize(n * static_cast<size_t>(c_.head_dim / 2));
  rope_sin_.resize(n * static_cast<size_t>(c_.head_dim / 2));
}

// The number of tokens whose hidden states `hidden_size` floats hold.
absl::StatusOr<int> LlamaForward::Tokens(size_t hidden_size) const {
  if (hidden_size == 0 || hidden_size % c_.dim != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("hidden states of ", hidden_size,
                     " floats are not a positive multiple of dim ", c_.dim));
  }
  return static_cast<int>(hidden_size / c_.dim);
}

absl::Status LlamaForward::Embed(absl::Span<const int32_t> tokens,
                                 absl::Span<float> hidden) const {
  if (tokens.empty()) return absl::InvalidArgumentError("no tokens to feed");
  if (!model_->has_embedding()) {
    return absl::FailedPreconditionError("the model has no token embedding");
  }
  for (int32_t token : tokens) {
    if (token < 0 || token >= c_.vocab_size) {
      return absl::InvalidArgumentError(absl::StrCat(
          "token ", token, " outside the vocabulary of ", c_.vocab_size));
    }
  }
  if (hidden.size() != tokens.size() * c_.dim) {
    return absl::InvalidArgumentError(
        absl::StrCat("hidden states of ", hidden.size(), " floats for ",
                     tokens.size(), " tokens of dim ", c_.dim));
  }
  for (size_t t = 0; t < tokens.size(); ++t) {
    model_->embedding().GetRow(tokens[t], &hidden[t * c_.dim]);
  }
  return absl::OkStatus();
}

absl::Status LlamaForward::CheckLayers(int begin, int end) const {
  // The loaded layers are one range: [begin, end) must lie inside it.
  // (A negative begin is CheckWrite's INVALID_ARGUMENT.)
  const int b = std::max(begin, 0);
  if (b < end && (b < model_->layer_begin() || end > model_->layer_end())) {
    const int l =
        b < model_->layer_begin() ? b : std::max(b, model_->layer_end());
    return absl::FailedPreconditionError(
        absl::StrCat("layer ", l, " is not loaded (the model holds layers [",
                     model_->layer_begin(), ", ", model_->layer_end(), "))"));
  }
  return absl::OkStatus();
}

absl::Status LlamaForward::RunLayers(int begin, int end, int pos,
                                     absl::Span<float> hidden, KvCache* cache) {
  ASSIGN_OR_RETURN(const int n, Tokens(hidden.size()));
  const SequenceRows one{cache, pos, n};
  return RunLayersBatch(begin, end, absl::MakeConstSpan(&one, 1), hidden);
}

absl::Status LlamaForward::RunLayersBatch(int begin, int end,
                                          absl::Span<const SequenceRows> seqs,
                                          absl::Span<float> hidden) {
  ASSIGN_OR_RETURN(const int n, Tokens(hidden.size()));
  if (seqs.empty()) return absl::InvalidArgumentError("no sequence to run");
  RETURN_IF_ERROR(CheckLayers(begin, end));
  int64_t rows = 0;
  int max_attended = 0;
  for (size_t i = 0; i < seqs.size(); ++i) {
    const SequenceRows& s = seqs[i];
    if (s.cache == nullptr || s.n < 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("sequence ", i, " has no cache or no rows"));
    }
    for (size_t j = 0; j < i; ++j) {
      if (seqs[j].cache == s.cache) {
        return absl::InvalidArgumentError(
            absl::StrCat("sequences ", j, " and ", i, " share a cache"));
      }
    }
    RETURN_IF_ERROR(s.cache->CheckWrite(begin, end, s.pos, s.n));
    rows += s.n;
    max_attended = std::max(max_attended, s.pos + s.n);
  }
  if (rows != n) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the sequences hold ", rows, " rows, the hidden states ", n));
  }
  if (begin == end) return absl::OkStatus();
  Resize(n);
  SetRope(seqs);
  const size_t attended = static_cast<size_t>(max_attended) * c_.n_heads;
  if (scores_.size() < attended) scores_.resize(attended);
  for (int l = begin; l < end; ++l) Layer(l, seqs, n, hidden.data());
  return absl::OkStatus();
}

absl::Status LlamaForward::Head(absl::Span<const float> hidden,
                                absl::Span<float> logits) {
  ASSIGN_OR_RETURN(const int n, Tokens(hidden.size()));
  if (!model_->has_head()) {
    return absl::FailedPreconditionError("the model has no output head");
  }
  if (logits.size() != static_cast<size_t>(n) * c_.vocab_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("logits of ", logits.size(), " floats for ", n,
                     " tokens of vocabulary ", c_.vocab_size));
  }
  Resize(n);
  const int dim = c_.dim;
  for (int t = 0; t < n; ++t) {
    RmsNorm(&hidden[static_cast<size_t>(t) * dim], model_->final_norm().data(),
            dim, c_.norm_eps, &xb_[static_cast<size_t>(t) * dim]);
  }
  MatMul(model_->output(), xb_.data(), n, logits.data(), pool_);
  return absl::OkStatus();
}

// The rotary angles of every batch row: the rows of seqs[0] (positions
// pos .. pos + n - 1), then those of seqs[1], ...
void LlamaForward::SetRope(absl::Span<const SequenceRows> seqs) {
  const int half = c_.head_dim / 2;
  size_t row = 0;
  for (const SequenceRows& s : seqs) {
    for (int t = 0; t < s.n; ++t, ++row) {
      for (int i = 0; i < half; ++i) {
        const double freq = std::pow(
            c_.rope_theta, -2.0 * i / static_cast<double>(c_.head_dim));
        const double angle = static_cast<double>(s.pos + t) * freq;
        rope_cos_[row * half + i] = static_cast<float>(std::cos(angle));
        rope_sin_[row * half + i] = static_cast<float>(std::sin(angle));
      }
    }
  }
}

// Rotates the n_heads heads of v (one token, batch row t).
void LlamaForward::Rope(float* v, int n_heads, int t) const {
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

// Causal attention of one sequence's n tokens (positions pos .. pos + n - 1,
// batch rows row .. row + n - 1) over its cache, which already holds their
// keys and values.
void LlamaForward::Attention(int layer, int pos, int n_tokens, int row,
                             const KvCache& cache) {
  const int hd = c_.head_dim;
  const int q_dim = c_.n_heads * hd;
  const int kv_dim = c_.n_kv_heads * hd;
  const int group = c_.n_heads / c_.n_kv_heads;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  const float* kc = cache.keys(layer);
  const float* vc = cache.values(layer);
  const int64_t stride = pos + n_tokens;  // scores per head
  auto head_fn = [&](int64_t h_begin, int64_t h_end) {
    for (int64_t h = h_begin; h < h_end; ++h) {
      const int64_t kvh = h / group;
      float* s = &scores_[h * stride];
      for (int tok = 0; tok < n_tokens; ++tok) {
        const int n = pos + tok + 1;
        const float* q = &q_[static_cast<size_t>(row + tok) * q_dim + h * hd];
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
        float* out = &att_out_[static_cast<size_t>(row + tok) * q_dim + h * hd];
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
      static_cast<int64_t>(pos + n_tokens) * n_tokens * hd * c_.n_heads;
  if (pool_ == nullptr || pool_->num_threads() == 1 || work < 65536) {
    head_fn(0, c_.n_heads);
  } else {
    pool_->ParallelFor(c_.n_heads, 1, head_fn);
  }
}

// One transformer layer over x (n x dim, the residual stream of every
// sequence's rows), in place.
void LlamaForward::Layer(int l, absl::Span<const SequenceRows> seqs, int n,
                         float* x) {
  const LlamaModel::Layer& L = model_->layer(l);
  const int dim = c_.dim;
  const int q_dim = c_.n_heads * c_.head_dim;
  const int kv_dim = c_.n_kv_heads * c_.head_dim;
  for (int t = 0; t < n; ++t) {
    RmsNorm(&x[static_cast<size_t>(t) * dim], L.attn_norm.data(), dim,
            c_.norm_eps, &xb_[static_cast<size_t>(t) * dim]);
  }
  MatMul(*L.wq, xb_.data(), n, q_.data(), pool_);
  MatMul(*L.wk, xb_.data(), n, k_.data(), pool_);
  MatMul(*L.wv, xb_.data(), n, v_.data(), pool_);
  for (int t = 0; t < n; ++t) {
    Rope(&q_[static_cast<size_t>(t) * q_dim], c_.n_heads, t);
    Rope(&k_[static_cast<size_t>(t) * kv_dim], c_.n_kv_heads, t);
  }
  int row = 0;
  for (const SequenceRows& s : seqs) {
    s.cache->Write(l, s.pos, s.n, &k_[static_cast<size_t>(row) * kv_dim],
                   &v_[static_cast<size_t>(row) * kv_dim]);
    Attention(l, s.pos, s.n, row, *s.cache);
    row += s.n;
  }
  MatMul(*L.wo, att_out_.data(), n, xb_.data(), pool_);
  for (size_t i = 0; i < static_cast<size_t>(n) * dim; ++i) x[i] += xb_[i];
  for (int t = 0; t < n; ++t) {
    RmsNorm(&x[static_cast<size_t>(t) * dim], L.ffn_norm.data(), dim,
            c_.norm_eps, &xb_[static_cast<size_t>(t) * dim]);
  }
  MatMul(*L.w1, xb_.data(), n, h1_.data(), pool_);
  MatMul(*L.w3, xb_.data(), n, h3_.data(), pool_);
  for (size_t i = 0; i < static_cast<size_t>(n) * c_.hidden_dim; ++i) {
    const float g = h1_[i];
    h1_[i] = g / (1.0f + std::exp(-g)) * h3_[i];
  }
  MatMul(*L.w2, h1_.data(), n, xb_.data(), pool_);
  for (size_t i = 0; i < static_cast<size_t>(n) * dim; ++i) x[i] += xb_[i];
}

}  // namespace seedlm
