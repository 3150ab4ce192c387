// Comparing a program's stdout with the expected output of a stdin/stdout test, the way
// APPS / CodeContests / LiveCodeBench judges do: line by line after trimming trailing
// whitespace (spaces, tabs, \r) from every line and dropping trailing empty lines, so
// "5\r\n\n" equals "5". With a float tolerance, lines are compared token by token and two
// numeric tokens match when their absolute or relative difference is within it.
//
//   OutputComparison c = CompareOutput("1 2\n3\n", "1 2\n4\n", 0);
//   // c.equal == false, c.first_difference == "line 2: expected \"3\", got \"4\""
#ifndef ZERORL_VERIFIERS_SANDBOX_INTERNAL_COMPARE_H_
#define ZERORL_VERIFIERS_SANDBOX_INTERNAL_COMPARE_H_

#include <string>

#include "absl/strings/string_view.h"

namespace zerorl::sandbox {

struct OutputComparison {
  bool equal = false;
  std::string first_difference;  // "" when equal; lines are shown up to 80 characters
};

// `float_tolerance` 0 compares lines exactly (after trimming); > 0 compares tokens, with
// numbers equal when |a - b| <= tol or |a - b| <= tol * |expected|.
OutputComparison CompareOutput(absl::string_view expected, absl::string_view actual,
                               double float_tolerance);

}  // namespace zerorl::sandbox

#endif  // ZERORL_VERIFIERS_SANDBOX_INTERNAL_COMPARE_H_
