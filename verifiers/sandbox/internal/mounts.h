// Internal to the sandbox: the box's root filesystem, planned once per Sandbox in the parent
// (which host paths exist, which are links, which mount flags the kernel will insist on
// keeping) and built by every box's init with nothing but mount/mkdir/symlink calls
// (init/root.cc).
//
// The root is a small tmpfs holding: /usr bound read-only; /bin, /sbin, /lib* as the host has
// them (links into /usr on merged-/usr systems, read-only binds otherwise); an /etc with
// generated passwd, group, hosts and nsswitch.conf plus read-only binds of ld.so.cache,
// alternatives and what the languages ask for; /dev with null, zero, random and urandom bound
// from the host and the usual /proc/self/fd links; a fresh /proc; and the mount point of the
// work tmpfs, /tmp (/dev/shm and /var/tmp point there), which each job mounts afresh. After
// pivot_root the root tmpfs is made read-only.
#ifndef ZERORL_VERIFIERS_SANDBOX_INTERNAL_MOUNTS_H_
#define ZERORL_VERIFIERS_SANDBOX_INTERNAL_MOUNTS_H_

#include <sys/types.h>

#include <deque>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "verifiers/sandbox/internal/child.h"

namespace zerorl::sandbox {

// Where init assembles the root in its private mount namespace (the host's /tmp is only
// covered there, never touched).
inline constexpr char kStagingDir[] = "/tmp";
inline constexpr char kWorkDirInBox[] = "/tmp";

struct RootPlanOptions {
  uid_t inner_uid = 1000;
  gid_t inner_gid = 1000;
  // Host paths (files or directories) bound read-only at the same place, when they exist:
  // e.g. /etc/java-17-openjdk, which the JDK's conf links point into.
  std::vector<std::string> extra_read_only_paths;
};

class RootPlan {
 public:
  // Looks at the host (lstat, statvfs) once; kFailedPrecondition when /usr is missing.
  static absl::StatusOr<RootPlan> Make(const RootPlanOptions& options);

  RootPlan() = default;
  RootPlan(RootPlan&&) = default;
  RootPlan& operator=(RootPlan&&) = default;

  const std::vector<RootEntry>& entries() const { return entries_; }
  // "bind /usr read-only at /usr", for error messages naming a failed entry.
  std::string Describe(size_t index) const;
  const char* proc_path() const { return proc_path_.c_str(); }

 private:
  const char* Keep(std::string text);
  void AddDirectory(const std::string& path_in_box);
  void AddSymlink(const std::string& path_in_box, const std::string& target);
  void AddFile(const std::string& path_in_box, std::string contents);
  // Adds a read-only bind of `host_path` (file or directory) when it exists; false if not.
  bool AddReadOnlyBind(const std::string& host_path);
  void AddDevice(const std::string& name);
  void AddHostTopLevel(const std::string& name);  // /bin, /lib64...: link or bind, as the host
  void AddParentDirectories(const std::string& path_in_box);  // mkdir what a bind needs

  std::deque<std::string> strings_;  // stable storage for the C strings in entries_
  std::vector<RootEntry> entries_;
  std::set<std::string> planned_;  // paths in the box already made
  std::string proc_path_;
};

}  // namespace zerorl::sandbox

#endif  // ZERORL_VERIFIERS_SANDBOX_INTERNAL_MOUNTS_H_
