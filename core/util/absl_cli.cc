#include "core/util/absl_cli.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "core/util/version.h"

namespace seedlm {
namespace {

// Copies argv into *storage with '-' -> '_' in the name part of every
// "--name[=value]" argument (absl's flag names use underscores, the
// binaries' flags dashes), and returns pointers into *storage for
// absl::ParseCommandLine.
std::vector<char*> UnderscoreFlagNames(int argc, char** argv,
                                       std::vector<std::string>* storage) {
  storage->assign(argv, argv + argc);
  std::vector<char*> out;
  for (std::string& a : *storage) {
    if (a.rfind("--", 0) == 0) {
      const size_t end = std::min(a.find('='), a.size());
      std::replace(a.begin() + 2, a.begin() + static_cast<long>(end), '-', '_');
    }
    out.push_back(a.data());
  }
  return out;
}

bool IsNumber(const absl::CommandLineFlag& f) {
  return f.IsOfType<int>() || f.IsOfType<int64_t>() || f.IsOfType<uint64_t>() ||
         f.IsOfType<uint32_t>() || f.IsOfType<int16_t>() ||
         f.IsOfType<uint16_t>() || f.IsOfType<double>() || f.IsOfType<float>();
}

bool EndsWithAny(absl::string_view name,
                 std::initializer_list<absl::string_view> suffixes) {
  for (absl::string_view s : suffixes) {
    if (absl::EndsWith(name, s)) return true;
  }
  return false;
}

FlagDoc DocOf(const absl::CommandLineFlag& f, const AbslCliSpec& spec) {
  FlagDoc d;
  d.name = absl::StrReplaceAll(f.Name(), {{"_", "-"}});
  d.help = f.Help();
  if (f.IsOfType<bool>()) return d;
  d.default_value = f.DefaultValue();
  if (auto it = spec.choices.find(d.name); it != spec.choices.end()) {
    d.kind = FlagValueKind::kChoice;
    d.choices = it->second;
  } else if (IsNumber(f)) {
    d.kind = FlagValueKind::kNumber;
    d.value_name = f.IsOfType<double>() || f.IsOfType<float>() ? "X" : "N";
  } else if (EndsWithAny(d.name, {"-dir", "-root"})) {
    d.kind = FlagValueKind::kDir;
  } else if (EndsWithAny(d.name,
                         {"-file", "-cert", "-key", "-ca", "-tokens"}) ||
             d.name == "model" || d.name == "tokenizer" ||
             d.name == "chat-template") {
    d.kind = FlagValueKind::kFile;
  } else {
    d.kind = FlagValueKind::kText;
    if (d.name == "http" || d.name == "server" || d.name == "coordinator" ||
        absl::EndsWith(d.name, "listen")) {
      d.value_name = "HOST:PORT";
    }
  }
  return d;
}

// The registered flag an argument names ("--state-dir", "-state_dir",
// "--nojson"), or nullptr. *negated: a --noNAME of a boolean.
absl::CommandLineFlag* Lookup(std::string name, bool* negated) {
  *negated = false;
  std::replace(name.begin(), name.end(), '-', '_');
  if (absl::CommandLineFlag* f = absl::FindCommandLineFlag(name)) return f;
  if (absl::StartsWith(name, "no")) {
    absl::CommandLineFlag* f = absl::FindCommandLineFlag(name.substr(2));
    if (f != nullptr && f->IsOfType<bool>()) {
      *negated = true;
      return f;
    }
  }
  return nullptr;
}

int UsageError(const AbslCliSpec& spec, absl::string_view why) {
  std::fprintf(stderr, "%s: %s (see %s --help)\n", spec.binary.c_str(),
               std::string(why).c_str(), spec.binary.c_str());
  return 2;
}

int Print(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  return std::fflush(stdout) == 0 && !std::ferror(stdout) ? 0 : 1;
}

// Whether a flag's file (CommandLineFlag::Filename(), which absl's default
// normalization gives without leading slashes) is `main_file` (__FILE__,
// absolute in a build without ccache's base-dir rewrite).
bool IsMainFile(absl::string_view flag_file, absl::string_view main_file) {
  auto strip = [](absl::string_view f) {
    const size_t pos = f.find_first_not_of("\\/");
    return pos == absl::string_view::npos ? absl::string_view() : f.substr(pos);
  };
  return strip(flag_file) == strip(main_file);
}

void ConfigureAbsl(const AbslCliSpec& spec) {
  // absl allows one usage message per process.
  static const bool usage_set = [&spec] {
    absl::SetProgramUsageMessage(absl::StrCat(spec.binary, " ", spec.synopsis));
    return true;
  }();
  (void)usage_set;
  absl::FlagsUsageConfig config;
  const std::string file = spec.main_file;
  config.contains_help_flags = [file](absl::string_view f) {
    return IsMainFile(f, file);
  };
  config.contains_helpshort_flags = config.contains_help_flags;
  const std::string binary = spec.binary;
  config.version_string = [binary] { return VersionLine(binary) + "\n"; };
  absl::SetFlagsUsageConfig(config);
}

}  // namespace

CommandDoc AbslCommandDoc(const AbslCliSpec& spec) {
  CommandDoc doc;
  doc.name = spec.binary;
  doc.synopsis = spec.synopsis;
  doc.summary = spec.description;
  doc.description = spec.description;
  doc.positionals = PositionalKind::kNone;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (!IsMainFile(flag->Filename(), spec.main_file) || flag->IsRetired()) {
      continue;
    }
    doc.flags.push_back(DocOf(*flag, spec));
  }
  std::sort(doc.flags.begin(), doc.flags.end(),
            [](const FlagDoc& a, const FlagDoc& b) { return a.name < b.name; });
  doc.flags.push_back(HelpFlagDoc());
  doc.flags.push_back(VersionFlagDoc());
  doc.flags.push_back(CompletionBashFlagDoc());
  return doc;
}

std::optional<int> HandleAbslCliSurface(int argc, char** argv,
                                        const AbslCliSpec& spec) {
  ConfigureAbsl(spec);
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") break;
    if (arg == "--help" || arg == "-h") {
      return Print(CommandHelpText(spec.binary, AbslCommandDoc(spec)));
    }
    if (arg == "--version") return Print(VersionLine(spec.binary) + "\n");
    if (arg == "--completion-bash") {
      return Print(BashCompletionScript(spec.binary, AbslCommandDoc(spec), {}));
    }
  }
  // The same flags absl will parse, checked first so that a mistake is a
  // usage error (exit 2) with one line.
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") break;
    if (arg.size() < 2 || arg[0] != '-') continue;  // a positional
    std::string name = arg.substr(arg[1] == '-' ? 2 : 1);
    std::optional<std::string> value;
    if (const size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    bool negated = false;
    absl::CommandLineFlag* flag = Lookup(name, &negated);
    if (flag == nullptr) return UsageError(spec, "unknown flag --" + name);
    if (flag->IsOfType<bool>() && (negated || !value.has_value())) continue;
    if (!value.has_value()) {
      if (i + 1 >= argc) {
        return UsageError(spec, "--" + name + " needs a value");
      }
      value = argv[++i];
    }
    if (!IsMainFile(flag->Filename(), spec.main_file)) continue;  // absl's
    std::string error;
    if (!flag->ParseFrom(*value, &error)) {
      return UsageError(spec, absl::StrCat("--", name, ": ", error));
    }
  }
  return std::nullopt;
}

std::optional<int> ParseAbslCommandLine(int argc, char** argv,
                                        const AbslCliSpec& spec,
                                        std::vector<std::string>* positionals) {
  if (std::optional<int> done = HandleAbslCliSurface(argc, argv, spec)) {
    return done;
  }
  std::vector<std::string> storage;
  std::vector<char*> cargs = UnderscoreFlagNames(argc, argv, &storage);
  const std::vector<char*> rest =
      absl::ParseCommandLine(static_cast<int>(cargs.size()), cargs.data());
  if (positionals != nullptr) {
    positionals->assign(rest.begin() + 1, rest.end());
  } else if (rest.size() > 1) {
    return UsageError(spec, absl::StrCat("unexpected argument ", rest[1]));
  }
  return std::nullopt;
}

}  // namespace seedlm
