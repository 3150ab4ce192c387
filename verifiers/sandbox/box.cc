#include "verifiers/sandbox/internal/box.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <initializer_list>

#include "absl/strings/str_cat.h"
#include "core/status.h"
#include "verifiers/sandbox/internal/wire.h"

namespace zerorl::sandbox {
namespace {

constexpr int64_t kSetupTimeoutMs = 10000;   // namespaces + mounts take milliseconds
constexpr int64_t kParentGraceMs = 2000;     // past a step's wall limit, before init is killed
constexpr size_t kMarkerLimitBytes = 4096;
constexpr int kWorkDirInodes = 16384;

int64_t NowMs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

void CloseFd(int* fd) {
  if (*fd >= 0) ::close(*fd);
  *fd = -1;
}

absl::Status ErrnoStatus(const std::string& what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

absl::Status MakePipe(int* read_end, int* write_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return ErrnoStatus("pipe2");
  *read_end = fds[0];
  *write_end = fds[1];
  if (::fcntl(*read_end, F_SETFL, O_NONBLOCK) != 0) return ErrnoStatus("fcntl O_NONBLOCK");
  return absl::OkStatus();
}

// Waits until `fd` is readable or `timeout_ms` passes; false on timeout.
bool WaitReadable(int fd, int64_t timeout_ms) {
  int64_t deadline = NowMs() + timeout_ms;
  for (;;) {
    struct pollfd p = {fd, POLLIN, 0};
    int64_t left = deadline - NowMs();
    int ready = ::poll(&p, 1, static_cast<int>(left < 0 ? 0 : left));
    if (ready < 0 && errno == EINTR) continue;
    return ready > 0;
  }
}

// Reads what is in a non-blocking pipe; keeps at most `limit` bytes in `out` and sets
// `*over` when more arrived. Returns false at end of file.
bool ReadAvailable(int fd, size_t limit, std::string* out, bool* over) {
  char buffer[65536];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return true;  // EAGAIN: nothing more now
    if (n == 0) return false;
    size_t room = limit > out->size() ? limit - out->size() : 0;
    out->append(buffer, std::min(room, static_cast<size_t>(n)));
    if (static_cast<size_t>(n) > room) *over = true;
  }
}

std::string SetupFailureHint(const ChildError& error) {
  if (error.step == SetupStep::kMountProc && error.error == EPERM) {
    return "; a user namespace may mount /proc only where the whole of /proc is visible "
           "(containers that mask /proc paths, e.g. Docker without --privileged, prevent it)";
  }
  if (error.step == SetupStep::kMakeMountsPrivate || error.step == SetupStep::kRootEntry) {
    return "; the kernel refused a mount in the box's own mount namespace";
  }
  return "";
}

}  // namespace

Box::Box(const SandboxShared& shared) : shared_(shared) {}

absl::StatusOr<std::unique_ptr<Box>> Box::Start(const SandboxShared& shared) {
  std::unique_ptr<Box> box(new Box(shared));
  box->maker_thread_ = ::gettid();  // init dies with this thread (see BoxCache)
  ASSIGN_OR_RETURN(box->slot_, shared.cgroups->Acquire());   // memory and pids, if any
  RETURN_IF_ERROR(box->OpenChannels());                      // control socket, output pipes
  InitLaunch launch = {shared.init_program.get(),
                       {box->ctl_child_, box->out_child_, box->err_child_, box->marker_child_,
                        shared.setup.get()},
                       shared.cap_last_cap};
  ASSIGN_OR_RETURN(box->init_, CloneBoxInit(launch));        // new namespaces, init running
  box->CloseChildEnds();
  RETURN_IF_ERROR(WriteIdMaps(box->init_.pid(), shared.ids));  // inner uid/gid -> outer
  if (box->slot_ != nullptr) RETURN_IF_ERROR(box->slot_->Attach(box->init_.pid()));
  box->usable_ = true;  // init now waits for kGo, which goes out with the first job
  return box;
}

absl::Status Box::OpenChannels() {
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
    return ErrnoStatus("socketpair");
  }
  ctl_ = pair[0];
  ctl_child_ = pair[1];
  RETURN_IF_ERROR(MakePipe(&out_, &out_child_));
  RETURN_IF_ERROR(MakePipe(&err_, &err_child_));
  return MakePipe(&marker_, &marker_child_);
}

void Box::CloseChildEnds() {
  CloseFd(&ctl_child_);
  CloseFd(&out_child_);
  CloseFd(&err_child_);
  CloseFd(&marker_child_);
}

bool Box::InitAlive() const {
  struct pollfd p = {init_.pidfd(), POLLIN, 0};
  return init_.pidfd() >= 0 && ::poll(&p, 1, 0) == 0;
}

// The job as the bytes init decodes (verifiers/sandbox/internal/wire.h), in a memfd sent with kJob.
absl::StatusOr<OwnedFd> Box::EncodeJob() const {
  std::vector<std::string> paths;
  std::vector<ChildFile> files;
  paths.reserve(plan_.files.size());
  for (const BoxFile& file : plan_.files) {
    paths.push_back(absl::StrCat(kWorkDirInBox, "/", file.name));
    files.push_back({paths.back().c_str(), file.data.data(), file.data.size(), file.mode});
  }
  bool memory_by_rlimit = shared_.environment.memory_mode == MemoryLimitMode::kRlimitAs;
  std::vector<std::vector<char*>> argvs;
  std::vector<ChildStep> steps;
  argvs.reserve(plan_.steps.size());
  for (const BoxStep& step : plan_.steps) {
    std::vector<char*>& argv = argvs.emplace_back();
    for (const std::string& arg : step.argv) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    ChildStep c = {};
    c.path = step.argv[0].c_str();
    c.argv = argv.data();
    c.stdin_data = step.stdin_data.data();
    c.stdin_size = step.stdin_data.size();
    c.payload = step.has_payload ? step.payload.data() : nullptr;
    c.payload_size = step.payload.size();
    c.marker = step.marker;
    c.raise_oom_score = !memory_by_rlimit;
    PlanRlimits(step.limits, memory_by_rlimit, step.address_space_extra_mib, &c);
    steps.push_back(c);
  }
  std::string tmpfs_options =
      absl::StrCat("size=", plan_.work_dir_mib, "m,nr_inodes=", kWorkDirInodes,
                   ",mode=0755,uid=", shared_.ids.inner_uid, ",gid=", shared_.ids.inner_gid);
  ChildJob job = {tmpfs_options.c_str(), files.data(), files.size(), steps.data(), steps.size()};
  std::string bytes = zerorl::sandbox::EncodeJob(job);
  return SealedMemfd("zerorl-sandbox-job", bytes.data(), bytes.size(), /*executable=*/false);
}

absl::Status Box::BeginJob(BoxPlan plan) {
  if (!usable_ || in_job_) {
    return absl::FailedPreconditionError("sandbox: this box cannot take a job now");
  }
  for (const BoxStep& step : plan.steps) {
    if (step.argv.empty() || step.argv[0].empty() || step.argv[0][0] != '/') {
      return absl::InvalidArgumentError("sandbox: a step needs an absolute program path");
    }
  }
  plan_ = std::move(plan);
  if (slot_ != nullptr && !plan_.steps.empty()) {  // init reads the job under these limits
    const Limits& first = plan_.steps[0].limits;
    RETURN_IF_ERROR(slot_->SetLimits(first.memory_mib << 20, first.max_processes));
  }
  ASSIGN_OR_RETURN(OwnedFd job, EncodeJob());
  absl::Status status = absl::OkStatus();
  if (!go_sent_) status = Send(CommandType::kGo, 0, false);
  go_sent_ = true;
  if (status.ok()) status = Send(CommandType::kJob, 0, false, job.get());
  if (!status.ok()) {
    usable_ = false;
    return status;
  }
  in_job_ = true;
  ready_ = false;
  return absl::OkStatus();
}

absl::Status Box::Send(CommandType type, uint32_t step, bool last, int fd) {
  Command command = {type, step, last ? 1u : 0u};
  struct iovec data = {&command, sizeof(command)};
  struct msghdr message = {};
  message.msg_iov = &data;
  message.msg_iovlen = 1;
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  if (fd >= 0) {  // the job's memfd travels with the command
    message.msg_control = control;
    message.msg_controllen = sizeof(control);
    struct cmsghdr* header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(header), &fd, sizeof(int));
  }
  for (;;) {
    ssize_t n = ::sendmsg(ctl_, &message, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n == static_cast<ssize_t>(sizeof(command))) return absl::OkStatus();
    return ErrnoStatus("sandbox: sending a command to the box");
  }
}

absl::Status Box::SetupFailure(const ChildError& e) const {
  std::string what = SetupStepName(e.step);
  if (e.step == SetupStep::kRootEntry) what += " (" + shared_.root.Describe(e.index) + ")";
  if (e.step == SetupStep::kWriteWorkFile && e.index >= 0 &&
      static_cast<size_t>(e.index) < plan_.files.size()) {
    what += " (" + plan_.files[e.index].name + ")";
  }
  if ((e.step == SetupStep::kReadSetup || e.step == SetupStep::kReadJob) && e.index >= 0) {
    what += absl::StrCat(" (", WireSectionName(e.index), ")");
  }
  std::string message = absl::StrCat("sandbox setup failed while ", what, ": ",
                                     std::strerror(e.error), SetupFailureHint(e));
  if (e.step == SetupStep::kMountProc || e.step == SetupStep::kMakeMountsPrivate) {
    return absl::FailedPreconditionError(message);
  }
  return absl::InternalError(message);
}

absl::Status Box::InitEndedEarly() {
  usable_ = false;
  init_.Kill();
  int status = init_.Reap();
  return absl::InternalError(absl::StrCat(
      "sandbox: the box's init ended before it was ready (wait status ", status, ")"));
}

absl::Status Box::AwaitReady() {
  if (ready_) return absl::OkStatus();
  if (!usable_) return absl::FailedPreconditionError("sandbox: this box can run no more steps");
  if (!go_sent_) {
    RETURN_IF_ERROR(Send(CommandType::kGo, 0, false));
    go_sent_ = true;
  }
  // Init reports once the box is built and once a job is set up (either may be left out
  // when a command was already waiting); with a job begun, its report is the one that counts.
  const uint32_t awaited = in_job_ ? kReadyJob : kReadyBox;
  for (uint32_t seen = kReadyBox - 1; seen != awaited;) {
    Report report = {};
    ssize_t n = -1;
    if (WaitReadable(ctl_, kSetupTimeoutMs)) {
      while ((n = ::recv(ctl_, &report, sizeof(report), 0)) < 0 && errno == EINTR) {
      }
    }
    if (n != static_cast<ssize_t>(sizeof(report))) return InitEndedEarly();
    if (report.type != ReportType::kReady) {
      usable_ = false;
      return SetupFailure(report.setup);
    }
    seen = report.step;
  }
  ready_ = true;
  return absl::OkStatus();
}

absl::StatusOr<StepOutcome> Box::Run(size_t index, bool last) {
  if (!usable_ || !in_job_) {
    return absl::FailedPreconditionError("sandbox: this box can run no more steps");
  }
  if (index >= plan_.steps.size()) {
    return absl::InvalidArgumentError(absl::StrCat("sandbox: no step ", index));
  }
  const Limits& limits = plan_.steps[index].limits;
  if (slot_ != nullptr) {
    RETURN_IF_ERROR(slot_->SetLimits(limits.memory_mib << 20, limits.max_processes));
    RETURN_IF_ERROR(slot_->BeginStep());
  }
  kill_sent_ = false;
  StepOutcome outcome;
  absl::Status status = Send(CommandType::kRun, static_cast<uint32_t>(index), last);
  if (status.ok()) status = Collect(index, &outcome);
  if (!status.ok()) {
    usable_ = false;
    return status;
  }
  if (last) in_job_ = false;
  if (slot_ != nullptr) {
    ASSIGN_OR_RETURN(outcome.oom_killed, slot_->OomKilledSinceBegin());
  }
  if (outcome.box_died) usable_ = false;
  return outcome;
}

absl::Status Box::EndJob() {
  if (!usable_ || !in_job_) return absl::OkStatus();
  absl::Status status = Send(CommandType::kEndJob, 0, false);
  while (status.ok()) {
    Report report = {};
    ssize_t n = -1;
    if (WaitReadable(ctl_, kParentGraceMs)) {
      while ((n = ::recv(ctl_, &report, sizeof(report), 0)) < 0 && errno == EINTR) {
      }
    }
    if (n != static_cast<ssize_t>(sizeof(report))) {
      status = absl::InternalError("sandbox: the box did not answer the end of a job");
    } else if (report.type == ReportType::kJobEnded) {
      in_job_ = false;
      if (report.flags & kReportTainted) tainted_ = true;
      return absl::OkStatus();
    } else if (report.type == ReportType::kSetupFailed) {
      status = SetupFailure(report.setup);
    }  // else the job's kReady, sent before the command arrived
  }
  usable_ = false;
  return status;
}

// Reads output while the step runs; returns once init reports (or dies, or is overdue).
absl::Status Box::Collect(size_t index, StepOutcome* outcome) {
  const Limits& limits = plan_.steps[index].limits;
  int64_t deadline =
      NowMs() + limits.wall_time_ms + kParentGraceMs + (ready_ ? 0 : kSetupTimeoutMs);
  for (;;) {
    struct pollfd fds[5] = {{ctl_, POLLIN, 0},
                            {out_, POLLIN, 0},
                            {err_, POLLIN, 0},
                            {marker_, POLLIN, 0},
                            {init_.pidfd(), POLLIN, 0}};
    int64_t left = deadline - NowMs();
    int ready = ::poll(fds, 5, static_cast<int>(left < 0 ? 0 : left));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return ErrnoStatus("sandbox: poll");
    Drain(outcome, limits);
    if (fds[0].revents & POLLIN) {
      Report report = {};
      ssize_t n = ::recv(ctl_, &report, sizeof(report), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n == static_cast<ssize_t>(sizeof(report))) {
        if (report.type == ReportType::kReady) {
          ready_ = true;
          continue;
        }
        if (report.type == ReportType::kSetupFailed) return SetupFailure(report.setup);
        if (report.type == ReportType::kStepDone && report.step == index) {
          ready_ = true;  // init skips kReady when a step was already waiting
          Finish(report, outcome);
          Drain(outcome, limits);  // everything the step wrote is in the pipes by now
          return absl::OkStatus();
        }
      }
    }
    bool init_ended = fds[4].revents != 0 || (fds[0].revents & (POLLHUP | POLLERR)) != 0;
    if (init_ended && !ready_) return InitEndedEarly();
    if (init_ended || ready == 0) {
      outcome->wall_timed_out = ready == 0 && !init_ended;
      init_.Kill();
      int status = init_.Reap();
      outcome->box_died = true;
      outcome->wait_status = status;
      outcome->signal = SIGKILL;
      Drain(outcome, limits);
      return absl::OkStatus();
    }
    if ((outcome->stdout_truncated || outcome->stderr_truncated) && !kill_sent_) {
      RETURN_IF_ERROR(Send(CommandType::kKill, static_cast<uint32_t>(index), false));
      kill_sent_ = true;
      outcome->output_limited = true;
    }
  }
}

void Box::Drain(StepOutcome* outcome, const Limits& limits) {
  bool marker_over = false;
  ReadAvailable(out_, static_cast<size_t>(limits.stdout_limit_bytes), &outcome->stdout_data,
                &outcome->stdout_truncated);
  ReadAvailable(err_, static_cast<size_t>(limits.stderr_limit_bytes), &outcome->stderr_data,
                &outcome->stderr_truncated);
  ReadAvailable(marker_, kMarkerLimitBytes, &outcome->marker, &marker_over);
}

void Box::Finish(const Report& report, StepOutcome* outcome) {
  outcome->wait_status = report.wait_status;
  outcome->exited = WIFEXITED(report.wait_status);
  outcome->exit_code = outcome->exited ? WEXITSTATUS(report.wait_status) : 0;
  outcome->signal = WIFSIGNALED(report.wait_status) ? WTERMSIG(report.wait_status) : 0;
  outcome->exec_failed = (report.flags & kReportExecFailed) != 0;
  outcome->exec_errno = report.error;
  outcome->wall_timed_out = (report.flags & kReportTimedOut) != 0;
  outcome->cpu_timed_out = (report.flags & kReportCpuTimedOut) != 0;
  if (report.flags & kReportKilledOnRequest) outcome->output_limited = true;
  outcome->wall_ms = static_cast<double>(report.wall_us) / 1000.0;
  outcome->cpu_ms = static_cast<double>(report.user_us + report.system_us) / 1000.0;
  outcome->max_rss_kib = report.max_rss_kib;
  if (report.flags & kReportTainted) tainted_ = true;
}

Box::~Box() {
  // Killing init ends its PID namespace: every process of the box is gone once it is reaped.
  init_.Kill();
  init_.Reap();
  for (int* fd : {&ctl_, &ctl_child_, &out_, &out_child_, &err_, &err_child_, &marker_,
                  &marker_child_}) {
    CloseFd(fd);
  }
  if (slot_ != nullptr) shared_.cgroups->Release(std::move(slot_));
}

}  // namespace zerorl::sandbox
