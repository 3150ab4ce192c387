// Internal to the sandbox: one box = one set of namespaces with its own root and /tmp, in
// which a fixed list of steps (compile, then run each test) runs one at a time, on the
// parent's command. Steps share /tmp (the compiler's output is the next step's program);
// no process outlives its step.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<Box> box, Box::Start(shared, std::move(plan)));
//   ASSIGN_OR_RETURN(StepOutcome compiled, box->Run(0));
//   ...
//   box.reset();  // init is told to exit (killed if it does not); the box is gone
//
// Box::Start is the parent's checklist (nsjail's shape): open channels, plan the child,
// clone into namespaces, write the id maps, join the cgroup. The child then waits for the
// go, which the first Run() sends together with its step. A Box is used by one thread at
// a time.
#ifndef ZERORL_VERIFIERS_SANDBOX_BOX_H_
#define ZERORL_VERIFIERS_SANDBOX_BOX_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "verifiers/sandbox.h"
#include "verifiers/sandbox_cgroup.h"
#include "verifiers/sandbox_child.h"
#include "verifiers/sandbox_limits.h"
#include "verifiers/sandbox_mounts.h"
#include "verifiers/sandbox_namespaces.h"
#include "verifiers/sandbox_seccomp.h"

namespace zerorl::sandbox {

// What every box of one Sandbox shares, prepared once by Sandbox::Create. Read-only after
// creation (CgroupManager is internally locked), so boxes on many threads may use it.
class SandboxShared {
 public:
  SandboxOptions options;
  SandboxEnvironment environment;
  IdMapping ids = {};
  bool drop_supplementary_groups = false;
  RootPlan root;
  SeccompProgram seccomp;
  std::unique_ptr<CgroupManager> cgroups;
  int cap_last_cap = 40;
  std::vector<std::string> environment_variables;  // "PATH=...", fixed for every program
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

struct BoxPlan {
  std::vector<BoxFile> files;
  std::vector<BoxStep> steps;
  int64_t work_dir_mib = 64;
};

class Box {
 public:
  // Builds the box and waits until its init is ready to run steps. kInternal names the
  // setup step and errno when the child failed; kFailedPrecondition when the kernel refuses
  // the namespaces.
  static absl::StatusOr<std::unique_ptr<Box>> Start(const SandboxShared& shared, BoxPlan plan);
  ~Box();
  Box(const Box&) = delete;
  Box& operator=(const Box&) = delete;

  // Runs step `index` and returns what happened. A non-OK status is a sandbox failure
  // (setup failed in the child, a pipe broke, a cgroup file could not be written); what the
  // program did is data. `last` lets init exit right after the step (one round trip fewer
  // at teardown). After a last step, an outcome with box_died, or a non-OK status, the box
  // cannot run more steps.
  absl::StatusOr<StepOutcome> Run(size_t index, bool last = false);
  // Lets the child build the box and waits until it is ready, without running a step
  // (Run() does this on the way). For probing a machine and measuring setup alone.
  absl::Status AwaitReady();
  bool usable() const { return usable_; }
  const BoxPlan& plan() const { return plan_; }

 private:
  Box(const SandboxShared& shared, BoxPlan plan);
  absl::Status OpenChannels();
  void PlanChild();
  void PlanSteps();
  void CloseChildEnds();
  absl::Status Send(CommandType type, uint32_t step, bool last);
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
  // The plan as plain data for the child (pointers into plan_ and the vectors below).
  ChildPlan child_ = {};
  std::vector<ChildStep> child_steps_;
  std::vector<ChildFile> child_files_;
  std::vector<std::string> file_paths_;
  std::vector<std::vector<char*>> argvs_;
  std::vector<char*> envp_;
  std::string work_tmpfs_options_;
  BoxProcess init_;
  bool usable_ = false;
  bool go_sent_ = false;
  bool ready_ = false;
  bool exit_requested_ = false;
  bool kill_sent_ = false;
};

}  // namespace zerorl::sandbox

#endif  // ZERORL_VERIFIERS_SANDBOX_BOX_H_
