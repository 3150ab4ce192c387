// The zerorl wire protocol in one place: its version, the message types, the heartbeat
// timing and the limits every decoder enforces. Structs and codecs are in wire/messages.h,
// sockets in wire/transport.h.
//
// Sockets. The controller (in the learner's rank-0 process) binds one ROUTER socket; every
// worker connects one DEALER socket whose routing id is its worker id ("rollout-0"). There
// is no empty delimiter frame: the controller receives [worker id, header, frames...] and
// a worker receives [header, frames...]. Frame 0 of a message is a JSON header naming the
// protocol version, the type and the size of every following frame; the other frames are
// raw little-endian arrays (wire/messages.h says which, per type).
//
// The conversation (the ZeroMQ guide's load-balancing broker plus paranoid-pirate
// heartbeats; W = worker, C = controller):
//
//   W -> C  Hello          on connect and after every reconnect: kind, id, slots, and the
//                          policy version the worker holds. It also means "ready": C owes
//                          the worker up to `slots` units of work.
//   C -> W  WeightUpdate   chunks 0..count-1 of the current version, pushed when the version
//                          a worker reports (Hello, Heartbeat) is older than the current one.
//                          Chunks of one version share the learner's buffers (zero-copy), so
//                          queueing them for many workers costs no memory. A worker applies
//                          a complete version between batches, never inside a sample, then
//                          sends a Heartbeat carrying the new version. If a version stays
//                          incomplete for kWeightTimeout the worker drops it and reports the
//                          version it still holds; C pushes again.
//   C -> W  PromptBatch    to a rollout worker with a free slot, only in reply to Hello or
//                          to a result, so a slow worker is never flooded.
//   W -> C  Rollouts       the result; frees the slot. Samples carry the policy version
//                          they were drawn with.
//   C -> W  Rollouts       the same message, with the prompts attached (gold answers,
//                          tests), to a reward worker with a free slot.
//   W -> C  ScoredGroups   the result; frees the slot.
//   W -> C  Metrics        whenever the worker has numbers to report (tokens/s, ...).
//   both    Heartbeat      every kHeartbeatInterval when nothing else was sent; any message
//                          counts as a sign of life. C heartbeats only workers that said
//                          Hello.
//   C -> W  Shutdown       the run is over, or the peer is refused (another protocol
//                          version); the worker exits after its socket lingers.
// The worker id is the DEALER's routing id: C tells workers apart by it alone, so a Hello from
// an id it knows is that worker restarted (its work is re-dispatched). Ids must be unique in
// a run: zerorl train names the workers it spawns, and `--id` defaults to host and pid.
//
// Liveness, both ways. A worker silent for kHeartbeatLiveness intervals is dead to C: C
// re-dispatches its work in flight; the ledger keys work by batch id, so a late answer from
// a worker presumed dead is recognised and dropped, never counted twice. A worker that
// hears nothing from C for kHeartbeatLiveness intervals closes its socket, waits
// kReconnectInterval (doubling up to kReconnectIntervalMax on each failure), opens a new
// socket and sends Hello again, discarding the work it held. A restarted C ignores
// everything but Hello from routing ids it does not know, so the workers of the previous C
// time out and re-introduce themselves. (ZeroMQ also reconnects a DEALER by itself and
// ZMTP pings, see SocketOptions, close dead TCP connections; neither tells the application
// that the other side restarted, hence the application heartbeat.)
//
// A frame that does not decode is refused with a Status naming the reason; the receiver
// logs it with the peer id and goes on. A peer with another protocol version is refused
// with an error that names both versions (FailedPrecondition).
#ifndef ZERORL_WIRE_PROTOCOL_H_
#define ZERORL_WIRE_PROTOCOL_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace zerorl::wire {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "zerorl's wire format is little-endian and is read by memcpy: build for a "
              "little-endian host");

// Bump on any change to a header key, a frame layout or a message's meaning.
inline constexpr uint32_t kProtocolVersion = 1;

enum class MessageType {
  kHello,
  kHeartbeat,
  kPromptBatch,
  kRollouts,
  kScoredGroups,
  kWeightUpdate,
  kMetrics,
  kShutdown,
};
inline constexpr int kNumMessageTypes = 8;

// The "type" value of the header; "Hello", "Heartbeat", ... as in the enum.
constexpr std::string_view MessageTypeName(MessageType type) {
  constexpr std::string_view kNames[kNumMessageTypes] = {"Hello",    "Heartbeat",    "PromptBatch",
                                                         "Rollouts", "ScoredGroups", "WeightUpdate",
                                                         "Metrics",  "Shutdown"};
  return kNames[static_cast<int>(type)];
}

// Finds the type named `name`; false (and `*type` untouched) for an unknown name.
constexpr bool ParseMessageType(std::string_view name, MessageType* type) {
  for (int i = 0; i < kNumMessageTypes; ++i) {
    if (MessageTypeName(static_cast<MessageType>(i)) == name) {
      *type = static_cast<MessageType>(i);
      return true;
    }
  }
  return false;
}

// Liveness (paranoid pirate). Tests and the controller's options may shorten them.
inline constexpr std::chrono::milliseconds kHeartbeatInterval{1000};
inline constexpr int kHeartbeatLiveness = 3;  // silent intervals before a peer is dead
inline constexpr std::chrono::milliseconds kReconnectInterval{1000};
inline constexpr std::chrono::milliseconds kReconnectIntervalMax{32000};
// A worker gives up on a weight version whose chunks stop arriving for this long.
inline constexpr std::chrono::milliseconds kWeightTimeout{60000};

// Weight updates are split into messages of about this many payload bytes, so heartbeats
// and results interleave with a big transfer and no single frame gets huge.
inline constexpr size_t kWeightChunkBytes = size_t{64} << 20;

// Decoder limits: a message beyond them is refused before anything is allocated for it.
inline constexpr size_t kMaxHeaderBytes = size_t{16} << 20;  // frame 0
inline constexpr size_t kMaxFrames = 65536;                  // frames per message
inline constexpr size_t kMaxItems = size_t{1} << 20;         // prompts, samples per message
inline constexpr size_t kMaxRewardFunctions = 256;
inline constexpr size_t kMaxTensorRank = 8;
inline constexpr size_t kMaxWeightChunks = size_t{1} << 20;     // chunks per version
inline constexpr uint64_t kMaxTensorBytes = uint64_t{1} << 40;  // 1 TiB per tensor
inline constexpr size_t kMaxMapEntries = 65536;  // Hello capabilities, Metrics values

}  // namespace zerorl::wire

#endif  // ZERORL_WIRE_PROTOCOL_H_
