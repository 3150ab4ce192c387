// TensorBoard scalars without TensorFlow: an event file writer, so `tensorboard --logdir runs/`
// shows a zerorl run next to TRL and veRL runs.
//
// An event file is a sequence of TFRecords, each one serialised `tensorflow.Event` protobuf:
//
//   record := uint64 length (little-endian)
//             uint32 MaskedCrc32c(length bytes)
//             byte   data[length]
//             uint32 MaskedCrc32c(data)
//   Event  := wall_time (1, double) step (2, int64) file_version (3, string) summary (5)
//   Summary.Value := tag (1, string) simple_value (2, float)
//
// The first record carries file_version "brain.Event:2"; every later one a step and a summary.
// The protobuf is encoded by hand (a few fields, no libprotobuf).
//
//   ASSIGN_OR_RETURN(std::unique_ptr<TensorBoardWriter> tb,
//                    TensorBoardWriter::Open(run_dir + "/tensorboard"));
//   RETURN_IF_ERROR(tb->WriteScalars(step, {{"reward/mean", 0.41}, {"kl", 0.002}}));
//
// Each record goes out with one write(2), so TensorBoard reloading a live run sees whole
// records only.
#ifndef ZERORL_METRICS_TENSORBOARD_H_
#define ZERORL_METRICS_TENSORBOARD_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace zerorl::metrics {

// The CRC TFRecord stores: CRC-32C rotated right by 15 bits plus 0xa282ead8 (a CRC of data
// that contains CRCs is otherwise weak).
uint32_t MaskedCrc32c(const void* data, size_t size);

// One TFRecord around `data` (header, data, footer), as written to the file.
std::string FrameTfRecord(std::string_view data);

// A serialised tensorflow.Event holding only file_version (the first record of a file).
std::string EncodeFileVersionEvent(double wall_time, std::string_view file_version);

// A serialised tensorflow.Event with one Summary of simple_value scalars.
std::string EncodeScalarEvent(double wall_time, int64_t step,
                              const std::vector<std::pair<std::string, float>>& scalars);

class TensorBoardWriter {
 public:
  // Creates `dir` if needed and a new file events.out.tfevents.<unix time>.<hostname> in it
  // (".N" appended when that name is taken), then writes the file_version record.
  // kNotFound / kPermissionDenied / kUnavailable name the path.
  static absl::StatusOr<std::unique_ptr<TensorBoardWriter>> Open(const std::string& dir);
  ~TensorBoardWriter();
  TensorBoardWriter(const TensorBoardWriter&) = delete;
  TensorBoardWriter& operator=(const TensorBoardWriter&) = delete;

  // One Event at `step` with every (tag, value) pair, stamped with the current time. Not
  // thread-safe (MetricsSink serialises its calls). kUnavailable (with the path) when the
  // write fails; the file then holds no part of this record.
  absl::Status WriteScalars(int64_t step,
                            const std::vector<std::pair<std::string, float>>& scalars);

  const std::string& path() const { return path_; }

 private:
  TensorBoardWriter(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  absl::Status WriteRecord(std::string_view data);

  std::string path_;
  int fd_;
};

}  // namespace zerorl::metrics

#endif  // ZERORL_METRICS_TENSORBOARD_H_
