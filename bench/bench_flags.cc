#include "bench/bench_flags.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace seedlm {

void FlagSet::AddInt(const std::string& name, int64_t* out,
                     const std::string& help) {
  flags_.push_back(
      {name, help, absl::StrCat(*out), false,
       [out](absl::string_view v) { return absl::SimpleAtoi(v, out); }});
}

void FlagSet::AddUint(const std::string& name, uint64_t* out,
                      const std::string& help) {
  flags_.push_back(
      {name, help, absl::StrCat(*out), false,
       [out](absl::string_view v) { return absl::SimpleAtoi(v, out); }});
}

void FlagSet::AddString(const std::string& name, std::string* out,
                        const std::string& help) {
  flags_.push_back({name, help, *out, false, [out](absl::string_view v) {
                      *out = std::string(v);
                      return true;
                    }});
}

void FlagSet::AddBool(const std::string& name, bool* out,
                      const std::string& help) {
  flags_.push_back(
      {name, help, *out ? "true" : "false", true,
       [out](absl::string_view v) { return absl::SimpleAtob(v, out); }});
}

const FlagSet::Flag* FlagSet::Find(absl::string_view name) const {
  for (const Flag& f : flags_) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

absl::Status FlagSet::Parse(const std::vector<std::string>& args) {
  for (size_t i = 0; i < args.size(); ++i) {
    absl::string_view arg = args[i];
    if (arg == "--help" || arg == "-h") {
      wants_help_ = true;
      return absl::OkStatus();
    }
    if (arg.substr(0, 2) != "--") {
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected argument '", arg, "'"));
    }
    arg.remove_prefix(2);
    const size_t eq = arg.find('=');
    const absl::string_view name = arg.substr(0, eq);
    const Flag* flag = Find(name);
    if (flag == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name));
    }
    std::string value;
    if (eq != absl::string_view::npos) {
      value = std::string(arg.substr(eq + 1));
    } else if (flag->is_bool) {
      value = "true";
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("flag --", name, " needs a value"));
    }
    if (!flag->set(value)) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad value '", value, "' for flag --", name));
    }
  }
  return absl::OkStatus();
}

std::string FlagSet::Usage() const {
  std::string out;
  for (const Flag& f : flags_) {
    absl::StrAppend(&out, "  --", f.name, "=", f.default_value, "\n      ",
                    f.help, "\n");
  }
  return out;
}

std::vector<std::string> SplitList(absl::string_view s) {
  return absl::StrSplit(s, ',', absl::SkipEmpty());
}

}  // namespace seedlm
