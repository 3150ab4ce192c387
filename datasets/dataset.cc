// Dataset, its two row sources (an indexed JSONL file, problems in memory), and loading.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <set>
#include <unordered_map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/json.h"
#include "core/log.h"
#include "core/status.h"
#include "datasets/datasets.h"
#include "datasets/internal/jsonl_reader.h"
#include "datasets/internal/presets.h"
#include "datasets/sampler.h"
#include "datasets/synthetic.h"

namespace zerorl::datasets {

namespace internal {

class ProblemSource {
 public:
  virtual ~ProblemSource() = default;
  virtual absl::StatusOr<Problem> Row(uint32_t row) const = 0;
};

namespace {

class MemorySource : public ProblemSource {
 public:
  explicit MemorySource(std::vector<Problem> problems) : problems_(std::move(problems)) {}
  absl::StatusOr<Problem> Row(uint32_t row) const override { return problems_[row]; }

 private:
  std::vector<Problem> problems_;
};

uint32_t Fnv1a(std::string_view bytes) {
  uint32_t h = 2166136261u;
  for (unsigned char c : bytes) h = (h ^ c) * 16777619u;
  return h;
}

struct IndexedRow {
  uint64_t offset;    // of the line's first byte
  uint32_t length;    // without the line ending
  uint32_t line;      // 1-based
  uint32_t checksum;  // Fnv1a of the line, to notice a file changed under us
};

// Rows of a JSONL file, read back one line at a time with pread(2).
class JsonlSource : public ProblemSource {
 public:
  JsonlSource(int fd, std::string path, RowParser parser, std::vector<IndexedRow> rows)
      : fd_(fd), path_(std::move(path)), parser_(std::move(parser)), rows_(std::move(rows)) {}
  ~JsonlSource() override { ::close(fd_); }

  absl::StatusOr<Problem> Row(uint32_t row) const override {
    const IndexedRow& r = rows_[row];
    std::string where = path_ + ":" + std::to_string(r.line);
    absl::StatusOr<std::string> text = ReadAt(fd_, path_, r.offset, r.length);
    if (!text.ok()) return core::Annotate(text.status(), where);
    if (Fnv1a(*text) != r.checksum) {
      return absl::DataLossError(where + ": the file changed since it was loaded");
    }
    absl::StatusOr<Problem> problem = parser_.Parse(*text, r.line);
    if (!problem.ok()) {
      return absl::DataLossError(where + ": no longer parses: " +
                                 std::string(problem.status().message()));
    }
    return problem;
  }

 private:
  int fd_;
  std::string path_;
  RowParser parser_;
  std::vector<IndexedRow> rows_;
};

constexpr size_t kBadLinesKept = 5;  // LoadStats::first_bad_lines

// Records a malformed row, or refuses it under on_bad_line: error.
absl::Status BadLine(const std::string& path, int64_t line, const std::string& why,
                     config::BadLinePolicy policy, LoadStats* stats) {
  std::string message = absl::StrCat(path, ":", line, ": ", why);
  if (policy == config::BadLinePolicy::kError) {
    return absl::InvalidArgumentError(
        message + " (data.on_bad_line is \"error\"; \"skip\" skips malformed rows)");
  }
  ++stats->bad_lines;
  if (stats->first_bad_lines.size() < kBadLinesKept) {
    stats->first_bad_lines.push_back(message);
    ZLOG(WARNING) << "skipped malformed row " << message;
  }
  return absl::OkStatus();
}

// The ids listed in `path`, one per line (blank lines ignored).
absl::StatusOr<std::set<std::string>> ReadIds(const std::string& path) {
  absl::StatusOr<std::string> text = core::ReadFile(path);
  if (!text.ok()) return core::Annotate(text.status(), "ids_file");
  std::set<std::string> ids;
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (!line.empty()) ids.insert(std::string(line));
  }
  if (ids.empty()) return absl::InvalidArgumentError("ids_file " + path + ": lists no ids");
  return ids;
}

struct Indexed {
  std::vector<IndexedRow> rows;
  LoadStats stats;
};

// One pass over the file: every row parsed and checked, good ones indexed.
absl::StatusOr<Indexed> IndexFile(const config::DatasetConfig& config, const RowParser& parser,
                                  config::BadLinePolicy policy) {
  const std::string& path = config.path;
  ASSIGN_OR_RETURN(LineReader reader, LineReader::Open(path));
  if (reader.file_bytes() == 0) {
    return absl::InvalidArgumentError(path + ": empty file; expected one JSON object per line");
  }
  std::set<std::string> wanted;
  if (!config.ids_file.empty()) {
    ASSIGN_OR_RETURN(wanted, ReadIds(config.ids_file));
  }
  std::set<std::string> found;
  std::unordered_map<size_t, int64_t> id_lines;  // hash of id -> line (duplicate check)
  Indexed out;
  TextLine line;
  bool limited = false;  // stopped at config.limit, before the end of the file
  while (true) {
    if (config.limit > 0 && out.rows.size() == static_cast<size_t>(config.limit)) {
      limited = true;
      break;
    }
    ASSIGN_OR_RETURN(bool more, reader.Next(&line));
    if (!more) break;
    if (!line.too_long && line.text.find_first_not_of(" \t\r") == std::string_view::npos) {
      continue;  // blank line
    }
    ++out.stats.rows_read;
    if (line.too_long) {
      RETURN_IF_ERROR(BadLine(path, line.number,
                              absl::StrCat("line is ", line.length, " bytes, longer than the ",
                                           LineReaderOptions().max_line_bytes >> 20, " MiB limit"),
                              policy, &out.stats));
      continue;
    }
    absl::StatusOr<Problem> problem = parser.Parse(line.text, line.number);
    if (!problem.ok()) {
      std::string why(problem.status().message());
      if (!line.has_newline) why += " (the last line has no newline: is the file truncated?)";
      RETURN_IF_ERROR(BadLine(path, line.number, why, policy, &out.stats));
      continue;
    }
    if (!wanted.empty()) {
      if (wanted.count(problem->id) == 0) {
        ++out.stats.dropped;
        continue;
      }
      found.insert(problem->id);
    }
    if (parser.has_id_field()) {
      auto [it, fresh] = id_lines.emplace(std::hash<std::string>()(problem->id), line.number);
      if (!fresh) {
        RETURN_IF_ERROR(BadLine(path, line.number,
                                absl::StrCat("duplicate id \"", problem->id, "\" (first at line ",
                                             it->second, ")"),
                                policy, &out.stats));
        continue;
      }
    }
    out.rows.push_back({line.offset, static_cast<uint32_t>(line.length),
                        static_cast<uint32_t>(line.number), Fnv1a(line.text)});
  }
  if (!limited && found.size() < wanted.size()) {
    std::string first;
    for (const std::string& id : wanted) {
      if (found.count(id) == 0) {
        first = id;
        break;
      }
    }
    return absl::InvalidArgumentError(absl::StrCat(
        "ids_file ", config.ids_file, ": ", wanted.size() - found.size(), " of its ",
        wanted.size(), " ids are not in ", path, " (first: \"", first, "\")"));
  }
  if (out.rows.empty()) {
    if (out.stats.bad_lines > 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": no valid rows (", out.stats.bad_lines, " malformed; first: ",
          out.stats.first_bad_lines.front(), ")"));
    }
    return absl::InvalidArgumentError(path + ": no rows (only blank lines, or none selected)");
  }
  if (out.stats.bad_lines > static_cast<int64_t>(kBadLinesKept)) {
    ZLOG(WARNING) << path << ": skipped " << out.stats.bad_lines << " malformed rows in all";
  }
  return out;
}

}  // namespace
}  // namespace internal

using internal::ProblemSource;

const char* TaskKindName(TaskKind kind) {
  switch (kind) {
    case TaskKind::kMath: return "math";
    case TaskKind::kCode: return "code";
    case TaskKind::kCountdown: return "countdown";
  }
  return "?";
}

Dataset::Dataset(std::string name, std::shared_ptr<const ProblemSource> source,
                 std::vector<uint32_t> rows, LoadStats stats)
    : name_(std::move(name)), source_(std::move(source)), rows_(std::move(rows)),
      stats_(std::move(stats)) {}

Dataset Dataset::FromProblems(std::string name, std::vector<Problem> problems,
                              LoadStats stats) {
  std::vector<uint32_t> rows(problems.size());
  for (size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<uint32_t>(i);
  auto source = std::make_shared<internal::MemorySource>(std::move(problems));
  return Dataset(std::move(name), std::move(source), std::move(rows), std::move(stats));
}

absl::StatusOr<Problem> Dataset::Get(size_t i) const {
  if (i >= rows_.size()) {
    return absl::OutOfRangeError(absl::StrCat("dataset ", name_, ": problem ", i,
                                              " of ", rows_.size()));
  }
  return source_->Row(rows_[i]);
}

Dataset Dataset::Subset(const std::vector<size_t>& indices, std::string name) const {
  std::vector<uint32_t> rows;
  rows.reserve(indices.size());
  for (size_t i : indices) {
    if (i < rows_.size()) rows.push_back(rows_[i]);
  }
  return Dataset(std::move(name), source_, std::move(rows), stats_);
}

absl::StatusOr<Dataset> LoadDataset(const config::DatasetConfig& config,
                                    config::BadLinePolicy on_bad_line) {
  if (internal::FindJsonlPreset(config.preset) == nullptr) {
    ASSIGN_OR_RETURN(std::vector<Problem> problems, GenerateProblems(config));
    return Dataset::FromProblems(config.Name(), std::move(problems));
  }
  ASSIGN_OR_RETURN(internal::RowParser parser,
                   internal::RowParser::Create(config));
  ASSIGN_OR_RETURN(internal::Indexed indexed,
                   internal::IndexFile(config, parser, on_bad_line));
  int fd = ::open(config.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::UnavailableError(config.path + ": " + std::strerror(errno));
  std::vector<uint32_t> rows(indexed.rows.size());
  for (size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<uint32_t>(i);
  auto source = std::make_shared<internal::JsonlSource>(
      fd, config.path, std::move(parser), std::move(indexed.rows));
  return Dataset(config.Name(), std::move(source), std::move(rows), std::move(indexed.stats));
}

absl::StatusOr<DataSets> OpenData(const config::DataConfig& config) {
  DataSets out;
  absl::StatusOr<Dataset> train = LoadDataset(config.train, config.on_bad_line);
  if (!train.ok()) return core::Annotate(train.status(), "data.train");
  out.train = *std::move(train);
  for (size_t i = 0; i < config.eval.size(); ++i) {
    absl::StatusOr<Dataset> eval = LoadDataset(config.eval[i], config.on_bad_line);
    if (!eval.ok()) return core::Annotate(eval.status(), core::IndexKeyPath("data.eval", i));
    out.eval.push_back(*std::move(eval));
  }
  if (config.holdout_fraction > 0.0) {
    absl::StatusOr<HoldoutSplit> split =
        SplitHoldout(out.train, config.holdout_fraction, config.train.seed,
                     out.train.name() + "_holdout");
    if (!split.ok()) return core::Annotate(split.status(), "data.holdout_fraction");
    out.train = std::move(split->train);
    out.eval.push_back(std::move(split->held_out));
  }
  return out;
}

}  // namespace zerorl::datasets
