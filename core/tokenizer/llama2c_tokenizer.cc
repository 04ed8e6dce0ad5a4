#include "core/tokenizer/llama2c_tokenizer.h"

#include <algorithm>
#include <cstring>
#include <queue>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/tokenizer/unicode_util.h"
#include "core/util/status_macros.h"

namespace seedlm {
namespace {

using tokenizer_internal::CheckUtf8;
using tokenizer_internal::IncompleteUtf8Tail;
using tokenizer_internal::SplitChars;
using tokenizer_internal::Utf8Lossy;

constexpr int32_t kUnkId = 0;
constexpr int32_t kBosId = 1;
constexpr int32_t kEosId = 2;
constexpr int32_t kFirstByteId = 3;
// run.c starts its search for the best merge at this score: pairs whose
// merged token scores no higher are never merged.
constexpr float kMinMergeScore = -1e10f;

template <typename T>
T Load(absl::string_view data, size_t pos) {
  T v;
  std::memcpy(&v, data.data() + pos, sizeof(T));
  return v;
}

absl::Status Truncated(size_t token, size_t pos, absl::string_view what) {
  return absl::DataLossError(
      absl::StrCat("llama2.c tokenizer is truncated or corrupt: token ", token,
                   " at byte ", pos, ": ", what));
}

// The byte of a piece of the exact form "<0xXX>" (hex, either case), or -1.
int ParseBytePiece(absl::string_view piece) {
  if (piece.size() != 6 || piece.substr(0, 3) != "<0x" || piece[5] != '>') {
    return -1;
  }
  int v = 0;
  for (int i = 3; i < 5; ++i) {
    const char c = piece[i];
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      d = c - 'A' + 10;
    } else {
      return -1;
    }
    v = v * 16 + d;
  }
  return v;
}

class Llama2cDecodeStream : public DecodeStream {
 public:
  explicit Llama2cDecodeStream(const Llama2cTokenizer* tokenizer)
      : tokenizer_(tokenizer) {}

  std::string Next(int32_t id) override {
    pending_ += tokenizer_->PieceBytes(prev_, id);
    prev_ = id;
    const size_t keep = IncompleteUtf8Tail(pending_);
    std::string out = Utf8Lossy(
        absl::string_view(pending_).substr(0, pending_.size() - keep));
    pending_.erase(0, pending_.size() - keep);
    return out;
  }

  std::string Finish() override {
    std::string out = Utf8Lossy(pending_);
    pending_.clear();
    return out;
  }

 private:
  const Llama2cTokenizer* tokenizer_;
  int32_t prev_ = -1;
  std::string pending_;  // an incomplete UTF-8 sequence
};

// Walks the token records of `data` (after the 4-byte header) without
// allocating: the number of tokens, or the first error.
absl::StatusOr<size_t> CountTokens(absl::string_view data) {
  size_t count = 0;
  for (size_t pos = 4; pos < data.size(); ++count) {
    if (data.size() - pos < 8) {
      return Truncated(count, pos, "no room for score and length");
    }
    const int32_t len = Load<int32_t>(data, pos + 4);
    pos += 8;
    if (len < 0) return Truncated(count, pos, absl::StrCat("length ", len));
    if (static_cast<size_t>(len) > data.size() - pos) {
      return Truncated(count, pos,
                       absl::StrCat("length ", len, " past the end"));
    }
    if (len > kMaxLlama2cTokenBytes) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "llama2.c tokenizer: token ", count, " at byte ", pos, " is ", len,
          " bytes long, over the limit of ", kMaxLlama2cTokenBytes));
    }
    if (count + 1 > static_cast<size_t>(kMaxLlama2cVocabSize)) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "llama2.c tokenizer: more than ", kMaxLlama2cVocabSize, " tokens"));
    }
    pos += len;
  }
  return count;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Llama2cTokenizer>> Llama2cTokenizer::Create(
    absl::string_view data) {
  if (data.size() < 4) {
    return absl::DataLossError(
        absl::StrCat("llama2.c tokenizer has ", data.size(),
                     " bytes, less than its 4-byte header"));
  }
  ASSIGN_OR_RETURN(const size_t count, CountTokens(data));
  if (count == 0) {
    return absl::DataLossError("llama2.c tokenizer has no tokens");
  }
  std::unique_ptr<Llama2cTokenizer> t(new Llama2cTokenizer());
  t->max_token_length_ = Load<int32_t>(data, 0);
  t->pieces_.reserve(count);
  t->scores_.reserve(count);
  t->lookup_.reserve(count);
  for (size_t pos = 4; pos < data.size();) {  // CountTokens checked it all
    const int32_t len = Load<int32_t>(data, pos + 4);
    t->scores_.push_back(Load<float>(data, pos));
    t->pieces_.emplace_back(data.substr(pos + 8, len));
    t->max_piece_bytes_ = std::max<size_t>(t->max_piece_bytes_, len);
    pos += 8 + len;
  }
  for (size_t i = 0; i < t->pieces_.size(); ++i) {
    t->lookup_.emplace(t->pieces_[i], static_cast<int32_t>(i));  // first wins
  }
  return t;
}

int32_t Llama2cTokenizer::Lookup(absl::string_view text) const {
  auto it = lookup_.find(std::string(text));
  return it == lookup_.end() ? -1 : it->second;
}

void Llama2cTokenizer::MergePairs(std::vector<int32_t>* ids) const {
  struct Candidate {
    float score;
    int32_t pos;  // index of the left token (order of the live tokens)
    int32_t left, right, merged;
    bool operator<(const Candidate& o) const {  // top = best score, leftmost
      return score != o.score ? score < o.score : pos > o.pos;
    }
  };
  std::vector<int32_t>& id = *ids;
  const int32_t n = static_cast<int32_t>(id.size());
  std::vector<int32_t> prev(n), next(n);
  std::vector<bool> alive(n, true);
  for (int32_t i = 0; i < n; ++i) {
    prev[i] = i - 1;
    next[i] = i + 1 < n ? i + 1 : -1;
  }
  std::priority_queue<Candidate> heap;
  auto push = [&](int32_t pos) {
    if (pos < 0 || next[pos] < 0) return;
    const int32_t a = id[pos], b = id[next[pos]];
    if (pieces_[a].size() + pieces_[b].size() > max_piece_bytes_) return;
    const int32_t m = Lookup(pieces_[a] + pieces_[b]);
    // `>` like run.c: NaN scores never win, nor scores <= -1e10.
    if (m >= 0 && scores_[m] > kMinMergeScore) {
      heap.push({scores_[m], pos, a, b, m});
    }
  };
  for (int32_t i = 0; i + 1 < n; ++i) push(i);
  while (!heap.empty()) {
    const Candidate c = heap.top();
    heap.pop();
    if (!alive[c.pos] || next[c.pos] < 0 || id[c.pos] != c.left ||
        id[next[c.pos]] != c.right) {
      continue;  // stale: one side was merged since
    }
    const int32_t r = next[c.pos];
    id[c.pos] = c.merged;
    alive[r] = false;
    next[c.pos] = next[r];
    if (next[r] >= 0) prev[next[r]] = c.pos;
    push(prev[c.pos]);
    push(c.pos);
  }
  std::vector<int32_t> out;
  out.reserve(n);
  for (int32_t i = 0; i < n; ++i) {
    if (alive[i]) out.push_back(id[i]);
  }
  *ids = std::move(out);
}

absl::StatusOr<std::vector<int32_t>> Llama2cTokenizer::Encode(
    absl::string_view text, bool add_bos, bool add_eos) const {
  RETURN_IF_ERROR(CheckUtf8(text));
  const int32_t vocab = vocab_size();
  auto byte_id = [vocab](uint8_t b) {
    return kFirstByteId + b < vocab ? kFirstByteId + b : kUnkId;
  };
  auto append_char = [&](absl::string_view c, std::vector<int32_t>* ids) {
    const int32_t found = Lookup(c);
    if (found >= 0) {
      ids->push_back(found);
      return;
    }
    for (char b : c) ids->push_back(byte_id(static_cast<uint8_t>(b)));
  };
  std::vector<int32_t> ids;
  ids.reserve(text.size() + 3);
  // BOS takes part in the merge loop, as in run.c (it never merges with a
  // real tokenizer: its piece is "\n<s>\n").
  if (add_bos && bos_id() >= 0) ids.push_back(kBosId);
  if (!text.empty()) append_char(" ", &ids);  // the dummy prefix
  for (absl::string_view c : SplitChars(text)) append_char(c, &ids);
  MergePairs(&ids);
  if (add_eos && eos_id() >= 0) ids.push_back(kEosId);
  return ids;
}

std::string Llama2cTokenizer::PieceBytes(int32_t prev, int32_t id) const {
  if (id < 0 || id >= vocab_size() || id == kUnkId || id == kBosId ||
      id == kEosId) {
    return "";
  }
  absl::string_view piece = pieces_[id];
  if (prev == kBosId && !piece.empty() && piece[0] == ' ') {
    piece.remove_prefix(1);
  }
  const int byte = ParseBytePiece(piece);
  if (byte >= 0) return std::string(1, static_cast<char>(byte));
  return std::string(piece);
}

std::string Llama2cTokenizer::Decode(absl::Span<const int32_t> ids) const {
  std::string bytes;
  int32_t prev = -1;
  for (int32_t id : ids) {
    bytes += PieceBytes(prev, id);
    prev = id;
  }
  return Utf8Lossy(bytes);
}

std::unique_ptr<DecodeStream> Llama2cTokenizer::NewDecodeStream() const {
  return std::make_unique<Llama2cDecodeStream>(this);
}

}  // namespace seedlm
