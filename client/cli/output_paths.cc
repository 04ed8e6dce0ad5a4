#include "client/cli/output_paths.h"

#include <dirent.h>
#include <sys/stat.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/util/file_util.h"
#include "core/util/status_macros.h"

namespace seedlm::cli {
namespace {

std::string Join(const std::string& dir, const std::string& name) {
  return dir.empty() || dir.back() == '/' ? dir + name : dir + "/" + name;
}

std::string DirOf(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return path.substr(0, slash == 0 ? 1 : slash);
}

// Appends Join(dir, name) for every entry of `dir` whose name `pick` accepts.
template <typename Pick>
void AddEntries(const std::string& dir, Pick pick,
                std::vector<std::string>* out) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return;
  while (const struct dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name != "." && name != ".." && pick(name)) {
      out->push_back(Join(dir, name));
    }
  }
  ::closedir(d);
}

bool SameFile(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

}  // namespace

std::vector<std::string> ModelInputPaths(const std::string& model,
                                         const std::string& tokenizer) {
  std::vector<std::string> paths = {model};
  struct stat st;
  if (::stat(model.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    // The Hugging Face reader (core/model/hf_checkpoint.cc) reads
    // config.json, the index, the shards and tokenizer.json.
    AddEntries(
        model,
        [](const std::string& n) {
          return absl::EndsWith(n, ".json") ||
                 absl::EndsWith(n, ".safetensors");
        },
        &paths);
  } else if (absl::EndsWith(model, ".bin")) {
    // The llama2.c reader reads tokenizer.bin or tok*.bin beside the model.
    AddEntries(
        DirOf(model),
        [](const std::string& n) {
          return n == "tokenizer.bin" ||
                 (absl::StartsWith(n, "tok") && absl::EndsWith(n, ".bin"));
        },
        &paths);
  }
  if (!tokenizer.empty()) paths.push_back(tokenizer);
  return paths;
}

absl::Status CheckOutputAgainstInputs(const std::string& output,
                                      const std::vector<std::string>& inputs) {
  struct stat out;
  if (::stat(output.c_str(), &out) == 0) {
    for (const std::string& input : inputs) {
      struct stat in;
      if (::stat(input.c_str(), &in) == 0 && SameFile(in, out)) {
        return absl::InvalidArgumentError(
            absl::StrCat("output ", output, " is the input ", input));
      }
    }
  }
  return CheckOutputPath(output);
}

}  // namespace seedlm::cli
