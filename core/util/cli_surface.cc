#include "core/util/cli_surface.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace seedlm {
namespace {

constexpr size_t kWidth = 80;

// Appends `text` word-wrapped at kWidth, each line starting with `indent`.
void AppendWrapped(absl::string_view text, absl::string_view indent,
                   std::string* out) {
  std::string line;
  for (absl::string_view word :
       absl::StrSplit(text, absl::ByAnyChar(" \n"), absl::SkipEmpty())) {
    if (!line.empty() &&
        indent.size() + line.size() + 1 + word.size() > kWidth) {
      absl::StrAppend(out, indent, line, "\n");
      line.clear();
    }
    if (!line.empty()) line += ' ';
    absl::StrAppend(&line, word);
  }
  if (!line.empty()) absl::StrAppend(out, indent, line, "\n");
}

// Appends paragraphs ("\n\n" apart) wrapped, a blank line between them.
void AppendParagraphs(absl::string_view text, absl::string_view indent,
                      std::string* out) {
  bool first = true;
  for (absl::string_view para : absl::StrSplit(text, "\n\n")) {
    if (absl::StripAsciiWhitespace(para).empty()) continue;
    if (!first) out->push_back('\n');
    first = false;
    AppendWrapped(para, indent, out);
  }
}

// Letters, digits and . _ : + - / only: safe unquoted in a shell script.
bool PlainWord(absl::string_view w) {
  if (w.empty()) return false;
  for (char c : w) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) &&
        std::string("._:+-/").find(c) == std::string::npos) {
      return false;
    }
  }
  return true;
}

std::string Words(const std::vector<std::string>& words) {
  std::vector<std::string> plain;
  for (const std::string& w : words) {
    if (PlainWord(w)) plain.push_back(w);
  }
  return absl::StrJoin(plain, " ");
}

std::string FlagWords(const std::vector<FlagDoc>& flags) {
  std::vector<std::string> words;
  for (const FlagDoc& f : flags) words.push_back(absl::StrCat("--", f.name));
  return Words(words);
}

// `case "$prev"` arms for the flags that take a value; each returns.
void AppendValueCases(const std::vector<FlagDoc>& flags,
                      absl::string_view indent, std::string* out) {
  std::vector<std::string> none, files, dirs;
  std::string arms;
  for (const FlagDoc& f : flags) {
    if (!PlainWord(f.name)) continue;
    const std::string flag = absl::StrCat("--", f.name);
    switch (f.kind) {
      case FlagValueKind::kNone:
        break;
      case FlagValueKind::kText:
      case FlagValueKind::kNumber:
        none.push_back(flag);
        break;
      case FlagValueKind::kFile:
        files.push_back(flag);
        break;
      case FlagValueKind::kDir:
        dirs.push_back(flag);
        break;
      case FlagValueKind::kChoice:
        absl::StrAppend(&arms, indent, "  ", flag,
                        ") COMPREPLY=( $(compgen -W \"", Words(f.choices),
                        "\" -- \"$cur\") ); return 0 ;;\n");
        break;
    }
  }
  if (!files.empty()) {
    absl::StrAppend(&arms, indent, "  ", absl::StrJoin(files, "|"),
                    ") compopt -o filenames 2>/dev/null\n", indent,
                    "    COMPREPLY=( $(compgen -f -- \"$cur\") ); return 0 "
                    ";;\n");
  }
  if (!dirs.empty()) {
    absl::StrAppend(&arms, indent, "  ", absl::StrJoin(dirs, "|"),
                    ") compopt -o filenames 2>/dev/null\n", indent,
                    "    COMPREPLY=( $(compgen -d -- \"$cur\") ); return 0 "
                    ";;\n");
  }
  if (!none.empty()) {
    absl::StrAppend(&arms, indent, "  ", absl::StrJoin(none, "|"),
                    ") return 0 ;;\n");
  }
  if (arms.empty()) return;
  absl::StrAppend(out, indent, "case \"$prev\" in\n", arms, indent, "esac\n");
}

// The completion of one command's words after its name.
void AppendCommandBody(const CommandDoc& cmd,
                       const std::vector<std::string>& command_names,
                       absl::string_view indent, std::string* out) {
  AppendValueCases(cmd.flags, indent, out);
  absl::StrAppend(out, indent, "if [[ \"$cur\" == -* ]]; then\n", indent,
                  "  COMPREPLY=( $(compgen -W \"", FlagWords(cmd.flags),
                  "\" -- \"$cur\") ); return 0\n", indent, "fi\n");
  switch (cmd.positionals) {
    case PositionalKind::kNone:
      break;
    case PositionalKind::kFiles:
      absl::StrAppend(out, indent, "compopt -o filenames 2>/dev/null\n", indent,
                      "COMPREPLY=( $(compgen -f -- \"$cur\") )\n");
      break;
    case PositionalKind::kCommands:
      absl::StrAppend(out, indent, "COMPREPLY=( $(compgen -W \"",
                      Words(command_names), "\" -- \"$cur\") )\n");
      break;
    case PositionalKind::kChoices:
      absl::StrAppend(out, indent, "COMPREPLY=( $(compgen -W \"",
                      Words(cmd.positional_choices), "\" -- \"$cur\") )\n");
      break;
  }
}

}  // namespace

std::string FlagValueName(const FlagDoc& flag) {
  if (flag.kind == FlagValueKind::kNone) return "";
  if (!flag.value_name.empty()) return flag.value_name;
  switch (flag.kind) {
    case FlagValueKind::kNumber:
      return "N";
    case FlagValueKind::kFile:
      return "FILE";
    case FlagValueKind::kDir:
      return "DIR";
    case FlagValueKind::kChoice:
      return absl::StrJoin(flag.choices, "|");
    default:
      return "VALUE";
  }
}

std::string CommandHelpText(absl::string_view program, const CommandDoc& cmd) {
  std::string out = absl::StrCat("usage: ", program);
  if (!cmd.synopsis.empty()) absl::StrAppend(&out, " ", cmd.synopsis);
  out += "\n";
  if (!cmd.description.empty()) {
    out += "\n";
    AppendParagraphs(cmd.description, "", &out);
  }
  if (cmd.flags.empty()) return out;
  out += "\nflags:\n";
  for (const FlagDoc& f : cmd.flags) {
    absl::StrAppend(&out, "  --", f.name);
    const std::string value = FlagValueName(f);
    if (!value.empty()) absl::StrAppend(&out, " ", value);
    if (f.repeated) out += " (repeatable)";
    out += "\n";
    std::string help = f.help;
    if (f.kind == FlagValueKind::kChoice && !f.choices.empty() &&
        !f.value_name.empty()) {
      absl::StrAppend(&help, " One of: ", absl::StrJoin(f.choices, ", "), ".");
    }
    if (!f.default_value.empty()) {
      absl::StrAppend(&help, " (default: ", f.default_value, ")");
    }
    AppendWrapped(help, "      ", &out);
  }
  return out;
}

std::string OverviewText(absl::string_view program, absl::string_view intro,
                         const std::vector<CommandDoc>& commands) {
  std::string out = absl::StrCat("usage: ", program, " <command> [args]\n");
  if (!intro.empty()) {
    out += "\n";
    AppendParagraphs(intro, "", &out);
  }
  out += "\ncommands:\n";
  size_t width = 0;
  for (const CommandDoc& c : commands) width = std::max(width, c.name.size());
  for (const CommandDoc& c : commands) {
    std::string head = absl::StrCat("  ", c.name);
    head.resize(width + 4, ' ');
    std::string line;
    AppendWrapped(c.summary, std::string(width + 4, ' '), &line);
    absl::StrAppend(&out, head, line.substr(std::min(line.size(), width + 4)));
  }
  out += "\n";
  AppendWrapped(absl::StrCat(program, " <command> --help (or ", program,
                             " help <command>) shows a command's usage and "
                             "flags; ",
                             program, " --version its version."),
                "", &out);
  return out;
}

std::string BashCompletionScript(absl::string_view program,
                                 const CommandDoc& top,
                                 const std::vector<CommandDoc>& subcommands) {
  std::string fn = "_";
  for (char c : program) {
    fn += absl::ascii_isalnum(static_cast<unsigned char>(c)) ? c : '_';
  }
  std::vector<std::string> names;
  for (const CommandDoc& c : subcommands) names.push_back(c.name);
  std::string out = absl::StrCat(
      "# bash completion for ", program,
      ", generated from its flag tables.\n"
      "# Load with: source <(",
      program, subcommands.empty() ? " --completion-bash" : " completion bash",
      ")\n", fn,
      "() {\n"
      "  local cur prev\n"
      "  COMPREPLY=()\n"
      "  cur=\"${COMP_WORDS[COMP_CWORD]}\"\n"
      "  prev=\"\"\n"
      "  (( COMP_CWORD > 0 )) && prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n"
      "  # --flag=value: bash splits at '=' (COMP_WORDBREAKS).\n"
      "  if [[ \"$cur\" == \"=\" && \"$prev\" == --* ]]; then\n"
      "    cur=\"\"\n"
      "  elif [[ \"$prev\" == \"=\" ]] && (( COMP_CWORD > 1 )); then\n"
      "    prev=\"${COMP_WORDS[COMP_CWORD-2]}\"\n"
      "  fi\n");
  if (subcommands.empty()) {
    AppendCommandBody(top, names, "  ", &out);
  } else {
    std::vector<std::string> first = names;
    for (const FlagDoc& f : top.flags) first.push_back("--" + f.name);
    absl::StrAppend(&out,
                    "  if (( COMP_CWORD == 1 )); then\n"
                    "    COMPREPLY=( $(compgen -W \"",
                    Words(first),
                    "\" -- \"$cur\") ); return 0\n"
                    "  fi\n"
                    "  case \"${COMP_WORDS[1]}\" in\n");
    for (const CommandDoc& c : subcommands) {
      if (!PlainWord(c.name)) continue;
      absl::StrAppend(&out, "  ", c.name, ")\n");
      AppendCommandBody(c, names, "    ", &out);
      out += "    ;;\n";
    }
    out += "  esac\n";
  }
  absl::StrAppend(&out, "  return 0\n}\ncomplete -F ", fn, " ", program, "\n");
  return out;
}

FlagDoc HelpFlagDoc() {
  return {.name = "help", .help = "print this help and exit (also -h)"};
}

FlagDoc VersionFlagDoc() {
  return {.name = "version", .help = "print the version line and exit"};
}

FlagDoc CompletionBashFlagDoc() {
  return {.name = "completion-bash",
          .help = "print a bash completion script for this binary and exit"};
}

}  // namespace seedlm
