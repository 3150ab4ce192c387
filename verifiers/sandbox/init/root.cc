// The box's file system, built by init with nothing but mount/mkdir/symlink calls from the
// plan the parent made once (RootPlan, verifiers/sandbox/internal/mounts.h): a tmpfs root with read-only binds
// of /usr and friends, a fresh /proc, and, per job, a fresh size-limited tmpfs at /tmp.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "verifiers/sandbox/init/init.h"

namespace zerorl::sandbox::init {
namespace {

// An empty file or directory for a bind mount to cover.
bool MakeMountPoint(const RootEntry& e, bool directory) {
  if (directory) return mkdir(e.path, 0755) == 0 || errno == EEXIST;
  int fd = open(e.path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  close(fd);
  return true;
}

bool WriteNewFile(const char* path, const char* data, size_t size, mode_t mode) {
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return false;
  bool ok = WriteAll(fd, data, size);
  int saved = errno;
  close(fd);
  errno = saved;
  return ok;
}

bool MakeEntry(const RootEntry& e) {
  switch (e.kind) {
    case RootEntryKind::kDirectory:
      return mkdir(e.path, 0755) == 0;
    case RootEntryKind::kSymlink:
      return symlink(e.source, e.path) == 0;
    case RootEntryKind::kFile:
      return WriteNewFile(e.path, e.data, e.data_size, 0644);
    case RootEntryKind::kBindReadOnly: {
      if (!MakeMountPoint(e, e.source_is_directory)) return false;
      if (mount(e.source, e.path, nullptr, MS_BIND | MS_REC, nullptr) != 0) return false;
      unsigned long flags =
          MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | e.keep_mount_flags;
      return mount(nullptr, e.path, nullptr, flags, nullptr) == 0;
    }
    case RootEntryKind::kBindDevice:
      return MakeMountPoint(e, false) && mount(e.source, e.path, nullptr, MS_BIND, nullptr) == 0;
    case RootEntryKind::kCount:
      break;
  }
  errno = EINVAL;
  return false;
}

}  // namespace

ChildError BuildRoot(const ChildSetup& setup) {
  // Nothing mounted below may propagate back to the host's namespace.
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    return ChildFail(SetupStep::kMakeMountsPrivate);
  }
  if (mount("tmpfs", setup.staging_dir, "tmpfs", MS_NOSUID | MS_NODEV,
            setup.root_tmpfs_options) != 0) {
    return ChildFail(SetupStep::kMountRootTmpfs);
  }
  for (size_t i = 0; i < setup.num_root_entries; ++i) {
    if (!MakeEntry(setup.root_entries[i])) {
      return ChildFail(SetupStep::kRootEntry, static_cast<int32_t>(i));
    }
  }
  // proc is mounted while the host's /proc is still visible: a user namespace may only
  // mount proc where a full proc is already visible.
  if (mount("proc", setup.proc_path, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
    return ChildFail(SetupStep::kMountProc);
  }
  return {};
}

ChildError EnterRoot(const ChildSetup& setup) {
  // pivot_root(".", "."): the old root ends up stacked on the new one, and is detached.
  if (chdir(setup.staging_dir) != 0) return ChildFail(SetupStep::kPivotRoot, 0);
  if (syscall(SYS_pivot_root, ".", ".") != 0) return ChildFail(SetupStep::kPivotRoot, 1);
  if (umount2(".", MNT_DETACH) != 0) return ChildFail(SetupStep::kPivotRoot, 2);
  if (chdir("/") != 0) return ChildFail(SetupStep::kPivotRoot, 3);
  if (mount(nullptr, "/", nullptr, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, nullptr) != 0) {
    return ChildFail(SetupStep::kRemountRootReadOnly);
  }
  return {};
}

ChildError MountWorkDir(const ChildSetup& setup, const ChildJob& job) {
  if (mount("tmpfs", setup.work_dir_in_box, "tmpfs", MS_NOSUID | MS_NODEV,
            job.work_tmpfs_options) != 0) {
    return ChildFail(SetupStep::kMountWorkTmpfs);
  }
  // Files are created by init, which runs as the inner user: they belong to the program.
  for (size_t i = 0; i < job.num_files; ++i) {
    const ChildFile& file = job.files[i];
    if (!WriteNewFile(file.path, file.data, file.size, file.mode)) {
      return ChildFail(SetupStep::kWriteWorkFile, static_cast<int32_t>(i));
    }
  }
  if (chdir(setup.work_dir_in_box) != 0) return ChildFail(SetupStep::kWriteWorkFile, -1);
  return {};
}

bool DropWorkDir(const ChildSetup& setup) {
  return chdir("/") == 0 && umount2(setup.work_dir_in_box, MNT_DETACH) == 0;
}

}  // namespace zerorl::sandbox::init
