// The wire messages of zerorl: plain structs, one Encode/Decode pair, and nothing else.
// The conversation they make is in wire/protocol.h; sockets are in wire/transport.h.
//
//   ASSIGN_OR_RETURN(Frames frames, Encode(Rollouts{...}));   // to send
//   absl::StatusOr<Message> message = Decode(frames);          // from a peer
//   if (!message.ok()) { ZLOG(WARNING) << peer << ": " << message.status(); continue; }
//   if (auto* rollouts = std::get_if<Rollouts>(&*message)) { ... }
//
// On the wire, frame 0 is a JSON header: {"protocol": 1, "type": "Rollouts",
// "frame_bytes": [sizes of frames 1..], ...per-type keys}. Structure (ids, counts, names,
// lengths) lives in the header; bulk data follows in raw little-endian frames. Ragged data
// (token ids of many sequences, texts) travels as one concatenated frame per field with
// the per-item lengths in the header, never as one frame per item. Texts travel as bytes:
// model output cut at max_new_tokens need not be valid UTF-8.
//
// Decode() validates everything before it allocates or copies: header size and JSON shape,
// protocol version, type, every key (missing, unknown, duplicated, wrong type, out of
// range), every length against the actual frame sizes (overflow-checked), counts against
// the limits in wire/protocol.h, and the CRC-32C of every weight piece. It never reads out
// of bounds and never aborts. Errors:
//   kFailedPrecondition  the peer speaks another protocol version (both are named);
//   kDataLoss            a weight piece's bytes do not match its checksum;
//   kInvalidArgument     anything else malformed, with the field path
//                        ("Rollouts: completions[3].tokens: ...").
// Encode() refuses (kInvalidArgument) counts over those limits, header strings (ids,
// names, reasons) that are not UTF-8, log-probs that do not match their tokens and scores
// that do not match the reward functions; other out-of-range fields are the receiver's to
// refuse.
#ifndef ZERORL_WIRE_MESSAGES_H_
#define ZERORL_WIRE_MESSAGES_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "config/config.h"
#include "wire/frame.h"
#include "wire/protocol.h"

namespace zerorl::wire {

inline constexpr int64_t kNoPolicyVersion = -1;  // a worker that holds no weights yet

enum class WorkerKind { kRollout, kReward };
const char* WorkerKindName(WorkerKind kind);  // "rollout", "reward"

// W -> C on connect: who the worker is, and that it is ready for `slots` units of work.
struct Hello {
  WorkerKind kind = WorkerKind::kRollout;
  std::string worker_id;  // unique in the run; also the worker's DEALER routing id
  int64_t pid = 0;
  std::string hostname;
  int32_t slots = 1;                                // batches the worker takes at once, >= 1
  int64_t policy_version = kNoPolicyVersion;        // the version it holds
  std::map<std::string, std::string> capabilities;  // free-form: "device", "dtype", ...
};

// Both ways, when there is nothing else to send.
struct Heartbeat {
  int64_t policy_version = kNoPolicyVersion;  // worker: held; controller: latest published
};

// One problem. The controller owns the ids; `text`, `answer` and `metadata` are for the
// reward functions and samples.jsonl, the rollout engine reads only `tokens` and `seed`.
struct Prompt {
  uint64_t id = 0;
  uint64_t seed = 0;            // sample i of the group draws from (seed, i)
  std::vector<int32_t> tokens;  // [num_tokens_prompt] int32, the rendered prompt
  std::string text;             // the rendered prompt as text
  std::string answer;           // gold answer; may be empty (code tasks)
  std::string metadata;         // JSON text for reward functions (tests, dataset); opaque
};

// C -> rollout worker: generate sampling.n completions for each prompt.
struct PromptBatch {
  uint64_t batch_id = 0;
  // The oldest policy version allowed: a worker holding an older one applies the pending
  // WeightUpdate first. In sync mode this is the current version, i.e. exactly it.
  int64_t policy_version = 0;
  config::SamplingConfig sampling;  // sampling.n is the group size G of every prompt
  std::vector<Prompt> prompts;
};

enum class FinishReason { kStop, kLength, kAbort };  // EOS/stop string, max_new_tokens, cut
const char* FinishReasonName(FinishReason reason);   // "stop", "length", "abort"

// One sampled answer.
struct Completion {
  uint64_t prompt_id = 0;
  int32_t sample_index = 0;    // 0 .. n-1 within its group
  int64_t policy_version = 0;  // every token was drawn with this version
  FinishReason finish_reason = FinishReason::kStop;
  std::vector<int32_t> tokens;  // [num_tokens_completion] int32
  std::vector<float> logprobs;  // [num_tokens_completion] float32, behaviour log-probs
  std::string text;             // the decoded completion (bytes)
};

// Rollout worker -> C, and C -> reward worker (with `prompts` attached).
struct Rollouts {
  uint64_t batch_id = 0;
  std::vector<Completion> completions;
  std::vector<Prompt> prompts;  // empty from a rollout worker
};

enum class ScoreMark { kOk, kNotApplicable, kError };
const char* ScoreMarkName(ScoreMark mark);  // "ok", "not_applicable", "error"

struct FunctionScore {
  ScoreMark mark = ScoreMark::kOk;
  double value = 0.0;  // the raw score; meaningful when mark == kOk
  std::string detail;  // why not applicable / what failed; may be empty
};

struct ScoredCompletion {
  uint64_t prompt_id = 0;
  int32_t sample_index = 0;
  double total = 0.0;                 // the weighted reward the learner trains on
  std::vector<FunctionScore> scores;  // [functions.size()], in ScoredGroups::functions order
};

// Reward worker -> C.
struct ScoredGroups {
  uint64_t batch_id = 0;
  std::vector<std::string> functions;  // reward-function names
  std::vector<ScoredCompletion> completions;
};

// A contiguous byte range of one named tensor (the whole tensor when offset == 0 and
// data.size() == its byte size). wire/weight_sync.h splits and reassembles tensors.
struct TensorPiece {
  std::string name;  // e.g. "model.layers.0.mlp.up_proj.weight"
  config::DType dtype = config::DType::kBFloat16;
  std::vector<int64_t> shape;  // of the whole tensor
  uint64_t offset = 0;         // byte offset of `data` in the whole tensor
  Frame data;                  // raw little-endian elements, a multiple of the dtype size
};

// C -> W: chunk `chunk_index` of `chunk_count` of policy version `version`. Encode()
// computes a CRC-32C per piece; Decode() verifies it. Pieces are sent without copying.
struct WeightUpdate {
  int64_t version = 0;
  uint32_t chunk_index = 0;
  uint32_t chunk_count = 1;
  std::vector<TensorPiece> pieces;
};

// W -> C: numbers the worker wants logged ("rollout/tokens_per_s"). Non-finite values
// survive the trip.
struct Metrics {
  std::map<std::string, double> values;
};

// C -> W: stop. Also sent to refuse a peer (the reason says why).
struct Shutdown {
  std::string reason;
};

// Alternatives in MessageType order.
using Message = std::variant<Hello, Heartbeat, PromptBatch, Rollouts, ScoredGroups, WeightUpdate,
                             Metrics, Shutdown>;

static_assert(std::variant_size_v<Message> == kNumMessageTypes, "one alternative per type");

inline MessageType TypeOf(const Message& message) {
  return static_cast<MessageType>(message.index());
}

// Frames ready for wire/transport.h. WeightUpdate pieces are borrowed, not copied: the
// frames share their owners. Encode once and send the same Frames to many peers.
absl::StatusOr<Frames> Encode(const Message& message);

// Decodes a message received from a peer (without the ROUTER's identity frame).
absl::StatusOr<Message> Decode(const Frames& frames);

// Decode() that also requires the type; kInvalidArgument names both types otherwise.
template <typename T>
absl::StatusOr<T> DecodeAs(const Frames& frames);

namespace internal {
absl::Status WrongType(MessageType expected, MessageType got);
template <typename T, size_t I = 0>
constexpr MessageType TypeOfAlternative() {
  if constexpr (std::is_same_v<T, std::variant_alternative_t<I, Message>>) {
    return static_cast<MessageType>(I);
  } else {
    return TypeOfAlternative<T, I + 1>();
  }
}
}  // namespace internal

template <typename T>
absl::StatusOr<T> DecodeAs(const Frames& frames) {
  absl::StatusOr<Message> message = Decode(frames);
  if (!message.ok()) return message.status();
  if (T* value = std::get_if<T>(&*message)) return std::move(*value);
  return internal::WrongType(internal::TypeOfAlternative<T>(), TypeOf(*message));
}

// Name parsing shared by the codecs and config-like callers; false on an unknown name.
bool ParseDTypeName(std::string_view name, config::DType* dtype);
size_t DTypeSize(config::DType dtype);  // bytes per element: 2 or 4

}  // namespace zerorl::wire

#endif  // ZERORL_WIRE_MESSAGES_H_
