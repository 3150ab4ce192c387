// Who the box's processes are: the inner uid/gid, and no privilege at all once the box is
// built. Child side only (see sandbox_child.h). setresuid and friends are raw system calls:
// glibc's wrappers signal every thread the parent had, and the child has none of them.
#include <linux/capability.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "verifiers/sandbox_child.h"

namespace zerorl::sandbox {
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

// Becomes the inner uid/gid while keeping the capabilities the new user namespace gave
// the box's creator: they are still needed to mount and pivot, and DropPrivileges() ends
// them. Files the setup creates are then owned by the inner user, who is mapped (the inner
// root is not, on purpose: nothing in the box is root anywhere).
ChildError SwitchToSandboxUser(const ChildPlan& plan) {
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return ChildFail(SetupStep::kKeepCaps);
  if (plan.drop_supplementary_groups && syscall(SYS_setgroups, 0, nullptr) != 0) {
    return ChildFail(SetupStep::kSetGroups);
  }
  if (syscall(SYS_setresgid, plan.gid, plan.gid, plan.gid) != 0) {
    return ChildFail(SetupStep::kSetGid);
  }
  if (syscall(SYS_setresuid, plan.uid, plan.uid, plan.uid) != 0) {
    return ChildFail(SetupStep::kSetUid);
  }
  // A uid change may clear the effective set; the permitted set survived (KEEPCAPS).
  Capabilities caps;
  if (!GetCapabilities(&caps)) return ChildFail(SetupStep::kKeepCaps);
  for (auto& d : caps.data) d.effective = d.permitted;
  if (!SetCapabilities(&caps)) return ChildFail(SetupStep::kKeepCaps);
  return {};
}

// Ends every privilege: bounding and ambient sets emptied, effective/permitted/inheritable
// cleared, no_new_privs (no setuid binary or file capability can give any back), not
// dumpable (no other process of the box may read init's memory through /proc), and killed
// if the parent thread that made the box goes away.
ChildError DropPrivileges(const ChildPlan& plan) {
  for (int cap = 0; cap <= plan.cap_last_cap; ++cap) {
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) {
      return ChildFail(SetupStep::kDropCapabilities, cap);
    }
  }
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) {
    return ChildFail(SetupStep::kDropCapabilities, -1);
  }
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) return ChildFail(SetupStep::kDropCapabilities, -2);
  Capabilities none = {};
  if (!SetCapabilities(&none)) return ChildFail(SetupStep::kDropCapabilities, -3);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return ChildFail(SetupStep::kNoNewPrivs);
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) return ChildFail(SetupStep::kNoNewPrivs, 1);
  // Set last: a credential change clears it.
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) {
    return ChildFail(SetupStep::kParentDeathSignal);
  }
  return {};
}

}  // namespace zerorl::sandbox
