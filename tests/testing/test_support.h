// Helpers every zerorl test may use: where the shared fixtures are, scratch folders that
// clean up after themselves, and running the zerorl binary as a user would.
#ifndef ZERORL_TESTS_TESTING_TEST_SUPPORT_H_
#define ZERORL_TESTS_TESTING_TEST_SUPPORT_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "rapidjson/document.h"

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

// One document per line of `text` (a command's JSON-lines output). A line that is not JSON
// fails the current test (and is left out).
std::vector<rapidjson::Document> JsonLines(const std::string& text);

// A `zerorl train` config that runs in seconds: a 17k-parameter model made from scratch,
// 1-2 digit additions, 3 cold-start SFT steps, 4 GRPO steps, eval every 2, run name "t".
extern const char kTinyTrainConfig[];

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

// A child process running in the background, its stdout+stderr appended to `log_path`.
// The destructor kills it (SIGKILL) if it is still running.
class BackgroundProcess {
 public:
  BackgroundProcess(const std::vector<std::string>& argv, const std::string& log_path);
  ~BackgroundProcess();
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;
  int pid() const { return pid_; }
  // Exit code once it exits within `timeout_ms` (-1 for a signal), or nullopt.
  std::optional<int> Wait(int timeout_ms);
  void Signal(int signal);

 private:
  int pid_ = -1;
  std::optional<int> exit_code_;
};

// Processes whose parent is `parent_pid` and whose command line contains `needle`.
std::vector<int> ChildPids(int parent_pid, const std::string& needle);

// Polls `condition` every 50 ms until it holds or `timeout_ms` passes.
bool WaitUntil(const std::function<bool()>& condition, int timeout_ms);

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
