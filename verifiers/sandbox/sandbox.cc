#include "verifiers/sandbox/sandbox.h"

#include <unistd.h>

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/status.h"
#include "verifiers/sandbox/internal/box.h"
#include "verifiers/sandbox/internal/program.h"
#include "verifiers/sandbox/internal/wire.h"
#include "verifiers/sandbox/languages.h"
#include "verifiers/sandbox/pool.h"

namespace zerorl::sandbox {
namespace {

constexpr char kRootTmpfsOptions[] = "size=1m,nr_inodes=1024,mode=0755";
constexpr char kHostname[] = "sandbox";

std::string ReadProcFile(const char* path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Is `id` inside one of the ranges of a /proc/self/{uid,gid}_map ("inside outside count")?
bool IdIsMapped(const std::string& map, uint32_t id) {
  for (absl::string_view line : absl::StrSplit(map, '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> fields = absl::StrSplit(line, ' ', absl::SkipEmpty());
    uint64_t first = 0, count = 0;
    if (fields.size() == 3 && absl::SimpleAtoi(fields[0], &first) &&
        absl::SimpleAtoi(fields[2], &count) && id >= first && id < first + count) {
      return true;
    }
  }
  return false;
}

// Who the box's processes are outside: an unprivileged id when we are root, else our own.
absl::Status DecideIdentity(const SandboxOptions& options, SandboxShared* shared) {
  if (options.inner_uid == 0 || options.inner_gid == 0) {
    return absl::InvalidArgumentError("inner_uid and inner_gid must not be 0 (root)");
  }
  IdMapping& ids = shared->ids;
  ids.inner_uid = options.inner_uid;
  ids.inner_gid = options.inner_gid;
  bool root = ::geteuid() == 0;
  shared->environment.running_as_root = root;
  if (root) {
    if (options.outer_uid_when_root == 0 || options.outer_gid_when_root == 0) {
      return absl::InvalidArgumentError("outer_uid_when_root/outer_gid_when_root must not be 0");
    }
    if (!IdIsMapped(ReadProcFile("/proc/self/uid_map"), options.outer_uid_when_root) ||
        !IdIsMapped(ReadProcFile("/proc/self/gid_map"), options.outer_gid_when_root)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "running as root, but uid ", options.outer_uid_when_root, " / gid ",
          options.outer_gid_when_root, " is not mapped in this user namespace; set "
          "outer_uid_when_root/outer_gid_when_root to a mapped unprivileged id"));
    }
    ids.outer_uid = options.outer_uid_when_root;
    ids.outer_gid = options.outer_gid_when_root;
    ids.deny_setgroups = false;
    shared->drop_supplementary_groups = true;
  } else {
    ids.outer_uid = ::geteuid();
    ids.outer_gid = ::getegid();
    ids.deny_setgroups = true;  // the kernel's condition for an unprivileged gid_map
    shared->drop_supplementary_groups = false;
  }
  shared->environment.outer_uid = ids.outer_uid;
  shared->environment.outer_gid = ids.outer_gid;
  return absl::OkStatus();
}

RootPlanOptions RootOptions(const SandboxOptions& options) {
  RootPlanOptions root;
  root.inner_uid = options.inner_uid;
  root.inner_gid = options.inner_gid;
  for (const Language& language : Languages()) {
    for (const std::string& path : language.host_paths) root.extra_read_only_paths.push_back(path);
  }
  return root;
}

// Every box's setup, encoded once (verifiers/sandbox/internal/wire.h) into a sealed memfd that each box's init
// reads at kSetupFd.
absl::StatusOr<OwnedFd> EncodeBoxSetup(const SandboxShared& shared) {
  std::vector<char*> envp;
  for (const std::string& variable : shared.environment_variables) {
    envp.push_back(const_cast<char*>(variable.c_str()));
  }
  envp.push_back(nullptr);
  ChildSetup setup = {};
  setup.uid = shared.ids.inner_uid;
  setup.gid = shared.ids.inner_gid;
  setup.drop_supplementary_groups = shared.drop_supplementary_groups;
  setup.staging_dir = kStagingDir;
  setup.root_tmpfs_options = kRootTmpfsOptions;
  setup.root_entries = shared.root.entries().data();
  setup.num_root_entries = shared.root.entries().size();
  setup.proc_path = shared.root.proc_path();
  setup.work_dir_in_box = kWorkDirInBox;
  setup.loopback = shared.options.allow_loopback_network;
  setup.hostname = kHostname;
  setup.cap_last_cap = shared.cap_last_cap;
  setup.seccomp = shared.seccomp.program()->filter;
  setup.seccomp_length = shared.seccomp.size();
  setup.envp = envp.data();
  std::string bytes = EncodeSetup(setup);
  return SealedMemfd("zerorl-sandbox-setup", bytes.data(), bytes.size(), /*executable=*/false);
}

size_t WarmBoxes(const SandboxOptions& options) {
  return static_cast<size_t>(options.warm_boxes >= 0 ? options.warm_boxes : AvailableCpus());
}

int CapLastCap() {
  int value = 40;
  std::string text = ReadProcFile("/proc/sys/kernel/cap_last_cap");
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(text), &value)) value = 63;
  return value;
}

}  // namespace

const char* RunStatusName(RunStatus status) {
  switch (status) {
    case RunStatus::kOk: return "ok";
    case RunStatus::kRuntimeError: return "runtime_error";
    case RunStatus::kTimeLimit: return "time_limit";
    case RunStatus::kMemoryLimit: return "memory_limit";
    case RunStatus::kOutputLimit: return "output_limit";
    case RunStatus::kCompileError: return "compile_error";
    case RunStatus::kSandboxError: return "sandbox_error";
  }
  return "sandbox_error";
}

const char* MemoryLimitModeName(MemoryLimitMode mode) {
  switch (mode) {
    case MemoryLimitMode::kCgroupV2: return "cgroup_v2";
    case MemoryLimitMode::kCgroupV1: return "cgroup_v1";
    case MemoryLimitMode::kRlimitAs: return "rlimit_as";
  }
  return "?";
}

const char* ProcessLimitModeName(ProcessLimitMode mode) {
  switch (mode) {
    case ProcessLimitMode::kCgroupV2: return "cgroup_v2";
    case ProcessLimitMode::kCgroupV1: return "cgroup_v1";
    case ProcessLimitMode::kRlimitNproc: return "rlimit_nproc";
  }
  return "?";
}

std::string SandboxEnvironment::ToString() const {
  return absl::StrCat(running_as_root ? "root" : "unprivileged", ", box uid/gid -> host ",
                      outer_uid, "/", outer_gid, ", memory limit by ",
                      MemoryLimitModeName(memory_mode), ", process limit by ",
                      ProcessLimitModeName(process_mode));
}

absl::Status ValidateLimits(const Limits& limits) {
  const std::pair<const char*, int64_t> fields[] = {
      {"wall_time_ms", limits.wall_time_ms},     {"cpu_time_ms", limits.cpu_time_ms},
      {"memory_mib", limits.memory_mib},         {"max_processes", limits.max_processes},
      {"file_size_mib", limits.file_size_mib},   {"work_dir_mib", limits.work_dir_mib},
      {"max_open_files", limits.max_open_files}, {"stack_mib", limits.stack_mib},
      {"stdout_limit_bytes", limits.stdout_limit_bytes},
      {"stderr_limit_bytes", limits.stderr_limit_bytes},
  };
  for (const auto& [name, value] : fields) {
    if (value <= 0) {
      return absl::InvalidArgumentError(absl::StrCat("limit ", name, " must be > 0, got ", value));
    }
  }
  return absl::OkStatus();
}

Sandbox::Sandbox(std::unique_ptr<SandboxShared> shared) : shared_(std::move(shared)) {}
Sandbox::~Sandbox() = default;

const SandboxEnvironment& Sandbox::environment() const { return shared_->environment; }

absl::StatusOr<std::unique_ptr<Sandbox>> Sandbox::Create(const SandboxOptions& options) {
  if (options.warm_boxes < -1) {
    return absl::InvalidArgumentError(
        absl::StrCat("warm_boxes must be -1 (one per CPU) or >= 0, got ", options.warm_boxes));
  }
  auto shared = std::make_unique<SandboxShared>();
  shared->options = options;
  RETURN_IF_ERROR(DecideIdentity(options, shared.get()));           // who the box is outside
  ASSIGN_OR_RETURN(shared->seccomp, SeccompProgram::Compile(options.allow_loopback_network));
  ASSIGN_OR_RETURN(shared->root, RootPlan::Make(RootOptions(options)));  // the root skeleton
  ASSIGN_OR_RETURN(shared->cgroups, CgroupManager::Create(options));
  shared->environment.memory_mode = shared->cgroups->memory_mode();
  shared->environment.process_mode = shared->cgroups->process_mode();
  shared->cap_last_cap = CapLastCap();
  shared->environment_variables = {"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/tmp",
                                   "TMPDIR=/tmp", "LANG=C.UTF-8", "LC_ALL=C.UTF-8"};
  ASSIGN_OR_RETURN(shared->init_program,  // the box's init, executed from memory
                   SealedMemfd("zerorl-sandbox-init", InitProgramBytes(), InitProgramSize(),
                               /*executable=*/true));
  ASSIGN_OR_RETURN(shared->setup, EncodeBoxSetup(*shared));
  shared->warm_boxes = std::make_unique<BoxCache>(WarmBoxes(options));
  std::unique_ptr<Sandbox> sandbox(new Sandbox(std::move(shared)));
  // One empty box proves that this kernel lets us build boxes at all; it stays warm.
  absl::StatusOr<std::unique_ptr<Box>> probe = Box::Start(*sandbox->shared_);
  absl::Status probed = probe.ok() ? (*probe)->AwaitReady() : probe.status();
  if (!probed.ok()) return core::Annotate(probed, "sandbox: probing this machine");
  sandbox->shared_->warm_boxes->Give(std::move(*probe));
  return sandbox;
}

absl::StatusOr<RunResult> Sandbox::Run(const RunRequest& request) const {
  ASSIGN_OR_RETURN(const Language* language, LookUpLanguage(request.language));
  RETURN_IF_ERROR(ValidateLimits(request.limits));
  Limits compile_limits = request.compile_limits.value_or(language->compile_limits);
  if (HasCompileStep(*language))
    RETURN_IF_ERROR(core::Annotate(ValidateLimits(compile_limits), "compile"));
  BoxPlan plan = PlanProgram(*language, request.code, request.limits, compile_limits);
  plan.steps.push_back(ProgramStep(*language, request.limits, request.stdin_data));
  ASSIGN_OR_RETURN(BoxLease box, BoxLease::Begin(*shared_, std::move(plan)));
  if (HasCompileStep(*language)) {
    ASSIGN_OR_RETURN(StepOutcome compiled, box->Run(0));
    RunResult result = CompileResult(compiled, compile_limits);
    if (result.status != RunStatus::kOk) return result;
  }
  ASSIGN_OR_RETURN(StepOutcome outcome, box->Run(box->plan().steps.size() - 1, /*last=*/true));
  return ToRunResult(std::move(outcome), request.limits);
}

}  // namespace zerorl::sandbox
