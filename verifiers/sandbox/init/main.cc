// The box's init (PID 1 of its PID namespace): the setup checklist, then jobs and their steps
// on the parent's command (the protocol is in verifiers/sandbox/internal/child.h).
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "verifiers/sandbox/init/init.h"
#include "verifiers/sandbox/internal/wire.h"

namespace zerorl::sandbox::init {
namespace {

// Exit code of init when it cannot even report (the control socket is unusable).
constexpr int kExitNoControl = 120;

// What a program might change in init (they share a uid) that would carry over to the next
// job's steps. The seccomp filter refuses the calls that could; this checks it held.
struct InitState {
  int nice = 0;
  struct rlimit limits[RLIM_NLIMITS] = {};
  cpu_set_t cpus = {};
};

InitState CurrentState() {
  InitState state;
  state.nice = getpriority(PRIO_PROCESS, 0);
  for (int r = 0; r < RLIM_NLIMITS; ++r) getrlimit(r, &state.limits[r]);
  sched_getaffinity(0, sizeof(state.cpus), &state.cpus);
  return state;
}

bool SameState(const InitState& a, const InitState& b) {
  for (int r = 0; r < RLIM_NLIMITS; ++r) {
    if (a.limits[r].rlim_cur != b.limits[r].rlim_cur ||
        a.limits[r].rlim_max != b.limits[r].rlim_max) {
      return false;
    }
  }
  return a.nice == b.nice && CPU_EQUAL(&a.cpus, &b.cpus);
}

// The parent's signal handlers are gone with exec, but what it ignored stays ignored and
// its mask (everything blocked around the clone) stays: start from defaults with nothing
// blocked, so programs see the signal state a shell would give them.
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

// The whole of a memfd the parent sent.
bool ReadMemfd(int fd, std::string* out) {
  struct stat info;
  if (fstat(fd, &info) != 0) return false;
  out->resize(static_cast<size_t>(info.st_size));
  size_t done = 0;
  while (done < out->size()) {
    ssize_t n = pread(fd, &(*out)[done], out->size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = EBADMSG;
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

ChildError ReadSetup(DecodedSetup* setup) {
  std::string bytes;
  bool read = ReadMemfd(kSetupFd, &bytes);
  close(kSetupFd);
  if (!read) return ChildFail(SetupStep::kReadSetup, -1);
  return setup->Decode(std::move(bytes));
}

ChildError AwaitGo() {
  Command command;
  int fd = -1;
  errno = 0;
  bool got = ReadCommand(&command, &fd);
  if (fd >= 0) close(fd);
  if (!got || command.type != CommandType::kGo) {
    if (errno == 0) errno = EPIPE;
    return ChildFail(SetupStep::kAwaitGo);
  }
  return {};
}

// The checklist: each step is one kernel concern, in the order the kernel needs them.
ChildError SetUpBox(const ChildSetup& setup) {
  CHILD_RETURN_IF_ERROR(SwitchToSandboxUser(setup));  // inner uid/gid, capabilities kept
  CHILD_RETURN_IF_ERROR(BuildRoot(setup));           // tmpfs root, read-only binds, /proc
  CHILD_RETURN_IF_ERROR(SetUpNetwork(setup));        // loopback up, or nothing at all
  CHILD_RETURN_IF_ERROR(SetHostname(setup));
  CHILD_RETURN_IF_ERROR(EnterRoot(setup));           // pivot_root, old root gone, / read-only
  PrepareOomScore();                                 // init's own oom_score_adj, kept open
  CHILD_RETURN_IF_ERROR(ProtectInit());              // not dumpable, dies with the parent
  return {};
}

// A new job: nothing of the last one is left (no process, no /tmp, no IPC object), then a
// fresh /tmp with the job's files.
ChildError BeginJob(const ChildSetup& setup, int fd, bool first, DecodedJob* job) {
  if (fd < 0) {
    errno = EBADF;
    return ChildFail(SetupStep::kReceiveJob);
  }
  std::string bytes;
  bool read = ReadMemfd(fd, &bytes);
  close(fd);
  if (!read) return ChildFail(SetupStep::kReceiveJob);
  CHILD_RETURN_IF_ERROR(job->Decode(std::move(bytes)));
  KillAllButInit();
  if (!first && unshare(CLONE_NEWIPC) != 0) return ChildFail(SetupStep::kNewIpcNamespace);
  return MountWorkDir(setup, job->job());
}

void ReportReadyUnlessCommandWaiting(uint32_t what) {
  // When a command is already waiting (the first step), its report says the box was ready:
  // one wake-up of the parent fewer.
  struct pollfd pending = {kCtlFd, POLLIN, 0};
  if (poll(&pending, 1, 0) == 1) return;
  Report report = {};
  report.type = ReportType::kReady;
  report.step = what;
  SendReport(report);
}

[[noreturn]] void Fail(const ChildError& error) {
  Report report = {};
  report.type = ReportType::kSetupFailed;
  report.setup = error;
  SendReport(report);
  _exit(1);
}

// The job's files go now, not when the next job comes: an idle box holds nothing. false when
// the box should not be reused: its /tmp would not go, or init's state was changed.
bool EndJob(const ChildSetup& setup, const InitState& pristine) {
  bool dropped = DropWorkDir(setup);
  return dropped && SameState(CurrentState(), pristine);
}

[[noreturn]] void ServeJobs(const ChildSetup& setup) {
  const InitState pristine = CurrentState();
  DecodedJob job;
  bool in_job = false;
  bool first = true;
  for (;;) {
    Command command;
    int fd = -1;
    if (!ReadCommand(&command, &fd) || command.type == CommandType::kExit) _exit(0);
    if (command.type == CommandType::kJob) {
      if (in_job) DropWorkDir(setup);
      ChildError error = BeginJob(setup, fd, first, &job);
      if (!error.ok()) Fail(error);
      in_job = true;
      first = false;
      ReportReadyUnlessCommandWaiting(kReadyJob);
      continue;
    }
    if (fd >= 0) close(fd);
    if (command.type == CommandType::kEndJob) {
      Report report = {};
      report.type = ReportType::kJobEnded;
      if (in_job && !EndJob(setup, pristine)) report.flags |= kReportTainted;
      in_job = false;
      SendReport(report);
      continue;
    }
    if (command.type != CommandType::kRun) continue;  // a late kKill: nothing runs
    if (!in_job || command.step >= job.job().num_steps) _exit(kExitNoControl);
    Report report = RunStep(setup, job.job(), command.step);
    if (command.last) {
      in_job = false;
      if (!EndJob(setup, pristine)) report.flags |= kReportTainted;
    }
    SendReport(report);
  }
}

}  // namespace

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

int CloseFrom(unsigned first) {
  if (syscall(SYS_close_range, first, ~0U, 0) == 0) return 0;
  struct rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return -1;
  rlim_t last = limit.rlim_cur == RLIM_INFINITY ? 65536 : limit.rlim_cur;
  for (rlim_t fd = first; fd < last; ++fd) close(static_cast<int>(fd));
  return 0;
}

void SendReport(const Report& report) {
  while (send(kCtlFd, &report, sizeof(report), MSG_NOSIGNAL) < 0 && errno == EINTR) {
  }
}

bool ReadCommand(Command* command, int* fd) {
  *fd = -1;
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  for (;;) {
    struct iovec data = {command, sizeof(*command)};
    struct msghdr message = {};
    message.msg_iov = &data;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof(control);
    ssize_t n = recvmsg(kCtlFd, &message, MSG_CMSG_CLOEXEC);
    if (n < 0 && errno == EINTR) continue;
    struct cmsghdr* header = n > 0 ? CMSG_FIRSTHDR(&message) : nullptr;
    if (header != nullptr && header->cmsg_level == SOL_SOCKET &&
        header->cmsg_type == SCM_RIGHTS && header->cmsg_len == CMSG_LEN(sizeof(int))) {
      std::memcpy(fd, CMSG_DATA(header), sizeof(int));
    }
    return n == static_cast<ssize_t>(sizeof(*command)) && (message.msg_flags & MSG_CTRUNC) == 0;
  }
}

}  // namespace zerorl::sandbox::init

int main() {
  using namespace zerorl::sandbox;
  using namespace zerorl::sandbox::init;
  ResetSignals();
  umask(022);
  // The parent's child left kCtlFd..kSetupFd open across exec; the steps must not inherit them.
  for (int fd = kCtlFd; fd <= kMarkerWriteFd; ++fd) {
    if (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) _exit(kExitNoControl);
  }
  DecodedSetup setup;
  ChildError error = ReadSetup(&setup);
  // Even a setup that does not decode is reported only after the go: until then the parent
  // is still writing our id maps and cgroup.
  ChildError go = AwaitGo();                         // id maps written, cgroup joined
  if (error.ok()) error = go;
  if (error.ok()) error = SetUpBox(setup.setup());
  if (!error.ok()) Fail(error);
  ReportReadyUnlessCommandWaiting(kReadyBox);
  ServeJobs(setup.setup());
}
