// Helpers for the sandbox tests: one Sandbox per test binary (per option set), short limits
// so that the suite stays fast on two cores, and checks of the host after a run.
#ifndef ZERORL_TESTS_VERIFIERS_SANDBOX_SANDBOX_TESTING_H_
#define ZERORL_TESTS_VERIFIERS_SANDBOX_SANDBOX_TESTING_H_

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "verifiers/sandbox/judge.h"
#include "verifiers/sandbox/sandbox.h"

namespace zerorl::sandbox::testing {

// A host uid/gid no other process uses, so that "no process of the box is left" can be
// checked by uid even while other tests run sandboxes in parallel (root only; as non-root
// the box runs as the caller).
inline uid_t TestOuterId() { return 200000 + static_cast<uid_t>(::getpid() % 100000); }

inline SandboxOptions TestOptions(bool loopback = false) {
  SandboxOptions options;
  options.outer_uid_when_root = TestOuterId();
  options.outer_gid_when_root = TestOuterId();
  options.allow_loopback_network = loopback;
  return options;
}

// One Sandbox per option set for the whole binary, destroyed at exit (which removes its
// cgroups); aborts the binary if it cannot be made.
inline const Sandbox& SharedSandbox(bool loopback = false) {
  static std::map<bool, std::unique_ptr<Sandbox>> sandboxes;
  std::unique_ptr<Sandbox>& slot = sandboxes[loopback];
  if (slot == nullptr) {
    absl::StatusOr<std::unique_ptr<Sandbox>> made = Sandbox::Create(TestOptions(loopback));
    if (!made.ok()) {
      ADD_FAILURE() << made.status();
      std::abort();
    }
    slot = std::move(*made);
  }
  return *slot;
}

// Small limits: hostile programs end in seconds, not the defaults' tens of seconds.
inline Limits FastLimits() {
  Limits limits;
  limits.wall_time_ms = 3000;
  limits.cpu_time_ms = 3000;
  limits.memory_mib = 256;
  limits.max_processes = 32;
  limits.file_size_mib = 8;
  limits.work_dir_mib = 16;
  limits.stdout_limit_bytes = 1 << 20;
  limits.stderr_limit_bytes = 64 << 10;
  return limits;
}

inline RunResult MustRun(const Sandbox& sandbox, const std::string& language,
                         const std::string& code, const Limits& limits = FastLimits(),
                         const std::string& stdin_data = "") {
  RunRequest request;
  request.language = language;
  request.code = code;
  request.limits = limits;
  request.stdin_data = stdin_data;
  absl::StatusOr<RunResult> result = sandbox.Run(request);
  EXPECT_TRUE(result.ok()) << result.status();
  if (result.ok()) {
    EXPECT_NE(result->status, RunStatus::kSandboxError) << result->error;
  }
  return result.ok() ? *result : RunResult{};
}

inline RunResult RunPython(const std::string& code, const Limits& limits = FastLimits(),
                           const std::string& stdin_data = "") {
  return MustRun(SharedSandbox(), "python", code, limits, stdin_data);
}

inline std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Is this /proc/PID/status text that of a process that is PID 1 of its own PID namespace
// ("NSpid:\t<host pid>\t1")? A box's init is; no program in a box can be (init holds it).
inline bool IsNamespaceInit(const std::string& status) {
  size_t at = status.find("\nNSpid:\t");
  if (at == std::string::npos) return false;
  std::string pids = status.substr(at + 8, status.find('\n', at + 1) - at - 8);
  return pids.find('\t') != std::string::npos && pids.substr(pids.rfind('\t') + 1) == "1";
}

// Host processes whose real uid is `uid`, as "pid cmdline"; with `skip_box_inits`, not
// counting the inits of warm boxes (idle between runs, as SandboxOptions::warm_boxes says).
inline std::vector<std::string> ProcessesOfUid(uid_t uid, bool skip_box_inits = false) {
  std::vector<std::string> found;
  DIR* dir = ::opendir("/proc");
  if (dir == nullptr) return found;
  while (struct dirent* entry = ::readdir(dir)) {
    std::string name = entry->d_name;
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string status = ReadText("/proc/" + name + "/status");
    size_t at = status.find("\nUid:\t");
    if (at == std::string::npos) continue;
    if (std::stoul(status.substr(at + 6)) == uid && !(skip_box_inits && IsNamespaceInit(status))) {
      found.push_back(name + " " + ReadText("/proc/" + name + "/cmdline"));
    }
  }
  ::closedir(dir);
  return found;
}

// What a run must leave unchanged on the host: its mounts, and (as root) no process of the
// box's host uid but the inits of warm boxes (sandbox_reuse_test.cc checks that a reused box
// holds nothing of the last run).
class HostSnapshot {
 public:
  HostSnapshot() : mounts_(ReadText("/proc/self/mountinfo")) {}
  void ExpectUnchanged() const {
    EXPECT_EQ(ReadText("/proc/self/mountinfo"), mounts_) << "the host's mounts changed";
    if (::geteuid() == 0) {
      EXPECT_EQ(ProcessesOfUid(TestOuterId(), /*skip_box_inits=*/true), std::vector<std::string>{})
          << "processes of the box survived the run";
    }
  }

 private:
  std::string mounts_;
};

inline bool PathExists(const std::string& path) {
  struct stat info;
  return ::lstat(path.c_str(), &info) == 0;
}

}  // namespace zerorl::sandbox::testing

#endif  // ZERORL_TESTS_VERIFIERS_SANDBOX_SANDBOX_TESTING_H_
