// FpgaLinear and WrapPackedLinears against a fake engine (the runtime's
// scalar kernels::PackedRows plus a made-up cycle count), on stories260K
// compressed with the default preset: only packed linears are replaced, a
// wrapped model's logits equal the original's bit for bit (prefill batches
// and single tokens), cycles are counted, and engine errors surface (a codec
// without engine fails the wrap and changes nothing; a failing MatVec is
// kept by the device and gives NaN).
#include "fpga/host/fpga_linear.h"

#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/compress/model_compressor.h"
#include "core/model/model_source.h"
#include "core/model/model_test_util.h"
#include "core/runtime/kv_cache.h"
#include "core/runtime/llama_forward.h"
#include "core/util/shared_data.h"
#include "core/util/shared_data_gtest.h"
#include "core/util/thread_pool.h"
#include "gtest/gtest.h"

namespace seedlm::fpga {
namespace {

const std::string kStories = SharedDataPath("data/stories260K/stories260K.bin");

// kernels::PackedRows at kScalar; cycles = 3 per block plus 5 per call.
// Fails every call from the `fail_at`-th on (0: never).
class FakeEngine final : public PackedEngine {
 public:
  FakeEngine(const CodecConfig& codec, int bytes_per_cycle, int fail_at)
      : codec_(codec), bytes_per_cycle_(bytes_per_cycle), fail_at_(fail_at) {}
  const CodecConfig& codec() const override { return codec_; }
  std::string description() const override {
    return absl::StrCat("fake ", CodecText(codec_), ", ", bytes_per_cycle_,
                        " B/cycle");
  }
  absl::StatusOr<MatVecStats> MatVec(const kernels::PackedView& m,
                                     const float* x, int64_t row_begin,
                                     int64_t row_end, float* y) override {
    if (m.codec != codec_) return absl::InvalidArgumentError("codec");
    if (fail_at_ > 0 && ++calls_ >= fail_at_) {
      return absl::InternalError("fake engine fault");
    }
    kernels::PackedRows(SimdLevel::kScalar, m, x, 1, row_begin, row_end, y, 0);
    MatVecStats s;
    s.cycles =
        3 * static_cast<uint64_t>((row_end - row_begin) * m.blocks_per_row) + 5;
    return s;
  }

 private:
  CodecConfig codec_;
  int bytes_per_cycle_;
  int fail_at_;
  int calls_ = 0;
};

EngineFactory FakeFactory(int fail_at = 0, int* made = nullptr) {
  return [fail_at, made](const CodecConfig& c, const EngineOptions& o)
             -> absl::StatusOr<std::unique_ptr<PackedEngine>> {
    if (made != nullptr) ++*made;
    return std::make_unique<FakeEngine>(c, o.bytes_per_cycle, fail_at);
  };
}

class FpgaLinearTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!std::filesystem::exists(kStories)) return;
    dir_ = new testing_util::ScratchDir();
    path_ = new std::string(dir_->path() + "/m.seedlm");
    auto src = OpenModel(kStories);
    ASSERT_TRUE(src.ok()) << src.status();
    ThreadPool pool(2);
    auto r = CompressModel(
        **src, *path_, CompressOptions::ForCodec(*PresetByName(kDefaultPreset)),
        &pool, {});
    ASSERT_TRUE(r.ok()) << r.status();
  }
  static void TearDownTestSuite() {
    delete path_;
    delete dir_;
    path_ = nullptr;
    dir_ = nullptr;
  }
  void SetUp() override { SEEDLM_NEED_SHARED_FILE(kStories); }

  static std::unique_ptr<LlamaModel> Load() {
    auto m = LlamaModel::Load(*path_);
    EXPECT_TRUE(m.ok()) << m.status();
    return m.ok() ? std::move(*m) : nullptr;
  }

  static testing_util::ScratchDir* dir_;
  static std::string* path_;
};
testing_util::ScratchDir* FpgaLinearTest::dir_ = nullptr;
std::string* FpgaLinearTest::path_ = nullptr;

// Logits of a 5-token prompt (one batched step) and then 3 single tokens.
std::vector<float> Logits(const LlamaModel& model) {
  LlamaForward f(&model, nullptr);
  const LlamaConfig& c = model.config();
  KvCache cache(c, 0, c.n_layers, 16);
  std::vector<float> all;
  const std::vector<std::vector<int32_t>> steps = {
      {1, 403, 407, 261, 378}, {432}, {286}, {9}};
  int pos = 0;
  for (const std::vector<int32_t>& tokens : steps) {
    const int n = static_cast<int>(tokens.size());
    std::vector<float> hidden(static_cast<size_t>(n) * c.dim);
    EXPECT_TRUE(f.Embed(tokens, absl::MakeSpan(hidden)).ok());
    EXPECT_TRUE(
        f.RunLayers(0, c.n_layers, pos, absl::MakeSpan(hidden), &cache).ok());
    std::vector<float> logits(static_cast<size_t>(n) * c.vocab_size);
    EXPECT_TRUE(f.Head(hidden, absl::MakeSpan(logits)).ok());
    all.insert(all.end(), logits.begin(), logits.end());
    pos += n;
  }
  return all;
}

// Bit patterns, so that NaN and -0 compare exactly.
std::vector<uint32_t> Bits(const std::vector<float>& v) {
  std::vector<uint32_t> b(v.size());
  std::memcpy(b.data(), v.data(), v.size() * sizeof(float));
  return b;
}

// Replaces layer 0's wk by a DenseLinear of its decoded rows.
void MakeDenseWk(LlamaModel* model) {
  LlamaModel::Layer& L = model->mutable_layer(0);
  std::vector<float> dense(L.wk->rows() * L.wk->cols());
  for (int64_t r = 0; r < L.wk->rows(); ++r) {
    L.wk->GetRow(r, dense.data() + r * L.wk->cols());
  }
  L.wk = std::make_unique<DenseLinear>(L.wk->rows(), L.wk->cols(),
                                       std::move(dense));
}

TEST_F(FpgaLinearTest, WrappedModelGivesTheOriginalLogitsBitForBit) {
  auto original = Load();
  auto wrapped = Load();
  ASSERT_NE(original, nullptr);
  ASSERT_NE(wrapped, nullptr);
  const int layers = wrapped->config().n_layers;
  // Mixed models: layer 0's wk served dense (its decoded rows) in both,
  // which must stay on the CPU. (Dense products of the decoded rows differ
  // from the fused packed kernel's, hence in both.)
  MakeDenseWk(original.get());
  MakeDenseWk(wrapped.get());
  int made = 0;
  EngineOptions eo;
  eo.bytes_per_cycle = 32;
  FpgaDevice device(eo, FakeFactory(0, &made));
  auto n = WrapPackedLinears(wrapped.get(), &device);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 7 * layers - 1);
  EXPECT_EQ(made, 1);  // one engine for the one codec
  EXPECT_EQ(device.description(), "fake 4bit-p4, 32 B/cycle");
  for (int i = 0; i < layers; ++i) {
    const LlamaModel::Layer& L = wrapped->layer(i);
    for (const LinearWeight* w :
         {L.wq.get(), L.wk.get(), L.wv.get(), L.wo.get(), L.w1.get(),
          L.w2.get(), L.w3.get()}) {
      const bool dense = i == 0 && w == L.wk.get();
      EXPECT_EQ(dynamic_cast<const FpgaLinear*>(w) != nullptr, !dense) << i;
    }
  }
  EXPECT_EQ(wrapped->layer(1).wq->StorageBytes(),
            original->layer(1).wq->StorageBytes());
  std::vector<float> row(wrapped->layer(2).w2->cols()), want(row.size());
  wrapped->layer(2).w2->GetRow(3, row.data());
  original->layer(2).w2->GetRow(3, want.data());
  EXPECT_EQ(Bits(row), Bits(want));

  EXPECT_EQ(device.cycles(), 0u);
  const std::vector<float> got = Logits(*wrapped);
  const std::vector<float> ref = Logits(*original);
  ASSERT_EQ(got.size(), ref.size());
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(Bits({got[i]}), Bits({ref[i]})) << "first mismatch at " << i;
  }
  EXPECT_TRUE(device.status().ok()) << device.status();
  // 4 steps of 5, 1, 1, 1 tokens: one call per token per wrapped matrix.
  EXPECT_EQ(device.calls(), static_cast<uint64_t>(8 * (7 * layers - 1)));
  uint64_t want_cycles = 0;
  for (int i = 0; i < layers; ++i) {
    const LlamaModel::Layer& L = wrapped->layer(i);
    for (const LinearWeight* w :
         {L.wq.get(), L.wk.get(), L.wv.get(), L.wo.get(), L.w1.get(),
          L.w2.get(), L.w3.get()}) {
      const auto* f = dynamic_cast<const FpgaLinear*>(w);
      if (f == nullptr) continue;
      want_cycles +=
          8 * (3 * static_cast<uint64_t>(f->rows() *
                                         f->original().view().blocks_per_row) +
               5);
    }
  }
  EXPECT_EQ(device.cycles(), want_cycles);
}

TEST_F(FpgaLinearTest, MissingEngineFailsTheWrapAndChangesNothing) {
  auto model = Load();
  ASSERT_NE(model, nullptr);
  FpgaDevice device(EngineOptions{},
                    [](const CodecConfig&, const EngineOptions&)
                        -> absl::StatusOr<std::unique_ptr<PackedEngine>> {
                      return absl::UnimplementedError("built for 4bit only");
                    });
  auto n = WrapPackedLinears(model.get(), &device);
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_TRUE(absl::StrContains(n.status().message(),
                                "no FPGA engine for codec 4bit-p4: built for "
                                "4bit only"))
      << n.status();
  EXPECT_NE(dynamic_cast<const PackedLinear*>(model->layer(0).wq.get()),
            nullptr);
}

TEST_F(FpgaLinearTest, DenseModelIsRefused) {
  SEEDLM_NEED_SHARED_FILE(kStories);
  auto model = LlamaModel::Load(kStories);
  ASSERT_TRUE(model.ok()) << model.status();
  FpgaDevice device(EngineOptions{}, FakeFactory());
  auto n = WrapPackedLinears(model->get(), &device);
  EXPECT_EQ(n.status().code(), absl::StatusCode::kUnimplemented) << n.status();
  EXPECT_TRUE(absl::StrContains(n.status().message(), "no seedlm-packed"))
      << n.status();
}

TEST_F(FpgaLinearTest, EngineFaultIsKeptAndGivesNaN) {
  auto model = Load();
  ASSERT_NE(model, nullptr);
  FpgaDevice device(EngineOptions{}, FakeFactory(/*fail_at=*/3));
  ASSERT_TRUE(WrapPackedLinears(model.get(), &device).ok());
  const LinearWeight& w = *model->layer(0).wq;
  std::vector<float> x(w.cols(), 0.5f), y(w.rows());
  w.MatVecRows(x.data(), 0, w.rows(), y.data());
  w.MatVecRows(x.data(), 0, w.rows(), y.data());
  EXPECT_TRUE(device.status().ok());
  EXPECT_FALSE(std::isnan(y[0]));
  const uint64_t cycles = device.cycles();
  w.MatVecRows(x.data(), 0, w.rows(), y.data());
  EXPECT_EQ(device.status().code(), absl::StatusCode::kInternal);
  EXPECT_TRUE(absl::StrContains(device.status().message(), "fake engine fault"))
      << device.status();
  EXPECT_TRUE(std::isnan(y[0]));
  EXPECT_TRUE(std::isnan(y.back()));
  EXPECT_EQ(device.cycles(), cycles);
}

}  // namespace
}  // namespace seedlm::fpga
