#include "client/cli/args.h"

#include <cmath>
#include <limits>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace seedlm::cli {

std::string Args::Get(const std::string& f, const std::string& def) const {
  auto it = values.find(f);
  return it == values.end() ? def : it->second.back();
}

const std::vector<std::string>& Args::All(const std::string& f) const {
  static const std::vector<std::string> kEmpty;
  auto it = values.find(f);
  return it == values.end() ? kEmpty : it->second;
}

absl::StatusOr<long long> Args::GetInt(const std::string& f,
                                       long long def) const {
  if (!Has(f)) return def;
  long long v = 0;
  if (!absl::SimpleAtoi(Get(f), &v)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", f, " expects an integer, got '", Get(f), "'"));
  }
  return v;
}

absl::StatusOr<int64_t> Args::GetIntIn(const std::string& f, int64_t def,
                                       int64_t min, int64_t max) const {
  if (!Has(f)) return def;
  int64_t v = 0;
  if (!absl::SimpleAtoi(Get(f), &v) || v < min || v > max) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", f, " must be an integer in ", min, "..", max,
                     ", got '", Get(f), "'"));
  }
  return v;
}

absl::StatusOr<uint64_t> Args::GetUint64(const std::string& f,
                                         uint64_t def) const {
  if (!Has(f)) return def;
  const std::string& s = Get(f);
  uint64_t v = 0;
  // SimpleAtoi into an unsigned type would wrap "-1"; refuse any sign.
  if (s.find_first_of("+-") != std::string::npos || !absl::SimpleAtoi(s, &v)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", f, " must be an integer in 0..",
                     std::numeric_limits<uint64_t>::max(), ", got '", s, "'"));
  }
  return v;
}

absl::StatusOr<double> Args::GetDoubleIn(const std::string& f, double def,
                                         double min, double max) const {
  if (!Has(f)) return def;
  double v = 0;
  if (!absl::SimpleAtod(Get(f), &v) || !std::isfinite(v) || v < min ||
      v > max) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", f, " must be a number in ", min, "..", max,
                     ", got '", Get(f), "'"));
  }
  return v;
}

absl::StatusOr<Args> ParseArgs(int argc, char** argv, int first,
                               const FlagSpec& spec) {
  Args args;
  bool flags_done = false;
  for (int i = first; i < argc; ++i) {
    std::string a = argv[i];
    if (flags_done || a.size() < 3 || a.compare(0, 2, "--") != 0) {
      if (a == "--") {
        flags_done = true;
        continue;
      }
      args.positional.push_back(a);
      continue;
    }
    std::string name = a.substr(2);
    std::string value;
    const size_t eq = name.find('=');
    const bool has_eq = eq != std::string::npos;
    if (has_eq) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (spec.boolean.count(name)) {
      if (has_eq) {
        return absl::InvalidArgumentError(
            absl::StrCat("--", name, " takes no value"));
      }
      args.bools.insert(name);
      continue;
    }
    if (!spec.with_value.count(name)) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name));
    }
    if (!has_eq) {
      if (i + 1 >= argc) {
        return absl::InvalidArgumentError(
            absl::StrCat("--", name, " needs a value"));
      }
      value = argv[++i];
    }
    auto& slot = args.values[name];
    if (!slot.empty() && !spec.repeated.count(name)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", name, " given more than once"));
    }
    slot.push_back(value);
  }
  return args;
}

}  // namespace seedlm::cli
