// The runs under one folder, as the dashboard sees them: a run is a sub-folder holding a
// metrics.jsonl. Names come from URLs, so every name is checked before it touches the disk.
#ifndef ZERORL_DASHBOARD_RUN_STORE_H_
#define ZERORL_DASHBOARD_RUN_STORE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "dashboard/samples_index.h"

namespace zerorl::dashboard {

struct RunInfo {
  std::string name;
  uint64_t metrics_bytes = 0;
  uint64_t samples_bytes = 0;  // 0 when there is no samples.jsonl
  double modified = 0;         // metrics.jsonl's mtime, seconds since the epoch
  bool finished = false;       // summary.json exists
};

// kInvalidArgument unless `name` is one plain path component: not empty, no '/' or '\\', no
// control characters, not starting with '.', at most 255 bytes.
absl::Status CheckRunName(const std::string& name);

class RunStore {
 public:
  explicit RunStore(std::string runs_dir) : runs_dir_(std::move(runs_dir)) {}

  // Runs sorted by name. kNotFound when the folder is missing.
  absl::StatusOr<std::vector<RunInfo>> ListRuns() const;

  // runs_dir/name/file after CheckRunName; kNotFound when the run has no metrics.jsonl.
  absl::StatusOr<std::string> RunFile(const std::string& name, const std::string& file) const;

  // Brings the run's samples up to date with samples.jsonl (reading only what is new) and
  // calls `use` with them under the run's lock. kNotFound for an unknown run or no samples.
  absl::Status WithSamples(const std::string& name,
                           const std::function<void(const SamplesIndex&)>& use);

  const std::string& runs_dir() const { return runs_dir_; }

 private:
  struct CachedSamples {
    std::mutex mu;
    SamplesIndex index;  // guarded by mu
  };

  std::string runs_dir_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<CachedSamples>> samples_;  // guarded by mu_
};

}  // namespace zerorl::dashboard

#endif  // ZERORL_DASHBOARD_RUN_STORE_H_
