// `seedlm complete` (the real binary, as a child process) against an
// in-process InferenceService over a real InferenceCore on stories260K:
// the printed completion is `seedlm generate`'s (core Generate's) text,
// streamed or not; --json carries the same token ids; refusals print the
// server's code name and exit 1, or 2 for INVALID_ARGUMENT.
#include <memory>
#include <string>
#include <vector>

#include "core/runtime/generate.h"
#include "core/util/json_util.h"
#include "core/util/shared_data_gtest.h"
#include "gtest/gtest.h"
#include "server/inference/inference_test_util.h"
#include "tests/util/subprocess.h"

namespace seedlm::serve {
namespace {

using seedlm::testing::RunSubprocess;
using seedlm::testing::SubprocessResult;
using testing::kClientToken;
using testing::kModel;
using testing::kTokenizer;
using testing::kWorkerToken;
using testing::Served;

const std::string kSeedlm = std::string(SEEDLM_BIN_DIR) + "/seedlm";

class CompleteCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!std::filesystem::exists(kModel)) return;
    served_ = Served::Start(kModel, kTokenizer, ServeOptions()).release();
  }
  static void TearDownTestSuite() {
    delete served_;
    served_ = nullptr;
  }
  void SetUp() override {
    SEEDLM_NEED_SHARED_FILE(kModel);
    ASSERT_NE(served_, nullptr);
  }

  // seedlm complete --server ADDR <args>.
  static SubprocessResult Complete(std::vector<std::string> args) {
    std::vector<std::string> argv = {kSeedlm, "complete", "--server",
                                     served_->address()};
    argv.insert(argv.end(), args.begin(), args.end());
    seedlm::testing::SubprocessOptions o;
    o.timeout = std::chrono::seconds(120);
    absl::StatusOr<SubprocessResult> r = RunSubprocess(argv, o);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : SubprocessResult();
  }

  static Served* served_;
};

Served* CompleteCliTest::served_ = nullptr;

TEST_F(CompleteCliTest, PrintsTheGreedyCompletion) {
  GenerateOptions go;
  go.max_tokens = 40;
  absl::StatusOr<GenerateResult> want =
      seedlm::Generate(served_->core->model(), served_->core->tokenizer(),
                       "Once upon a time", go, nullptr, nullptr);
  ASSERT_TRUE(want.ok()) << want.status();
  ASSERT_FALSE(want->text.empty());
  const std::vector<std::string> base = {"--prompt",     "Once upon a time",
                                         "--max-tokens", "40",
                                         "--token",      kClientToken};
  for (const char* mode : {"", "--stream"}) {
    std::vector<std::string> args = base;
    if (*mode) args.push_back(mode);
    const SubprocessResult r = Complete(args);
    ASSERT_EQ(r.exit_code, 0) << mode << r.err;
    EXPECT_EQ(r.out, want->text + "\n") << mode;
    EXPECT_NE(r.err.find("finish: "), std::string::npos) << r.err;
  }
  std::vector<std::string> args = base;
  args.push_back("--json");
  const SubprocessResult j = Complete(args);
  ASSERT_EQ(j.exit_code, 0) << j.err;
  absl::StatusOr<Json> parsed = ParseJson(j.out, "stdout");
  ASSERT_TRUE(parsed.ok()) << parsed.status() << j.out;
  std::vector<int32_t> want_ids = want->ids;
  if (want->finish_reason == "eos") want_ids.pop_back();
  EXPECT_EQ((*parsed)["tokens"].get<std::vector<int32_t>>(), want_ids);
  EXPECT_EQ((*parsed)["text"].get<std::string>(), want->text);
  EXPECT_EQ((*parsed)["completion_tokens"].get<int>(),
            static_cast<int>(want->ids.size()));
  EXPECT_EQ((*parsed)["prompt_tokens"].get<int>(),
            static_cast<int>(want->prompt_ids.size()));
  // --stream --json: one line per token, then the summary.
  args.push_back("--stream");
  const SubprocessResult lines = Complete(args);
  ASSERT_EQ(lines.exit_code, 0) << lines.err;
  std::vector<int32_t> ids;
  std::string last;
  for (size_t pos = 0; pos < lines.out.size();) {
    const size_t nl = lines.out.find('\n', pos);
    ASSERT_NE(nl, std::string::npos);
    last = lines.out.substr(pos, nl - pos);
    pos = nl + 1;
    absl::StatusOr<Json> l = ParseJson(last, "stdout line");
    ASSERT_TRUE(l.ok()) << last;
    if (l->contains("id") && (*l)["id"].get<int>() >= 0) {
      ids.push_back((*l)["id"].get<int32_t>());
    }
  }
  EXPECT_EQ(ids, want_ids);
  EXPECT_NE(last.find("finish_reason"), std::string::npos) << last;
}

TEST_F(CompleteCliTest, RefusalsPrintTheCode) {
  // No token: UNAUTHENTICATED, exit 1.
  SubprocessResult r = Complete({"--prompt", "Once"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("UNAUTHENTICATED"), std::string::npos) << r.err;
  // A worker's token: PERMISSION_DENIED.
  r = Complete({"--prompt", "Once", "--token", kWorkerToken});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("PERMISSION_DENIED"), std::string::npos) << r.err;
  // Beyond the context (512): the server's INVALID_ARGUMENT, exit 2.
  r = Complete(
      {"--prompt", "Once", "--max-tokens", "600", "--token", kClientToken});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("INVALID_ARGUMENT"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("context"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());
  // A bad flag never dials: exit 2.
  r = Complete({"--prompt", "Once", "--top-p", "0"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
}

}  // namespace
}  // namespace seedlm::serve
