#include "tests/testing/status_matchers.h"

#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest-spi.h"
#include "gtest/gtest.h"

namespace zerorl::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

template <typename Matcher, typename Value>
std::string Explain(const Matcher& matcher, const Value& value) {
  ::testing::StringMatchResultListener listener;
  ::testing::ExplainMatchResult(matcher, value, &listener);
  return listener.str();
}

TEST(StatusIsTest, MatchesTheCodeOfAStatus) {
  absl::Status s = absl::NotFoundError("no such file: a.json");
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(s, Not(StatusIs(absl::StatusCode::kInvalidArgument)));
  EXPECT_THAT(absl::OkStatus(), StatusIs(absl::StatusCode::kOk));
  EXPECT_THAT(absl::OkStatus(), Not(StatusIs(absl::StatusCode::kNotFound)));
}

TEST(StatusIsTest, MatchesTheCodeOfAStatusOr) {
  absl::StatusOr<int> error = absl::OutOfRangeError("odd");
  absl::StatusOr<int> value = 3;
  EXPECT_THAT(error, StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_THAT(error, Not(StatusIs(absl::StatusCode::kInvalidArgument)));
  EXPECT_THAT(value, StatusIs(absl::StatusCode::kOk));
  // Move-only values are matched through a reference, never copied.
  absl::StatusOr<std::unique_ptr<int>> owned = absl::UnavailableError("busy");
  EXPECT_THAT(owned, StatusIs(absl::StatusCode::kUnavailable));
}

TEST(StatusIsTest, MessageIsComparedExactlyOrWithAMatcher) {
  absl::Status s = absl::InvalidArgumentError("prompts: 2000000 items, over the limit");
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument,
                          "prompts: 2000000 items, over the limit"));
  EXPECT_THAT(s, Not(StatusIs(absl::StatusCode::kInvalidArgument, "prompts")));
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("limit")));
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("prompts:")));
  EXPECT_THAT(s, Not(StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("frames"))));
  // The right message with the wrong code does not match.
  EXPECT_THAT(s, Not(StatusIs(absl::StatusCode::kNotFound, HasSubstr("limit"))));
  absl::StatusOr<std::string> or_error = absl::NotFoundError("missing.json");
  EXPECT_THAT(or_error, StatusIs(absl::StatusCode::kNotFound, std::string("missing.json")));
}

TEST(StatusIsTest, ExplainsAMismatchWithTheActualCodeAndMessage) {
  absl::Status s = absl::DataLossError("crc mismatch");
  EXPECT_EQ(Explain(StatusIs(absl::StatusCode::kNotFound), s), "which is DATA_LOSS: \"crc mismatch\"");
  EXPECT_EQ(Explain(StatusIs(absl::StatusCode::kNotFound), absl::StatusOr<int>(7)), "which is OK");
  EXPECT_EQ(::testing::DescribeMatcher<absl::Status>(
                StatusIs(absl::StatusCode::kNotFound, HasSubstr("x"))),
            "has status NOT_FOUND and a message that has substring \"x\"");
}

TEST(StatusIsTest, AFailingExpectationNamesTheActualStatus) {
  EXPECT_NONFATAL_FAILURE(
      EXPECT_THAT(absl::Status(absl::InternalError("boom")),
                  StatusIs(absl::StatusCode::kAlreadyExists)),
      "which is INTERNAL: \"boom\"");
}

TEST(IsOkTest, MatchesOkStatusesAndStatusOrsWithAValue) {
  EXPECT_THAT(absl::OkStatus(), IsOk());
  EXPECT_THAT(absl::StatusOr<int>(1), IsOk());
  EXPECT_THAT(absl::CancelledError("stop"), Not(IsOk()));
  EXPECT_THAT(absl::StatusOr<int>(absl::CancelledError("stop")), Not(IsOk()));
  EXPECT_EQ(Explain(IsOk(), absl::StatusOr<int>(absl::CancelledError("stop"))),
            "which is CANCELLED: \"stop\"");
}

}  // namespace
}  // namespace zerorl::testing
