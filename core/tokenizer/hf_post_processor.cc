#include "core/tokenizer/hf_post_processor.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/util/status_macros.h"

namespace seedlm {
namespace hf_internal {
namespace {

// The ids of special token `name` of a TemplateProcessing.
absl::StatusOr<std::vector<int32_t>> SpecialIds(const Json& specials,
                                                const std::string& name,
                                                absl::string_view path) {
  const Json& s = MemberOrNull(specials, name);
  if (s.is_null()) {
    return Malformed(path, absl::StrCat("special token \"", name,
                                        "\" is not in special_tokens"));
  }
  ASSIGN_OR_RETURN(const Json* ids, GetArray(s, "ids", path));
  std::vector<int32_t> out;
  for (const Json& id : *ids) {
    if (AsId(id) < 0) {
      return Malformed(path, absl::StrCat("bad id for \"", name, "\""));
    }
    out.push_back(AsId(id));
  }
  return out;
}

// One template piece: true for the sequence ($A), else *name = special.
absl::StatusOr<bool> PieceOf(const Json& piece, std::string* name,
                             absl::string_view path) {
  if (piece.is_string()) {  // the "$A" / "<s>:0" string forms
    absl::StatusOr<std::string> text = JsonAsString(piece, Where(path));
    if (!text.ok()) return text.status();
    const std::string& s = *text;
    if (absl::StartsWith(s, "$")) {
      if (absl::StartsWith(s, "$B") || absl::StartsWith(s, "$1")) {
        return Malformed(path, "the single template uses sequence B");
      }
      return true;
    }
    *name = s.substr(0, s.find(':'));
    return false;
  }
  const Json& sequence = MemberOrNull(piece, "Sequence");
  if (!sequence.is_null()) {
    ASSIGN_OR_RETURN(std::string id, GetString(sequence, "id", path));
    if (id != "A") {
      return Malformed(path, "the single template uses sequence B");
    }
    return true;
  }
  const Json& special = MemberOrNull(piece, "SpecialToken");
  if (!special.is_null()) {
    ASSIGN_OR_RETURN(*name, GetString(special, "id", path));
    return false;
  }
  return Malformed(path,
                   "expected {\"Sequence\": ...} or {\"SpecialToken\": ...}");
}

absl::StatusOr<SpecialWrap> ParseTemplate(const Json& j,
                                          absl::string_view path) {
  ASSIGN_OR_RETURN(const Json* single, GetArray(j, "single", path));
  const Json& specials = MemberOrNull(j, "special_tokens");
  SpecialWrap w;
  w.has_template = true;
  bool seen_sequence = false;
  for (size_t i = 0; i < single->size(); ++i) {
    const std::string where = absl::StrCat(path, ".single[", i, "]");
    std::string name;
    ASSIGN_OR_RETURN(bool is_sequence, PieceOf((*single)[i], &name, where));
    if (is_sequence) {
      seen_sequence = true;
      continue;
    }
    ASSIGN_OR_RETURN(std::vector<int32_t> ids,
                     SpecialIds(specials, name, where));
    std::vector<int32_t>& side = seen_sequence ? w.after : w.before;
    side.insert(side.end(), ids.begin(), ids.end());
  }
  if (!seen_sequence) {
    return Malformed(path, "the single template has no $A");
  }
  return w;
}

absl::StatusOr<SpecialWrap> Parse(const Json& j, absl::string_view path,
                                  int depth, ComponentCounter* counter) {
  if (j.is_null()) return SpecialWrap();
  RETURN_IF_ERROR(counter->Count(path, depth));
  ASSIGN_OR_RETURN(std::string type, TypeOf(j, path));
  if (type == "TemplateProcessing") return ParseTemplate(j, path);
  if (type == "ByteLevel") return SpecialWrap();
  if (type != "Sequence") return Unsupported(path, "post_processor", type);
  ASSIGN_OR_RETURN(const Json* list, GetArray(j, "processors", path));
  SpecialWrap w;
  for (size_t i = 0; i < list->size(); ++i) {
    ASSIGN_OR_RETURN(
        SpecialWrap inner,
        Parse((*list)[i], absl::StrCat(path, ".processors[", i, "]"), depth + 1,
              counter));
    // Each processor wraps the output of the previous one.
    inner.before.insert(inner.before.end(), w.before.begin(), w.before.end());
    w.after.insert(w.after.end(), inner.after.begin(), inner.after.end());
    w.before = std::move(inner.before);
    w.has_template |= inner.has_template;
  }
  return w;
}

}  // namespace

absl::StatusOr<SpecialWrap> ParsePostProcessor(const Json& j,
                                               absl::string_view path) {
  ComponentCounter counter;
  return Parse(j, path, 0, &counter);
}

}  // namespace hf_internal
}  // namespace seedlm
