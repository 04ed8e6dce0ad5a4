// Attachment without the RPC: which messages are fatal, which only fail a
// step, and the bounds on what a server may ask.
#include "executor/attachment.h"

#include <string>
#include <vector>

#include "core/util/shared_data.h"
#include "core/util/shared_data_gtest.h"
#include "executor/fake_executor_service.h"
#include "gtest/gtest.h"

namespace seedlm::executor {
namespace {

namespace v1 = ::seedlm::v1;

#ifdef SEEDLM_HAVE_FPGA_SIM
constexpr bool kHaveFpgaSimForTest = true;
#else
constexpr bool kHaveFpgaSimForTest = false;
#endif
using testing_util::MakePlan;
using testing_util::Plan;

const std::string kStories = SharedDataPath("data/stories260K/stories260K.bin");

v1::ServerMessage AssignOf(int64_t plan, int begin, int end, int n_layers) {
  v1::ServerMessage m;
  m.mutable_assign()->set_plan_id(plan);
  m.mutable_assign()->set_layer_begin(begin);
  m.mutable_assign()->set_layer_end(end);
  m.mutable_assign()->set_n_layers(n_layers);
  return m;
}

TEST(Attachment, BadAssignIsFatalAndSticks) {
  Attachment a({});
  std::vector<v1::ExecutorMessage> out;
  absl::Status s = a.Apply(AssignOf(4, 2, 7, 5), &out);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  ASSERT_EQ(out.size(), 1u);
  ASSERT_TRUE(out[0].has_error());
  EXPECT_EQ(out[0].error().code(),
            static_cast<int>(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(out[0].error().plan_id(), 4);
  out.clear();
  // Once fatal, always fatal, and nothing more is said.
  s = a.Apply(AssignOf(5, 0, 0, 5), &out);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(out.empty());
}

TEST(Attachment, AssignBounds) {
  {
    Attachment a({});
    std::vector<v1::ExecutorMessage> out;
    v1::ServerMessage m = AssignOf(1, 0, 1, 5);
    m.mutable_assign()->set_tensor_count(kMaxTensorCount + 1);
    EXPECT_EQ(a.Apply(m, &out).code(), absl::StatusCode::kInvalidArgument);
  }
  {
    Attachment a({});
    std::vector<v1::ExecutorMessage> out;
    v1::ServerMessage m = AssignOf(1, 0, 0, 5);
    m.mutable_assign()->set_tensor_count(3);  // tensors for no layer
    EXPECT_EQ(a.Apply(m, &out).code(), absl::StatusCode::kInvalidArgument);
  }
  {
    // Plan ids must increase.
    Attachment a({});
    std::vector<v1::ExecutorMessage> out;
    ASSERT_TRUE(a.Apply(AssignOf(3, 0, 0, 5), &out).ok());
    ASSERT_EQ(out.size(), 1u);
    EXPECT_TRUE(out[0].has_loaded());
    EXPECT_EQ(a.Apply(AssignOf(3, 0, 0, 5), &out).code(),
              absl::StatusCode::kInvalidArgument);
  }
}

TEST(Attachment, StepErrorsAreNotFatal) {
  SEEDLM_NEED_SHARED_FILE(kStories);
  auto src = WeightSource::Open(kStories);
  ASSERT_TRUE(src.ok()) << src.status();
  Attachment a({});
  std::vector<v1::ExecutorMessage> out;
  const Plan plan = MakePlan(**src, 1, 0, 1, 1 << 20);
  for (const v1::ServerMessage& m : plan.messages) {
    ASSERT_TRUE(a.Apply(m, &out).ok());
  }
  ASSERT_FALSE(out.empty());
  EXPECT_TRUE(out.back().has_loaded());
  ASSERT_NE(a.executor(), nullptr);
  const int dim = (*src)->config().dim;

  v1::ServerMessage step;
  v1::Step* st = step.mutable_step();
  st->set_step_id(1);
  st->add_open(10);
  v1::StepRows* rows = st->add_rows();
  rows->set_seq(10);
  rows->set_n(2);
  st->set_hidden(std::string(dim * sizeof(float), '\0'));  // one row short
  out.clear();
  ASSERT_TRUE(a.Apply(step, &out).ok());
  ASSERT_EQ(out.size(), 1u);
  ASSERT_TRUE(out[0].has_error());
  EXPECT_EQ(out[0].error().code(),
            static_cast<int>(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(out[0].error().step_id(), 1);

  // A sequence that is not open: NOT_FOUND from the executor.
  st->set_step_id(2);
  st->clear_open();
  st->set_hidden(std::string(2 * dim * sizeof(float), '\0'));
  out.clear();
  ASSERT_TRUE(a.Apply(step, &out).ok());
  ASSERT_EQ(out.size(), 1u);
  ASSERT_TRUE(out[0].has_error());
  EXPECT_EQ(out[0].error().code(),
            static_cast<int>(absl::StatusCode::kNotFound));

  // The attachment still works.
  st->set_step_id(3);
  st->add_open(10);
  out.clear();
  ASSERT_TRUE(a.Apply(step, &out).ok());
  ASSERT_EQ(out.size(), 1u);
  ASSERT_TRUE(out[0].has_step_result()) << out[0].DebugString();
  EXPECT_EQ(out[0].step_result().hidden().size(), 2 * dim * sizeof(float));
}

TEST(Attachment, OutOfOrderTensorIsFatal) {
  SEEDLM_NEED_SHARED_FILE(kStories);
  auto src = WeightSource::Open(kStories);
  ASSERT_TRUE(src.ok()) << src.status();
  Attachment a({});
  std::vector<v1::ExecutorMessage> out;
  Plan plan = MakePlan(**src, 1, 0, 1, 1 << 20);
  ASSERT_TRUE(a.Apply(plan.messages[0], &out).ok());
  ASSERT_TRUE(plan.messages[1].has_tensor());
  plan.messages[1].mutable_tensor()->set_index(1);
  EXPECT_EQ(a.Apply(plan.messages[1], &out).code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].has_error());
}

// fpga-sim needs packed (seedlm) weights: a dense model's assignment is
// fatal with a message saying why (or that the build has no simulator).
TEST(Attachment, FpgaSimRefusesADenseModel) {
  SEEDLM_NEED_SHARED_FILE(kStories);
  auto src = WeightSource::Open(kStories);
  ASSERT_TRUE(src.ok()) << src.status();
  AttachmentOptions o;
  o.kind = "fpga-sim";
  Attachment a(o);
  EXPECT_EQ(a.description(), "fpga-sim (no engine loaded)");
  std::vector<v1::ExecutorMessage> out;
  const Plan plan = MakePlan(**src, 1, 0, 1, 1 << 20);
  absl::Status s;
  for (const v1::ServerMessage& m : plan.messages) {
    s = a.Apply(m, &out);
    if (!s.ok()) break;
  }
  EXPECT_EQ(s.code(), absl::StatusCode::kUnimplemented) << s;
  EXPECT_NE(
      s.message().find(kHaveFpgaSimForTest ? "fpga-sim: layers [0, 1) hold no "
                                             "seedlm-packed weight"
                                           : "no FPGA simulator"),
      std::string::npos)
      << s;
  ASSERT_FALSE(out.empty());
  EXPECT_TRUE(out.back().has_error());
  EXPECT_EQ(a.executor(), nullptr);
  EXPECT_EQ(a.fpga_cycles(), 0u);
}

}  // namespace
}  // namespace seedlm::executor
