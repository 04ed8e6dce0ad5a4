#include "core/tokenizer/hf_token_matcher.h"

#include <algorithm>
#include <numeric>
#include <utility>

namespace seedlm {
namespace hf_internal {

void TokenMatcher::Build() {
  // Insert the reversed patterns in sorted order (ties: the first added),
  // so that nodes are created in preorder and each node's children in
  // increasing byte order.
  std::vector<std::string> reversed(patterns_.size());
  for (size_t k = 0; k < patterns_.size(); ++k) {
    reversed[k].assign(patterns_[k].rbegin(), patterns_[k].rend());
  }
  std::vector<int32_t> order(patterns_.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    return reversed[a] < reversed[b];
  });
  std::vector<int32_t> parent = {-1};
  std::vector<uint8_t> byte = {0};
  std::vector<int32_t> value = {-1};
  std::vector<int32_t> path = {0};  // path[d]: node of the previous pattern
  const std::string* prev = nullptr;
  for (int32_t k : order) {
    const std::string& r = reversed[k];
    size_t lcp = 0;
    if (prev != nullptr) {
      const size_t n = std::min(prev->size(), r.size());
      while (lcp < n && (*prev)[lcp] == r[lcp]) ++lcp;
    }
    path.resize(lcp + 1);
    for (size_t d = lcp; d < r.size(); ++d) {
      parent.push_back(path[d]);
      byte.push_back(static_cast<uint8_t>(r[d]));
      value.push_back(-1);
      path.push_back(static_cast<int32_t>(parent.size() - 1));
    }
    if (value[path[r.size()]] < 0) value[path[r.size()]] = k;
    prev = &r;
  }
  const size_t nodes = parent.size();
  // Children, grouped by parent (creation order keeps them sorted by byte).
  edge_begin_.assign(nodes + 1, 0);
  for (size_t v = 1; v < nodes; ++v) ++edge_begin_[parent[v] + 1];
  for (size_t u = 0; u < nodes; ++u) edge_begin_[u + 1] += edge_begin_[u];
  edge_byte_.resize(nodes - 1);
  edge_child_.resize(nodes - 1);
  std::vector<uint32_t> fill(edge_begin_.begin(), edge_begin_.end() - 1);
  for (size_t v = 1; v < nodes; ++v) {
    const uint32_t e = fill[parent[v]]++;
    edge_byte_[e] = byte[v];
    edge_child_[e] = static_cast<int32_t>(v);
  }
  // Failure links and outputs, breadth first.
  fail_.assign(nodes, 0);
  out_.assign(nodes, -1);
  out_[0] = value[0];
  std::vector<int32_t> queue = {0};
  for (size_t head = 0; head < queue.size(); ++head) {
    const int32_t u = queue[head];
    for (uint32_t e = edge_begin_[u]; e < edge_begin_[u + 1]; ++e) {
      const int32_t v = edge_child_[e];
      int32_t f = 0;
      if (u != 0) {
        f = fail_[u];
        while (f != 0 && Child(f, edge_byte_[e]) < 0) f = fail_[f];
        const int32_t w = Child(f, edge_byte_[e]);
        f = w >= 0 ? w : 0;
      }
      fail_[v] = f;
      out_[v] = value[v] >= 0 ? value[v] : out_[f];
      queue.push_back(v);
    }
  }
}

int32_t TokenMatcher::Child(int32_t node, uint8_t c) const {
  const auto first = edge_byte_.begin() + edge_begin_[node];
  const auto last = edge_byte_.begin() + edge_begin_[node + 1];
  const auto it = std::lower_bound(first, last, c);
  if (it == last || *it != c) return -1;
  return edge_child_[it - edge_byte_.begin()];
}

std::vector<int32_t> TokenMatcher::LongestAt(absl::string_view text) const {
  std::vector<int32_t> out(text.size(), -1);
  if (patterns_.empty()) return out;
  int32_t state = 0;
  for (size_t i = text.size(); i-- > 0;) {
    const uint8_t c = static_cast<uint8_t>(text[i]);
    int32_t next;
    while ((next = Child(state, c)) < 0 && state != 0) state = fail_[state];
    state = next >= 0 ? next : 0;
    out[i] = out_[state];
  }
  return out;
}

}  // namespace hf_internal
}  // namespace seedlm
