#include "verifiers/sandbox/internal/cgroup.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "absl/algorithm/container.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "core/status.h"

namespace zerorl::sandbox {
namespace {

constexpr char kSlotPrefix[] = "zerorl-sandbox-";

absl::StatusOr<std::string> ReadSmallFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::InternalError(absl::StrCat("open ", path, ": ", std::strerror(errno)));
  std::string text;
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(fd, buffer, sizeof(buffer))) > 0) text.append(buffer, static_cast<size_t>(n));
  int error = errno;
  ::close(fd);
  if (n < 0) return absl::InternalError(absl::StrCat("read ", path, ": ", std::strerror(error)));
  return text;
}

absl::Status WriteSmallFile(const std::string& path, const std::string& text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return absl::InternalError(absl::StrCat("open ", path, ": ", std::strerror(errno)));
  ssize_t n = ::write(fd, text.data(), text.size());
  int error = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(text.size())) {
    return absl::InternalError(absl::StrCat("write \"", text, "\" to ", path, ": ",
                                            std::strerror(error)));
  }
  return absl::OkStatus();
}

bool Exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

bool ListHas(absl::string_view list, char separator, absl::string_view name) {
  std::vector<absl::string_view> items = absl::StrSplit(list, separator);
  return absl::c_linear_search(items, name);
}

// "key N" from a flat-keyed cgroup file (memory.events, memory.oom_control).
int64_t KeyedValue(const std::string& text, absl::string_view key) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    std::vector<absl::string_view> parts = absl::StrSplit(line, ' ');
    int64_t value = 0;
    if (parts.size() == 2 && parts[0] == key && absl::SimpleAtoi(parts[1], &value)) return value;
  }
  return 0;
}

// May this process make cgroups under `parent`? (mkdir + rmdir of a probe directory.)
bool CanMakeChildren(const std::string& parent) {
  if (parent.empty()) return false;
  std::string probe = absl::StrCat(parent, "/", kSlotPrefix, ::getpid(), "-probe");
  if (::mkdir(probe.c_str(), 0755) != 0) return false;
  ::rmdir(probe.c_str());
  return true;
}

bool DelegatesMemoryAndPids(const std::string& v2_parent) {
  absl::StatusOr<std::string> control = ReadSmallFile(v2_parent + "/cgroup.subtree_control");
  if (!control.ok()) return false;
  std::vector<absl::string_view> names = absl::StrSplit(*control, absl::ByAnyChar(" \n"));
  bool memory = false, pids = false;
  for (absl::string_view name : names) {
    memory |= name == "memory";
    pids |= name == "pids";
  }
  return memory && pids;
}

// Removes slots left behind by processes that no longer exist.
void RemoveStaleSlots(const std::string& parent) {
  DIR* dir = ::opendir(parent.c_str());
  if (dir == nullptr) return;
  while (struct dirent* entry = ::readdir(dir)) {
    absl::string_view name = entry->d_name;
    if (!absl::ConsumePrefix(&name, kSlotPrefix)) continue;
    absl::string_view pid_text = name.substr(0, name.find('-'));
    int pid = 0;
    if (!absl::SimpleAtoi(pid_text, &pid) || pid <= 0) continue;
    if (::kill(pid, 0) == 0 || errno != ESRCH) continue;
    ::rmdir(absl::StrCat(parent, "/", entry->d_name).c_str());
  }
  ::closedir(dir);
}

}  // namespace

std::string FindOwnCgroup(const std::string& proc_self_cgroup, const std::string& mountinfo,
                          const std::string& controller) {
  std::string path;
  bool found = false;
  for (absl::string_view line : absl::StrSplit(proc_self_cgroup, '\n')) {
    std::vector<absl::string_view> parts = absl::StrSplit(line, absl::MaxSplits(':', 2));
    if (parts.size() != 3) continue;
    bool match = controller.empty()
                     ? parts[0] == "0" && parts[1].empty()
                     : ListHas(parts[1], ',', controller);
    if (match) {
      path = std::string(parts[2]);
      found = true;
      break;
    }
  }
  if (!found) return "";
  for (absl::string_view line : absl::StrSplit(mountinfo, '\n')) {
    std::vector<absl::string_view> halves = absl::StrSplit(line, absl::MaxSplits(" - ", 1));
    if (halves.size() != 2) continue;
    std::vector<absl::string_view> left = absl::StrSplit(halves[0], ' ');
    std::vector<absl::string_view> right = absl::StrSplit(halves[1], ' ');
    if (left.size() < 5 || right.size() < 3) continue;
    bool match = controller.empty()
                     ? right[0] == "cgroup2"
                     : right[0] == "cgroup" && ListHas(right[2], ',', controller);
    if (!match) continue;
    absl::string_view root = left[3];
    absl::string_view relative = path;
    if (root != "/" && !absl::ConsumePrefix(&relative, root)) continue;
    return absl::StrCat(left[4], relative == "/" ? "" : relative);
  }
  return "";
}

// ---- CgroupSlot ----

CgroupSlot::CgroupSlot(bool v2, std::string memory_dir, std::string pids_dir)
    : v2_(v2), memory_dir_(std::move(memory_dir)), pids_dir_(std::move(pids_dir)) {}

CgroupSlot::~CgroupSlot() {
  if (!memory_dir_.empty()) ::rmdir(memory_dir_.c_str());
  if (!pids_dir_.empty() && pids_dir_ != memory_dir_) ::rmdir(pids_dir_.c_str());
}

absl::Status CgroupSlot::SetMemory(int64_t bytes) {
  std::string value = absl::StrCat(bytes);
  if (v2_) {
    RETURN_IF_ERROR(WriteSmallFile(memory_dir_ + "/memory.max", value));
    std::string swap = memory_dir_ + "/memory.swap.max";
    return Exists(swap) ? WriteSmallFile(swap, "0") : absl::OkStatus();
  }
  // v1: memory+swap must stay >= memory, so the order depends on the direction.
  std::string memory = memory_dir_ + "/memory.limit_in_bytes";
  std::string memsw = memory_dir_ + "/memory.memsw.limit_in_bytes";
  if (!Exists(memsw)) return WriteSmallFile(memory, value);
  if (memory_bytes_ >= 0 && bytes > memory_bytes_) {  // raising: memsw first
    RETURN_IF_ERROR(WriteSmallFile(memsw, value));
    return WriteSmallFile(memory, value);
  }
  RETURN_IF_ERROR(WriteSmallFile(memory, value));
  return WriteSmallFile(memsw, value);
}

absl::Status CgroupSlot::SetLimits(int64_t memory_bytes, int max_processes) {
  if (!memory_dir_.empty() && memory_bytes != memory_bytes_) {
    RETURN_IF_ERROR(SetMemory(memory_bytes));
    memory_bytes_ = memory_bytes;
  }
  if (!pids_dir_.empty() && max_processes != max_processes_) {
    // + 1: the box's init is one of the tasks.
    RETURN_IF_ERROR(WriteSmallFile(pids_dir_ + "/pids.max", absl::StrCat(max_processes + 1)));
    max_processes_ = max_processes;
  }
  return absl::OkStatus();
}

absl::Status CgroupSlot::Attach(pid_t pid) {
  std::string text = absl::StrCat(pid);
  if (!memory_dir_.empty()) RETURN_IF_ERROR(WriteSmallFile(memory_dir_ + "/cgroup.procs", text));
  if (!pids_dir_.empty() && pids_dir_ != memory_dir_) {
    RETURN_IF_ERROR(WriteSmallFile(pids_dir_ + "/cgroup.procs", text));
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> CgroupSlot::OomKillCount() const {
  if (memory_dir_.empty()) return 0;
  ASSIGN_OR_RETURN(std::string text,
                   ReadSmallFile(memory_dir_ + (v2_ ? "/memory.events" : "/memory.oom_control")));
  return KeyedValue(text, "oom_kill");
}

absl::Status CgroupSlot::BeginStep() {
  ASSIGN_OR_RETURN(oom_kills_at_begin_, OomKillCount());
  return absl::OkStatus();
}

absl::StatusOr<bool> CgroupSlot::OomKilledSinceBegin() {
  ASSIGN_OR_RETURN(int64_t now, OomKillCount());
  return now > oom_kills_at_begin_;
}

// ---- CgroupManager ----

absl::StatusOr<std::unique_ptr<CgroupManager>> CgroupManager::Create(
    const SandboxOptions& options) {
  static std::atomic<int> next_manager{0};
  std::unique_ptr<CgroupManager> manager(new CgroupManager());
  manager->id_ = next_manager++;
  if (!options.use_cgroups) return manager;
  std::string self_cgroup = ReadSmallFile("/proc/self/cgroup").value_or("");
  std::string mountinfo = ReadSmallFile("/proc/self/mountinfo").value_or("");
  std::string v2 = !options.cgroup_v2_parent.empty() ? options.cgroup_v2_parent
                                                     : FindOwnCgroup(self_cgroup, mountinfo, "");
  if (!options.cgroup_v2_parent.empty() && !DelegatesMemoryAndPids(v2)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cgroup_v2_parent ", v2, ": its cgroup.subtree_control must enable memory and pids"));
  }
  if (DelegatesMemoryAndPids(v2) && CanMakeChildren(v2)) {
    RemoveStaleSlots(v2);
    manager->memory_mode_ = MemoryLimitMode::kCgroupV2;
    manager->process_mode_ = ProcessLimitMode::kCgroupV2;
    manager->memory_parent_ = manager->pids_parent_ = v2;
    return manager;
  }
  std::string memory = !options.cgroup_v1_memory_parent.empty()
                           ? options.cgroup_v1_memory_parent
                           : FindOwnCgroup(self_cgroup, mountinfo, "memory");
  std::string pids = !options.cgroup_v1_pids_parent.empty()
                         ? options.cgroup_v1_pids_parent
                         : FindOwnCgroup(self_cgroup, mountinfo, "pids");
  if (CanMakeChildren(memory)) {
    RemoveStaleSlots(memory);
    manager->memory_mode_ = MemoryLimitMode::kCgroupV1;
    manager->memory_parent_ = memory;
  }
  if (CanMakeChildren(pids)) {
    RemoveStaleSlots(pids);
    manager->process_mode_ = ProcessLimitMode::kCgroupV1;
    manager->pids_parent_ = pids;
  }
  return manager;
}

CgroupManager::~CgroupManager() {
  absl::MutexLock lock(&mu_);
  free_.clear();  // each slot removes its directories
}

absl::StatusOr<std::unique_ptr<CgroupSlot>> CgroupManager::MakeSlot() {
  int n;
  {
    absl::MutexLock lock(&mu_);
    n = next_slot_++;
  }
  std::string name = absl::StrCat(kSlotPrefix, ::getpid(), "-", id_, "-", n);
  bool v2 = memory_mode_ == MemoryLimitMode::kCgroupV2;
  std::string memory_dir = memory_parent_.empty() ? "" : memory_parent_ + "/" + name;
  std::string pids_dir = pids_parent_.empty() ? "" : pids_parent_ + "/" + name;
  for (const std::string& dir : {memory_dir, pids_dir}) {
    if (!dir.empty() && ::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
      return absl::InternalError(absl::StrCat("mkdir ", dir, ": ", std::strerror(errno)));
    }
  }
  return std::make_unique<CgroupSlot>(v2, memory_dir, pids_dir);
}

absl::StatusOr<std::unique_ptr<CgroupSlot>> CgroupManager::Acquire() {
  if (!enabled()) return std::unique_ptr<CgroupSlot>();
  {
    absl::MutexLock lock(&mu_);
    if (!free_.empty()) {
      std::unique_ptr<CgroupSlot> slot = std::move(free_.back());
      free_.pop_back();
      return slot;
    }
  }
  return MakeSlot();
}

void CgroupManager::Release(std::unique_ptr<CgroupSlot> slot) {
  if (slot == nullptr) return;
  absl::MutexLock lock(&mu_);
  free_.push_back(std::move(slot));
}

}  // namespace zerorl::sandbox
