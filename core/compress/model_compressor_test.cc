#include "core/compress/model_compressor.h"

#include <cstring>
#include <random>

#include "gtest/gtest.h"
#include "core/model/model_test_util.h"
#include "core/model/safetensors.h"
#include "core/util/file_util.h"

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
  EXPECT_TRUE(WriteSafetensors(
                  path,
                  {{TensorInfo{"model.layers.0.self_attn.q_proj.weight", {4, 20},
                               DType::kF32},
                    bytes(m->q.data(), 320)},
                   {TensorInfo{"model.norm.weight", {20}, DType::kBF16},
                    bytes(m->n.data(), 40)}},
                  {})
                  .ok());
  return path;
}

TEST(CompressModelTest, WritesContainerAndReport) {
  ScratchDir dir;
  TinyModel tiny;
  auto source = *OpenModel(WriteTinyModel(dir, &tiny));
  CompressOptions opt;
  opt.search.codec = *PresetByName("4bit");
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
  double se = 0;
  for (int i = 0; i < 80; ++i) se += (double(tiny.q[i]) - dec[i]) * (double(tiny.q[i]) - dec[i]);
  EXPECT_DOUBLE_EQ(se, report->tensors[0].sq_error);
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
  auto report = CompressModel(*source, dir.File("none.seedlm"), opt, nullptr, {});
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->tensors[0].storage, Storage::kF32);
  opt.exclude = {"("};
  EXPECT_EQ(CompressModel(*source, dir.File("bad.seedlm"), opt, nullptr, {})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace seedlm
