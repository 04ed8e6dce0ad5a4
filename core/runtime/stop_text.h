// Stop strings over a stream of generated tokens: holds back the text that
// might begin a stop string until it cannot, and cuts the output before the
// first stop string that completes. Used by the batching engine
// (batch_engine.h) so that streamed text never shows a stop string, not even
// its first half.
//
// Thread-safety: one thread at a time.

#ifndef SEEDLM_CORE_RUNTIME_STOP_TEXT_H_
#define SEEDLM_CORE_RUNTIME_STOP_TEXT_H_

#include <string>
#include <vector>

#include "core/runtime/batch_engine.h"

namespace seedlm {

class StopText {
 public:
  // `stops`: non-empty strings (empty ones are ignored).
  explicit StopText(std::vector<std::string> stops);

  // Adds the next generated token (its text piece in event.text). Appends
  // to *out the events that are now final, in order. Returns true when a
  // stop string completed: the events appended end right before it (the
  // event it starts in is cut there, or dropped when nothing of it is
  // left) and everything after it is dropped; do not call Add again.
  bool Add(TokenEvent event, std::vector<TokenEvent>* out);

  // The end of the generation: appends every held event to *out.
  void Flush(std::vector<TokenEvent>* out);

 private:
  // Bytes at the end of held_ that are a proper prefix of some stop string.
  size_t LongestPrefixSuffix() const;
  void Release(size_t bytes, std::vector<TokenEvent>* out);

  std::vector<std::string> stops_;
  std::string held_;                // the text of held_events_, concatenated
  std::vector<TokenEvent> events_;  // held back, in order
};

}  // namespace seedlm

#endif  // SEEDLM_CORE_RUNTIME_STOP_TEXT_H_
