// Shared by the core/model libFuzzer entry points (safetensors_fuzz,
// gguf_fuzz, llama2c_fuzz) and hf_config_fuzz: a per-process scratch file
// for readers that need a path, and the checks every opened ModelSource must
// pass (the invariant check itself: core/util/fuzz_check.h). Test-only;
// header-only.
#ifndef SEEDLM_CORE_MODEL_MODEL_FUZZ_UTIL_H_
#define SEEDLM_CORE_MODEL_MODEL_FUZZ_UTIL_H_

#include <stdlib.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "core/model/mapped_source.h"
#include "core/model/model_source.h"
#include "core/util/fuzz_check.h"

namespace seedlm {
namespace fuzz_util {

// A directory made once per process under $TMPDIR (or /tmp) and removed
// with its files at exit.
class ScratchDir {
 public:
  static const std::string& Path() {
    static ScratchDir* dir = new ScratchDir();  // never destroyed: atexit
    return dir->path_;
  }

 private:
  ScratchDir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string tmpl = std::string(tmp != nullptr && *tmp ? tmp : "/tmp") +
                       "/seedlm_fuzz_XXXXXX";
    Check(::mkdtemp(tmpl.data()) != nullptr, "mkdtemp", absl::OkStatus());
    path_ = tmpl;
    std::atexit([] {
      const std::string cmd_dir = Path();
      for (const char* f : {"/model.bin", "/model.safetensors", "/model.gguf",
                            "/config.json"}) {
        ::unlink((cmd_dir + f).c_str());
      }
      ::rmdir(cmd_dir.c_str());
    });
  }
  std::string path_;
};

// Writes `bytes` to the scratch directory as `name` (one of the names the
// atexit hook removes) and returns its path.
// Plain writes, no fsync: fuzzing runs thousands of inputs a second.
inline std::string WriteScratch(const std::string& name,
                                absl::Span<const uint8_t> bytes) {
  const std::string path = ScratchDir::Path() + "/" + name;
  std::FILE* f = std::fopen(path.c_str(), "wb");
  bool ok = f != nullptr;
  if (ok && !bytes.empty()) {
    ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  }
  if (f != nullptr) ok = std::fclose(f) == 0 && ok;
  Check(ok, "writing the scratch file", absl::OkStatus());
  return path;
}

// Every tensor of an opened source is consistent with its listing: valid
// UTF-8 unique names (they end up in JSON), sizes that match the shape, and
// a float32 read that succeeds. `file_size` bounds every tensor's bytes.
inline void ExerciseSource(const ModelSource& m, uint64_t file_size) {
  const std::vector<TensorInfo>& t = m.tensors();
  uint64_t total = 0;
  for (size_t i = 0; i < t.size(); ++i) {
    Check(!t[i].name.empty() && model_internal::IsValidUtf8(t[i].name) &&
              t[i].name.find('\0') == std::string::npos,
          "tensor name is non-empty UTF-8 without NUL", absl::OkStatus());
    absl::StatusOr<size_t> found = m.Find(t[i].name);
    Check(found.ok() && *found == i, "Find of a listed name", found.status());
    uint64_t bytes = 0;
    Check(model_internal::ShapeByteSize(t[i].shape, t[i].dtype, &bytes),
          "listed shape overflows", absl::OkStatus());
    absl::StatusOr<absl::Span<const uint8_t>> raw = m.RawBytes(i);
    Check(raw.ok() && raw->size() == bytes, "RawBytes size", raw.status());
    total += bytes;
    Check(total <= file_size, "tensors larger than the file", absl::OkStatus());
    absl::StatusOr<std::vector<float>> f = m.ReadFloat32(i);
    Check(f.ok() && f->size() * DTypeSize(t[i].dtype) == bytes,
          "ReadFloat32 of a listed tensor", f.status());
    m.ReleasePages(i);
  }
  Check(m.RawBytes(t.size()).status().code() ==
            absl::StatusCode::kInvalidArgument,
        "RawBytes past the end", absl::OkStatus());
}

}  // namespace fuzz_util
}  // namespace seedlm

#endif  // SEEDLM_CORE_MODEL_MODEL_FUZZ_UTIL_H_
