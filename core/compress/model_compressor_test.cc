#include "core/compress/model_compressor.h"

#include <algorithm>
#include <cstring>
#include <random>

#include "core/compress/tensor_compressor.h"
#include "core/model/model_test_util.h"
#include "core/model/safetensors.h"
#include "core/util/file_util.h"
#include "gtest/gtest.h"

namespace seedlm {
namespace {

using testing_util::ScratchDir;

struct TinyModel {
  std::vector<float> q;     // [4, 20] f32, compressed by default
  std::vector<uint16_t> n;  // [20] bf16, kept
};

std::string WriteTinyModel(const ScratchDir& dir, TinyModel* m) {
  std::mt19937 rng(1);
  std::normal_distribution<double> g(0.0, 0.02);
  m->q.resize(80);
  for (float& x : m->q) x = static_cast<float>(g(rng));
  m->n.resize(20);
  for (size_t i = 0; i < 20; ++i) m->n[i] = FloatToBFloat16(1.0f + i / 64.0f);
  const std::string path = dir.File("tiny.safetensors");
  auto bytes = [](const void* p, size_t n) {
    return absl::Span<const uint8_t>(static_cast<const uint8_t*>(p), n);
  };
  EXPECT_TRUE(
      WriteSafetensors(
          path,
          {{TensorInfo{
                "model.layers.0.self_attn.q_proj.weight", {4, 20}, DType::kF32},
            bytes(m->q.data(), 320)},
           {TensorInfo{"model.norm.weight", {20}, DType::kBF16},
            bytes(m->n.data(), 40)}},
          {})
          .ok());
  return path;
}

// sum (w - dec)^2 in float64, the compressor's error measure.
double SquaredError(const std::vector<float>& w,
                    const std::vector<float>& dec) {
  double se = 0;
  for (size_t i = 0; i < w.size(); ++i) {
    se += (double(w[i]) - dec[i]) * (double(w[i]) - dec[i]);
  }
  return se;
}

// Automatic bias: each compressed tensor gets ChooseExponentBias's bias,
// recorded in the report and the container entry; its decode gives the reported
// error and a second run the same bytes. (An interrupted run resumed from the
// checkpoint, bias included: cli_e2e_test, whose default preset is 4bit-p4.)
TEST(CompressModelTest, AutoBiasPerTensor) {
  ScratchDir dir;
  TinyModel tiny;
  auto source = *OpenModel(WriteTinyModel(dir, &tiny));
  CompressOptions opt = CompressOptions::ForCodec(*PresetByName("4bit-p4"));
  ASSERT_FALSE(opt.exponent_bias.has_value());  // automatic by default
  const std::string out = dir.File("auto.seedlm");
  auto report = CompressModel(*source, out, opt, nullptr, {});
  ASSERT_TRUE(report.ok()) << report.status();
  auto read = [&](int64_t r0, int64_t r1, absl::Span<float> o) {
    std::copy(&tiny.q[r0 * 20], &tiny.q[r1 * 20], o.begin());
    return absl::OkStatus();
  };
  const int want = *ChooseExponentBias(SearchOptions{opt.codec, opt.mode, 0},
                                       opt.algorithm, 4, 20, read, nullptr, {});
  EXPECT_NE(want, 0);
  EXPECT_EQ(report->tensors[0].exponent_bias, want);
  auto reader = *ContainerReader::Open(out);
  EXPECT_EQ(reader->tensors()[0].exponent_bias, want);
  std::vector<float> dec(80);
  ASSERT_TRUE(reader->DecodeToFloat32(0, absl::MakeSpan(dec)).ok());
  EXPECT_DOUBLE_EQ(SquaredError(tiny.q, dec), report->tensors[0].sq_error);
  EXPECT_LT(report->tensors[0].rel_error, 0.2);
  const std::string out2 = dir.File("auto2.seedlm");
  ASSERT_TRUE(CompressModel(*source, out2, opt, nullptr, {}).ok());
  EXPECT_EQ(*ReadFileToString(out, 1 << 20), *ReadFileToString(out2, 1 << 20));
}

TEST(CompressModelTest, WritesContainerAndReport) {
  ScratchDir dir;
  TinyModel tiny;
  auto source = *OpenModel(WriteTinyModel(dir, &tiny));
  CompressOptions opt;
  opt.codec = *PresetByName("4bit");
  const std::string out = dir.File("tiny.seedlm");
  std::vector<int64_t> seen;
  CompressCallbacks cb;
  cb.progress = [&](const std::string&, int64_t done, int64_t total) {
    EXPECT_EQ(total, 12);
    seen.push_back(done);
  };
  ThreadPool pool(2);
  auto report = CompressModel(*source, out, opt, &pool, cb);
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_EQ(report->tensors.size(), 2u);
  EXPECT_EQ(report->tensors[0].storage, Storage::kSeedLM);
  EXPECT_DOUBLE_EQ(report->tensors[0].bits_per_weight, 12 * 32 / 80.0);
  EXPECT_EQ(report->tensors[1].storage, Storage::kBF16);
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back(), 12);

  auto reader = *ContainerReader::Open(out);
  ASSERT_TRUE(reader->VerifyAll().ok());
  EXPECT_EQ(reader->metadata().at(kMetaPreset), "4bit");
  EXPECT_EQ(reader->metadata().at(kMetaSourceFormat), "safetensors");
  // The kept tensor is byte-identical; the compressed one decodes to the
  // error the report gives.
  auto raw = *reader->Payload(1);
  ASSERT_EQ(raw.size(), 40u);
  EXPECT_EQ(std::memcmp(raw.data(), tiny.n.data(), 40), 0);
  std::vector<float> dec(80);
  ASSERT_TRUE(reader->DecodeToFloat32(0, absl::MakeSpan(dec)).ok());
  EXPECT_DOUBLE_EQ(SquaredError(tiny.q, dec), report->tensors[0].sq_error);
  EXPECT_GT(report->tensors[0].rel_error, 0.0);

  // Deterministic bytes: a second run (single-threaded) is identical.
  const std::string out2 = dir.File("tiny2.seedlm");
  ASSERT_TRUE(CompressModel(*source, out2, opt, nullptr, {}).ok());
  EXPECT_EQ(*ReadFileToString(out, 1 << 20), *ReadFileToString(out2, 1 << 20));
}

TEST(CompressModelTest, CancelLeavesNoFile) {
  ScratchDir dir;
  TinyModel tiny;
  auto source = *OpenModel(WriteTinyModel(dir, &tiny));
  std::atomic<bool> cancel{true};
  CompressCallbacks cb;
  cb.cancel = &cancel;
  const std::string out = dir.File("cancelled.seedlm");
  EXPECT_EQ(CompressModel(*source, out, {}, nullptr, cb).status().code(),
            absl::StatusCode::kCancelled);
  EXPECT_EQ(MappedFile::Open(out).status().code(), absl::StatusCode::kNotFound);
}

TEST(CompressModelTest, IncludeExcludeAndBadRegex) {
  ScratchDir dir;
  TinyModel tiny;
  auto source = *OpenModel(WriteTinyModel(dir, &tiny));
  CompressOptions opt;
  opt.exclude = {"q_proj"};
  auto report =
      CompressModel(*source, dir.File("none.seedlm"), opt, nullptr, {});
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->tensors[0].storage, Storage::kF32);
  opt.exclude = {"("};
  EXPECT_EQ(CompressModel(*source, dir.File("bad.seedlm"), opt, nullptr, {})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

// Two compressed tensors: an interrupted run can finish the first only.
std::string WriteTwoTensorModel(const ScratchDir& dir) {
  std::mt19937 rng(5);
  std::normal_distribution<double> g(0.0, 0.02);
  std::vector<float> a(48), b(40);
  for (float& x : a) x = static_cast<float>(g(rng));
  for (float& x : b) x = static_cast<float>(g(rng));
  auto span = [](const std::vector<float>& v) {
    return absl::Span<const uint8_t>(reinterpret_cast<const uint8_t*>(v.data()),
                                     v.size() * 4);
  };
  const std::string model = dir.File("two.safetensors");
  EXPECT_TRUE(
      WriteSafetensors(
          model,
          {{TensorInfo{"layers.0.attention.wq.weight", {3, 16}, DType::kF32},
            span(a)},
           {TensorInfo{"layers.0.attention.wk.weight", {5, 8}, DType::kF32},
            span(b)}},
          {})
          .ok());
  return model;
}

// Runs a compress that is cancelled while searching the second tensor.
void InterruptInSecondTensor(const ModelSource& source, const std::string& out,
                             const CompressOptions& opt) {
  std::atomic<bool> cancel{false};
  CompressCallbacks cb;
  cb.cancel = &cancel;
  cb.progress = [&](const std::string& name, int64_t, int64_t) {
    if (name == "layers.0.attention.wk.weight") cancel = true;
  };
  EXPECT_EQ(CompressModel(source, out, opt, nullptr, cb).status().code(),
            absl::StatusCode::kCancelled);
  EXPECT_FALSE(MappedFile::Open(out).ok());
}

// Interrupt after the first compressed tensor, then resume: the finished
// tensor is reused and the file equals an uninterrupted run's.
TEST(CompressModelTest, ResumeAfterCancelIsByteIdentical) {
  ScratchDir dir;
  auto source = *OpenModel(WriteTwoTensorModel(dir));
  CompressOptions opt;
  opt.codec = *PresetByName("4bit");
  const std::string clean = dir.File("clean.seedlm");
  ASSERT_TRUE(CompressModel(*source, clean, opt, nullptr, {}).ok());
  const std::string out = dir.File("resumed.seedlm");
  InterruptInSecondTensor(*source, out, opt);

  // Other options cannot resume this checkpoint.
  CompressOptions other = opt;
  other.resume = true;
  other.mode = ExponentMode::kFit;
  EXPECT_EQ(CompressModel(*source, out, other, nullptr, {}).status().code(),
            absl::StatusCode::kFailedPrecondition);

  opt.resume = true;
  auto report = CompressModel(*source, out, opt, nullptr, {});
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->reused_tensors, 1);
  EXPECT_EQ(*ReadFileToString(out, 1 << 20), *ReadFileToString(clean, 1 << 20));
  EXPECT_FALSE(MappedFile::Open(out + ".ckpt/manifest.json").ok());
}

// A damaged checkpoint payload is recomputed, not trusted.
TEST(CompressModelTest, ResumeRecomputesDamagedPayload) {
  ScratchDir dir;
  auto source = *OpenModel(WriteTwoTensorModel(dir));
  CompressOptions opt;
  const std::string clean = dir.File("clean.seedlm");
  ASSERT_TRUE(CompressModel(*source, clean, opt, nullptr, {}).ok());
  const std::string out = dir.File("damaged.seedlm");
  InterruptInSecondTensor(*source, out, opt);
  const std::string payload = out + ".ckpt/tensor-0.payload";
  std::string bytes = *ReadFileToString(payload, 1 << 20);
  ASSERT_FALSE(bytes.empty());
  bytes[3] ^= 0x40;
  ASSERT_TRUE(WriteFileAtomically(payload, bytes).ok());
  opt.resume = true;
  auto report = CompressModel(*source, out, opt, nullptr, {});
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->reused_tensors, 0);
  EXPECT_EQ(*ReadFileToString(out, 1 << 20), *ReadFileToString(clean, 1 << 20));
}

}  // namespace
}  // namespace seedlm
