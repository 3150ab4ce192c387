// Reads TensorBoard event files back for tests: TFRecord framing checked here, the Event
// protobuf decoded by an independent decoder, `protoc --decode_raw` (Debian's
// protobuf-compiler), whose text output is parsed.
#ifndef ZERORL_TESTS_DASHBOARD_EVENT_DECODE_H_
#define ZERORL_TESTS_DASHBOARD_EVENT_DECODE_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace zerorl::testing {

inline constexpr char kProtoc[] = "/usr/bin/protoc";

// The data of every record in an event file; kDataLoss names the record whose length or
// CRC does not match.
absl::StatusOr<std::vector<std::string>> ReadTfRecords(const std::string& path);

struct DecodedEvent {
  double wall_time = 0;
  int64_t step = 0;
  std::string file_version;
  std::vector<std::pair<std::string, float>> scalars;  // Summary.Value tag, simple_value
};

// One serialised Event through `protoc --decode_raw`; kInternal with protoc's output when it
// fails or prints something that is not an Event.
absl::StatusOr<DecodedEvent> DecodeEventWithProtoc(const std::string& data);

// Every scalar event of every events.out.tfevents.* file in `dir`: step -> tag -> value.
absl::StatusOr<std::map<int64_t, std::map<std::string, float>>> DecodeEventDir(
    const std::string& dir);

}  // namespace zerorl::testing

#endif  // ZERORL_TESTS_DASHBOARD_EVENT_DECODE_H_
