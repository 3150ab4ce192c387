#include "verifiers/sandbox/internal/mounts.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace zerorl::sandbox {
namespace {

// Mount flags a user namespace may not clear when it remounts a bind of a host mount
// (the kernel locks them): we read them from the host and keep them.
unsigned long LockedMountFlags(const std::string& path) {
  struct statvfs info;
  if (::statvfs(path.c_str(), &info) != 0) return 0;
  unsigned long flags = 0;
  if (info.f_flag & ST_NOSUID) flags |= MS_NOSUID;
  if (info.f_flag & ST_NODEV) flags |= MS_NODEV;
  if (info.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
  if (info.f_flag & ST_NOATIME) flags |= MS_NOATIME;
  if (info.f_flag & ST_NODIRATIME) flags |= MS_NODIRATIME;
  if (info.f_flag & ST_RELATIME) flags |= MS_RELATIME;
  return flags;
}

std::string PasswdFile(uid_t uid, gid_t gid) {
  return absl::StrCat("root:x:0:0:root:/root:/usr/sbin/nologin\n", "sandbox:x:", uid, ":", gid,
                      ":sandbox:/tmp:/usr/sbin/nologin\n",
                      "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
}

std::string GroupFile(gid_t gid) {
  return absl::StrCat("root:x:0:\n", "sandbox:x:", gid, ":\n", "nogroup:x:65534:\n");
}

}  // namespace

const char* RootPlan::Keep(std::string text) {
  strings_.push_back(std::move(text));
  return strings_.back().c_str();
}

void RootPlan::AddDirectory(const std::string& path_in_box) {
  planned_.insert(path_in_box);
  RootEntry entry = {};
  entry.kind = RootEntryKind::kDirectory;
  entry.path = Keep(kStagingDir + path_in_box);
  entries_.push_back(entry);
}

void RootPlan::AddSymlink(const std::string& path_in_box, const std::string& target) {
  RootEntry entry = {};
  entry.kind = RootEntryKind::kSymlink;
  entry.path = Keep(kStagingDir + path_in_box);
  entry.source = Keep(target);
  entries_.push_back(entry);
}

void RootPlan::AddFile(const std::string& path_in_box, std::string contents) {
  RootEntry entry = {};
  entry.kind = RootEntryKind::kFile;
  entry.path = Keep(kStagingDir + path_in_box);
  entry.data_size = contents.size();
  entry.data = Keep(std::move(contents));
  entries_.push_back(entry);
}

void RootPlan::AddParentDirectories(const std::string& path_in_box) {
  for (size_t slash = path_in_box.find('/', 1); slash != std::string::npos;
       slash = path_in_box.find('/', slash + 1)) {
    std::string parent = path_in_box.substr(0, slash);
    if (planned_.insert(parent).second) AddDirectory(parent);
  }
}

bool RootPlan::AddReadOnlyBind(const std::string& host_path) {
  struct stat info;
  if (::stat(host_path.c_str(), &info) != 0) return false;
  if (!S_ISDIR(info.st_mode) && !S_ISREG(info.st_mode)) return false;
  if (host_path.empty() || host_path[0] != '/' || !planned_.insert(host_path).second) return false;
  AddParentDirectories(host_path);
  RootEntry entry = {};
  entry.kind = RootEntryKind::kBindReadOnly;
  entry.path = Keep(kStagingDir + host_path);
  entry.source = Keep(host_path);
  entry.source_is_directory = S_ISDIR(info.st_mode);
  entry.keep_mount_flags = LockedMountFlags(host_path);
  entries_.push_back(entry);
  return true;
}

void RootPlan::AddDevice(const std::string& name) {
  std::string host_path = "/dev/" + name;
  struct stat info;
  if (::stat(host_path.c_str(), &info) != 0 || !S_ISCHR(info.st_mode)) return;
  RootEntry entry = {};
  entry.kind = RootEntryKind::kBindDevice;
  entry.path = Keep(kStagingDir + host_path);
  entry.source = Keep(host_path);
  entries_.push_back(entry);
}

void RootPlan::AddHostTopLevel(const std::string& name) {
  std::string host_path = "/" + name;
  struct stat info;
  if (::lstat(host_path.c_str(), &info) != 0) return;
  if (S_ISLNK(info.st_mode)) {
    char target[4096];
    ssize_t n = ::readlink(host_path.c_str(), target, sizeof(target) - 1);
    if (n > 0) AddSymlink(host_path, std::string(target, static_cast<size_t>(n)));
  } else if (S_ISDIR(info.st_mode)) {
    AddReadOnlyBind(host_path);
  }
}

absl::StatusOr<RootPlan> RootPlan::Make(const RootPlanOptions& options) {
  RootPlan plan;
  if (!plan.AddReadOnlyBind("/usr")) {
    return absl::FailedPreconditionError("sandbox root: /usr is missing on this host");
  }
  for (const char* name : {"bin", "sbin", "lib", "lib32", "lib64", "libx32"}) {
    plan.AddHostTopLevel(name);
  }
  plan.AddDirectory("/etc");
  plan.AddFile("/etc/passwd", PasswdFile(options.inner_uid, options.inner_gid));
  plan.AddFile("/etc/group", GroupFile(options.inner_gid));
  plan.AddFile("/etc/hosts", "127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n");
  plan.AddFile("/etc/nsswitch.conf", "passwd: files\ngroup: files\nhosts: files\n");
  plan.AddReadOnlyBind("/etc/ld.so.cache");
  plan.AddReadOnlyBind("/etc/alternatives");
  for (const std::string& path : options.extra_read_only_paths) plan.AddReadOnlyBind(path);
  plan.AddDirectory("/dev");
  for (const char* device : {"null", "zero", "random", "urandom"}) plan.AddDevice(device);
  plan.AddSymlink("/dev/fd", "/proc/self/fd");
  plan.AddSymlink("/dev/stdin", "/proc/self/fd/0");
  plan.AddSymlink("/dev/stdout", "/proc/self/fd/1");
  plan.AddSymlink("/dev/stderr", "/proc/self/fd/2");
  plan.AddSymlink("/dev/shm", "/tmp");
  plan.AddDirectory("/var");
  plan.AddSymlink("/var/tmp", "/tmp");
  plan.AddDirectory("/proc");
  plan.AddDirectory("/tmp");
  plan.proc_path_ = std::string(kStagingDir) + "/proc";
  return plan;
}

std::string RootPlan::Describe(size_t index) const {
  if (index >= entries_.size()) return absl::StrCat("root entry #", index);
  const RootEntry& e = entries_[index];
  std::string in_box = std::string(e.path).substr(sizeof(kStagingDir) - 1);
  switch (e.kind) {
    case RootEntryKind::kDirectory: return absl::StrCat("mkdir ", in_box);
    case RootEntryKind::kSymlink: return absl::StrCat("symlink ", in_box, " -> ", e.source);
    case RootEntryKind::kFile: return absl::StrCat("write ", in_box);
    case RootEntryKind::kBindReadOnly: return absl::StrCat("bind ", e.source, " read-only");
    case RootEntryKind::kBindDevice: return absl::StrCat("bind device ", e.source);
    case RootEntryKind::kCount: break;
  }
  return in_box;
}

}  // namespace zerorl::sandbox
