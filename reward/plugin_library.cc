// The "plugin" reward function: a shared library run in a plugin host child process
// (plugin_host.h), one completion at a time, restarted whenever it crashes, hangs or
// breaks the ABI contract.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "reward/internal/plugin_wire.h"
#include "reward/internal/text.h"
#include "reward/plugin_abi.h"
#include "reward/plugin_host.h"
#include "reward/reward_function.h"

extern char** environ;

namespace zerorl::reward {
namespace {

using Clock = std::chrono::steady_clock;
using plugin_wire::ReadResult;

// After this many failed completions in a row (crash, timeout, garbage) the rest of the
// batch is marked as errors without trying: a plugin that dies on everything costs three
// restarts per batch, not one per completion.
constexpr int kMaxConsecutiveFailures = 3;
// Loading (dlopen + init) may take longer than scoring one completion.
constexpr std::chrono::milliseconds kMinLoadTimeout{10000};
// How long a host may take to exit after its socket closes before it is killed.
constexpr std::chrono::milliseconds kExitGrace{1000};

std::string DescribeWaitStatus(int status) {
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    const char* name = ::sigdescr_np(sig);
    return absl::StrCat("killed by signal ", sig, " (", name != nullptr ? name : "?", ")");
  }
  if (WIFEXITED(status)) return absl::StrCat("exited with code ", WEXITSTATUS(status));
  return "stopped";
}

// One running host process and our end of its socket.
class HostProcess {
 public:
  // Starts the host and loads the library. kFailedPrecondition when the host cannot run or
  // the library cannot be loaded (the message says why).
  static absl::StatusOr<std::unique_ptr<HostProcess>> Start(const std::vector<std::string>& command,
                                                            const plugin_wire::LoadRequest& load,
                                                            std::chrono::milliseconds timeout) {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
      return absl::InternalError(absl::StrCat("socketpair: ", strerror(errno)));
    }
    std::unique_ptr<HostProcess> host(new HostProcess(sv[0]));
    // posix_spawn's dup2 keeps close-on-exec when source and target are the same fd.
    int child_end = sv[1];
    if (child_end == kPluginHostFd) {
      child_end = ::fcntl(sv[1], F_DUPFD_CLOEXEC, kPluginHostFd + 1);
      ::close(sv[1]);
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, 2, 1);  // the plugin's prints go to stderr
    posix_spawn_file_actions_adddup2(&actions, child_end, kPluginHostFd);
    posix_spawn_file_actions_addclosefrom_np(&actions, kPluginHostFd + 1);
    std::vector<char*> argv;
    for (const std::string& a : command) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    int rc = ::posix_spawnp(&host->pid_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(child_end);
    if (rc != 0) {
      host->pid_ = -1;
      return absl::FailedPreconditionError(absl::StrCat("cannot run the plugin host \"",
                                                        absl::StrJoin(command, " "), "\": ",
                                                        strerror(rc)));
    }
    std::string frame;
    plugin_wire::LoadReply reply;
    if (!plugin_wire::WriteFrame(host->fd_, plugin_wire::Encode(load)) ||
        plugin_wire::ReadFrame(host->fd_, Clock::now() + std::max(timeout, kMinLoadTimeout),
                               &frame) != ReadResult::kOk ||
        !plugin_wire::Decode(frame, &reply)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the plugin host \"", absl::StrJoin(command, " "), "\" did not load it: ",
          host->Stop(/*kill=*/true)));
    }
    if (!reply.ok) return absl::FailedPreconditionError(reply.error);
    return host;
  }

  ~HostProcess() { Stop(/*kill=*/false); }

  enum class Outcome { kOk, kTimeout, kDied };

  Outcome Call(const plugin_wire::ScoreRequest& request, std::chrono::milliseconds timeout,
               plugin_wire::ScoreReply* reply) {
    if (!plugin_wire::WriteFrame(fd_, plugin_wire::Encode(request))) return Outcome::kDied;
    std::string frame;
    switch (plugin_wire::ReadFrame(fd_, Clock::now() + timeout, &frame)) {
      case ReadResult::kTimeout: return Outcome::kTimeout;
      case ReadResult::kClosed: return Outcome::kDied;
      case ReadResult::kOk: break;
    }
    if (!plugin_wire::Decode(frame, reply) || reply->seq != request.seq) return Outcome::kDied;
    return Outcome::kOk;
  }

  // Closes the socket and reaps the host (killing it at once, or after kExitGrace); returns
  // how it ended ("killed by signal 11 (Segmentation fault)").
  std::string Stop(bool kill) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    if (pid_ <= 0) return "not running";
    if (kill) ::kill(pid_, SIGKILL);
    int status = 0;
    Clock::time_point give_up = Clock::now() + kExitGrace;
    pid_t done;
    while ((done = ::waitpid(pid_, &status, WNOHANG)) == 0 && Clock::now() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (done == 0) {
      ::kill(pid_, SIGKILL);
      done = ::waitpid(pid_, &status, 0);
    }
    pid_ = -1;
    return done > 0 ? DescribeWaitStatus(status) : "lost (waitpid failed)";
  }

 private:
  explicit HostProcess(int fd) : fd_(fd) {}
  int fd_ = -1;
  pid_t pid_ = -1;
};

class LibraryPlugin : public RewardFunction {
 public:
  LibraryPlugin(const config::PluginOptions& options, std::chrono::milliseconds timeout,
                std::vector<std::string> command, std::unique_ptr<HostProcess> host)
      : load_{options.library, options.args},
        timeout_(timeout),
        command_(std::move(command)),
        host_(std::move(host)) {}

  void Score(const ScoringContext& context, std::vector<wire::FunctionScore>* out) override {
    int failures_in_a_row = 0;
    std::string last_failure;
    for (size_t i = 0; i < context.size(); ++i) {
      if (failures_in_a_row >= kMaxConsecutiveFailures) {
        ++counters_.skipped;
        (*out)[i] = reward::Error(absl::StrCat("not scored: the plugin failed ", failures_in_a_row,
                                       " times in a row in this batch (last: ", last_failure, ")"));
        continue;
      }
      (*out)[i] = ScoreOne(context, i);
      if ((*out)[i].mark == wire::ScoreMark::kError) {
        ++failures_in_a_row;
        last_failure = (*out)[i].detail;
      } else {
        failures_in_a_row = 0;
      }
    }
  }

  void AddCounters(const std::string& prefix, std::map<std::string, double>* out) const override {
    (*out)[prefix + "crashes"] = static_cast<double>(counters_.crashes);
    (*out)[prefix + "timeouts"] = static_cast<double>(counters_.timeouts);
    (*out)[prefix + "garbage"] = static_cast<double>(counters_.garbage);
    (*out)[prefix + "restarts"] = static_cast<double>(counters_.restarts);
    (*out)[prefix + "start_failures"] = static_cast<double>(counters_.start_failures);
    (*out)[prefix + "skipped"] = static_cast<double>(counters_.skipped);
  }

 private:
  wire::FunctionScore ScoreOne(const ScoringContext& context, size_t i) {
    if (host_ == nullptr) {
      absl::StatusOr<std::unique_ptr<HostProcess>> started =
          HostProcess::Start(command_, load_, timeout_);
      if (!started.ok()) {
        ++counters_.start_failures;
        return Error("plugin restart failed: " + std::string(started.status().message()));
      }
      host_ = *std::move(started);
      ++counters_.restarts;
    }
    plugin_wire::ScoreRequest request;
    request.seq = ++seq_;
    request.prompt = context.prompt_of(i).text;
    request.completion = context.sample(i).completion;
    request.answer = context.prompt_of(i).answer;
    request.metadata = context.prompt_of(i).metadata;
    request.num_tokens = context.sample(i).num_tokens;
    plugin_wire::ScoreReply reply;
    switch (host_->Call(request, timeout_, &reply)) {
      case HostProcess::Outcome::kTimeout:
        ++counters_.timeouts;
        host_->Stop(/*kill=*/true);
        host_.reset();
        return Error(absl::StrCat("plugin timed out after ", timeout_.count(),
                                  " ms; its host was killed and is restarted"));
      case HostProcess::Outcome::kDied: {
        ++counters_.crashes;
        std::string how = host_->Stop(/*kill=*/true);
        host_.reset();
        return Error("plugin crashed: its host " + how + "; restarted");
      }
      case HostProcess::Outcome::kOk:
        break;
    }
    std::string broken = BrokenContract(reply);
    if (!broken.empty()) {
      ++counters_.garbage;
      host_.reset();  // its state is not to be trusted any more
      return Error("plugin broke the ABI contract: " + broken + "; restarted");
    }
    std::string detail = text::Shorten(reply.detail, ZERORL_REWARD_DETAIL_SIZE);
    switch (reply.status) {
      case ZERORL_REWARD_OK: return Ok(reply.score, std::move(detail));
      case ZERORL_REWARD_NOT_APPLICABLE: return NotApplicable(std::move(detail));
      default: return Error(detail.empty() ? "the plugin returned an error" : detail);
    }
  }

  static std::string BrokenContract(const plugin_wire::ScoreReply& reply) {
    if (reply.status != ZERORL_REWARD_OK && reply.status != ZERORL_REWARD_NOT_APPLICABLE &&
        reply.status != ZERORL_REWARD_ERROR) {
      return absl::StrCat("unknown status ", reply.status);
    }
    if (reply.status == ZERORL_REWARD_OK && !std::isfinite(reply.score)) {
      return absl::StrCat("non-finite score ", reply.score);
    }
    if (!reply.detail_terminated) return "detail is not NUL-terminated";
    return "";
  }

  struct Counters {
    int64_t crashes = 0, timeouts = 0, garbage = 0, restarts = 0, start_failures = 0, skipped = 0;
  };

  const plugin_wire::LoadRequest load_;
  const std::chrono::milliseconds timeout_;
  const std::vector<std::string> command_;
  std::unique_ptr<HostProcess> host_;  // null between a failure and the next completion
  uint64_t seq_ = 0;
  Counters counters_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<RewardFunction>> MakeLibraryPlugin(
    const config::PluginOptions& options, int timeout_ms,
    const std::vector<std::string>& host_command, const std::string& key) {
  if (host_command.empty()) {
    return absl::FailedPreconditionError(
        key + ": this program cannot host plugins (no plugin host command was given)");
  }
  plugin_wire::LoadRequest load{options.library, options.args};
  std::chrono::milliseconds timeout(timeout_ms);
  absl::StatusOr<std::unique_ptr<HostProcess>> host = HostProcess::Start(host_command, load, timeout);
  if (!host.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(key, ".library: plugin \"", options.library,
                                                      "\": ", host.status().message()));
  }
  return std::make_unique<LibraryPlugin>(options, timeout, host_command, *std::move(host));
}

}  // namespace zerorl::reward
