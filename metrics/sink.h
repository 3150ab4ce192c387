// JSON Lines output for metrics.jsonl and samples.jsonl: one JSON object per line, each
// written with a single write(2) on an O_APPEND file, so a reader tailing the file (the
// dashboard, `tail -f`) sees whole lines as soon as Write() returns, a crash never leaves a
// half-written line behind, and several threads may share one sink.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<MetricsSink> sink,
//                    MetricsSink::Open(run_dir + "/metrics.jsonl", MetricsSink::kAppend));
//   MetricsRow row;
//   row.Add("step", 3).Add("reward/mean", 0.41).Add("timing/generate_s", 12.5);
//   RETURN_IF_ERROR(sink->Write(row));
//
// Values: integers, doubles (NaN and infinities are written as null, which every JSON
// reader accepts), booleans, strings (bytes that are not UTF-8 become U+FFFD, so model
// output cut mid-character still makes valid JSON), and nested rows (objects).
#ifndef ZERORL_METRICS_SINK_H_
#define ZERORL_METRICS_SINK_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace zerorl::metrics {

class TensorBoardWriter;

// Seconds since the Unix epoch, with the sub-second digits: the "time" field of metrics rows
// (the dashboard's wall-time axis) and TensorBoard's wall_time.
double UnixTimeSeconds();

// One JSON object, keys in the order first added. Adding a name again replaces its value.
class MetricsRow {
 public:
  template <typename T>
  MetricsRow& Add(const std::string& name, T value) {
    if constexpr (std::is_same_v<T, bool>) {
      Set(name, Value{Kind::kBool, value ? 1 : 0, 0, 0, {}, nullptr});
    } else if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) {
      Set(name, Value{Kind::kInt, static_cast<int64_t>(value), 0, 0, {}, nullptr});
    } else if constexpr (std::is_integral_v<T>) {
      Set(name, Value{Kind::kUint, 0, static_cast<uint64_t>(value), 0, {}, nullptr});
    } else if constexpr (std::is_floating_point_v<T>) {
      Set(name, Value{Kind::kDouble, 0, 0, static_cast<double>(value), {}, nullptr});
    } else if constexpr (std::is_same_v<std::decay_t<T>, MetricsRow>) {
      Set(name, Value{Kind::kRow, 0, 0, 0, {}, std::make_shared<MetricsRow>(std::move(value))});
    } else {
      Set(name, Value{Kind::kString, 0, 0, 0, std::string(value), nullptr});
    }
    return *this;
  }

  bool empty() const { return entries_.empty(); }
  // The integer and finite double values at the top level, in order (booleans, strings,
  // nested rows, NaN and infinities left out): what TensorBoard gets as scalars.
  std::vector<std::pair<std::string, double>> Numbers() const;
  // The object as one line of JSON, without the newline.
  std::string ToJson() const;

 private:
  enum class Kind { kInt, kUint, kDouble, kBool, kString, kRow };
  struct Value {
    Kind kind;
    int64_t i;
    uint64_t u;
    double d;
    std::string s;
    std::shared_ptr<const MetricsRow> row;
  };
  void Set(const std::string& name, Value value);
  template <typename Writer>
  void WriteTo(Writer& writer) const;

  std::vector<std::pair<std::string, Value>> entries_;
};

class MetricsSink {
 public:
  enum Mode { kAppend, kTruncate };

  // Opens (creating if needed) `path`. kNotFound / kPermissionDenied / kUnavailable name the
  // path. kTruncate empties an existing file (a fresh run); kAppend keeps it (--resume).
  static absl::StatusOr<std::unique_ptr<MetricsSink>> Open(const std::string& path, Mode mode);
  ~MetricsSink();
  MetricsSink(const MetricsSink&) = delete;
  MetricsSink& operator=(const MetricsSink&) = delete;

  // Appends `row` as one line. Thread-safe. kUnavailable (with the path) when the write
  // fails, e.g. a full disk; the file then holds no part of this line.
  absl::Status Write(const MetricsRow& row);

  // From now on every Write() also mirrors the row's numbers (MetricsRow::Numbers()) as
  // TensorBoard scalars into a new event file in `dir` (see metrics/tensorboard.h), at the row's
  // "step", else its "sft_step"; rows with neither, and the step field itself, are not
  // mirrored. On failure (the errors of TensorBoardWriter::Open) nothing changes. A failed
  // event write makes Write() return kUnavailable after the JSON line is written.
  absl::Status EnableTensorBoard(const std::string& dir);

  const std::string& path() const { return path_; }

 private:
  MetricsSink(std::string path, int fd);
  absl::Status WriteTensorBoard(const MetricsRow& row);

  std::string path_;
  std::mutex mu_;
  int fd_;  // guarded by mu_ for writes
  std::unique_ptr<TensorBoardWriter> tensorboard_;  // guarded by mu_; null unless enabled
};

// `text` with every byte sequence that is not well-formed UTF-8 replaced by U+FFFD.
std::string ToValidUtf8(const std::string& text);

}  // namespace zerorl::metrics

#endif  // ZERORL_METRICS_SINK_H_
