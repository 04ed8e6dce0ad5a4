#include "core/tokenizer/hf_bpe.h"

#include <cstdio>
#include <queue>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/tokenizer/hf_limits.h"
#include "core/tokenizer/unicode_util.h"
#include "core/util/status_macros.h"

namespace seedlm {
namespace hf_internal {
namespace {

uint64_t PairKey(int32_t a, int32_t b) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) |
         static_cast<uint32_t>(b);
}

// One merge "a b" or ["a", "b"].
absl::StatusOr<std::pair<std::string, std::string>> MergePair(
    const Json& m, absl::string_view path) {
  if (m.is_string()) {
    ASSIGN_OR_RETURN(const std::string line, JsonAsString(m, Where(path)));
    std::vector<std::string> parts = absl::StrSplit(line, ' ');
    if (parts.size() != 2) {
      return Malformed(path, absl::StrCat("merge \"", line,
                                          "\" is not two tokens split by one "
                                          "space"));
    }
    return std::make_pair(parts[0], parts[1]);
  }
  if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
    ASSIGN_OR_RETURN(std::string a, JsonAsString(m[0], Where(path)));
    ASSIGN_OR_RETURN(std::string b, JsonAsString(m[1], Where(path)));
    return std::make_pair(std::move(a), std::move(b));
  }
  return Malformed(path, "a merge must be \"a b\" or [\"a\", \"b\"]");
}

absl::Status TooMany(absl::string_view path, absl::string_view what, uint64_t n,
                     uint64_t limit) {
  return absl::ResourceExhaustedError(absl::StrCat(
      Where(path), ": ", n, " ", what, " exceed the limit of ", limit));
}

absl::StatusOr<std::string> Affix(const Json& j, const char* key,
                                  absl::string_view path) {
  ASSIGN_OR_RETURN(std::optional<std::string> s, GetOptString(j, key, path));
  if (s.has_value() && s->size() > kMaxSubwordAffixBytes) {
    return TooMany(absl::StrCat(path, ".", key), "bytes", s->size(),
                   kMaxSubwordAffixBytes);
  }
  return s.value_or("");
}

}  // namespace

absl::StatusOr<std::unique_ptr<BpeModel>> BpeModel::Parse(
    const Json& j, absl::string_view path) {
  if (!j.is_object()) return Malformed(path, "expected an object");
  ASSIGN_OR_RETURN(std::optional<std::string> type,
                   GetOptString(j, "type", path));
  if (type.has_value() && *type != "BPE") {
    return Unsupported(path, "model", *type, "only BPE is supported");
  }
  const Json& dropout = MemberOrNull(j, "dropout");
  if (!dropout.is_null() &&
      !(dropout.is_number() && dropout.get<double>() == 0.0)) {
    return Unsupported(path, "model", "BPE", "dropout must be null or 0");
  }
  std::unique_ptr<BpeModel> m(new BpeModel());
  ASSIGN_OR_RETURN(std::optional<std::string> unk,
                   GetOptString(j, "unk_token", path));
  ASSIGN_OR_RETURN(m->fuse_unk_, GetBool(j, "fuse_unk", false, path));
  ASSIGN_OR_RETURN(m->byte_fallback_, GetBool(j, "byte_fallback", false, path));
  ASSIGN_OR_RETURN(m->ignore_merges_, GetBool(j, "ignore_merges", false, path));
  ASSIGN_OR_RETURN(m->prefix_, Affix(j, "continuing_subword_prefix", path));
  ASSIGN_OR_RETURN(m->suffix_, Affix(j, "end_of_word_suffix", path));
  ASSIGN_OR_RETURN(const Json* vocab, JsonObject(j, "vocab", Where(path)));
  ASSIGN_OR_RETURN(const Json* merges, JsonArray(j, "merges", Where(path)));
  RETURN_IF_ERROR(m->ParseVocab(*vocab, absl::StrCat(path, ".vocab")));
  RETURN_IF_ERROR(m->ParseMerges(*merges, absl::StrCat(path, ".merges")));
  if (unk.has_value()) {
    // Hugging Face fails only when an unknown character needs it; so do we
    // (unk_id_ = -1 marks a missing unk_token).
    m->unk_id_ = m->TokenToId(*unk);
  }
  return m;
}

absl::Status BpeModel::ParseVocab(const Json& vocab, absl::string_view path) {
  if (!vocab.is_object()) return Malformed(path, "expected an object");
  if (static_cast<int64_t>(vocab.size()) > kMaxVocabSize) {
    return TooMany(path, "tokens", vocab.size(), kMaxVocabSize);
  }
  int64_t limit = 0;
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    const int32_t id = AsId(*it);
    if (id < 0) {
      return Malformed(
          path, absl::StrCat("token \"", it.key(), "\" has no valid id"));
    }
    if (id >= kMaxVocabSize) {
      return absl::ResourceExhaustedError(
          absl::StrCat(Where(path), ": id ", id, " is not below the limit of ",
                       kMaxVocabSize));
    }
    if (it.key().size() > kMaxTokenBytes) {
      return TooMany(path, "bytes in a token", it.key().size(), kMaxTokenBytes);
    }
    limit = std::max<int64_t>(limit, id + int64_t{1});
  }
  if (limit > static_cast<int64_t>(vocab.size()) + kMaxIdHoles) {
    return Malformed(path, absl::StrCat("ids up to ", limit - 1, " for ",
                                        vocab.size(), " tokens"));
  }
  tokens_.assign(limit, std::string());
  has_id_.assign(limit, false);
  vocab_.reserve(vocab.size());
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    const int32_t id = AsId(*it);
    vocab_[it.key()] = id;
    if (!has_id_[id]) {
      tokens_[id] = it.key();
      has_id_[id] = true;
    }
  }
  return absl::OkStatus();
}

absl::Status BpeModel::ParseMerges(const Json& merges, absl::string_view path) {
  if (!merges.is_array()) return Malformed(path, "expected an array");
  if (static_cast<int64_t>(merges.size()) > kMaxMerges) {
    return TooMany(path, "merges", merges.size(), kMaxMerges);
  }
  merges_.reserve(merges.size());
  for (size_t i = 0; i < merges.size(); ++i) {
    const std::string where = absl::StrCat(path, "[", i, "]");
    ASSIGN_OR_RETURN(auto pair, MergePair(merges[i], where));
    const int32_t a = TokenToId(pair.first);
    const int32_t b = TokenToId(pair.second);
    if (a < 0 || b < 0) {
      return Malformed(where, absl::StrCat("merge token \"",
                                           a < 0 ? pair.first : pair.second,
                                           "\" is not in the vocabulary"));
    }
    absl::string_view right = pair.second;
    if (!prefix_.empty()) {
      if (right.size() < prefix_.size()) {
        return Malformed(where, "merge token shorter than the subword prefix");
      }
      right.remove_prefix(prefix_.size());
    }
    const std::string merged = absl::StrCat(pair.first, right);
    const int32_t id = TokenToId(merged);
    if (id < 0) {
      return Malformed(where, absl::StrCat("merged token \"", merged,
                                           "\" is not in the vocabulary"));
    }
    merges_[PairKey(a, b)] = {static_cast<int32_t>(i), id};  // last wins
  }
  return absl::OkStatus();
}

int32_t BpeModel::TokenToId(absl::string_view token) const {
  auto it = vocab_.find(std::string(token));
  return it == vocab_.end() ? -1 : it->second;
}

const std::string* BpeModel::IdToToken(int32_t id) const {
  if (id < 0 || id >= id_limit() || !has_id_[id]) return nullptr;
  return &tokens_[id];
}

absl::StatusOr<std::vector<int32_t>> BpeModel::InitialSymbols(
    absl::string_view word) const {
  std::vector<int32_t> out;
  int32_t pending_unk = -1;  // a (possibly fused) unknown run not yet added
  const std::vector<absl::string_view> chars =
      tokenizer_internal::SplitChars(word);
  for (size_t i = 0; i < chars.size(); ++i) {
    std::string s(chars[i]);
    if (i > 0) s.insert(0, prefix_);
    if (i + 1 == chars.size()) s += suffix_;
    const int32_t id = TokenToId(s);
    if (id >= 0) {
      if (pending_unk >= 0) out.push_back(pending_unk);
      pending_unk = -1;
      out.push_back(id);
      continue;
    }
    if (byte_fallback_) {
      std::vector<int32_t> bytes;
      for (unsigned char b : s) {
        char code[8];
        std::snprintf(code, sizeof(code), "<0x%02X>", b);
        const int32_t bid = TokenToId(code);
        if (bid < 0) break;
        bytes.push_back(bid);
      }
      if (bytes.size() == s.size()) {
        // As Hugging Face: a pending unknown run stays pending.
        out.insert(out.end(), bytes.begin(), bytes.end());
        continue;
      }
    }
    if (!unk_id_.has_value()) continue;  // no unk_token: dropped
    if (*unk_id_ < 0) {
      return absl::FailedPreconditionError(
          "tokenizer.json: model.unk_token is not in the vocabulary and the "
          "text has a character it must stand for");
    }
    if (pending_unk >= 0 && !fuse_unk_) out.push_back(pending_unk);
    pending_unk = *unk_id_;
  }
  if (pending_unk >= 0) out.push_back(pending_unk);
  return out;
}

void BpeModel::MergeAll(std::vector<int32_t>* symbols) const {
  struct Merge {
    int32_t rank, pos, new_id;
    bool operator<(const Merge& o) const {  // top = lowest rank, then pos
      return rank != o.rank ? rank > o.rank : pos > o.pos;
    }
  };
  std::vector<int32_t>& id = *symbols;
  const int32_t n = static_cast<int32_t>(id.size());
  std::vector<int32_t> prev(n), next(n);
  std::vector<bool> alive(n, true);
  for (int32_t i = 0; i < n; ++i) {
    prev[i] = i - 1;
    next[i] = i + 1 < n ? i + 1 : -1;
  }
  std::priority_queue<Merge> queue;
  auto push = [&](int32_t pos) {
    if (pos < 0 || next[pos] < 0) return;
    auto it = merges_.find(PairKey(id[pos], id[next[pos]]));
    if (it != merges_.end()) {
      queue.push({it->second.first, pos, it->second.second});
    }
  };
  for (int32_t i = 0; i + 1 < n; ++i) push(i);
  while (!queue.empty()) {
    const Merge top = queue.top();
    queue.pop();
    if (!alive[top.pos] || next[top.pos] < 0) continue;
    const int32_t r = next[top.pos];
    auto it = merges_.find(PairKey(id[top.pos], id[r]));
    // Expired entry: the pair there now merges into something else.
    if (it == merges_.end() || it->second.second != top.new_id) continue;
    id[top.pos] = top.new_id;
    alive[r] = false;
    next[top.pos] = next[r];
    if (next[r] >= 0) prev[next[r]] = top.pos;
    push(prev[top.pos]);
    push(top.pos);
  }
  std::vector<int32_t> out;
  out.reserve(n);
  for (int32_t i = 0; i < n; ++i) {
    if (alive[i]) out.push_back(id[i]);
  }
  *symbols = std::move(out);
}

absl::Status BpeModel::Tokenize(absl::string_view word,
                                std::vector<int32_t>* ids) const {
  if (word.empty()) return absl::OkStatus();
  if (ignore_merges_) {
    const int32_t id = TokenToId(word);
    if (id >= 0) {
      ids->push_back(id);
      return absl::OkStatus();
    }
  }
  ASSIGN_OR_RETURN(std::vector<int32_t> symbols, InitialSymbols(word));
  MergeAll(&symbols);
  ids->insert(ids->end(), symbols.begin(), symbols.end());
  return absl::OkStatus();
}

}  // namespace hf_internal
}  // namespace seedlm
