// Internal to the sandbox: one box = one set of namespaces with its own root, whose init runs
// jobs on the parent's command. A job is one request: its files in a fresh /tmp and a fixed
// list of steps (compile, then run each test) that run one at a time and share that /tmp (the
// compiler's output is the next step's program); no process outlives its step, and nothing
// of a job (process, file, mount, IPC object) is left when the next one begins, so a box is
// kept warm and reused across requests (BoxCache).
//
//   ASSIGN_OR_RETURN(BoxLease box, BoxLease::Begin(shared, std::move(plan)));  // warm or new
//   ASSIGN_OR_RETURN(StepOutcome compiled, box->Run(0));
//   ASSIGN_OR_RETURN(StepOutcome ran, box->Run(1, /*last=*/true));
//   // the lease's end hands the box back to the cache, or ends it
//
// Box::Start is the parent's checklist (nsjail's shape): open channels, clone into namespaces
// and execute init from its memfd (no copy of this process's memory), write the id maps, join
// the cgroup. The child then waits for the go, which the first job sends together with its
// first step. A Box is used by one thread at a time.
#ifndef ZERORL_VERIFIERS_SANDBOX_INTERNAL_BOX_H_
#define ZERORL_VERIFIERS_SANDBOX_INTERNAL_BOX_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "verifiers/sandbox/internal/cgroup.h"
#include "verifiers/sandbox/internal/child.h"
#include "verifiers/sandbox/internal/init_image.h"
#include "verifiers/sandbox/internal/limits.h"
#include "verifiers/sandbox/internal/mounts.h"
#include "verifiers/sandbox/internal/namespaces.h"
#include "verifiers/sandbox/internal/seccomp.h"
#include "verifiers/sandbox/sandbox.h"

namespace zerorl::sandbox {

class Box;

// Boxes whose last job ended cleanly, waiting for the next (SandboxOptions::warm_boxes).
// A box's init dies with the thread that made it (PR_SET_PDEATHSIG), so a box is only ever
// handed back to that thread: a pool worker keeps its own box, and a thread calling
// Sandbox::Run again finds the one it used last. Thread-safe.
class BoxCache {
 public:
  explicit BoxCache(size_t capacity) : capacity_(capacity) {}
  ~BoxCache();  // ends every idle box
  // An idle box made by the calling thread whose init is still alive, or nullptr.
  std::unique_ptr<Box> Take();
  // Keeps `box` when it may run another job (the least recently kept box ends when there
  // are more than the capacity); otherwise it ends.
  void Give(std::unique_ptr<Box> box);
  // Ends every idle box (the benchmark does, to count their CPU time as its children's).
  void Clear();
  size_t idle() const;

 private:
  const size_t capacity_;
  mutable absl::Mutex mu_;
  std::vector<std::unique_ptr<Box>> idle_ ABSL_GUARDED_BY(mu_);  // least recently kept first
};

// What every box of one Sandbox shares, prepared once by Sandbox::Create. Read-only after
// creation (CgroupManager and BoxCache are internally locked), so boxes on many threads may
// use it. Members are destroyed bottom up: idle boxes end before their cgroups go.
class SandboxShared {
 public:
  SandboxOptions options;
  SandboxEnvironment environment;
  IdMapping ids = {};
  bool drop_supplementary_groups = false;
  RootPlan root;
  SeccompProgram seccomp;
  int cap_last_cap = 40;
  std::vector<std::string> environment_variables;  // "PATH=...", fixed for every program
  OwnedFd init_program;   // the init executable (verifiers/sandbox/internal/init_image.h)
  OwnedFd setup;          // the encoded ChildSetup every box's init reads, sealed
  std::unique_ptr<CgroupManager> cgroups;
  std::unique_ptr<BoxCache> warm_boxes;
};

struct BoxFile {
  std::string name;  // inside /tmp
  std::string data;
  mode_t mode = 0644;
};

struct BoxStep {
  std::vector<std::string> argv;  // argv[0]: absolute path of the program
  std::string stdin_data;
  bool has_payload = false;       // the harness payload at fd kStepPayloadFd
  std::string payload;
  bool marker = false;            // the marker pipe at fd kStepMarkerFd
  Limits limits;
  int64_t address_space_extra_mib = 0;  // see PlanRlimits
};

// One job.
struct BoxPlan {
  std::vector<BoxFile> files;
  std::vector<BoxStep> steps;
  int64_t work_dir_mib = 64;
};

class Box {
 public:
  // Builds a box with no job yet. kFailedPrecondition when the kernel refuses the namespaces
  // or executing init from a memfd; kResourceExhausted when it is out of pids or namespaces.
  // Setup failures inside the box surface at the first AwaitReady() or Run().
  static absl::StatusOr<std::unique_ptr<Box>> Start(const SandboxShared& shared);
  ~Box();  // init is killed, and with it its namespaces
  Box(const Box&) = delete;
  Box& operator=(const Box&) = delete;

  // Hands the box its next job (a fresh /tmp holding plan.files, a fresh IPC namespace) and
  // returns without waiting: a failure to set it up surfaces at the first Run().
  absl::Status BeginJob(BoxPlan plan);
  // Runs step `index` of the job and returns what happened. A non-OK status is a sandbox
  // failure (setup failed in the child, a pipe broke, a cgroup file could not be written);
  // what the program did is data. `last` ends the job after the step. After an outcome with
  // box_died, or a non-OK status, the box can run nothing more.
  absl::StatusOr<StepOutcome> Run(size_t index, bool last = false);
  // Ends the job without running its last step (a compile error stopped it): its /tmp goes
  // and the box may take the next job. On failure the box is no longer usable.
  absl::Status EndJob();
  // Lets init build the box (and set up the job, if one was begun) and waits until it is
  // ready, without running a step. For probing a machine and measuring setup alone.
  absl::Status AwaitReady();
  bool usable() const { return usable_; }
  // The last job ended cleanly and init is unharmed: BeginJob may be called again.
  bool reusable() const { return usable_ && !in_job_ && !tainted_; }
  bool InitAlive() const;
  pid_t maker_thread() const { return maker_thread_; }  // gettid() of the thread that made it
  const BoxPlan& plan() const { return plan_; }

 private:
  explicit Box(const SandboxShared& shared);
  absl::Status OpenChannels();
  void CloseChildEnds();
  absl::Status Send(CommandType type, uint32_t step, bool last, int fd = -1);
  absl::StatusOr<OwnedFd> EncodeJob() const;  // the job, encoded, in a sealed memfd
  absl::Status SetupFailure(const ChildError& error) const;
  absl::Status InitEndedEarly();
  absl::Status Collect(size_t index, StepOutcome* outcome);
  void Finish(const Report& report, StepOutcome* outcome);
  void Drain(StepOutcome* outcome, const Limits& limits);

  const SandboxShared& shared_;
  BoxPlan plan_;
  std::unique_ptr<CgroupSlot> slot_;
  // Parent ends and child ends of the channels (-1 once closed).
  int ctl_ = -1, ctl_child_ = -1;
  int out_ = -1, out_child_ = -1;
  int err_ = -1, err_child_ = -1;
  int marker_ = -1, marker_child_ = -1;
  BoxProcess init_;
  pid_t maker_thread_ = 0;
  bool usable_ = false;
  bool go_sent_ = false;
  bool ready_ = false;      // init reported (or proved by a step) that the box/job is set up
  bool in_job_ = false;
  bool tainted_ = false;
  bool kill_sent_ = false;
};

// A box running one job, from the cache when one is warm; back to the cache at the end (the
// job is ended first if its last step did not run).
class BoxLease {
 public:
  static absl::StatusOr<BoxLease> Begin(const SandboxShared& shared, BoxPlan plan);
  BoxLease(BoxLease&& other) noexcept = default;
  BoxLease& operator=(BoxLease&& other) = delete;
  ~BoxLease();
  Box* operator->() const { return box_.get(); }

 private:
  BoxLease(const SandboxShared* shared, std::unique_ptr<Box> box)
      : shared_(shared), box_(std::move(box)) {}
  const SandboxShared* shared_;
  std::unique_ptr<Box> box_;
};

}  // namespace zerorl::sandbox

#endif  // ZERORL_VERIFIERS_SANDBOX_INTERNAL_BOX_H_
