// The ctest side of every fuzzer (seedlm_fuzzer() in CMakeLists.txt): runs
// the fuzz entry point over each file of its corpus directory
// (SEEDLM_FUZZ_CORPUS): the seed corpus and every crasher the fuzzer ever
// found. An entry point aborts on any broken invariant, and the sanitizer
// tree runs this test under ASan + UBSan.
#include <dirent.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/util/file_util.h"
#include "gtest/gtest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace seedlm {
namespace {

std::vector<std::string> CorpusFiles() {
  const std::string dir = SEEDLM_FUZZ_CORPUS;
  std::vector<std::string> files;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* ent = readdir(d)) {
      if (ent->d_name[0] != '.') files.push_back(dir + "/" + ent->d_name);
    }
    closedir(d);
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST(FuzzRegressionTest, RunsEveryCorpusFile) {
  const std::vector<std::string> files = CorpusFiles();
  ASSERT_GE(files.size(), 2u)
      << SEEDLM_FUZZ_CORPUS << " is missing or nearly empty";
  for (const std::string& f : files) {
    SCOPED_TRACE(f);
    absl::StatusOr<std::string> bytes = ReadFileToString(f, uint64_t{1} << 24);
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    EXPECT_EQ(
        LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes->data()),
                               bytes->size()),
        0);
  }
}

}  // namespace
}  // namespace seedlm
