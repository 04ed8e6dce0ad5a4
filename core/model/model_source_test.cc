#include "core/model/model_source.h"

#include <sys/stat.h>

#include <string>
#include <vector>

#include "core/model/model_test_util.h"
#include "core/model/safetensors.h"
#include "gtest/gtest.h"

namespace seedlm {
namespace {

using testing_util::Put;
using testing_util::ReadAll;
using testing_util::ScratchDir;

TEST(OpenModelTest, MissingPathIsNotFound) {
  ScratchDir dir;
  EXPECT_EQ(OpenModel(dir.File("nope.bin")).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(OpenModelTest, UnknownFilesAreInvalidArgument) {
  ScratchDir dir;
  auto st =
      OpenModel(dir.Write("notes.txt", "hello world, no model here")).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("safetensors"), std::string::npos);
  EXPECT_NE(st.message().find("GGUF"), std::string::npos);
  EXPECT_NE(st.message().find("llama2.c"), std::string::npos);
  std::string neg;  // a .bin whose header cannot be llama2.c
  for (int32_t v : {64, -3, 5, 8, 4, 512, 512}) Put(&neg, v);
  EXPECT_EQ(OpenModel(dir.Write("neg.bin", neg)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(OpenModel(dir.Write("empty.bin", "")).status().code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_EQ(::mkfifo(dir.File("fifo.bin").c_str(), 0600), 0);
  EXPECT_EQ(OpenModel(dir.File("fifo.bin")).status().code(),
            absl::StatusCode::kInvalidArgument);  // and does not block
  // Plausible llama2.c header, wrong size: the llama2.c reader reports it.
  std::string plausible;
  for (int32_t v : {64, 172, 5, 8, 4, 512, 512}) Put(&plausible, v);
  EXPECT_EQ(OpenModel(dir.Write("short.bin", plausible)).status().code(),
            absl::StatusCode::kDataLoss);
}

TEST(OpenModelTest, SafetensorsDetectedByContent) {
  ScratchDir dir;
  const float v[2] = {1.f, 2.f};
  const std::vector<std::pair<TensorInfo, absl::Span<const uint8_t>>> list = {
      {{"w", {1, 2}, DType::kF32},
       absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(v), 8)}};
  ASSERT_TRUE(WriteSafetensors(dir.File("a.safetensors"), list, {}).ok());
  const std::string copy =
      dir.Write("weights.dat", ReadAll(dir.File("a.safetensors")));
  auto model = OpenModel(copy);
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ((*model)->metadata().source_format, "safetensors");
  EXPECT_EQ(*(*model)->Find("w"), 0u);
  EXPECT_EQ((*model)->Find("v").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ((*model)->RawBytes(1).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ((*model)->ReadFloat32(1).status().code(),
            absl::StatusCode::kInvalidArgument);
  // An explicit tokenizer is attached with the format its extension implies.
  OpenModelOptions opts;
  opts.tokenizer_path = dir.Write("tok.bin", "TOK");
  model = OpenModel(copy, opts);
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ((*model)->metadata().tokenizer_format, "llama2c-bin");
  EXPECT_EQ((*model)->metadata().tokenizer_data, "TOK");
}

TEST(OpenModelTest, DetectModelFormatIsTheDispatchOfOpenModel) {
  ScratchDir dir;
  EXPECT_EQ(DetectModelFormat(dir.path()).value(), ModelFormat::kHfDirectory);
  EXPECT_EQ(DetectModelFormat(dir.Write("x.bin", "GGUF....")).value(),
            ModelFormat::kGguf);
  EXPECT_EQ(DetectModelFormat(dir.Write("w.gguf", "")).value(),
            ModelFormat::kGguf);
  EXPECT_EQ(DetectModelFormat(dir.Write("w.safetensors", "")).value(),
            ModelFormat::kSafetensors);
  std::string plausible;
  for (int32_t v : {64, 172, 5, 8, 4, 512, 512}) Put(&plausible, v);
  EXPECT_EQ(DetectModelFormat(dir.Write("m.bin", plausible)).value(),
            ModelFormat::kLlama2c);
  // The same bytes without the .bin name are no model.
  EXPECT_EQ(DetectModelFormat(dir.Write("m.dat", plausible)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DetectModelFormat(dir.File("nope")).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(OpenModelTest, NumElements) {
  EXPECT_EQ(NumElements({}), 1);
  EXPECT_EQ(NumElements({3, 0, 2}), 0);
  EXPECT_EQ(NumElements({3, 4, 5}), 60);
}

}  // namespace
}  // namespace seedlm
