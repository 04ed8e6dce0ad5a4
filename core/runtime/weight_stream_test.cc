// WeightSource and WeightAssembler: the tensors of a layer range, read from
// a .seedlm container or a checkpoint with their sizes and CRCs, survive
// streaming in chunks of any size; corrupt, misplaced or excess bytes are
// refused.
#include "core/runtime/weight_stream.h"

#include <memory>
#include <string>
#include <vector>

#include "core/compress/model_compressor.h"
#include "core/model/model_source.h"
#include "core/model/model_test_util.h"
#include "core/runtime/cpu_executor.h"
#include "core/util/crc32.h"
#include "core/util/file_util.h"
#include "core/util/shared_data.h"
#include "gtest/gtest.h"

namespace seedlm {
namespace {

const std::string kStories = SharedDataPath("data/stories260K/stories260K.bin");

class WeightStream : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing_util::ScratchDir();
    packed_ = new std::string(dir_->path() + "/m.seedlm");
    auto src = OpenModel(kStories);
    ASSERT_TRUE(src.ok()) << src.status();
    ThreadPool pool(2);
    auto r = CompressModel(**src, *packed_, CompressOptions(), &pool, {});
    ASSERT_TRUE(r.ok()) << r.status();
  }
  static void TearDownTestSuite() {
    delete packed_;
    delete dir_;
  }

  static std::unique_ptr<WeightSource> Source(const std::string& path) {
    auto s = WeightSource::Open(path);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? std::move(*s) : nullptr;
  }

  // Streams `w` into `a` in chunks of `chunk` bytes; the first error.
  static absl::Status Stream(const StoredWeight& w, size_t chunk,
                             WeightAssembler* a) {
    absl::Status st = a->BeginTensor(w.entry);
    for (size_t at = 0; st.ok() && at < w.payload.size(); at += chunk) {
      st = a->AddChunk(at, w.payload.subspan(at, chunk));
    }
    return st;
  }

  static testing_util::ScratchDir* dir_;
  static std::string* packed_;
};
testing_util::ScratchDir* WeightStream::dir_ = nullptr;
std::string* WeightStream::packed_ = nullptr;

TEST_F(WeightStream, LayerTensorNamesAreInTheContainer) {
  auto source = Source(*packed_);
  ASSERT_NE(source, nullptr);
  const LlamaConfig& c = source->config();
  ASSERT_EQ(c.n_layers, 5);
  EXPECT_EQ(source->metadata().source_format, "llama2c");
  auto reader = ContainerReader::Open(*packed_);
  ASSERT_TRUE(reader.ok()) << reader.status();
  const std::vector<std::string> all = LayerTensorNames(c, 0, 5);
  ASSERT_EQ(all.size(), 45u);
  for (const std::string& name : all) {
    EXPECT_TRUE((*reader)->FindTensor(name).ok()) << name;
  }
  EXPECT_EQ(LayerTensorNames(c, 2, 4),
            std::vector<std::string>(all.begin() + 18, all.begin() + 36));
  EXPECT_TRUE(LayerTensorNames(c, 3, 3).empty());
  EXPECT_EQ(all[9], LayerTensorName(c, 1, "attn_norm"));
  EXPECT_EQ(all[17], LayerTensorName(c, 1, "w3"));
  // Entries as stored, payloads verified.
  int packed = 0;
  for (const std::string& name : all) {
    auto w = source->Get(name);
    ASSERT_TRUE(w.ok()) << w.status();
    EXPECT_EQ(w->entry.name, name);
    EXPECT_EQ(w->entry.size, w->payload.size());
    EXPECT_EQ(w->entry.crc, Crc32(w->payload.data(), w->payload.size()));
    packed += w->entry.storage == Storage::kSeedLM;
  }
  EXPECT_GE(packed, 35);  // the seven matrices of each layer
  EXPECT_EQ(source->Get("no.such.tensor").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(WeightStream, CheckpointEntries) {
  auto source = Source(kStories);
  ASSERT_NE(source, nullptr);
  EXPECT_EQ(source->config().n_layers, 5);
  EXPECT_EQ(source->metadata().source_format, "llama2c");
  for (const std::string& name : LayerTensorNames(source->config(), 0, 5)) {
    auto w = source->Get(name);
    ASSERT_TRUE(w.ok()) << w.status();
    EXPECT_EQ(w->entry.storage, Storage::kF32);
    EXPECT_EQ(w->entry.size, w->payload.size());
    EXPECT_EQ(w->payload.size(), w->entry.num_elements() * 4u);
    EXPECT_EQ(w->entry.crc, Crc32(w->payload.data(), w->payload.size()));
    EXPECT_NE(w->entry.crc, 0u);
  }
  EXPECT_EQ(source->Get("no.such.tensor").status().code(),
            absl::StatusCode::kNotFound);
}

// LayerBytes is what a CpuExecutor over each layer holds.
TEST_F(WeightStream, LayerBytesMatchTheExecutors) {
  for (const std::string& path : {kStories, *packed_}) {
    auto source = Source(path);
    ASSERT_NE(source, nullptr);
    auto bytes = source->LayerBytes();
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    ASSERT_EQ(bytes->size(), 5u);
    auto model = LlamaModel::Load(path);
    ASSERT_TRUE(model.ok()) << model.status();
    CpuExecutorOptions o;
    o.context = 8;
    for (int l = 0; l < 5; ++l) {
      auto ex = CpuExecutor::Create(model->get(), l, l + 1, o);
      ASSERT_TRUE(ex.ok()) << ex.status();
      EXPECT_EQ((*bytes)[l], (*ex)->weight_bytes()) << path << " " << l;
    }
  }
}

TEST_F(WeightStream, RoundTripInChunks) {
  auto source = Source(*packed_);
  ASSERT_NE(source, nullptr);
  const std::vector<std::string> names =
      LayerTensorNames(source->config(), 1, 4);
  for (size_t chunk : {size_t{1}, size_t{7}, size_t{1} << 20}) {
    WeightAssembler a(names.size(), uint64_t{1} << 30);
    uint64_t total = 0;
    for (const std::string& name : names) {
      auto w = source->Get(name);
      ASSERT_TRUE(w.ok()) << w.status();
      ASSERT_TRUE(Stream(*w, chunk, &a).ok()) << name << " " << chunk;
      total += w->payload.size();
    }
    EXPECT_EQ(a.bytes_received(), total);
    EXPECT_EQ(a.tensors_complete(), names.size());
    auto tensors = a.Finish();
    ASSERT_TRUE(tensors.ok()) << tensors.status();
    ASSERT_EQ(tensors->size(), names.size());
    for (size_t i = 0; i < names.size(); ++i) {
      auto w = source->Get(names[i]);
      ASSERT_TRUE(w.ok());
      EXPECT_EQ((*tensors)[i].entry.name, names[i]);
      EXPECT_EQ((*tensors)[i].entry.storage, w->entry.storage);
      EXPECT_EQ((*tensors)[i].payload,
                std::vector<uint8_t>(w->payload.begin(), w->payload.end()));
    }
    EXPECT_EQ(a.tensors_complete(), 0u);  // handed over
    EXPECT_EQ(a.bytes_received(), 0u);
  }
}

TEST_F(WeightStream, TamperedByteIsDataLoss) {
  auto source = Source(*packed_);
  ASSERT_NE(source, nullptr);
  const std::string name = LayerTensorName(source->config(), 2, "wo");
  auto w = source->Get(name);
  ASSERT_TRUE(w.ok()) << w.status();
  std::vector<uint8_t> bad(w->payload.begin(), w->payload.end());
  bad[bad.size() / 2] ^= 0x10;
  WeightAssembler a(10, 1 << 20);
  const absl::Status st = Stream({w->entry, bad}, 7, &a);
  EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss) << st;
  EXPECT_NE(st.message().find(name), std::string::npos) << st;
  EXPECT_EQ(a.tensors_complete(), 0u);
  EXPECT_EQ(a.bytes_received(), 0u);
  // Dropped: it may come again.
  EXPECT_TRUE(Stream(*w, 7, &a).ok());
  EXPECT_EQ(a.tensors_complete(), 1u);

  // A container whose payload byte changed on disk: DATA_LOSS from Get.
  auto reader = ContainerReader::Open(*packed_);
  ASSERT_TRUE(reader.ok());
  auto index = (*reader)->FindTensor(name);
  ASSERT_TRUE(index.ok());
  auto file = ReadFileToString(*packed_, uint64_t{1} << 30);
  ASSERT_TRUE(file.ok()) << file.status();
  (*file)[(*reader)->tensors()[*index].offset + 3] ^= 0x01;
  const std::string corrupt = dir_->Write("corrupt.seedlm", *file);
  auto bad_source = Source(corrupt);
  ASSERT_NE(bad_source, nullptr);
  EXPECT_EQ(bad_source->Get(name).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(
      bad_source->Get(LayerTensorName(bad_source->config(), 0, "wo")).ok());
}

TEST_F(WeightStream, AssemblerRefusesBadStreams) {
  auto source = Source(kStories);
  ASSERT_NE(source, nullptr);
  const LlamaConfig& c = source->config();
  auto wq = source->Get(LayerTensorName(c, 0, "wq"));
  auto norm = source->Get(LayerTensorName(c, 0, "attn_norm"));
  ASSERT_TRUE(wq.ok() && norm.ok());
  const auto kInvalid = absl::StatusCode::kInvalidArgument;
  const auto bytes = [](const StoredWeight& w, size_t at, size_t n) {
    return w.payload.subspan(at, n);
  };
  WeightAssembler a(2, wq->payload.size() + norm->payload.size());
  EXPECT_EQ(a.AddChunk(0, bytes(*wq, 0, 4)).code(), kInvalid);  // no tensor
  TensorEntry wrong = wq->entry;
  wrong.size += 4;
  EXPECT_EQ(a.BeginTensor(wrong).code(), kInvalid);
  wrong = wq->entry;
  wrong.shape = {-1, 2};
  EXPECT_EQ(a.BeginTensor(wrong).code(), kInvalid);
  wrong = wq->entry;
  wrong.name = "";
  EXPECT_EQ(a.BeginTensor(wrong).code(), kInvalid);
  ASSERT_TRUE(a.BeginTensor(wq->entry).ok());
  EXPECT_EQ(a.BeginTensor(norm->entry).code(), kInvalid);  // wq incomplete
  ASSERT_TRUE(a.AddChunk(0, bytes(*wq, 0, 8)).ok());
  EXPECT_EQ(a.AddChunk(4, bytes(*wq, 4, 8)).code(), kInvalid);    // back
  EXPECT_EQ(a.AddChunk(12, bytes(*wq, 12, 8)).code(), kInvalid);  // ahead
  EXPECT_EQ(a.Finish().status().code(), absl::StatusCode::kFailedPrecondition);
  const size_t size = wq->payload.size();
  std::vector<uint8_t> over(wq->payload.begin() + 8, wq->payload.end());
  over.push_back(0);
  EXPECT_EQ(a.AddChunk(8, over).code(), kInvalid);  // overrun
  ASSERT_TRUE(a.AddChunk(8, bytes(*wq, 8, size - 8)).ok());
  EXPECT_EQ(a.AddChunk(size, bytes(*wq, 0, 1)).code(), kInvalid);  // done
  EXPECT_EQ(a.BeginTensor(wq->entry).code(), kInvalid);  // repeated name
  ASSERT_TRUE(Stream(*norm, 100, &a).ok());
  // Bounds: a third tensor; too many bytes.
  auto wk = source->Get(LayerTensorName(c, 0, "wk"));
  ASSERT_TRUE(wk.ok());
  EXPECT_EQ(a.BeginTensor(wk->entry).code(), kInvalid);
  WeightAssembler small(10, wq->payload.size() - 1);
  EXPECT_EQ(small.BeginTensor(wq->entry).code(), kInvalid);
  ASSERT_TRUE(small.BeginTensor(norm->entry).ok());
  auto done = a.Finish();
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->size(), 2u);
}

}  // namespace
}  // namespace seedlm
