// SafetensorsStreamWriter: the same bytes as WriteSafetensors whatever the
// pieces, refused inputs, and nothing at the path unless Finish succeeds.
#include "core/model/safetensors_stream_writer.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "core/model/model_test_util.h"
#include "core/model/safetensors.h"
#include "gtest/gtest.h"

namespace seedlm {
namespace {

using testing_util::ScratchDir;

std::string ReadAll(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

size_t CountEntries(const std::string& dir) {
  size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    (void)e;
    ++n;
  }
  return n;
}

struct Model {
  std::vector<TensorInfo> infos;
  std::vector<std::vector<uint8_t>> bytes;
};

// Mixed dtypes, a scalar, an empty tensor and a name needing JSON escapes.
Model SampleModel() {
  Model m;
  m.infos = {{"b.weight", {3, 5}, DType::kF32},
             {"a \"quoted\"\n", {7}, DType::kBF16},
             {"scalar", {}, DType::kF16},
             {"empty", {0, 4}, DType::kF32},
             {"c", {2, 2, 2}, DType::kF16}};
  uint8_t v = 1;
  for (const TensorInfo& t : m.infos) {
    size_t n = DTypeSize(t.dtype);
    for (int64_t d : t.shape) n *= static_cast<size_t>(d);
    std::vector<uint8_t> b(n);
    for (uint8_t& x : b) x = v++;
    m.bytes.push_back(std::move(b));
  }
  return m;
}

TEST(SafetensorsStreamWriterTest, SameBytesAsWriteSafetensorsForAnyPieces) {
  ScratchDir dir;
  const Model m = SampleModel();
  std::vector<std::pair<TensorInfo, absl::Span<const uint8_t>>> whole;
  std::vector<uint8_t> all;
  for (size_t i = 0; i < m.infos.size(); ++i) {
    whole.push_back({m.infos[i], m.bytes[i]});
    all.insert(all.end(), m.bytes[i].begin(), m.bytes[i].end());
  }
  for (const auto& meta : std::vector<std::map<std::string, std::string>>{
           {}, {{"format", "pt"}, {"seedlm.source", "decompress"}}}) {
    ASSERT_TRUE(WriteSafetensors(dir.File("ref"), whole, meta).ok());
    const std::string ref = ReadAll(dir.File("ref"));
    for (size_t piece : {size_t{1}, size_t{3}, size_t{16}, all.size()}) {
      auto w = SafetensorsStreamWriter::Create(dir.File("s"), m.infos, meta);
      ASSERT_TRUE(w.ok()) << w.status();
      EXPECT_EQ((*w)->data_bytes(), all.size());
      for (size_t at = 0; at < all.size(); at += piece) {
        const size_t n = std::min(piece, all.size() - at);
        ASSERT_TRUE((*w)->Append(absl::MakeConstSpan(&all[at], n)).ok());
      }
      EXPECT_EQ((*w)->largest_append(), std::min(piece, all.size()));
      ASSERT_TRUE((*w)->Finish().ok());
      EXPECT_EQ(ReadAll(dir.File("s")), ref) << "pieces of " << piece;
    }
  }
}

TEST(SafetensorsStreamWriterTest, RefusedTensorsLeaveNoFile) {
  ScratchDir dir;
  const std::string path = dir.File("x.safetensors");
  const std::vector<std::vector<TensorInfo>> bad = {
      {{"", {1}, DType::kF32}},
      {{"__metadata__", {1}, DType::kF32}},
      {{"a", {1}, DType::kF32}, {"a", {2}, DType::kF32}},
      {{"a", {-1}, DType::kF32}},
      {{"a", {int64_t{1} << 62, 8}, DType::kF32}},
      // Each fits, their sum does not.
      {{"a", {int64_t{1} << 60}, DType::kF32},
       {"b", {int64_t{1} << 60}, DType::kF32}},
  };
  for (const auto& infos : bad) {
    auto w = SafetensorsStreamWriter::Create(path, infos, {});
    EXPECT_EQ(w.status().code(), absl::StatusCode::kInvalidArgument)
        << infos[0].name;
  }
  EXPECT_EQ(CountEntries(dir.path()), 0u);
}

TEST(SafetensorsStreamWriterTest, WrongByteCountsFailAndLeaveNoFile) {
  ScratchDir dir;
  const std::string path = dir.File("x.safetensors");
  const std::vector<TensorInfo> infos = {{"a", {4}, DType::kF32}};
  const std::vector<uint8_t> bytes(17, 1);
  {
    auto w = SafetensorsStreamWriter::Create(path, infos, {});
    ASSERT_TRUE(w.ok());
    EXPECT_EQ((*w)->Append(absl::MakeConstSpan(bytes)).code(),
              absl::StatusCode::kInvalidArgument);
    // Failed for good.
    EXPECT_EQ((*w)->Append(absl::MakeConstSpan(bytes.data(), 1)).code(),
              absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ((*w)->Finish().code(), absl::StatusCode::kFailedPrecondition);
  }
  {
    auto w = SafetensorsStreamWriter::Create(path, infos, {});
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->Append(absl::MakeConstSpan(bytes.data(), 15)).ok());
    EXPECT_EQ((*w)->Finish().code(), absl::StatusCode::kFailedPrecondition);
  }
  {  // Abandoned before Finish.
    auto w = SafetensorsStreamWriter::Create(path, infos, {});
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->Append(absl::MakeConstSpan(bytes.data(), 16)).ok());
  }
  EXPECT_EQ(CountEntries(dir.path()), 0u);
  auto w = SafetensorsStreamWriter::Create(path, infos, {});
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Append(absl::MakeConstSpan(bytes.data(), 16)).ok());
  ASSERT_TRUE((*w)->Finish().ok());
  EXPECT_EQ((*w)->Finish().code(), absl::StatusCode::kFailedPrecondition);
  auto back = OpenModel(path);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ((*back)->tensors()[0].shape, std::vector<int64_t>{4});
}

}  // namespace
}  // namespace seedlm
