// Helpers every zerorl test may use: where the shared fixtures are, scratch folders that
// clean up after themselves, and running the zerorl binary as a user would.
#ifndef ZERORL_TESTS_TESTING_TEST_SUPPORT_H_
#define ZERORL_TESTS_TESTING_TEST_SUPPORT_H_

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace zerorl::testing {

// The fixture folder: $ZERORL_TEST_DATA, else <source>/../shared/data. Returns "" when it
// does not exist.
std::string TestDataDir();
// TestDataDir() + "/" + relative, or "" when the fixtures are absent.
std::string TestDataPath(const std::string& relative);

// The repository root and the build folder (where build/zerorl lives).
std::string SourceDir();
std::string BinaryDir();
std::string ZerorlBinary();

// A fresh folder under $TMPDIR, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string Path(const std::string& name) const { return path_ + "/" + name; }
  // Writes `contents` to path()/name and returns the full path.
  std::string WriteFile(const std::string& name, const std::string& contents) const;

 private:
  std::string path_;
};

struct CommandResult {
  int exit_code = -1;  // -1 when killed by a signal
  std::string out;
  std::string err;
};
// Runs `argv` (argv[0] a path) with `stdin_text` on stdin; captures stdout and stderr.
CommandResult RunCommand(const std::vector<std::string>& argv, const std::string& stdin_text = "");

}  // namespace zerorl::testing

// Skips the current test, visibly, when the shared fixtures are not present.
#define ZERORL_REQUIRE_TEST_DATA()                                                 \
  do {                                                                             \
    if (::zerorl::testing::TestDataDir().empty()) {                               \
      GTEST_SKIP() << "shared fixtures not found: set ZERORL_TEST_DATA (default "  \
                      "../shared/data next to the repository)";                    \
    }                                                                              \
  } while (0)

#endif  // ZERORL_TESTS_TESTING_TEST_SUPPORT_H_
