#include "train/launcher.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

#include "core/log.h"

namespace zerorl::train {
namespace {

using Clock = std::chrono::steady_clock;

std::chrono::milliseconds Backoff(int restarts) {
  int64_t ms = 1000LL << std::min(restarts, 5);
  return std::chrono::milliseconds(std::min<int64_t>(ms, 30000));
}

}  // namespace

std::string SelfExecutable() {
  char path[4096];
  ssize_t n = ::readlink("/proc/self/exe", path, sizeof(path) - 1);
  if (n <= 0) return "zerorl";
  path[n] = '\0';
  return path;
}

absl::Status WorkerProcesses::Start(const std::string& id, std::vector<std::string> argv,
                                    const std::string& log_path) {
  WorkerProcess worker;
  worker.id = id;
  worker.argv = std::move(argv);
  worker.log_path = log_path;
  absl::Status started = Spawn(worker);
  workers_.push_back(std::move(worker));
  return started;
}

absl::Status WorkerProcesses::Spawn(WorkerProcess& worker) {
  int log_fd = ::open(worker.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    return absl::UnavailableError("cannot open worker log " + worker.log_path + ": " +
                                  std::strerror(errno));
  }
  std::vector<char*> args;
  for (const std::string& a : worker.argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(log_fd);
    return absl::UnavailableError(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    // The worker dies with the trainer, even on SIGKILL of the trainer.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(1);
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    ::signal(SIGINT, SIG_IGN);  // Ctrl-C is for the trainer, which shuts workers down itself
    ::execv(args[0], args.data());
    std::fprintf(stderr, "exec %s: %s\n", args[0], std::strerror(errno));
    ::_exit(127);
  }
  ::close(log_fd);
  worker.pid = pid;
  ZLOG(INFO) << "started " << worker.id << " (pid " << pid << ", log " << worker.log_path << ")";
  return absl::OkStatus();
}

int WorkerProcesses::Poll() {
  int restarted = 0;
  for (WorkerProcess& w : workers_) {
    if (w.pid > 0) {
      int status = 0;
      pid_t done = ::waitpid(w.pid, &status, WNOHANG);
      if (done != w.pid) continue;
      std::string how = WIFSIGNALED(status) ? "killed by signal " + std::to_string(WTERMSIG(status))
                                            : "exited with code " + std::to_string(WEXITSTATUS(status));
      w.restart_at = Clock::now() + Backoff(w.restarts);
      ZLOG(WARNING) << w.id << " (pid " << w.pid << ") " << how << "; restarting in "
                    << Backoff(w.restarts).count() / 1000 << " s (log: " << w.log_path << ")";
      w.pid = -1;
    }
    if (w.pid < 0 && Clock::now() >= w.restart_at) {
      ++w.restarts;
      absl::Status spawned = Spawn(w);
      if (!spawned.ok()) {
        ZLOG(ERROR) << "cannot restart " << w.id << ": " << spawned;
        w.restart_at = Clock::now() + Backoff(w.restarts);
      } else {
        ++restarted;
      }
    }
  }
  return restarted;
}

void WorkerProcesses::Kill(const std::string& id) {
  for (WorkerProcess& w : workers_) {
    if (w.id == id && w.pid > 0) ::kill(w.pid, SIGKILL);
  }
}

void WorkerProcesses::StopAll(std::chrono::milliseconds grace) {
  for (WorkerProcess& w : workers_) {
    if (w.pid > 0) ::kill(w.pid, SIGTERM);
  }
  Clock::time_point deadline = Clock::now() + grace;
  for (WorkerProcess& w : workers_) {
    while (w.pid > 0) {
      int status = 0;
      pid_t done = ::waitpid(w.pid, &status, WNOHANG);
      if (done == w.pid || (done < 0 && errno == ECHILD)) {
        w.pid = -1;
        break;
      }
      if (Clock::now() >= deadline) {
        ::kill(w.pid, SIGKILL);
        ::waitpid(w.pid, &status, 0);
        w.pid = -1;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
}

int WorkerProcesses::total_restarts() const {
  int total = 0;
  for (const WorkerProcess& w : workers_) total += w.restarts;
  return total;
}

}  // namespace zerorl::train
