// The box's init: a small static program of its own (built from this folder, embedded in
// zerorl_sandbox and executed from a memfd; see verifiers/sandbox/internal/child.h). It starts as PID 1 of the
// box's new namespaces with the control socket, the output pipes and the encoded setup at
// kCtlFd..kSetupFd, builds the box, then serves jobs until told to exit or until the parent
// goes away. A normal single-threaded process: it may allocate; only the child it clones for
// each step (which shares its memory until exec) is limited to system calls.
//
// Internal declarations, one file per kernel concern.
#ifndef ZERORL_VERIFIERS_SANDBOX_INIT_INIT_H_
#define ZERORL_VERIFIERS_SANDBOX_INIT_INIT_H_

#include <sys/types.h>

#include <cstddef>
#include <cstdint>

#include "verifiers/sandbox/internal/child.h"

namespace zerorl::sandbox::init {

// root.cc: the root filesystem, once per box, and the work directory, once per job.
ChildError BuildRoot(const ChildSetup& setup);   // tmpfs root, read-only binds, /proc
ChildError EnterRoot(const ChildSetup& setup);   // pivot_root, old root gone, / read-only
// A fresh tmpfs at the work directory with the job's files, and the working directory there.
ChildError MountWorkDir(const ChildSetup& setup, const ChildJob& job);
// Unmounts the work directory (its files are gone with it); false if it could not.
bool DropWorkDir(const ChildSetup& setup);

// identity.cc: who init and the steps are.
ChildError SwitchToSandboxUser(const ChildSetup& setup);  // inner uid/gid, capabilities kept
ChildError SetUpNetwork(const ChildSetup& setup);         // loopback up, or nothing at all
ChildError SetHostname(const ChildSetup& setup);
ChildError ProtectInit();                                 // not dumpable, dies with its parent
// In a step's process, right before exec: no capabilities, no_new_privs, the seccomp filter.
// false with errno set on the first failure.
bool DropStepPrivileges(const ChildSetup& setup);

// steps.cc: running a step and cleaning up after it.
// Opens init's own oom_score_adj so steps can be made the memory cgroup's preferred victim.
// Leaves init dumpable: call ProtectInit() next.
void PrepareOomScore();
Report RunStep(const ChildSetup& setup, const ChildJob& job, uint32_t index);
// Kills every process of the box but init, and reaps them all.
void KillAllButInit();

// main.cc: the control socket.
// Reads one command; a job's memfd arrives in *fd (else -1). false when the parent is gone.
bool ReadCommand(Command* command, int* fd);
void SendReport(const Report& report);

bool WriteAll(int fd, const char* data, size_t size);
int CloseFrom(unsigned first);
int64_t NowMicros();

}  // namespace zerorl::sandbox::init

#endif  // ZERORL_VERIFIERS_SANDBOX_INIT_INIT_H_
