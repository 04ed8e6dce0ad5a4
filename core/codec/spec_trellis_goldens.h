// The seed-trellis kinds of docs/SPEC.md's golden lines (§13.6), computed
// with the codec's trellis functions and the reference trellis search. Used
// by spec_doc_test.cc, which owns the line grammar (§6); test-only.
#ifndef SEEDLM_CORE_CODEC_SPEC_TRELLIS_GOLDENS_H_
#define SEEDLM_CORE_CODEC_SPEC_TRELLIS_GOLDENS_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace seedlm {

// True for the kinds ComputeTrellisGolden handles ("trellis_*").
bool IsTrellisGoldenKind(const std::string& kind);

// The result tokens of one golden line of a trellis kind, from its key=value
// arguments. INVALID_ARGUMENT for a malformed or missing argument; NOT_FOUND
// for a kind that is not a trellis kind.
absl::StatusOr<std::vector<std::string>> ComputeTrellisGolden(
    const std::string& kind, const std::map<std::string, std::string>& args);

}  // namespace seedlm

#endif  // SEEDLM_CORE_CODEC_SPEC_TRELLIS_GOLDENS_H_
