// Internal to reward/: the messages between zerorl and a plugin host (plugin_host.h) over
// a Unix stream socket. A frame is a little-endian uint32 payload size and the payload; a
// payload is a uint32 type and the fields, strings as uint32 size + bytes. Both ends are
// zerorl code of one build, so there is no version field: the plugin's own ABI version is
// checked in the load reply.
#ifndef ZERORL_REWARD_INTERNAL_PLUGIN_WIRE_H_
#define ZERORL_REWARD_INTERNAL_PLUGIN_WIRE_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace zerorl::reward::plugin_wire {

inline constexpr uint32_t kMaxFrameBytes = 1u << 30;

struct LoadRequest {
  std::string library;
  std::string args;
};

struct LoadReply {
  bool ok = false;
  uint32_t abi_version = 0;  // what the plugin reported (0 when it could not be asked)
  std::string error;         // why loading failed
};

struct ScoreRequest {
  uint64_t seq = 0;
  std::string prompt;
  std::string completion;
  std::string answer;
  std::string metadata;
  int64_t num_tokens = -1;
};

struct ScoreReply {
  uint64_t seq = 0;
  int32_t status = 0;     // as the plugin returned it; checked by the caller
  double score = 0.0;
  bool detail_terminated = true;  // false: the plugin filled detail[] without a NUL
  std::string detail;
};

std::string Encode(const LoadRequest& m);
std::string Encode(const LoadReply& m);
std::string Encode(const ScoreRequest& m);
std::string Encode(const ScoreReply& m);
// False when the payload is not exactly one message of that type.
bool Decode(std::string_view payload, LoadRequest* m);
bool Decode(std::string_view payload, LoadReply* m);
bool Decode(std::string_view payload, ScoreRequest* m);
bool Decode(std::string_view payload, ScoreReply* m);

// Writes one frame (MSG_NOSIGNAL: a dead peer is an error, not SIGPIPE). False on failure.
bool WriteFrame(int fd, std::string_view payload);

enum class ReadResult { kOk, kTimeout, kClosed };
// Reads one frame, waiting until `deadline` (time_point::max() = forever). kClosed on EOF,
// a read error or an oversized frame.
ReadResult ReadFrame(int fd, std::chrono::steady_clock::time_point deadline, std::string* payload);

}  // namespace zerorl::reward::plugin_wire

#endif  // ZERORL_REWARD_INTERNAL_PLUGIN_WIRE_H_
