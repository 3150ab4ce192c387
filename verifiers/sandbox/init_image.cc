#include "verifiers/sandbox/internal/init_image.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "absl/strings/str_cat.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

// sandbox_init_elf.cc, generated from the built init program (verifiers/sandbox/embed_init.cmake).
extern const unsigned char kZerorlSandboxInitElf[];
extern const size_t kZerorlSandboxInitElfSize;

namespace zerorl::sandbox {
namespace {

constexpr char kMemfdNoexecPath[] = "/proc/sys/vm/memfd_noexec";

bool WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

OwnedFd& OwnedFd::operator=(OwnedFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

OwnedFd::~OwnedFd() {
  if (fd_ >= 0) ::close(fd_);
}

const unsigned char* InitProgramBytes() { return kZerorlSandboxInitElf; }
size_t InitProgramSize() { return kZerorlSandboxInitElfSize; }

std::string MemfdExecHint() {
  std::ifstream in(kMemfdNoexecPath);
  std::string value;
  if (!(in >> value)) value = "unknown";
  return absl::StrCat("the kernel refuses to execute the sandbox's init from a memfd "
                      "(vm.memfd_noexec = ", value, " in this PID namespace); the sandbox "
                      "needs vm.memfd_noexec <= 1 (sysctl -w vm.memfd_noexec=0, or start "
                      "zerorl from a PID namespace that allows it)");
}

absl::StatusOr<OwnedFd> SealedMemfd(const char* name, const void* bytes, size_t size,
                                    bool executable) {
  unsigned flags = MFD_CLOEXEC | MFD_ALLOW_SEALING;
  int fd = ::memfd_create(name, flags | (executable ? MFD_EXEC : 0));
  if (fd < 0 && executable && errno == EINVAL) fd = ::memfd_create(name, flags);  // before 6.3
  if (fd < 0 && executable && errno == EACCES) {
    return absl::FailedPreconditionError(MemfdExecHint());
  }
  if (fd < 0) {
    return absl::InternalError(absl::StrCat("memfd_create ", name, ": ", std::strerror(errno)));
  }
  OwnedFd owned(fd);
  if (!WriteAll(fd, static_cast<const char*>(bytes), size) ||
      ::fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0) {
    return absl::InternalError(absl::StrCat("filling memfd ", name, ": ", std::strerror(errno)));
  }
  return owned;
}

}  // namespace zerorl::sandbox
