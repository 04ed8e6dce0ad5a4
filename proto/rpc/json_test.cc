#include "proto/rpc/json.h"

#include "gtest/gtest.h"
#include "seedlm/v1/compression.pb.h"

namespace seedlm::rpc {
namespace {

TEST(JsonTest, ProtoNamesEveryFieldInt64AsString) {
  v1::Job job;
  job.set_id("j1");
  job.set_state(v1::JOB_STATE_RUNNING);
  job.mutable_progress()->set_blocks_done(12);
  v1::TensorProgress* t = job.mutable_progress()->add_tensors();
  t->set_name("<img src=x>\"");
  absl::StatusOr<std::string> json = ToJson(job);
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_NE(json->find("\"state\":\"JOB_STATE_RUNNING\""), std::string::npos);
  EXPECT_NE(json->find("\"blocks_done\":\"12\""), std::string::npos);
  // Defaults present, proto names kept.
  EXPECT_NE(json->find("\"blocks_total\":\"0\""), std::string::npos);
  EXPECT_NE(json->find("\"result_sha256\":\"\""), std::string::npos);
  EXPECT_EQ(json->find('\n'), std::string::npos);
  v1::Job back;
  ASSERT_TRUE(FromJson(*json, &back).ok());
  EXPECT_EQ(back.progress().tensors(0).name(), "<img src=x>\"");
  EXPECT_EQ(back.progress().blocks_done(), 12);
}

TEST(JsonTest, FromJsonRefusesGarbage) {
  v1::Job job;
  EXPECT_EQ(FromJson("{\"nope\":1}", &job).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FromJson("{", &job).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace seedlm::rpc
