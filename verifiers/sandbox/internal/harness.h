// Internal to the sandbox: the harness that runs assertion tests (HumanEval's
// `check(candidate)`, MBPP's assert lists, pytest-style files) after a solution, and proves
// to the parent that they finished.
//
// The exit(0) reward hack: a solution that calls exit(0) (or os._exit(0), or raises
// SystemExit, or kills itself, or prints "all tests passed") before the asserts run must not
// pass. Exit status and stdout are the solution's to forge, so the proof travels elsewhere:
//
//   * The parent draws a 128-bit nonce from getrandom() for every test.
//   * The harness gets the nonce, the solution and the tests in one memfd at fd 4 (the
//     payload). It reads it whole and closes it *before* any solution code runs: the nonce
//     and the tests are never in a file, argv, the environment, or an open descriptor the
//     solution can read (a solution cannot read the tests to hard-code answers either).
//   * The solution runs as module `solution` (so `from solution import f` works), then the
//     tests in the same namespace, then `check(<entry_point>)` when one is given.
//   * Only after the last assert returns does the harness write the nonce to fd 3, the write
//     end of a pipe the parent reads. A test passes when the process exited 0 *and* the
//     parent read exactly that nonce. An early exit leaves fd 3 empty; writing to fd 3
//     without the nonce (a solution can find the descriptor through /proc/self/fd) is
//     refused; so is closing or redirecting 1/2, which the harness does not rely on.
//   * The descriptor number is fixed and not secret: the nonce is the secret.
//
// What this cannot stop: tests run in the solution's own interpreter, so a solution written
// to attack this harness specifically (walking the interpreter's frames or memory to find
// the nonce after the harness has read it) could forge the proof; no in-process test
// runner can prevent that. It defeats the generic hacks a policy stumbles on.
#ifndef ZERORL_VERIFIERS_SANDBOX_INTERNAL_HARNESS_H_
#define ZERORL_VERIFIERS_SANDBOX_INTERNAL_HARNESS_H_

#include <string>

#include "absl/status/statusor.h"

namespace zerorl::sandbox {

// Exit code of the harness when an assertion failed (any other failure exits 1, the
// interpreter's code for an uncaught exception).
inline constexpr int kHarnessAssertionExitCode = 101;

// The Python source of the harness (run with python3 -c).
const std::string& PythonHarnessSource();

// 32 lower-case hex digits from getrandom(); kInternal if the kernel's generator fails.
absl::StatusOr<std::string> MakeNonce();

// The payload: "<nonce> <code bytes> <test bytes> <entry point or ->\n" + code + tests.
// kInvalidArgument when `entry_point` is not a Python identifier.
absl::StatusOr<std::string> MakeHarnessPayload(const std::string& nonce, const std::string& code,
                                               const std::string& tests,
                                               const std::string& entry_point);

}  // namespace zerorl::sandbox

#endif  // ZERORL_VERIFIERS_SANDBOX_INTERNAL_HARNESS_H_
