#include "tests/testing/test_support.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <signal.h>
#include <sstream>

#include "core/json.h"

namespace zerorl::testing {
namespace {

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

bool IsDir(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

std::string SourceDir() { return EnvOr("ZERORL_SOURCE_DIR", ZERORL_DEFAULT_SOURCE_DIR); }
std::string BinaryDir() { return EnvOr("ZERORL_BINARY_DIR", ZERORL_DEFAULT_BINARY_DIR); }
std::string ZerorlBinary() { return BinaryDir() + "/zerorl"; }

std::string TestDataDir() {
  std::string dir = EnvOr("ZERORL_TEST_DATA", SourceDir() + "/../shared/data");
  return IsDir(dir) ? dir : "";
}

std::string TestDataPath(const std::string& relative) {
  std::string dir = TestDataDir();
  return dir.empty() ? "" : dir + "/" + relative;
}

TempDir::TempDir() {
  std::string pattern = EnvOr("TMPDIR", "/tmp") + "/zerorl-test-XXXXXX";
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  char* made = ::mkdtemp(buffer.data());
  if (made == nullptr) {
    ADD_FAILURE() << "mkdtemp " << pattern << ": " << std::strerror(errno);
    return;
  }
  path_ = made;
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string TempDir::WriteFile(const std::string& name, const std::string& contents) const {
  std::string full = Path(name);
  std::filesystem::create_directories(std::filesystem::path(full).parent_path());
  std::ofstream out(full, std::ios::binary);
  out << contents;
  return full;
}

CommandResult RunCommand(const std::vector<std::string>& argv, const std::string& stdin_text) {
  CommandResult result;
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) != 0 || ::pipe2(out_pipe, O_CLOEXEC) != 0 ||
      ::pipe2(err_pipe, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe: " << std::strerror(errno);
    return result;
  }
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(in_pipe[0], 0);
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    std::fprintf(stderr, "exec %s: %s\n", args[0], std::strerror(errno));
    ::_exit(127);
  }
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  // Feed stdin and drain both outputs together so neither side blocks on a full pipe.
  size_t written = 0;
  int in_fd = in_pipe[1];
  // Non-blocking: a large write to a blocking pipe waits for the whole amount, which never
  // comes while the child is itself blocked writing to a full stdout.
  ::fcntl(in_fd, F_SETFL, ::fcntl(in_fd, F_GETFL) | O_NONBLOCK);
  if (stdin_text.empty()) {
    ::close(in_fd);
    in_fd = -1;
  }
  bool out_open = true, err_open = true;
  char buffer[65536];
  while (out_open || err_open || in_fd >= 0) {
    struct pollfd fds[3];
    int n = 0;
    if (out_open) fds[n++] = {out_pipe[0], POLLIN, 0};
    if (err_open) fds[n++] = {err_pipe[0], POLLIN, 0};
    if (in_fd >= 0) fds[n++] = {in_fd, POLLOUT, 0};
    if (::poll(fds, n, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < n; ++i) {
      if (fds[i].revents == 0) continue;
      if (fds[i].fd == in_fd) {
        ssize_t w = ::write(in_fd, stdin_text.data() + written, stdin_text.size() - written);
        if (w > 0) written += static_cast<size_t>(w);
        if ((w < 0 && errno != EAGAIN && errno != EINTR) || written == stdin_text.size()) {
          ::close(in_fd);
          in_fd = -1;
        }
        continue;
      }
      ssize_t r = ::read(fds[i].fd, buffer, sizeof(buffer));
      bool is_out = fds[i].fd == out_pipe[0];
      if (r <= 0) {
        (is_out ? out_open : err_open) = false;
      } else {
        (is_out ? result.out : result.err).append(buffer, static_cast<size_t>(r));
      }
    }
  }
  ::close(out_pipe[0]);
  ::close(err_pipe[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

BackgroundProcess::BackgroundProcess(const std::vector<std::string>& argv,
                                     const std::string& log_path) {
  int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  pid_t pid = ::fork();
  if (pid == 0) {
    if (log_fd >= 0) {
      ::dup2(log_fd, 1);
      ::dup2(log_fd, 2);
    }
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    std::fprintf(stderr, "exec %s: %s\n", args[0], std::strerror(errno));
    ::_exit(127);
  }
  if (log_fd >= 0) ::close(log_fd);
  pid_ = pid;
}

BackgroundProcess::~BackgroundProcess() {
  if (pid_ > 0 && !exit_code_) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

std::optional<int> BackgroundProcess::Wait(int timeout_ms) {
  if (exit_code_) return exit_code_;
  for (int waited = 0;; waited += 20) {
    int status = 0;
    pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      return exit_code_;
    }
    if (waited >= timeout_ms) return std::nullopt;
    ::usleep(20000);
  }
}

void BackgroundProcess::Signal(int signal) {
  if (pid_ > 0 && !exit_code_) ::kill(pid_, signal);
}

std::vector<int> ChildPids(int parent_pid, const std::string& needle) {
  std::vector<int> pids;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    std::getline(stat, line);
    size_t close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    std::string state;
    int ppid = 0;
    rest >> state >> ppid;
    if (ppid != parent_pid) continue;
    std::ifstream cmdline_file(entry.path() / "cmdline");
    std::string cmdline((std::istreambuf_iterator<char>(cmdline_file)), {});
    for (char& c : cmdline) c = c == '\0' ? ' ' : c;
    if (cmdline.find(needle) != std::string::npos) pids.push_back(std::stoi(name));
  }
  return pids;
}

std::vector<rapidjson::Document> JsonLines(const std::string& text) {
  std::vector<rapidjson::Document> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    absl::StatusOr<rapidjson::Document> doc = core::ParseJson(line);
    EXPECT_TRUE(doc.ok()) << "not JSON: " << line;
    if (doc.ok()) lines.push_back(std::move(*doc));
  }
  return lines;
}

bool WaitUntil(const std::function<bool()>& condition, int timeout_ms) {
  for (int waited = 0; waited <= timeout_ms; waited += 50) {
    if (condition()) return true;
    ::usleep(50000);
  }
  return condition();
}

const char kTinyTrainConfig[] = R"({
  "run": {"name": "t", "seed": 3, "steps": 4, "eval_every": 2, "checkpoint_every": 1,
          "cold_start_sft_steps": 3, "log_samples_fraction": 0.5},
  "model": {"path": "", "dtype": "fp32", "threads": 1,
            "init": {"hidden_size": 32, "num_layers": 1, "num_heads": 2, "num_kv_heads": 1,
                     "intermediate_size": 64, "seed": 5}},
  "data": {"train": {"preset": "arithmetic", "count": 200, "seed": 1,
                     "arithmetic": {"digits_min": 1, "digits_max": 2, "operators": ["+"]}},
           "eval": [{"preset": "arithmetic", "name": "held_out", "count": 6, "seed": 9,
                     "arithmetic": {"digits_min": 1, "digits_max": 2, "operators": ["+"]}}],
           "template": "r1", "prompts_per_step": 4},
  "rollout": {"workers": 1, "max_batch": 8,
              "sampling": {"n": 4, "max_new_tokens": 24, "stop": ["</answer>"]}},
  "reward": {"workers": 1,
             "functions": [{"name": "math_accuracy"}, {"name": "format", "weight": 0.1}]},
  "learner": {"optimizer": {"lr": 1e-3}, "compute_dtype": "fp32",
              "sft": {"lr": 1e-3, "batch_size": 4, "max_length": 256}}
})";

}  // namespace zerorl::testing
