// Status helpers for zerorl: the two propagation macros Debian's Abseil lacks, and
// Annotate(), which says where an error happened without changing its code.
//
//   absl::StatusOr<Config> LoadConfig(const std::string& path) {
//     ASSIGN_OR_RETURN(std::string text, ReadFile(path));
//     RETURN_IF_ERROR(core::Annotate(Validate(text), path));  // "run.json: steps: ..."
//     ...
//   }
#ifndef ZERORL_CORE_STATUS_H_
#define ZERORL_CORE_STATUS_H_

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define ZERORL_STATUS_CONCAT_INNER_(a, b) a##b
#define ZERORL_STATUS_CONCAT_(a, b) ZERORL_STATUS_CONCAT_INNER_(a, b)

// Returns from the current function with `expr`'s status when it is not OK.
#define RETURN_IF_ERROR(expr)                                  \
  do {                                                         \
    ::absl::Status zerorl_status_ = (expr);                    \
    if (!zerorl_status_.ok()) return zerorl_status_;           \
  } while (0)

// `lhs` = the value of the StatusOr `rexpr`, or returns its status. `lhs` may declare a
// variable (`ASSIGN_OR_RETURN(auto x, F())`) or name an existing one. It expands to more
// than one statement: never the lone body of an `if`, `else` or loop without braces.
#define ASSIGN_OR_RETURN(lhs, rexpr) \
  ZERORL_ASSIGN_OR_RETURN_IMPL_(ZERORL_STATUS_CONCAT_(zerorl_statusor_, __LINE__), lhs, rexpr)

#define ZERORL_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                  \
  if (!statusor.ok()) return std::move(statusor).status();  \
  lhs = std::move(statusor).value()

namespace zerorl::core {

// Prefixes a non-OK status's message with `context` ("reading model.path: ...").
// An OK status is returned unchanged.
absl::Status Annotate(const absl::Status& status, const std::string& context);

}  // namespace zerorl::core

#endif  // ZERORL_CORE_STATUS_H_
