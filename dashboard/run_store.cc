#include "dashboard/run_store.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/status.h"

namespace zerorl::dashboard {
namespace {

constexpr uint64_t kSamplesChunkBytes = 16 << 20;

bool Stat(const std::string& path, struct stat* st) { return ::stat(path.c_str(), st) == 0; }

}  // namespace

absl::Status CheckRunName(const std::string& name) {
  auto refuse = [&](const char* why) {
    return absl::InvalidArgumentError("run name \"" + name + "\": " + why);
  };
  if (name.empty()) return refuse("empty");
  if (name.size() > 255) return refuse("longer than 255 bytes");
  if (name[0] == '.') return refuse("starts with '.'");
  for (char c : name) {
    if (c == '/' || c == '\\') return refuse("contains a path separator");
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) return refuse("contains a control character");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<RunInfo>> RunStore::ListRuns() const {
  DIR* dir = ::opendir(runs_dir_.c_str());
  if (dir == nullptr) {
    return absl::NotFoundError("runs folder " + runs_dir_ + ": " + std::strerror(errno));
  }
  std::vector<RunInfo> runs;
  while (dirent* entry = ::readdir(dir)) {
    std::string name = entry->d_name;
    if (!CheckRunName(name).ok()) continue;
    std::string base = runs_dir_ + "/" + name + "/";
    struct stat metrics, other;
    if (!Stat(base + "metrics.jsonl", &metrics) || !S_ISREG(metrics.st_mode)) continue;
    RunInfo info;
    info.name = name;
    info.metrics_bytes = static_cast<uint64_t>(metrics.st_size);
    info.modified = static_cast<double>(metrics.st_mtim.tv_sec) + metrics.st_mtim.tv_nsec * 1e-9;
    if (Stat(base + "samples.jsonl", &other)) info.samples_bytes = static_cast<uint64_t>(other.st_size);
    info.finished = Stat(base + "summary.json", &other);
    runs.push_back(std::move(info));
  }
  ::closedir(dir);
  std::sort(runs.begin(), runs.end(),
            [](const RunInfo& a, const RunInfo& b) { return a.name < b.name; });
  return runs;
}

absl::StatusOr<std::string> RunStore::RunFile(const std::string& name, const std::string& file) const {
  RETURN_IF_ERROR(CheckRunName(name));
  std::string dir = runs_dir_ + "/" + name;
  struct stat st;
  if (!Stat(dir + "/metrics.jsonl", &st)) {
    return absl::NotFoundError("no run \"" + name + "\" (no " + dir + "/metrics.jsonl)");
  }
  return dir + "/" + file;
}

absl::Status RunStore::WithSamples(const std::string& name,
                                   const std::function<void(const SamplesIndex&)>& use) {
  ASSIGN_OR_RETURN(std::string path, RunFile(name, "samples.jsonl"));
  std::shared_ptr<CachedSamples> cached;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::shared_ptr<CachedSamples>& slot = samples_[name];
    if (slot == nullptr) slot = std::make_shared<CachedSamples>();
    cached = slot;
  }
  std::lock_guard<std::mutex> lock(cached->mu);
  for (;;) {
    ASSIGN_OR_RETURN(JsonlChunk chunk,
                     ReadJsonlChunk(path, cached->index.next_offset(), kSamplesChunkBytes));
    const bool more = chunk.next_offset < chunk.file_size && chunk.next_offset > chunk.offset;
    cached->index.Append(chunk);
    if (!more) break;
  }
  use(cached->index);
  return absl::OkStatus();
}

}  // namespace zerorl::dashboard
