#include "tests/wire/message_testing.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <sstream>

#include "core/json.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace zerorl::testing {
namespace {

// Collects the first difference between two messages.
class Differ {
 public:
  const std::string& first() const { return first_; }

  template <typename T>
  void Eq(const std::string& path, const T& a, const T& b) {
    if (!first_.empty() || a == b) return;
    std::ostringstream out;
    out << path << ": " << Show(a) << " vs " << Show(b);
    first_ = out.str();
  }
  // Floating point by bits, so NaN == NaN and 0.0 != -0.0.
  template <typename F>
  void Bits(const std::string& path, F a, F b) {
    if (!first_.empty() || std::memcmp(&a, &b, sizeof(F)) == 0) return;
    std::ostringstream out;
    out << path << ": " << a << " vs " << b;
    first_ = out.str();
  }
  template <typename F>
  void BitsVector(const std::string& path, const std::vector<F>& a, const std::vector<F>& b) {
    Eq(path + ".size", a.size(), b.size());
    for (size_t i = 0; first_.empty() && i < a.size(); ++i) Bits(Index(path, i), a[i], b[i]);
  }
  void FrameBytes(const std::string& path, const wire::Frame& a, const wire::Frame& b) {
    Eq(path + ".size", a.size(), b.size());
    if (first_.empty() && a.size() != 0 && std::memcmp(a.data(), b.data(), a.size()) != 0) {
      first_ = path + ": bytes differ";
    }
  }
  static std::string Index(const std::string& path, size_t i) {
    return path + "[" + std::to_string(i) + "]";
  }

 private:
  template <typename T>
  static std::string Show(const T& v) {
    if constexpr (std::is_enum_v<T>) {
      return std::to_string(static_cast<int>(v));
    } else if constexpr (std::is_arithmetic_v<T> || std::is_same_v<T, std::string>) {
      std::ostringstream out;
      out << v;
      return out.str();
    } else {
      return "(value)";
    }
  }
  std::string first_;
};

void Compare(Differ& d, const std::string& path, const wire::Prompt& a, const wire::Prompt& b) {
  d.Eq(path + ".id", a.id, b.id);
  d.Eq(path + ".seed", a.seed, b.seed);
  d.Eq(path + ".tokens", a.tokens, b.tokens);
  d.Eq(path + ".text", a.text, b.text);
  d.Eq(path + ".answer", a.answer, b.answer);
  d.Eq(path + ".metadata", a.metadata, b.metadata);
}

void ComparePrompts(Differ& d, const std::vector<wire::Prompt>& a,
                    const std::vector<wire::Prompt>& b) {
  d.Eq("prompts.size", a.size(), b.size());
  for (size_t i = 0; d.first().empty() && i < a.size(); ++i) {
    Compare(d, Differ::Index("prompts", i), a[i], b[i]);
  }
}

void Compare(Differ& d, const wire::Hello& a, const wire::Hello& b) {
  d.Eq("kind", a.kind, b.kind);
  d.Eq("worker_id", a.worker_id, b.worker_id);
  d.Eq("pid", a.pid, b.pid);
  d.Eq("hostname", a.hostname, b.hostname);
  d.Eq("slots", a.slots, b.slots);
  d.Eq("policy_version", a.policy_version, b.policy_version);
  d.Eq("capabilities", a.capabilities, b.capabilities);
}

void Compare(Differ& d, const wire::Heartbeat& a, const wire::Heartbeat& b) {
  d.Eq("policy_version", a.policy_version, b.policy_version);
}

void Compare(Differ& d, const wire::PromptBatch& a, const wire::PromptBatch& b) {
  d.Eq("batch_id", a.batch_id, b.batch_id);
  d.Eq("policy_version", a.policy_version, b.policy_version);
  d.Eq("sampling.n", a.sampling.n, b.sampling.n);
  d.Bits("sampling.temperature", a.sampling.temperature, b.sampling.temperature);
  d.Bits("sampling.top_p", a.sampling.top_p, b.sampling.top_p);
  d.Eq("sampling.top_k", a.sampling.top_k, b.sampling.top_k);
  d.Bits("sampling.min_p", a.sampling.min_p, b.sampling.min_p);
  d.Eq("sampling.max_new_tokens", a.sampling.max_new_tokens, b.sampling.max_new_tokens);
  d.Eq("sampling.stop", a.sampling.stop, b.sampling.stop);
  ComparePrompts(d, a.prompts, b.prompts);
}

void Compare(Differ& d, const wire::Rollouts& a, const wire::Rollouts& b) {
  d.Eq("batch_id", a.batch_id, b.batch_id);
  d.Eq("completions.size", a.completions.size(), b.completions.size());
  for (size_t i = 0; d.first().empty() && i < a.completions.size(); ++i) {
    const wire::Completion& x = a.completions[i];
    const wire::Completion& y = b.completions[i];
    std::string path = Differ::Index("completions", i);
    d.Eq(path + ".prompt_id", x.prompt_id, y.prompt_id);
    d.Eq(path + ".sample_index", x.sample_index, y.sample_index);
    d.Eq(path + ".policy_version", x.policy_version, y.policy_version);
    d.Eq(path + ".finish_reason", x.finish_reason, y.finish_reason);
    d.Eq(path + ".tokens", x.tokens, y.tokens);
    d.BitsVector(path + ".logprobs", x.logprobs, y.logprobs);
    d.Eq(path + ".text", x.text, y.text);
  }
  ComparePrompts(d, a.prompts, b.prompts);
}

void Compare(Differ& d, const wire::ScoredGroups& a, const wire::ScoredGroups& b) {
  d.Eq("batch_id", a.batch_id, b.batch_id);
  d.Eq("functions", a.functions, b.functions);
  d.Eq("completions.size", a.completions.size(), b.completions.size());
  for (size_t i = 0; d.first().empty() && i < a.completions.size(); ++i) {
    const wire::ScoredCompletion& x = a.completions[i];
    const wire::ScoredCompletion& y = b.completions[i];
    std::string path = Differ::Index("completions", i);
    d.Eq(path + ".prompt_id", x.prompt_id, y.prompt_id);
    d.Eq(path + ".sample_index", x.sample_index, y.sample_index);
    d.Bits(path + ".total", x.total, y.total);
    d.Eq(path + ".scores.size", x.scores.size(), y.scores.size());
    for (size_t j = 0; d.first().empty() && j < x.scores.size(); ++j) {
      std::string score = Differ::Index(path + ".scores", j);
      d.Eq(score + ".mark", x.scores[j].mark, y.scores[j].mark);
      d.Bits(score + ".value", x.scores[j].value, y.scores[j].value);
      d.Eq(score + ".detail", x.scores[j].detail, y.scores[j].detail);
    }
  }
}

void Compare(Differ& d, const wire::WeightUpdate& a, const wire::WeightUpdate& b) {
  d.Eq("version", a.version, b.version);
  d.Eq("chunk_index", a.chunk_index, b.chunk_index);
  d.Eq("chunk_count", a.chunk_count, b.chunk_count);
  d.Eq("pieces.size", a.pieces.size(), b.pieces.size());
  for (size_t i = 0; d.first().empty() && i < a.pieces.size(); ++i) {
    std::string path = Differ::Index("pieces", i);
    d.Eq(path + ".name", a.pieces[i].name, b.pieces[i].name);
    d.Eq(path + ".dtype", a.pieces[i].dtype, b.pieces[i].dtype);
    d.Eq(path + ".shape", a.pieces[i].shape, b.pieces[i].shape);
    d.Eq(path + ".offset", a.pieces[i].offset, b.pieces[i].offset);
    d.FrameBytes(path + ".data", a.pieces[i].data, b.pieces[i].data);
  }
}

void Compare(Differ& d, const wire::Metrics& a, const wire::Metrics& b) {
  d.Eq("values.size", a.values.size(), b.values.size());
  auto x = a.values.begin();
  auto y = b.values.begin();
  for (; d.first().empty() && x != a.values.end(); ++x, ++y) {
    d.Eq("values key", x->first, y->first);
    d.Bits("values." + x->first, x->second, y->second);
  }
}

void Compare(Differ& d, const wire::Shutdown& a, const wire::Shutdown& b) {
  d.Eq("reason", a.reason, b.reason);
}

wire::Frame BytesOf(const std::vector<uint8_t>& bytes) {
  return wire::Frame::Copy(bytes.data(), bytes.size());
}

}  // namespace

wire::Hello ExampleHello() {
  wire::Hello m;
  m.kind = wire::WorkerKind::kReward;
  m.worker_id = "reward-3";
  m.pid = 4242;
  m.hostname = "node-07.cluster";
  m.slots = 2;
  m.policy_version = wire::kNoPolicyVersion;
  m.capabilities = {{"device", "cpu"}, {"functions", "math_accuracy,format"}, {"note", "é \"q\""}};
  return m;
}

wire::Heartbeat ExampleHeartbeat() { return wire::Heartbeat{17}; }

wire::PromptBatch ExamplePromptBatch() {
  wire::PromptBatch m;
  m.batch_id = 99;
  m.policy_version = 5;
  m.sampling.n = 4;
  m.sampling.temperature = 0.7;
  m.sampling.top_p = 0.95;
  m.sampling.top_k = 50;
  m.sampling.min_p = 0.05;
  m.sampling.max_new_tokens = 128;
  m.sampling.stop = {"</answer>", "\n\n"};
  m.prompts.push_back(
      {1, 1234, {151643, 872, 25, 220}, "What is 2+3?\n", "5", "{\"dataset\":\"gsm8k\"}"});
  m.prompts.push_back({2, 5678, {}, "", "", ""});
  m.prompts.push_back({std::numeric_limits<uint64_t>::max(),
                       0,
                       {-1, 0, 2147483647},
                       std::string("nul\0inside", 10),
                       "x",
                       "{}"});
  return m;
}

wire::Rollouts ExampleRollouts() {
  wire::Rollouts m;
  m.batch_id = 99;
  m.completions.push_back({1,
                           0,
                           5,
                           wire::FinishReason::kStop,
                           {40, 41, 42},
                           {-0.5f, -1.25f, 0.0f},
                           "<answer>5</answer>"});
  m.completions.push_back(
      {1, 1, 4, wire::FinishReason::kLength, {7}, {-3.0f}, "\xE2\x82"});  // cut UTF-8
  m.completions.push_back({2, 0, 5, wire::FinishReason::kAbort, {}, {}, ""});
  m.prompts = ExamplePromptBatch().prompts;
  return m;
}

wire::ScoredGroups ExampleScoredGroups() {
  wire::ScoredGroups m;
  m.batch_id = 99;
  m.functions = {"math_accuracy", "format", "code_tests"};
  wire::ScoredCompletion a{1, 0, 1.1, {}};
  a.scores = {{wire::ScoreMark::kOk, 1.0, ""},
              {wire::ScoreMark::kOk, 1.0, ""},
              {wire::ScoreMark::kNotApplicable, 0.0, "not a code task"}};
  wire::ScoredCompletion b{1, 1, 0.0, {}};
  b.scores = {{wire::ScoreMark::kError, std::nan(""), "gold answer did not parse: \xFF"},
              {wire::ScoreMark::kOk, -0.0, ""},
              {wire::ScoreMark::kNotApplicable, 0.0, ""}};
  m.completions = {a, b};
  return m;
}

wire::WeightUpdate ExampleWeightUpdate() {
  wire::WeightUpdate m;
  m.version = 6;
  m.chunk_index = 1;
  m.chunk_count = 3;
  std::vector<uint8_t> bf16(2 * 3 * 4);
  for (size_t i = 0; i < bf16.size(); ++i) bf16[i] = static_cast<uint8_t>(i * 7);
  std::vector<uint8_t> fp32(4 * 5, 0xAB);
  m.pieces.push_back(
      {"model.embed_tokens.weight", config::DType::kBFloat16, {3, 4}, 0, BytesOf(bf16)});
  m.pieces.push_back({"model.norm.weight", config::DType::kFloat32, {10}, 20, BytesOf(fp32)});
  m.pieces.push_back({"scalar", config::DType::kFloat16, {}, 0, BytesOf({1, 2})});
  return m;
}

wire::Metrics ExampleMetrics() {
  wire::Metrics m;
  m.values = {{"rollout/tokens_per_s", 1234.5},
              {"rollout/nan", std::nan("")},
              {"rollout/inf", std::numeric_limits<double>::infinity()},
              {"rollout/-inf", -std::numeric_limits<double>::infinity()},
              {"rollout/tiny", 4.9e-324}};
  return m;
}

wire::Shutdown ExampleShutdown() { return wire::Shutdown{"run finished after 200 steps"}; }

std::vector<wire::Message> ExampleMessages() {
  return {ExampleHello(),        ExampleHeartbeat(),    ExamplePromptBatch(), ExampleRollouts(),
          ExampleScoredGroups(), ExampleWeightUpdate(), ExampleMetrics(),     ExampleShutdown()};
}

std::string Difference(const wire::Message& a, const wire::Message& b) {
  if (a.index() != b.index()) {
    return "types differ: " + std::string(wire::MessageTypeName(wire::TypeOf(a))) + " vs " +
           std::string(MessageTypeName(TypeOf(b)));
  }
  Differ d;
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        Compare(d, x, std::get<T>(b));
      },
      a);
  return d.first();
}

wire::Frames EditHeader(const wire::Frames& frames,
                        const std::function<void(rapidjson::Document&)>& edit) {
  absl::StatusOr<rapidjson::Document> doc = core::ParseJson(frames.at(0).view());
  if (!doc.ok()) {
    // Headers may hold NaN/Infinity, which the strict ParseJson refuses.
    doc = rapidjson::Document();
    doc->Parse<rapidjson::kParseNanAndInfFlag>(frames[0].view().data(), frames[0].size());
  }
  edit(*doc);
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer, rapidjson::UTF8<>, rapidjson::UTF8<>,
                    rapidjson::CrtAllocator, rapidjson::kWriteNanAndInfFlag>
      writer(buffer);
  doc->Accept(writer);
  return WithHeader(frames, std::string(buffer.GetString(), buffer.GetSize()));
}

wire::Frames WithHeader(const wire::Frames& frames, const std::string& header) {
  wire::Frames out = frames;
  out.at(0) = wire::Frame::FromString(header);
  return out;
}

}  // namespace zerorl::testing
