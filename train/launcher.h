// Worker processes spawned by `zerorl train` (cluster.spawn: true): children of the same
// binary (`zerorl rollout|reward --connect ...`), each with its log file under the run's
// logs/, dying with the parent (PR_SET_PDEATHSIG), and restarted when they exit early, so a
// crashed or killed worker does not stop the run (the controller re-dispatches its work).
#ifndef ZERORL_TRAIN_LAUNCHER_H_
#define ZERORL_TRAIN_LAUNCHER_H_

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace zerorl::train {

struct WorkerProcess {
  std::string id;                 // "rollout-0"
  std::vector<std::string> argv;  // argv[0] is the binary
  std::string log_path;
  pid_t pid = -1;
  int restarts = 0;
  std::chrono::steady_clock::time_point restart_at;  // when a dead worker may be restarted
  // Supervision by the trainer: when the controller last saw it connected.
  bool seen_connected = false;
  bool ever_connected = false;  // a worker that never connects and keeps exiting is broken
  std::chrono::steady_clock::time_point last_connected;
};

class WorkerProcesses {
 public:
  // Starts a worker. kUnavailable if fork/exec setup fails.
  absl::Status Start(const std::string& id, std::vector<std::string> argv,
                     const std::string& log_path);
  // Reaps exited workers and restarts those due (back-off doubles from 1 s to 30 s per
  // worker). Returns how many were restarted by this call.
  int Poll();
  // SIGKILLs the worker with this id (a hung process); Poll() then restarts it.
  void Kill(const std::string& id);
  // SIGTERM to every worker, then SIGKILL after `grace`; reaps them.
  void StopAll(std::chrono::milliseconds grace);
  std::vector<WorkerProcess>& workers() { return workers_; }
  int total_restarts() const;

 private:
  absl::Status Spawn(WorkerProcess& worker);
  std::vector<WorkerProcess> workers_;
};

// The path of the running binary (/proc/self/exe), for spawning workers.
std::string SelfExecutable();

}  // namespace zerorl::train

#endif  // ZERORL_TRAIN_LAUNCHER_H_
