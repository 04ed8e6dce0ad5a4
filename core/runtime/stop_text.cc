#include "core/runtime/stop_text.h"

#include <algorithm>
#include <utility>

namespace seedlm {

StopText::StopText(std::vector<std::string> stops) {
  for (std::string& s : stops) {
    if (!s.empty()) stops_.push_back(std::move(s));
  }
}

size_t StopText::LongestPrefixSuffix() const {
  size_t best = 0;
  for (const std::string& s : stops_) {
    const size_t most = std::min(held_.size(), s.size() - 1);
    for (size_t k = most; k > best; --k) {
      if (held_.compare(held_.size() - k, k, s, 0, k) == 0) {
        best = k;
        break;
      }
    }
  }
  return best;
}

// Moves the leading events whose text lies within the first `bytes` bytes
// of held_ to *out (whole events only: one that straddles stays held).
void StopText::Release(size_t bytes, std::vector<TokenEvent>* out) {
  size_t taken = 0, n = 0;
  while (n < events_.size() && taken + events_[n].text.size() <= bytes) {
    taken += events_[n].text.size();
    ++n;
  }
  for (size_t i = 0; i < n; ++i) out->push_back(std::move(events_[i]));
  events_.erase(events_.begin(), events_.begin() + n);
  held_.erase(0, taken);
}

bool StopText::Add(TokenEvent event, std::vector<TokenEvent>* out) {
  if (stops_.empty()) {
    out->push_back(std::move(event));
    return false;
  }
  held_ += event.text;
  events_.push_back(std::move(event));
  // The earliest stop string that now occurs in the held text. (None can
  // start in text already released: Release keeps every suffix that is a
  // prefix of a stop string.)
  size_t cut = std::string::npos;
  for (const std::string& s : stops_) cut = std::min(cut, held_.find(s));
  if (cut == std::string::npos) {
    Release(held_.size() - LongestPrefixSuffix(), out);
    return false;
  }
  size_t start = 0;
  for (TokenEvent& e : events_) {
    if (start >= cut) break;
    if (start + e.text.size() > cut) e.text.resize(cut - start);
    start += e.text.size();
    out->push_back(std::move(e));
  }
  events_.clear();
  held_.clear();
  return true;
}

void StopText::Flush(std::vector<TokenEvent>* out) {
  for (TokenEvent& e : events_) out->push_back(std::move(e));
  events_.clear();
  held_.clear();
}

}  // namespace seedlm
