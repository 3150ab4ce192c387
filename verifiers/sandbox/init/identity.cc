// Who init and the steps are: the inner uid/gid, the box's host name and network, and, for a
// step, no privilege at all. setresuid and friends are raw system calls: the step's process
// shares init's memory until it execs, and glibc's wrappers keep state there.
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "verifiers/sandbox/init/init.h"

namespace zerorl::sandbox::init {
namespace {

struct Capabilities {
  __user_cap_header_struct header;
  __user_cap_data_struct data[2];
};

bool GetCapabilities(Capabilities* caps) {
  caps->header = {_LINUX_CAPABILITY_VERSION_3, 0};
  return syscall(SYS_capget, &caps->header, caps->data) == 0;
}

bool SetCapabilities(Capabilities* caps) {
  caps->header = {_LINUX_CAPABILITY_VERSION_3, 0};
  return syscall(SYS_capset, &caps->header, caps->data) == 0;
}

}  // namespace

// Becomes the inner uid/gid while keeping the capabilities the new user namespace gave the
// box's creator: init needs them to build the root and, per job, to mount a fresh /tmp and
// enter a fresh IPC namespace; steps drop them before they exec. Files init creates belong
// to the inner user, who is mapped (the inner root is not, on purpose: nothing in the box is
// root anywhere).
ChildError SwitchToSandboxUser(const ChildSetup& setup) {
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return ChildFail(SetupStep::kKeepCaps);
  if (setup.drop_supplementary_groups && syscall(SYS_setgroups, 0, nullptr) != 0) {
    return ChildFail(SetupStep::kSetGroups);
  }
  if (syscall(SYS_setresgid, setup.gid, setup.gid, setup.gid) != 0) {
    return ChildFail(SetupStep::kSetGid);
  }
  if (syscall(SYS_setresuid, setup.uid, setup.uid, setup.uid) != 0) {
    return ChildFail(SetupStep::kSetUid);
  }
  // A uid change may clear the effective set; the permitted set survived (KEEPCAPS).
  Capabilities caps;
  if (!GetCapabilities(&caps)) return ChildFail(SetupStep::kKeepCaps);
  for (auto& d : caps.data) d.effective = d.permitted;
  if (!SetCapabilities(&caps)) return ChildFail(SetupStep::kKeepCaps);
  return {};
}

ChildError SetUpNetwork(const ChildSetup& setup) {
  // A new network namespace has only a loopback device, and it is down: with it down no
  // socket can reach anything, with it up only the box itself.
  if (!setup.loopback) return {};
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ChildFail(SetupStep::kLoopback, 0);
  struct ifreq request = {};
  std::memcpy(request.ifr_name, "lo", 3);
  ChildError error;
  if (ioctl(fd, SIOCGIFFLAGS, &request) != 0) {
    error = ChildFail(SetupStep::kLoopback, 1);
  } else {
    request.ifr_flags |= IFF_UP | IFF_RUNNING;
    if (ioctl(fd, SIOCSIFFLAGS, &request) != 0) error = ChildFail(SetupStep::kLoopback, 2);
  }
  close(fd);
  return error;
}

ChildError SetHostname(const ChildSetup& setup) {
  if (sethostname(setup.hostname, std::strlen(setup.hostname)) != 0) {
    return ChildFail(SetupStep::kHostname);
  }
  return {};
}

// Not dumpable: no process of the box (they share its uid) may read init's memory or open
// its /proc files. Killed when the parent thread that made the box goes away (set last: a
// credential change clears it).
ChildError ProtectInit() {
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) return ChildFail(SetupStep::kProtectInit);
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) {
    return ChildFail(SetupStep::kParentDeathSignal);
  }
  return {};
}

// Ends every privilege of the calling process: bounding and ambient sets emptied,
// effective/permitted/inheritable cleared, no_new_privs (no setuid binary or file capability
// can give any back), then the seccomp filter, which every process the step makes inherits.
bool DropStepPrivileges(const ChildSetup& setup) {
  for (int cap = 0; cap <= setup.cap_last_cap; ++cap) {
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) return false;
  }
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) {
    return false;
  }
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) return false;
  Capabilities none = {};
  if (!SetCapabilities(&none)) return false;
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return false;
  struct sock_fprog program = {static_cast<unsigned short>(setup.seccomp_length),
                               const_cast<sock_filter*>(setup.seccomp)};
  return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program, 0, 0) == 0;
}

}  // namespace zerorl::sandbox::init
