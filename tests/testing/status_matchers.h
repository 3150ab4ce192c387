// GoogleMock matchers for absl::Status and absl::StatusOr<T>, so a test asserts the exact
// error a header promises instead of "not ok":
//
//   EXPECT_THAT(controller->Submit(batch), StatusIs(absl::StatusCode::kAlreadyExists));
//   EXPECT_THAT(LoadConfig("bad.json"),                  // a StatusOr<Config>
//               StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("run.steps")));
//   ASSERT_THAT(link.status(), IsOk());
//
// StatusIs(code) matches a status (or a StatusOr's status) with that code, whatever its
// message; StatusIs(code, m) also requires the message to match `m`, a string (compared
// exactly) or any matcher of std::string (HasSubstr, StartsWith, ...). IsOk() matches an OK
// status and a StatusOr that holds a value. On a mismatch the failure names the actual
// code and message.
#ifndef ZERORL_TESTS_TESTING_STATUS_MATCHERS_H_
#define ZERORL_TESTS_TESTING_STATUS_MATCHERS_H_

#include <ostream>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"

namespace zerorl::testing {
namespace status_internal {

inline const absl::Status& StatusOf(const absl::Status& status) { return status; }
template <typename T>
const absl::Status& StatusOf(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

inline void Explain(const absl::Status& status, ::testing::MatchResultListener* listener) {
  if (status.ok()) {
    *listener << "which is OK";
  } else {
    *listener << "which is " << absl::StatusCodeToString(status.code()) << ": \""
              << status.message() << "\"";
  }
}

// The polymorphic matcher behind StatusIs: works on Status and on any StatusOr<T>.
class StatusIsMatcher {
 public:
  StatusIsMatcher(absl::StatusCode code, ::testing::Matcher<const std::string&> message)
      : code_(code), message_(std::move(message)) {}

  template <typename StatusLike>
  bool MatchAndExplain(const StatusLike& value, ::testing::MatchResultListener* listener) const {
    const absl::Status& status = StatusOf(value);
    Explain(status, listener);
    if (status.code() != code_) return false;
    ::testing::StringMatchResultListener message_listener;
    if (!message_.MatchAndExplain(std::string(status.message()), &message_listener)) {
      std::string why = message_listener.str();
      if (!why.empty()) *listener << ", whose message " << why;
      return false;
    }
    return true;
  }
  void DescribeTo(std::ostream* os) const {
    *os << "has status " << absl::StatusCodeToString(code_) << " and a message that ";
    message_.DescribeTo(os);
  }
  void DescribeNegationTo(std::ostream* os) const {
    *os << "does not have status " << absl::StatusCodeToString(code_)
        << " or has a message that ";
    message_.DescribeNegationTo(os);
  }

 private:
  absl::StatusCode code_;
  ::testing::Matcher<const std::string&> message_;
};

class IsOkMatcher {
 public:
  template <typename StatusLike>
  bool MatchAndExplain(const StatusLike& value, ::testing::MatchResultListener* listener) const {
    const absl::Status& status = StatusOf(value);
    Explain(status, listener);
    return status.ok();
  }
  void DescribeTo(std::ostream* os) const { *os << "is OK"; }
  void DescribeNegationTo(std::ostream* os) const { *os << "is not OK"; }
};

}  // namespace status_internal

// A Status or StatusOr whose code is `code` and whose message matches `message` (a string
// compared exactly, or a string matcher such as ::testing::HasSubstr("limit")).
template <typename MessageMatcher>
::testing::PolymorphicMatcher<status_internal::StatusIsMatcher> StatusIs(
    absl::StatusCode code, MessageMatcher&& message) {
  return ::testing::MakePolymorphicMatcher(status_internal::StatusIsMatcher(
      code, ::testing::Matcher<const std::string&>(std::forward<MessageMatcher>(message))));
}

// A Status or StatusOr whose code is `code`, whatever its message.
inline ::testing::PolymorphicMatcher<status_internal::StatusIsMatcher> StatusIs(
    absl::StatusCode code) {
  return StatusIs(code, ::testing::A<const std::string&>());
}

// An OK Status, or a StatusOr that holds a value.
inline ::testing::PolymorphicMatcher<status_internal::IsOkMatcher> IsOk() {
  return ::testing::MakePolymorphicMatcher(status_internal::IsOkMatcher());
}

}  // namespace zerorl::testing

#endif  // ZERORL_TESTS_TESTING_STATUS_MATCHERS_H_
