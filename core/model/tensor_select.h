// Which tensors of a model get compressed (the --include / --exclude flags).
//
// By default the selection is every linear-layer weight of the transformer
// blocks, in the naming of each supported source format (matched against the
// whole name, optionally after a dotted prefix such as "model." or
// "model.language_model."):
//   llama2.c / Meta:  layers.N.attention.w{q,k,v,o}.weight,
//                     layers.N.feed_forward.w{1,2,3}.weight
//   Hugging Face:     layers.N.self_attn.{q,k,v,o}_proj.weight,
//                     layers.N.mlp.{gate,up,down}_proj.weight
//   GGUF:             blk.N.attn_{q,k,v,output}.weight,
//                     blk.N.ffn_{gate,up,down}.weight
// Embeddings, norms and the output head are kept uncompressed.
//
// Include patterns (RE2 syntax, RE2::PartialMatch, any one matching) replace
// the default set; exclude patterns (same rules) then remove names. Only
// tensors with at least two dimensions and at least one element can ever be
// selected: an include pattern matching a 1-D tensor (a norm, a bias) does
// not select it. Use NameMatches() to report such names.
#ifndef SEEDLM_CORE_MODEL_TENSOR_SELECT_H_
#define SEEDLM_CORE_MODEL_TENSOR_SELECT_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/model/model_source.h"

namespace re2 {
class RE2;
}  // namespace re2

namespace seedlm {

// Immutable after Create(); cheap to copy; safe to use from several threads.
class TensorSelector {
 public:
  // INVALID_ARGUMENT (quoting the pattern and RE2's error) for a pattern that
  // does not compile. Empty `include` means the default set.
  static absl::StatusOr<TensorSelector> Create(
      std::vector<std::string> include, std::vector<std::string> exclude);

  // True if `name` is in the include set (or default set) and not excluded,
  // regardless of shape.
  bool NameMatches(absl::string_view name) const;

  // True if the tensor is to be compressed: NameMatches(t.name), at least two
  // dimensions and a non-zero element count.
  bool Selects(const TensorInfo& t) const;

 private:
  using Patterns = std::vector<std::shared_ptr<const re2::RE2>>;
  TensorSelector(Patterns include, Patterns exclude)
      : include_(std::move(include)), exclude_(std::move(exclude)) {}

  Patterns include_;  // empty: the default set
  Patterns exclude_;
};

}  // namespace seedlm

#endif  // SEEDLM_CORE_MODEL_TENSOR_SELECT_H_
