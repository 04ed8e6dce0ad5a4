#include "server/coordinator/job_spec.h"

#include <filesystem>
#include <fstream>

#include "core/model/model_test_util.h"
#include "gtest/gtest.h"

namespace seedlm::coordinator {
namespace {

using testing_util::ScratchDir;

JobSpec Valid() {
  JobSpec s;
  s.server_path = "models/m.safetensors";
  return s;
}

TEST(JobSpecTest, AcceptsAValidSpecAndMapsOptionsLikeTheCli) {
  JobSpec s = Valid();
  ASSERT_TRUE(ValidateJobSpec(s).ok());
  auto o = ToCompressOptions(s);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->codec, *PresetByName(kDefaultPreset));
  EXPECT_FALSE(o->exponent_bias.has_value());  // 4bit-p4: automatic
  s.preset = "4bit";
  EXPECT_EQ(*ToCompressOptions(s)->exponent_bias, 0);
  s.bias_policy = BiasPolicy::kAuto;
  EXPECT_FALSE(ToCompressOptions(s)->exponent_bias.has_value());
  s.bias_policy = BiasPolicy::kFixed;
  s.bias = -9;
  EXPECT_EQ(*ToCompressOptions(s)->exponent_bias, -9);
}

// A trellis preset: the fixed bias 0 by default; an automatic or other bias
// and a mode other than search are refused (the codec has no exponent).
TEST(JobSpecTest, TrellisPresetFixesTheBias) {
  JobSpec s = Valid();
  s.preset = "4bit-t";
  ASSERT_TRUE(ValidateJobSpec(s).ok());
  EXPECT_EQ(ToCompressOptions(s)->codec, *PresetByName("4bit-t"));
  EXPECT_EQ(*ToCompressOptions(s)->exponent_bias, 0);
  s.bias_policy = BiasPolicy::kAuto;
  EXPECT_EQ(ValidateJobSpec(s).code(), absl::StatusCode::kInvalidArgument);
  s.bias_policy = BiasPolicy::kFixed;
  s.bias = 0;
  EXPECT_TRUE(ValidateJobSpec(s).ok());
  s.bias = 3;
  EXPECT_EQ(ValidateJobSpec(s).code(), absl::StatusCode::kInvalidArgument);
  s.bias = 0;
  s.mode = ExponentMode::kFit;
  EXPECT_EQ(ValidateJobSpec(s).code(), absl::StatusCode::kInvalidArgument);
}

TEST(JobSpecTest, RejectsHostileFields) {
  auto code = [](JobSpec s) { return ValidateJobSpec(s).code(); };
  const auto kBad = absl::StatusCode::kInvalidArgument;
  JobSpec s = Valid();
  s.upload_id = "u1";
  EXPECT_EQ(code(s), kBad);  // both sources
  s = JobSpec{};
  EXPECT_EQ(code(s), kBad);  // neither
  for (const char* p :
       {"/etc/passwd", "../x", "a/../../x", "a//b", "./a", "a/."}) {
    s = Valid();
    s.server_path = p;
    EXPECT_EQ(code(s), kBad) << p;
  }
  s = Valid();
  s.server_path = std::string(2000, 'a');
  EXPECT_EQ(code(s), kBad);
  s = Valid();
  s.server_path = std::string("a\0b", 3);
  EXPECT_EQ(code(s), kBad);
  s = Valid();
  s.display_name = "\xff\xfe";
  EXPECT_EQ(code(s), kBad);
  s = Valid();
  s.preset = "9bit";
  EXPECT_EQ(code(s), kBad);
  s = Valid();
  s.bias_policy = BiasPolicy::kFixed;
  s.bias = 300;
  EXPECT_EQ(code(s), kBad);
  s = Valid();
  s.include.assign(65, "x");
  EXPECT_EQ(code(s), kBad);
  s = Valid();
  s.include = {"(unclosed"};
  EXPECT_EQ(code(s), kBad);
  s = Valid();
  s.request_id = std::string(129, 'r');
  EXPECT_EQ(code(s), kBad);
}

TEST(JobSpecTest, JsonRoundTrip) {
  JobSpec s = Valid();
  s.preset = "3bit-i8";
  s.mode = ExponentMode::kFit;
  s.bias_policy = BiasPolicy::kFixed;
  s.bias = -3;
  s.include = {"a.*"};
  s.exclude = {"b", "c"};
  s.request_id = "r1";
  s.display_name = "name";
  s.tokenizer_path = "tok.bin";
  auto back = JobSpecFromJson(JobSpecToJson(s));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(JobSpecToJson(*back), JobSpecToJson(s));
  EXPECT_EQ(JobSpecFromJson("{").status().code(), absl::StatusCode::kDataLoss);
}

TEST(JobSpecTest, ResolveUnderRootFollowsSymlinks) {
  ScratchDir dir;
  const std::string root = dir.File("root");
  std::filesystem::create_directories(root + "/sub");
  std::ofstream(root + "/sub/m.bin") << "x";
  std::ofstream(dir.File("outside.bin")) << "x";
  std::filesystem::create_symlink(dir.File("outside.bin"), root + "/link.bin");
  std::filesystem::create_symlink(root + "/sub/m.bin", root + "/ok.bin");
  auto ok = ResolveUnderRoot(root, "sub/m.bin");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_TRUE(ResolveUnderRoot(root, "ok.bin").ok());
  EXPECT_EQ(ResolveUnderRoot(root, "link.bin").status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ResolveUnderRoot(root, "nope").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(ResolveUnderRoot("", "x").status().code(),
            absl::StatusCode::kFailedPrecondition);
  // A sibling whose name starts with the root's is outside it.
  std::filesystem::create_directories(dir.File("root2"));
  std::ofstream(dir.File("root2/x")) << "x";
  std::filesystem::create_symlink(dir.File("root2/x"), root + "/sib");
  EXPECT_EQ(ResolveUnderRoot(root, "sib").status().code(),
            absl::StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace seedlm::coordinator
