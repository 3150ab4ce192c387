// The "remote" reward function: batches of completions sent as JSON to a reward server over
// ZeroMQ (protocol in reward/plugins.h). A timeout or a reply that breaks the protocol marks
// the request's samples as errors and replaces the socket (a fresh connection: the lazy
// pirate pattern of the ZeroMQ guide), so a stuck or restarted server cannot wedge a batch.
#include <unistd.h>

#include <chrono>

#include "absl/strings/str_cat.h"
#include "core/json.h"
#include "core/status.h"
#include "metrics/sink.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"
#include "reward/internal/text.h"
#include "reward/reward_function.h"
#include "wire/transport.h"

namespace zerorl::reward {
namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kMaxDetail = 200;

void String(rapidjson::Writer<rapidjson::StringBuffer>& w, std::string_view text) {
  std::string valid = metrics::ToValidUtf8(std::string(text));
  w.String(valid.data(), static_cast<rapidjson::SizeType>(valid.size()));
}

// {"id": N, "function": LABEL, "samples": [{"prompt", "completion", "answer", "metadata",
// "num_tokens"}, ...]}; metadata is the problem object (or null when there is none).
std::string RequestJson(uint64_t id, const std::string& label, const ScoringContext& context,
                    size_t begin, size_t end) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("id");
  w.Uint64(id);
  w.Key("function");
  String(w, label);
  w.Key("samples");
  w.StartArray();
  for (size_t i = begin; i < end; ++i) {
    const RewardPrompt& prompt = context.prompt_of(i);
    w.StartObject();
    w.Key("prompt");
    String(w, prompt.text);
    w.Key("completion");
    String(w, context.sample(i).completion);
    w.Key("answer");
    String(w, prompt.answer);
    w.Key("metadata");
    absl::StatusOr<rapidjson::Document> metadata = core::ParseJson(prompt.metadata);
    if (prompt.metadata.empty() || !metadata.ok()) {
      w.Null();
    } else {
      metadata->Accept(w);
    }
    w.Key("num_tokens");
    w.Int64(context.sample(i).num_tokens);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

// One entry of "scores": a number, null, or {"score"|"not_applicable"|"error", "detail"?}.
wire::FunctionScore ParseEntry(const rapidjson::Value& v, size_t k) {
  if (v.IsNull()) return NotApplicable("");
  if (v.IsNumber()) return Ok(v.GetDouble());
  auto bad = [k](const std::string& why) {
    return Error(absl::StrCat("server reply: scores[", k, "] ", why));
  };
  if (!v.IsObject()) return bad("must be a number, null or an object");
  std::string detail;
  if (auto d = v.FindMember("detail"); d != v.MemberEnd()) {
    if (!d->value.IsString()) return bad("detail must be a string");
    detail = text::Shorten(d->value.GetString(), kMaxDetail);
  }
  if (auto s = v.FindMember("score"); s != v.MemberEnd()) {
    if (!s->value.IsNumber()) return bad("score must be a number");
    return Ok(s->value.GetDouble(), detail);
  }
  if (auto e = v.FindMember("error"); e != v.MemberEnd()) {
    if (!e->value.IsString()) return bad("error must be a string");
    return Error("server: " + text::Shorten(e->value.GetString(), kMaxDetail));
  }
  if (auto n = v.FindMember("not_applicable"); n != v.MemberEnd()) {
    if (!n->value.IsString()) return bad("not_applicable must be a string");
    return NotApplicable(text::Shorten(n->value.GetString(), kMaxDetail));
  }
  return bad("has none of score, not_applicable, error");
}

class RemotePlugin : public RewardFunction {
 public:
  RemotePlugin(const config::PluginOptions& options, std::chrono::milliseconds timeout,
               std::string label)
      : endpoint_(options.endpoint),
        max_batch_(options.max_batch),
        timeout_(timeout),
        label_(std::move(label)) {}

  void Score(const ScoringContext& context, std::vector<wire::FunctionScore>* out) override {
    for (size_t begin = 0; begin < context.size(); begin += max_batch_) {
      size_t end = std::min(context.size(), begin + static_cast<size_t>(max_batch_));
      absl::Status done = Request(context, begin, end, out);
      if (done.ok()) continue;
      socket_.reset();  // reconnect for the next request
      ++counters_.reconnects;
      for (size_t i = begin; i < end; ++i) {
        (*out)[i] = reward::Error(text::Shorten(std::string(done.message()), kMaxDetail));
      }
    }
  }

  void AddCounters(const std::string& prefix, std::map<std::string, double>* out) const override {
    (*out)[prefix + "requests"] = static_cast<double>(counters_.requests);
    (*out)[prefix + "timeouts"] = static_cast<double>(counters_.timeouts);
    (*out)[prefix + "bad_replies"] = static_cast<double>(counters_.bad_replies);
    (*out)[prefix + "reconnects"] = static_cast<double>(counters_.reconnects);
    (*out)[prefix + "stale_replies"] = static_cast<double>(counters_.stale_replies);
  }

 private:
  absl::Status Connect() {
    if (socket_) return absl::OkStatus();
    wire::SocketOptions options;
    options.linger_ms = 0;
    options.send_timeout_ms = static_cast<int>(timeout_.count());
    ASSIGN_OR_RETURN(
        zmq::socket_t socket,
        wire::MakeDealerSocket(
            context_, absl::StrCat("zerorl-reward-", ::getpid(), "-", ++connections_), options));
    RETURN_IF_ERROR(zerorl::wire::Connect(socket, endpoint_));
    socket_ = std::make_unique<zmq::socket_t>(std::move(socket));
    return absl::OkStatus();
  }

  // Sends samples [begin, end) and fills their scores; a non-OK status is the reason every
  // one of them gets an error mark.
  absl::Status Request(const ScoringContext& context, size_t begin, size_t end,
                       std::vector<wire::FunctionScore>* out) {
    RETURN_IF_ERROR(Connect());
    const uint64_t id = ++counters_.requests;
    // An empty delimiter first: a REP server then sees a normal request.
    wire::Frames request = {wire::Frame(),
                            wire::Frame::FromString(RequestJson(id, label_, context, begin, end))};
    absl::Status sent = wire::SendFrames(*socket_, request);
    if (!sent.ok()) return core::Annotate(sent, "sending to the reward server at " + endpoint_);
    const Clock::time_point deadline = Clock::now() + timeout_;
    while (true) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      absl::StatusOr<wire::Frames> reply =
          wire::ReceiveFrames(*socket_, std::max(left, std::chrono::milliseconds(0)));
      if (!reply.ok() && reply.status().code() == absl::StatusCode::kDeadlineExceeded) {
        ++counters_.timeouts;
        return absl::DeadlineExceededError(absl::StrCat("the reward server at ", endpoint_,
                                                        " did not answer within ",
                                                        timeout_.count(), " ms"));
      }
      if (!reply.ok()) return reply.status();
      absl::StatusOr<bool> mine = Parse(*reply, id, end - begin, out, begin);
      if (!mine.ok()) {
        ++counters_.bad_replies;
        return core::Annotate(mine.status(), "bad reply from the reward server at " + endpoint_);
      }
      if (*mine) return absl::OkStatus();
      ++counters_.stale_replies;  // an answer to an earlier request: keep waiting
    }
  }

  // False when the reply carries another request's id; an error when it breaks the protocol.
  absl::StatusOr<bool> Parse(const wire::Frames& frames, uint64_t id, size_t count,
                             std::vector<wire::FunctionScore>* out, size_t begin) {
    size_t first = !frames.empty() && frames[0].empty() ? 1 : 0;  // REP's empty delimiter
    if (frames.size() != first + 1) {
      return absl::InvalidArgumentError(absl::StrCat("expected one JSON frame, got ",
                                                     frames.size() - first));
    }
    ASSIGN_OR_RETURN(rapidjson::Document doc, core::ParseJson(frames[first].view()));
    if (!doc.IsObject()) return absl::InvalidArgumentError("the reply is not a JSON object");
    if (auto i = doc.FindMember("id"); i != doc.MemberEnd()) {
      if (!i->value.IsUint64()) return absl::InvalidArgumentError("id must be an integer");
      if (i->value.GetUint64() != id) return false;
    }
    auto scores = doc.FindMember("scores");
    if (scores == doc.MemberEnd() || !scores->value.IsArray()) {
      return absl::InvalidArgumentError("\"scores\" must be a list");
    }
    if (scores->value.Size() != count) {
      return absl::InvalidArgumentError(absl::StrCat("got ", scores->value.Size(),
                                                     " scores for ", count, " samples"));
    }
    for (size_t k = 0; k < count; ++k) {
      (*out)[begin + k] = ParseEntry(scores->value[static_cast<rapidjson::SizeType>(k)], k);
    }
    return true;
  }

  struct Counters {
    int64_t requests = 0, timeouts = 0, bad_replies = 0, reconnects = 0, stale_replies = 0;
  };

  const std::string endpoint_;
  const int max_batch_;
  const std::chrono::milliseconds timeout_;
  const std::string label_;
  zmq::context_t context_{1};
  std::unique_ptr<zmq::socket_t> socket_;  // null until connected and after a failure
  int64_t connections_ = 0;
  Counters counters_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<RewardFunction>> MakeRemotePlugin(
    const config::PluginOptions& options, int timeout_ms, const std::string& key,
    const std::string& label) {
  absl::Status valid = wire::ValidateEndpoint(options.endpoint);
  if (!valid.ok()) return absl::InvalidArgumentError(key + ".endpoint: " + std::string(valid.message()));
  return std::make_unique<RemotePlugin>(options, std::chrono::milliseconds(timeout_ms), label);
}

}  // namespace zerorl::reward
