#include "verifiers/sandbox_box.h"

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

namespace zerorl::sandbox {
namespace {

constexpr char kRootTmpfsOptions[] = "size=1m,nr_inodes=1024,mode=0755";
constexpr char kHostname[] = "sandbox";
constexpr int64_t kSetupTimeoutMs = 10000;   // namespaces + mounts take milliseconds
constexpr int64_t kParentGraceMs = 2000;     // past a step's wall limit, before init is killed
constexpr int64_t kExitTimeoutMs = 2000;     // for init to exit when told to
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

Box::Box(const SandboxShared& shared, BoxPlan plan) : shared_(shared), plan_(std::move(plan)) {}

absl::StatusOr<std::unique_ptr<Box>> Box::Start(const SandboxShared& shared, BoxPlan plan) {
  std::unique_ptr<Box> box(new Box(shared, std::move(plan)));
  ASSIGN_OR_RETURN(box->slot_, shared.cgroups->Acquire());   // memory and pids, if any
  RETURN_IF_ERROR(box->OpenChannels());                      // control socket, output pipes
  box->PlanChild();                                          // plain data for the child
  ASSIGN_OR_RETURN(box->init_, CloneBoxInit(box->child_));   // new namespaces
  box->CloseChildEnds();
  RETURN_IF_ERROR(WriteIdMaps(box->init_.pid(), shared.ids));  // inner uid/gid -> outer
  if (box->slot_ != nullptr) RETURN_IF_ERROR(box->slot_->Attach(box->init_.pid()));
  box->usable_ = true;  // init now waits for kGo, which goes out with the first step
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

void Box::PlanChild() {
  child_.ctl_fd = ctl_child_;
  child_.out_fd = out_child_;
  child_.err_fd = err_child_;
  child_.marker_write_fd = marker_child_;
  child_.uid = shared_.ids.inner_uid;
  child_.gid = shared_.ids.inner_gid;
  child_.drop_supplementary_groups = shared_.drop_supplementary_groups;
  child_.staging_dir = kStagingDir;
  child_.root_tmpfs_options = kRootTmpfsOptions;
  child_.root_entries = shared_.root.entries().data();
  child_.num_root_entries = shared_.root.entries().size();
  child_.proc_path = shared_.root.proc_path();
  child_.work_path = shared_.root.work_path();
  work_tmpfs_options_ = absl::StrCat("size=", plan_.work_dir_mib, "m,nr_inodes=", kWorkDirInodes,
                                     ",mode=0755,uid=", child_.uid, ",gid=", child_.gid);
  child_.work_tmpfs_options = work_tmpfs_options_.c_str();
  child_.work_dir_in_box = kWorkDirInBox;
  file_paths_.reserve(plan_.files.size());
  for (const BoxFile& file : plan_.files) {
    file_paths_.push_back(absl::StrCat(kWorkDirInBox, "/", file.name));
    child_files_.push_back({file_paths_.back().c_str(), file.data.data(), file.data.size(),
                            file.mode});
  }
  child_.files = child_files_.data();
  child_.num_files = child_files_.size();
  child_.loopback = shared_.options.allow_loopback_network;
  child_.hostname = kHostname;
  child_.cap_last_cap = shared_.cap_last_cap;
  child_.seccomp = shared_.seccomp.program();
  PlanSteps();
}

void Box::PlanSteps() {
  for (const std::string& variable : shared_.environment_variables) {
    envp_.push_back(const_cast<char*>(variable.c_str()));
  }
  envp_.push_back(nullptr);
  bool memory_by_rlimit = shared_.environment.memory_mode == MemoryLimitMode::kRlimitAs;
  argvs_.reserve(plan_.steps.size());
  for (const BoxStep& step : plan_.steps) {
    std::vector<char*>& argv = argvs_.emplace_back();
    for (const std::string& arg : step.argv) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    ChildStep c = {};
    c.path = step.argv[0].c_str();
    c.argv = argv.data();
    c.envp = envp_.data();
    c.stdin_data = step.stdin_data.data();
    c.stdin_size = step.stdin_data.size();
    c.payload = step.has_payload ? step.payload.data() : nullptr;
    c.payload_size = step.payload.size();
    c.marker = step.marker;
    c.raise_oom_score = !memory_by_rlimit;
    PlanRlimits(step.limits, memory_by_rlimit, step.address_space_extra_mib, &c);
    child_steps_.push_back(c);
  }
  child_.steps = child_steps_.data();
  child_.num_steps = child_steps_.size();
}

void Box::CloseChildEnds() {
  CloseFd(&ctl_child_);
  CloseFd(&out_child_);
  CloseFd(&err_child_);
  CloseFd(&marker_child_);
}

absl::Status Box::Send(CommandType type, uint32_t step, bool last) {
  Command command = {type, step, last ? 1u : 0u};
  for (;;) {
    ssize_t n = ::send(ctl_, &command, sizeof(command), MSG_NOSIGNAL);
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
  ready_ = true;
  return absl::OkStatus();
}

absl::StatusOr<StepOutcome> Box::Run(size_t index, bool last) {
  if (!usable_) return absl::FailedPreconditionError("sandbox: this box can run no more steps");
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
  absl::Status status;
  if (!go_sent_) {  // the box is built and the step starts without a round trip between
    status = Send(CommandType::kGo, 0, false);
    go_sent_ = status.ok();
  }
  if (status.ok()) status = Send(CommandType::kRun, static_cast<uint32_t>(index), last);
  if (status.ok()) status = Collect(index, &outcome);
  if (!status.ok()) {
    usable_ = false;
    return status;
  }
  if (last) {
    usable_ = false;
    exit_requested_ = true;
  }
  if (slot_ != nullptr) {
    ASSIGN_OR_RETURN(outcome.oom_killed, slot_->OomKilledSinceBegin());
  }
  if (outcome.box_died) usable_ = false;
  return outcome;
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
}

Box::~Box() {
  if (init_.pid() > 0) {
    // After a last step init exits by itself; otherwise it is told to. Either way it is
    // killed if it does not, and reaped: then every process of its PID namespace is gone.
    bool told = exit_requested_ || (usable_ && Send(CommandType::kExit, 0, false).ok());
    if (told && WaitReadable(init_.pidfd(), kExitTimeoutMs)) init_.Reap();
    init_.Kill();
    init_.Reap();
  }
  for (int* fd : {&ctl_, &ctl_child_, &out_, &out_child_, &err_, &err_child_, &marker_,
                  &marker_child_}) {
    CloseFd(fd);
  }
  if (slot_ != nullptr) shared_.cgroups->Release(std::move(slot_));
}

}  // namespace zerorl::sandbox
