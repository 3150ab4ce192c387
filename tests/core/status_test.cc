#include "core/status.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace zerorl::core {
namespace {

using ::zerorl::testing::IsOk;
using ::zerorl::testing::StatusIs;

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
  EXPECT_THAT(Quarter(-4), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Quarter(6), StatusIs(absl::StatusCode::kOutOfRange));  // 6 -> 3 is odd
}

TEST(StatusMacrosTest, AnnotateKeepsTheCodeAndPrefixesTheMessage) {
  absl::Status s = Annotate(absl::NotFoundError("no such file"), "model.path");
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kNotFound, "model.path: no such file"));
  EXPECT_THAT(Annotate(absl::OkStatus(), "x"), IsOk());
}

}  // namespace
}  // namespace zerorl::core
