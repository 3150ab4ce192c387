// Running one step: init clones the step's process with vfork semantics (it shares init's
// memory and init waits until it has exec'd, so nothing is copied), the process sets up its
// descriptors, limits and privileges and execs; init then watches its wall and CPU time and
// the control socket, and kills everything but itself when the step ends.
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <initializer_list>

#include "verifiers/sandbox/init/init.h"

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif

namespace zerorl::sandbox::init {
namespace {

constexpr size_t kStepStackBytes = 64 << 10;
alignas(64) char step_stack[kStepStackBytes];  // the step's process runs on it until exec

int oom_score_fd = -1;       // init's own /proc/self/oom_score_adj, opened while dumpable
char oom_score_own[16] = "0";  // init's value, restored after each clone

struct StepFds {
  int stdin_fd = -1;
  int payload_fd = -1;
};

// What the step's process needs, and where it leaves the errno when it cannot exec.
struct StepLaunch {
  const ChildSetup* setup;
  const ChildStep* step;
  StepFds fds;
  volatile int exec_errno;
};

int MemfdWith(const char* name, const char* data, size_t size) {
  int fd = memfd_create(name, MFD_CLOEXEC);
  if (fd < 0) return -1;
  if (!WriteAll(fd, data, size) || lseek(fd, 0, SEEK_SET) != 0) {
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

void CloseStepFds(StepFds* fds) {
  for (int* fd : {&fds->stdin_fd, &fds->payload_fd}) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
  }
}

bool PrepareStepFds(const ChildStep& step, StepFds* fds) {
  fds->stdin_fd = step.stdin_size > 0 ? MemfdWith("stdin", step.stdin_data, step.stdin_size)
                                      : open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (fds->stdin_fd < 0) return false;
  if (step.payload != nullptr) {
    fds->payload_fd = MemfdWith("payload", step.payload, step.payload_size);
    if (fds->payload_fd < 0) return false;
  }
  return true;
}

// Sets every limit of `step`: soft = hard = the value (CPU: hard one second later, so
// SIGXCPU comes first), never above the hard limit the box inherited.
bool ApplyRlimits(const ChildStep& step) {
  for (int i = 0; i < step.num_rlimits; ++i) {
    const RlimitSetting& setting = step.rlimits[i];
    struct rlimit current;
    if (getrlimit(setting.resource, &current) != 0) return false;
    rlim_t soft = setting.value;
    rlim_t hard = setting.resource == RLIMIT_CPU ? soft + 1 : soft;
    if (current.rlim_max != RLIM_INFINITY) {
      if (hard > current.rlim_max) hard = current.rlim_max;
      if (soft > hard) soft = hard;
    }
    struct rlimit wanted = {soft, hard};
    if (setrlimit(setting.resource, &wanted) != 0) return false;
  }
  return true;
}

// The step's process, sharing init's memory until exec: system calls only.
int StepMain(void* arg) {
  StepLaunch& launch = *static_cast<StepLaunch*>(arg);
  const ChildStep& step = *launch.step;
  bool ok = dup2(launch.fds.stdin_fd, 0) >= 0 && dup2(kOutFd, 1) >= 0 && dup2(kErrFd, 2) >= 0;
  ok = ok && (step.marker ? dup2(kMarkerWriteFd, kStepMarkerFd) >= 0 : close(kStepMarkerFd) == 0);
  ok = ok && (step.payload != nullptr ? dup2(launch.fds.payload_fd, kStepPayloadFd) >= 0
                                      : close(kStepPayloadFd) == 0);
  ok = ok && CloseFrom(kStepPayloadFd + 1) == 0 && ApplyRlimits(step) &&
       DropStepPrivileges(*launch.setup);
  if (ok) execve(step.path, step.argv, launch.setup->envp);
  launch.exec_errno = errno != 0 ? errno : EINVAL;
  _exit(127);
}

// CPU time of a live process (all its threads; children count once waited for).
int64_t CpuMicros(pid_t pid) {
  // MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED), in unsigned arithmetic.
  clockid_t clock = static_cast<clockid_t>((~static_cast<uint32_t>(pid) << 3) | 2u);
  struct timespec ts;
  if (syscall(SYS_clock_gettime, clock, &ts) != 0) return 0;
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

// Waits for the step's process to exit, its wall or CPU limit, or a command from the
// parent. The CPU clock is read whenever the step could have used up its CPU time (a
// single thread uses at most one second per second), so the limit holds to the
// millisecond instead of RLIMIT_CPU's whole seconds.
void WaitStep(pid_t pid, int pidfd, int64_t start_us, const ChildStep& step, Report* report) {
  const int64_t wall_deadline_us = start_us + step.wall_time_ms * 1000;
  const int64_t cpu_limit_us = step.cpu_time_ms * 1000;
  bool killed = false;
  for (;;) {
    int timeout_ms = -1;
    if (!killed) {
      int64_t now = NowMicros();
      int64_t cpu_left_us = cpu_limit_us - CpuMicros(pid);
      if (cpu_left_us <= 0 || now >= wall_deadline_us) {
        report->flags |= cpu_left_us <= 0 ? kReportCpuTimedOut : kReportTimedOut;
        kill(-1, SIGKILL);
        killed = true;
        continue;
      }
      int64_t wait_us = wall_deadline_us - now;
      if (cpu_left_us < wait_us) wait_us = cpu_left_us > 5000 ? cpu_left_us : 5000;
      timeout_ms = static_cast<int>((wait_us + 999) / 1000);
    }
    struct pollfd fds[2] = {{pidfd, POLLIN, 0}, {kCtlFd, POLLIN, 0}};
    int ready = poll(fds, killed ? 1 : 2, timeout_ms);
    if (ready < 0 && errno == EINTR) continue;
    if (fds[0].revents != 0) break;
    if (!killed && ready > 0 && fds[1].revents != 0) {
      Command command;
      int fd = -1;
      bool got = ReadCommand(&command, &fd);
      if (fd >= 0) close(fd);
      if (!got || command.type == CommandType::kExit) {
        KillAllButInit();
        _exit(0);
      }
      if (command.type == CommandType::kKill) {
        report->flags |= kReportKilledOnRequest;
        kill(-1, SIGKILL);
        killed = true;
      }
    }
  }
  struct rusage usage = {};
  int status = 0;
  while (wait4(pid, &status, __WALL, &usage) < 0 && errno == EINTR) {
  }
  report->wait_status = status;
  report->user_us = usage.ru_utime.tv_sec * 1000000LL + usage.ru_utime.tv_usec;
  report->system_us = usage.ru_stime.tv_sec * 1000000LL + usage.ru_stime.tv_usec;
  report->max_rss_kib = usage.ru_maxrss;
}

void SetOwnOomScore(const char* value) {
  if (oom_score_fd >= 0) pwrite(oom_score_fd, value, std::strlen(value), 0);
}

}  // namespace

void PrepareOomScore() {
  // /proc/self is root's while init is not dumpable (the uid change made it so); ProtectInit
  // makes it not dumpable again right after, before any program runs.
  prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
  oom_score_fd = open("/proc/self/oom_score_adj", O_RDWR | O_CLOEXEC);
  if (oom_score_fd < 0) return;
  ssize_t n = pread(oom_score_fd, oom_score_own, sizeof(oom_score_own) - 1, 0);
  if (n <= 0) {
    close(oom_score_fd);
    oom_score_fd = -1;
    return;
  }
  oom_score_own[n] = '\0';
}

void KillAllButInit() {
  kill(-1, SIGKILL);
  for (;;) {
    pid_t pid = wait4(-1, nullptr, __WALL, nullptr);
    if (pid < 0 && errno == EINTR) continue;
    if (pid < 0) return;  // ECHILD: nobody left
  }
}

Report RunStep(const ChildSetup& setup, const ChildJob& job, uint32_t index) {
  const ChildStep& step = job.steps[index];
  Report report = {};
  report.type = ReportType::kStepDone;
  report.step = index;
  StepLaunch launch = {&setup, &step, {}, 0};
  if (!PrepareStepFds(step, &launch.fds)) {
    report.flags |= kReportExecFailed;
    report.error = errno;
    CloseStepFds(&launch.fds);
    return report;
  }
  // The step (and what it starts) is the memory cgroup's first OOM victim: the score is
  // copied at clone, and init's own is put back right after.
  if (step.raise_oom_score) SetOwnOomScore("1000");
  int64_t start_us = NowMicros();
  int pidfd = -1;
  pid_t pid = clone(StepMain, step_stack + kStepStackBytes,
                    CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD, &launch, &pidfd);
  int clone_errno = errno;
  if (step.raise_oom_score) SetOwnOomScore(oom_score_own);
  CloseStepFds(&launch.fds);
  if (pid < 0 || launch.exec_errno != 0) {
    report.flags |= kReportExecFailed;
    report.error = pid < 0 ? clone_errno : launch.exec_errno;
  }
  if (pid < 0) return report;
  WaitStep(pid, pidfd, start_us, step, &report);
  report.wall_us = NowMicros() - start_us;
  close(pidfd);
  KillAllButInit();  // daemons and stragglers do not outlive their step
  return report;
}

}  // namespace zerorl::sandbox::init
