#include "proto/rpc/status.h"

#include "gtest/gtest.h"

namespace seedlm::rpc {
namespace {

TEST(RpcStatusTest, RoundTripsEveryCanonicalCode) {
  for (int code = 1; code <= 16; ++code) {
    absl::Status s(static_cast<absl::StatusCode>(code), "msg");
    grpc::Status g = ToGrpcStatus(s);
    EXPECT_EQ(static_cast<int>(g.error_code()), code);
    EXPECT_EQ(g.error_message(), "msg");
    EXPECT_EQ(FromGrpcStatus(g), s);
  }
}

TEST(RpcStatusTest, OkStaysOk) {
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
  EXPECT_TRUE(FromGrpcStatus(grpc::Status::OK).ok());
}

// A grpc::StatusCode outside the enum is undefined behaviour to even hold,
// so the range check is tested on the int it starts from.
TEST(RpcStatusTest, OutOfRangeWireCodeIsUnknown) {
  EXPECT_EQ(CodeFromWire(99), absl::StatusCode::kUnknown);
  EXPECT_EQ(CodeFromWire(17), absl::StatusCode::kUnknown);
  EXPECT_EQ(CodeFromWire(-1), absl::StatusCode::kUnknown);
  EXPECT_EQ(CodeFromWire(16), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(CodeFromWire(0), absl::StatusCode::kOk);
}

}  // namespace
}  // namespace seedlm::rpc
