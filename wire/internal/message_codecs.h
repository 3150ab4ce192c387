// Internal to the message codecs: one EncodeBody/DecodeBody overload per message type
// (messages.cc and messages_batches.cc). DecodeBody is called after ParseHeader() has
// checked the version, the type and the frame table; it reads the rest of the header
// through `top` and leaves `*m` unspecified on failure. Not a public API.
#ifndef ZERORL_WIRE_INTERNAL_MESSAGE_CODECS_H_
#define ZERORL_WIRE_INTERNAL_MESSAGE_CODECS_H_

#include "wire/internal/codec.h"
#include "wire/messages.h"

namespace zerorl::wire {

#define ZERORL_DECLARE_CODEC(T)                  \
  absl::StatusOr<Frames> EncodeBody(const T& m); \
  absl::Status DecodeBody(const Frames& frames, JsonFields& top, T* m);
ZERORL_DECLARE_CODEC(Hello)
ZERORL_DECLARE_CODEC(Heartbeat)
ZERORL_DECLARE_CODEC(PromptBatch)
ZERORL_DECLARE_CODEC(Rollouts)
ZERORL_DECLARE_CODEC(ScoredGroups)
ZERORL_DECLARE_CODEC(WeightUpdate)
ZERORL_DECLARE_CODEC(Metrics)
ZERORL_DECLARE_CODEC(Shutdown)
#undef ZERORL_DECLARE_CODEC

// kInvalidArgument unless the message has exactly `count` frames, header included.
absl::Status ExpectFrames(const Frames& frames, size_t count);

// A default-constructed message of `type`.
Message MakeMessage(MessageType type);

}  // namespace zerorl::wire

#endif  // ZERORL_WIRE_INTERNAL_MESSAGE_CODECS_H_
