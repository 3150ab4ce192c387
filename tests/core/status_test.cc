#include "core/status.h"

#include "gtest/gtest.h"

namespace zerorl::core {
namespace {

absl::Status FailIfNegative(int x) {
  if (x < 0) return absl::InvalidArgumentError("negative");
  return absl::OkStatus();
}

absl::StatusOr<int> Half(int x) {
  RETURN_IF_ERROR(FailIfNegative(x));
  if (x % 2 != 0) return absl::OutOfRangeError("odd");
  return x / 2;
}

absl::StatusOr<int> Quarter(int x) {
  ASSIGN_OR_RETURN(int half, Half(x));
  ASSIGN_OR_RETURN(half, Half(half));
  return half;
}

TEST(StatusMacrosTest, PropagatesTheFirstError) {
  EXPECT_EQ(Quarter(8).value(), 2);
  EXPECT_EQ(Quarter(-4).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Quarter(6).status().code(), absl::StatusCode::kOutOfRange);  // 6 -> 3 is odd
}

TEST(StatusMacrosTest, AnnotateKeepsTheCodeAndPrefixesTheMessage) {
  absl::Status s = Annotate(absl::NotFoundError("no such file"), "model.path");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "model.path: no such file");
  EXPECT_TRUE(Annotate(absl::OkStatus(), "x").ok());
}

}  // namespace
}  // namespace zerorl::core
