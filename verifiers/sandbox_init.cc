// The box's first process (PID 1 of its PID namespace): the setup checklist, then the step
// loop. Everything here runs in the child of clone() and so makes only system calls (see
// sandbox_child.h): no allocation, no locks, no glibc calls that broadcast to threads.
#include <fcntl.h>
#include <poll.h>
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
#include <climits>
#include <initializer_list>

#include "verifiers/sandbox_child.h"

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif

namespace zerorl::sandbox {
namespace {

// Exit codes of init when it cannot even report (the control socket is unusable).
constexpr int kInitExitNoControl = 120;

int64_t NowMicros() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

bool WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

void SendReport(const Report& report) {
  while (send(kCtlFd, &report, sizeof(report), MSG_NOSIGNAL) < 0 && errno == EINTR) {
  }
}

// Reads one command; false when the parent is gone or sent garbage.
bool ReadCommand(Command* command) {
  for (;;) {
    ssize_t n = recv(kCtlFd, command, sizeof(*command), 0);
    if (n < 0 && errno == EINTR) continue;
    return n == static_cast<ssize_t>(sizeof(*command));
  }
}

int CloseFrom(unsigned first) {
  if (syscall(SYS_close_range, first, ~0U, 0) == 0) return 0;
  struct rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return -1;
  rlim_t last = limit.rlim_cur == RLIM_INFINITY ? 65536 : limit.rlim_cur;
  for (rlim_t fd = first; fd < last; ++fd) close(static_cast<int>(fd));
  return 0;
}

// Moves the parent's four descriptors to kCtlFd..kMarkerWriteFd, points 0 and 1 at
// /dev/null and closes everything else the parent's other threads had open at clone time.
ChildError RenumberFds(const ChildPlan& plan) {
  const int from[4] = {plan.ctl_fd, plan.out_fd, plan.err_fd, plan.marker_write_fd};
  int moved[4];
  for (int i = 0; i < 4; ++i) {
    moved[i] = fcntl(from[i], F_DUPFD_CLOEXEC, kFirstFreeFd);
    if (moved[i] < 0) return ChildFail(SetupStep::kRenumberFds, i);
  }
  for (int i = 0; i < 4; ++i) {
    if (dup3(moved[i], kCtlFd + i, O_CLOEXEC) < 0) return ChildFail(SetupStep::kRenumberFds, i);
  }
  int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null_fd < 0) return ChildFail(SetupStep::kRenumberFds, 4);
  // 2 stays the parent's stderr when it has one, so that a sanitizer report or a crash
  // message from init itself is seen; init writes nothing there, and steps get their own.
  int last = fcntl(2, F_GETFD) >= 0 ? 1 : 2;
  for (int fd = 0; fd <= last; ++fd) {
    if (null_fd != fd && dup2(null_fd, fd) < 0) return ChildFail(SetupStep::kRenumberFds, 5);
  }
  if (CloseFrom(kFirstFreeFd) != 0) return ChildFail(SetupStep::kRenumberFds, 6);
  return {};
}

// Handlers installed by the parent point into its code; the box starts from defaults with
// nothing blocked, so programs see the signal state a shell would give them.
void ResetSignals() {
  struct sigaction action = {};
  action.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) sigaction(sig, &action, nullptr);
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
}

ChildError AwaitGo() {
  Command command;
  if (!ReadCommand(&command) || command.type != CommandType::kGo) {
    if (errno == 0) errno = EPIPE;
    return ChildFail(SetupStep::kAwaitGo);
  }
  return {};
}

ChildError WriteWorkFiles(const ChildPlan& plan) {
  for (size_t i = 0; i < plan.num_files; ++i) {
    const ChildFile& file = plan.files[i];
    int fd = open(file.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, file.mode);
    if (fd < 0) return ChildFail(SetupStep::kWriteWorkFile, static_cast<int32_t>(i));
    bool ok = WriteAll(fd, file.data, file.size);
    int saved = errno;
    close(fd);
    errno = saved;
    if (!ok) return ChildFail(SetupStep::kWriteWorkFile, static_cast<int32_t>(i));
  }
  if (chdir(plan.work_dir_in_box) != 0) return ChildFail(SetupStep::kWriteWorkFile, -1);
  return {};
}

// The checklist: each step is one kernel concern, in the order the kernel needs them.
ChildError SetUpBox(const ChildPlan& plan) {
  CHILD_RETURN_IF_ERROR(AwaitGo());                   // id maps written, cgroup joined
  CHILD_RETURN_IF_ERROR(SwitchToSandboxUser(plan));   // inner uid/gid, capabilities kept
  CHILD_RETURN_IF_ERROR(BuildRoot(plan));             // tmpfs root, read-only binds, /proc, /tmp
  CHILD_RETURN_IF_ERROR(SetUpNetwork(plan));          // loopback up, or nothing at all
  CHILD_RETURN_IF_ERROR(SetHostname(plan));
  CHILD_RETURN_IF_ERROR(EnterRoot(plan));             // pivot_root, old root gone, / read-only
  CHILD_RETURN_IF_ERROR(WriteWorkFiles(plan));        // the program's source into /tmp
  CHILD_RETURN_IF_ERROR(DropPrivileges(plan));        // no capabilities, no_new_privs
  CHILD_RETURN_IF_ERROR(ApplySeccomp(plan));          // the filter compiled in the parent
  return {};
}

// ---- steps ----

struct StepFds {
  int stdin_fd = -1;
  int payload_fd = -1;
  int exec_error[2] = {-1, -1};
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
  for (int* fd : {&fds->stdin_fd, &fds->payload_fd, &fds->exec_error[0], &fds->exec_error[1]}) {
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
  return pipe2(fds->exec_error, O_CLOEXEC) == 0;
}

[[noreturn]] void FailExec(int error) {
  WriteAll(kStepExecErrorFd, reinterpret_cast<const char*>(&error), sizeof(error));
  _exit(127);
}

// Lets the memory cgroup's OOM killer pick the program rather than init, whose resident
// set includes the pages it shares with the (possibly large) parent.
void RaiseOomScore() {
  prctl(PR_SET_DUMPABLE, 1);  // /proc/self is root's while non-dumpable
  int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
  if (fd >= 0) {
    WriteAll(fd, "1000", 4);
    close(fd);
  }
}

// The step's process: descriptors 0-2 (and 3-4 for the harness), limits, exec.
[[noreturn]] void StepMain(const ChildStep& step, const StepFds& fds) {
  if (dup2(fds.stdin_fd, 0) < 0 || dup2(kOutFd, 1) < 0 || dup2(kErrFd, 2) < 0 ||
      dup3(fds.exec_error[1], kStepExecErrorFd, O_CLOEXEC) < 0) {
    _exit(127);
  }
  if (step.marker ? dup2(kMarkerWriteFd, kStepMarkerFd) < 0 : close(kStepMarkerFd) < 0) {
    FailExec(errno);
  }
  if (step.payload != nullptr ? dup2(fds.payload_fd, kStepPayloadFd) < 0
                              : close(kStepPayloadFd) < 0) {
    FailExec(errno);
  }
  if (CloseFrom(kStepExecErrorFd + 1) != 0) FailExec(errno);
  if (step.raise_oom_score) RaiseOomScore();
  if (!ApplyRlimits(step)) FailExec(errno);
  execve(step.path, step.argv, step.envp);
  FailExec(errno);
}

// Kills every process of the box but init, and reaps them all.
void KillAllButInit() {
  kill(-1, SIGKILL);
  for (;;) {
    pid_t pid = wait4(-1, nullptr, __WALL, nullptr);
    if (pid < 0 && errno == EINTR) continue;
    if (pid < 0) return;  // ECHILD: nobody left
  }
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
      if (!ReadCommand(&command) || command.type == CommandType::kExit) {
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

Report RunStep(const ChildPlan& plan, uint32_t index) {
  const ChildStep& step = plan.steps[index];
  Report report = {};
  report.type = ReportType::kStepDone;
  report.step = index;
  StepFds fds;
  if (!PrepareStepFds(step, &fds)) {
    report.flags |= kReportExecFailed;
    report.error = errno;
    CloseStepFds(&fds);
    return report;
  }
  int64_t start_us = NowMicros();
  int pidfd = -1;
  long pid = syscall(SYS_clone, CLONE_PIDFD | SIGCHLD, nullptr, &pidfd, nullptr, 0);
  if (pid == 0) StepMain(step, fds);
  int clone_errno = errno;
  close(fds.exec_error[1]);
  fds.exec_error[1] = -1;
  if (pid < 0) {
    report.flags |= kReportExecFailed;
    report.error = clone_errno;
    CloseStepFds(&fds);
    return report;
  }
  int exec_errno = 0;
  ssize_t n;
  while ((n = read(fds.exec_error[0], &exec_errno, sizeof(exec_errno))) < 0 && errno == EINTR) {
  }
  CloseStepFds(&fds);
  if (n == static_cast<ssize_t>(sizeof(exec_errno))) {
    report.flags |= kReportExecFailed;
    report.error = exec_errno;
  }
  WaitStep(static_cast<pid_t>(pid), pidfd, start_us, step, &report);
  report.wall_us = NowMicros() - start_us;
  close(pidfd);
  KillAllButInit();  // daemons and stragglers do not outlive their step
  return report;
}

[[noreturn]] void ServeSteps(const ChildPlan& plan) {
  for (;;) {
    Command command;
    if (!ReadCommand(&command) || command.type == CommandType::kExit) _exit(0);
    if (command.type != CommandType::kRun) continue;  // a late kKill: nothing runs
    if (command.step >= plan.num_steps) _exit(kInitExitNoControl);
    SendReport(RunStep(plan, command.step));
    if (command.last) _exit(0);
  }
}

}  // namespace

const char* SetupStepName(SetupStep step) {
  switch (step) {
    case SetupStep::kNone: return "none";
    case SetupStep::kRenumberFds: return "renumbering file descriptors";
    case SetupStep::kAwaitGo: return "waiting for the parent";
    case SetupStep::kSetGroups: return "setgroups";
    case SetupStep::kSetGid: return "setresgid";
    case SetupStep::kSetUid: return "setresuid";
    case SetupStep::kKeepCaps: return "keeping capabilities across setresuid";
    case SetupStep::kMakeMountsPrivate: return "making mounts private";
    case SetupStep::kMountRootTmpfs: return "mounting the root tmpfs";
    case SetupStep::kRootEntry: return "building the root";
    case SetupStep::kMountProc: return "mounting /proc";
    case SetupStep::kMountWorkTmpfs: return "mounting the /tmp tmpfs";
    case SetupStep::kLoopback: return "bringing up loopback";
    case SetupStep::kHostname: return "sethostname";
    case SetupStep::kPivotRoot: return "pivot_root";
    case SetupStep::kRemountRootReadOnly: return "remounting / read-only";
    case SetupStep::kWriteWorkFile: return "writing a work file";
    case SetupStep::kDropCapabilities: return "dropping capabilities";
    case SetupStep::kNoNewPrivs: return "no_new_privs";
    case SetupStep::kSeccomp: return "loading the seccomp filter";
    case SetupStep::kParentDeathSignal: return "setting the parent-death signal";
  }
  return "unknown step";
}

void BoxInitMain(const ChildPlan& plan) {
  ResetSignals();
  ChildError error = RenumberFds(plan);
  if (!error.ok()) _exit(kInitExitNoControl);
  error = SetUpBox(plan);
  Report report = {};
  report.type = error.ok() ? ReportType::kReady : ReportType::kSetupFailed;
  report.setup = error;
  // When the first step is already waiting, its report says the box was ready: one wake-up
  // of the parent fewer.
  struct pollfd pending = {kCtlFd, POLLIN, 0};
  if (!error.ok() || poll(&pending, 1, 0) != 1) SendReport(report);
  if (!error.ok()) _exit(1);
  ServeSteps(plan);
}

}  // namespace zerorl::sandbox
