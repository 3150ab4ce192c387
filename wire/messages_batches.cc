// Codecs of the batch messages: PromptBatch, Rollouts, ScoredGroups. Their per-item
// scalars are header objects; token ids, log-probs, scores and texts are concatenated frames
// whose per-item lengths the header objects give.
#include "absl/strings/str_cat.h"
#include "core/status.h"
#include "wire/internal/message_codecs.h"

namespace zerorl::wire {
namespace {

constexpr size_t kMaxStopStrings = 256;
const char* const kFinishReasonNames[] = {"stop", "length", "abort"};

void WriteSampling(const config::SamplingConfig& s, HeaderWriter& w) {
  w.Key("sampling");
  w.StartObject();
  w.PutInt("n", s.n);
  w.PutDouble("temperature", s.temperature);
  w.PutDouble("top_p", s.top_p);
  w.PutInt("top_k", s.top_k);
  w.PutDouble("min_p", s.min_p);
  w.PutInt("max_new_tokens", s.max_new_tokens);
  w.Key("stop");
  w.StartArray();
  for (const std::string& stop : s.stop) w.String(stop, "sampling.stop");
  w.EndArray();
  w.EndObject();
}

absl::Status ReadSampling(JsonFields& top, config::SamplingConfig* s) {
  const rapidjson::Value* object = nullptr;
  RETURN_IF_ERROR(top.Object("sampling", &object, 16));
  ASSIGN_OR_RETURN(JsonFields f, JsonFields::Of(*object, "sampling"));
  RETURN_IF_ERROR(f.Int("n", &s->n, 1, static_cast<int>(kMaxItems)));
  RETURN_IF_ERROR(f.FiniteDouble("temperature", &s->temperature, 0.0, 1e9));
  RETURN_IF_ERROR(f.FiniteDouble("top_p", &s->top_p, 0.0, 1.0));
  RETURN_IF_ERROR(f.Int("top_k", &s->top_k, 0, INT32_MAX));
  RETURN_IF_ERROR(f.FiniteDouble("min_p", &s->min_p, 0.0, 1.0));
  RETURN_IF_ERROR(f.Int("max_new_tokens", &s->max_new_tokens, 0, INT32_MAX));
  const rapidjson::Value* stop = nullptr;
  RETURN_IF_ERROR(f.Array("stop", &stop, kMaxStopStrings));
  RETURN_IF_ERROR(ReadStringArray(*stop, f.Path("stop"), kMaxNameBytes, &s->stop));
  return f.Finish();
}

// Writes "prompts" and appends two frames: token ids (int32) and texts (bytes).
void WritePrompts(const std::vector<Prompt>& prompts, HeaderWriter& w, Frames* payload) {
  std::string tokens, texts;
  w.Key("prompts");
  w.StartArray();
  for (const Prompt& p : prompts) {
    w.StartObject();
    w.PutUint("id", p.id);
    w.PutUint("seed", p.seed);
    w.PutUint("tokens", p.tokens.size());
    w.PutUint("text_bytes", p.text.size());
    w.PutUint("answer_bytes", p.answer.size());
    w.PutUint("metadata_bytes", p.metadata.size());
    w.EndObject();
    AppendRaw(p.tokens.data(), p.tokens.size(), &tokens);
    texts += p.text;
    texts += p.answer;
    texts += p.metadata;
  }
  w.EndArray();
  payload->push_back(Frame::FromString(std::move(tokens)));
  payload->push_back(Frame::FromString(std::move(texts)));
}

absl::Status ReadPrompts(JsonFields& top, const Frame& token_frame, const Frame& text_frame,
                         std::vector<Prompt>* prompts) {
  const rapidjson::Value* array = nullptr;
  RETURN_IF_ERROR(top.Array("prompts", &array, kMaxItems));
  std::vector<uint64_t> token_lengths(array->Size()), text_lengths(3 * array->Size());
  prompts->resize(array->Size());
  for (size_t i = 0; i < array->Size(); ++i) {
    Prompt& p = (*prompts)[i];
    ASSIGN_OR_RETURN(JsonFields f, JsonFields::Of((*array)[i], "prompts", i));
    RETURN_IF_ERROR(f.Uint64("id", &p.id));
    RETURN_IF_ERROR(f.Uint64("seed", &p.seed));
    RETURN_IF_ERROR(f.Uint64("tokens", &token_lengths[i]));
    RETURN_IF_ERROR(f.Uint64("text_bytes", &text_lengths[3 * i]));
    RETURN_IF_ERROR(f.Uint64("answer_bytes", &text_lengths[3 * i + 1]));
    RETURN_IF_ERROR(f.Uint64("metadata_bytes", &text_lengths[3 * i + 2]));
    RETURN_IF_ERROR(f.Finish());
  }
  FrameCursor tokens(token_frame, sizeof(int32_t), "prompts: token frame");
  FrameCursor texts(text_frame, 1, "prompts: text frame");
  RETURN_IF_ERROR(tokens.Check(token_lengths));
  RETURN_IF_ERROR(texts.Check(text_lengths));
  for (size_t i = 0; i < prompts->size(); ++i) {
    Prompt& p = (*prompts)[i];
    tokens.TakeArray(token_lengths[i], &p.tokens);
    texts.TakeString(text_lengths[3 * i], &p.text);
    texts.TakeString(text_lengths[3 * i + 1], &p.answer);
    texts.TakeString(text_lengths[3 * i + 2], &p.metadata);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Frames> EncodeBody(const PromptBatch& m) {
  RETURN_IF_ERROR(CheckCount(MessageType::kPromptBatch, "prompts", m.prompts.size(), kMaxItems));
  RETURN_IF_ERROR(CheckCount(MessageType::kPromptBatch, "stop strings", m.sampling.stop.size(),
                             kMaxStopStrings));
  HeaderWriter w(MessageType::kPromptBatch);
  w.PutUint("batch_id", m.batch_id);
  w.PutInt("policy_version", m.policy_version);
  WriteSampling(m.sampling, w);
  Frames payload;
  WritePrompts(m.prompts, w, &payload);
  return w.Finish(std::move(payload));
}

absl::Status DecodeBody(const Frames& frames, JsonFields& top, PromptBatch* m) {
  RETURN_IF_ERROR(ExpectFrames(frames, 3));
  RETURN_IF_ERROR(top.Uint64("batch_id", &m->batch_id));
  RETURN_IF_ERROR(top.Int64("policy_version", &m->policy_version, 0, INT64_MAX));
  RETURN_IF_ERROR(ReadSampling(top, &m->sampling));
  RETURN_IF_ERROR(ReadPrompts(top, frames[1], frames[2], &m->prompts));
  return top.Finish();
}

absl::StatusOr<Frames> EncodeBody(const Rollouts& m) {
  RETURN_IF_ERROR(
      CheckCount(MessageType::kRollouts, "completions", m.completions.size(), kMaxItems));
  RETURN_IF_ERROR(CheckCount(MessageType::kRollouts, "prompts", m.prompts.size(), kMaxItems));
  HeaderWriter w(MessageType::kRollouts);
  w.PutUint("batch_id", m.batch_id);
  std::string tokens, logprobs, texts;
  w.Key("completions");
  w.StartArray();
  for (size_t i = 0; i < m.completions.size(); ++i) {
    const Completion& c = m.completions[i];
    if (c.logprobs.size() != c.tokens.size()) {
      w.Fail(absl::StrCat("completions[", i, "]: ", c.logprobs.size(), " log-probs for ",
                          c.tokens.size(), " tokens"));
    }
    w.StartObject();
    w.PutUint("prompt_id", c.prompt_id);
    w.PutInt("sample_index", c.sample_index);
    w.PutInt("policy_version", c.policy_version);
    w.PutString("finish_reason", FinishReasonName(c.finish_reason));
    w.PutUint("tokens", c.tokens.size());
    w.PutUint("text_bytes", c.text.size());
    w.EndObject();
    AppendRaw(c.tokens.data(), c.tokens.size(), &tokens);
    AppendRaw(c.logprobs.data(), c.logprobs.size(), &logprobs);
    texts += c.text;
  }
  w.EndArray();
  Frames payload;
  payload.push_back(Frame::FromString(std::move(tokens)));
  payload.push_back(Frame::FromString(std::move(logprobs)));
  payload.push_back(Frame::FromString(std::move(texts)));
  WritePrompts(m.prompts, w, &payload);
  return w.Finish(std::move(payload));
}

namespace {

absl::Status ReadCompletion(const rapidjson::Value& value, size_t i, Completion* c,
                            uint64_t* num_tokens, uint64_t* text_bytes) {
  ASSIGN_OR_RETURN(JsonFields f, JsonFields::Of(value, "completions", i));
  RETURN_IF_ERROR(f.Uint64("prompt_id", &c->prompt_id));
  RETURN_IF_ERROR(f.Int32("sample_index", &c->sample_index, 0, INT32_MAX));
  RETURN_IF_ERROR(f.Int64("policy_version", &c->policy_version, 0, INT64_MAX));
  std::string reason;
  RETURN_IF_ERROR(f.String("finish_reason", &reason, kMaxNameBytes));
  bool known = false;
  for (int r = 0; r < 3; ++r) {
    if (reason == kFinishReasonNames[r]) {
      c->finish_reason = static_cast<FinishReason>(r);
      known = true;
    }
  }
  if (!known) return Invalid(f.Path("finish_reason"), "must be \"stop\", \"length\" or \"abort\"");
  RETURN_IF_ERROR(f.Uint64("tokens", num_tokens));
  RETURN_IF_ERROR(f.Uint64("text_bytes", text_bytes));
  return f.Finish();
}

}  // namespace

absl::Status DecodeBody(const Frames& frames, JsonFields& top, Rollouts* m) {
  RETURN_IF_ERROR(ExpectFrames(frames, 6));
  RETURN_IF_ERROR(top.Uint64("batch_id", &m->batch_id));
  const rapidjson::Value* array = nullptr;
  RETURN_IF_ERROR(top.Array("completions", &array, kMaxItems));
  std::vector<uint64_t> token_lengths(array->Size()), text_lengths(array->Size());
  m->completions.resize(array->Size());
  for (size_t i = 0; i < array->Size(); ++i) {
    RETURN_IF_ERROR(
        ReadCompletion((*array)[i], i, &m->completions[i], &token_lengths[i], &text_lengths[i]));
  }
  FrameCursor tokens(frames[1], sizeof(int32_t), "completions: token frame");
  FrameCursor logprobs(frames[2], sizeof(float), "completions: log-prob frame");
  FrameCursor texts(frames[3], 1, "completions: text frame");
  RETURN_IF_ERROR(tokens.Check(token_lengths));
  RETURN_IF_ERROR(logprobs.Check(token_lengths));
  RETURN_IF_ERROR(texts.Check(text_lengths));
  for (size_t i = 0; i < m->completions.size(); ++i) {
    Completion& c = m->completions[i];
    tokens.TakeArray(token_lengths[i], &c.tokens);
    logprobs.TakeArray(token_lengths[i], &c.logprobs);
    texts.TakeString(text_lengths[i], &c.text);
  }
  RETURN_IF_ERROR(ReadPrompts(top, frames[4], frames[5], &m->prompts));
  return top.Finish();
}

absl::StatusOr<Frames> EncodeBody(const ScoredGroups& m) {
  RETURN_IF_ERROR(CheckCount(MessageType::kScoredGroups, "reward functions", m.functions.size(),
                             kMaxRewardFunctions));
  RETURN_IF_ERROR(
      CheckCount(MessageType::kScoredGroups, "completions", m.completions.size(), kMaxItems));
  HeaderWriter w(MessageType::kScoredGroups);
  w.PutUint("batch_id", m.batch_id);
  w.Key("functions");
  w.StartArray();
  for (const std::string& name : m.functions) w.String(name, "functions[]");
  w.EndArray();
  std::string totals, values, marks, details;
  w.Key("completions");
  w.StartArray();
  for (size_t i = 0; i < m.completions.size(); ++i) {
    const ScoredCompletion& c = m.completions[i];
    if (c.scores.size() != m.functions.size()) {
      w.Fail(absl::StrCat("completions[", i, "]: ", c.scores.size(), " scores for ",
                          m.functions.size(), " functions"));
    }
    w.StartObject();
    w.PutUint("prompt_id", c.prompt_id);
    w.PutInt("sample_index", c.sample_index);
    w.Key("detail_bytes");
    w.StartArray();
    for (const FunctionScore& s : c.scores) {
      w.Uint64(s.detail.size());
      AppendRaw(&s.value, 1, &values);
      marks.push_back(static_cast<char>(s.mark));
      details += s.detail;
    }
    w.EndArray();
    w.EndObject();
    AppendRaw(&c.total, 1, &totals);
  }
  w.EndArray();
  Frames payload;
  for (std::string* bytes : {&totals, &values, &marks, &details}) {
    payload.push_back(Frame::FromString(std::move(*bytes)));
  }
  return w.Finish(std::move(payload));
}

absl::Status DecodeBody(const Frames& frames, JsonFields& top, ScoredGroups* m) {
  RETURN_IF_ERROR(ExpectFrames(frames, 5));
  RETURN_IF_ERROR(top.Uint64("batch_id", &m->batch_id));
  const rapidjson::Value* functions = nullptr;
  RETURN_IF_ERROR(top.Array("functions", &functions, kMaxRewardFunctions));
  RETURN_IF_ERROR(ReadStringArray(*functions, "functions", kMaxNameBytes, &m->functions));
  const rapidjson::Value* array = nullptr;
  RETURN_IF_ERROR(top.Array("completions", &array, kMaxItems));
  RETURN_IF_ERROR(top.Finish());
  const size_t num_functions = m->functions.size();
  const size_t num_scores = array->Size() * num_functions;  // <= 2^28: no overflow
  std::vector<uint64_t> detail_lengths;
  detail_lengths.reserve(num_scores);
  m->completions.resize(array->Size());
  for (size_t i = 0; i < array->Size(); ++i) {
    ScoredCompletion& c = m->completions[i];
    ASSIGN_OR_RETURN(JsonFields f, JsonFields::Of((*array)[i], "completions", i));
    RETURN_IF_ERROR(f.Uint64("prompt_id", &c.prompt_id));
    RETURN_IF_ERROR(f.Int32("sample_index", &c.sample_index, 0, INT32_MAX));
    const rapidjson::Value* lengths = nullptr;
    RETURN_IF_ERROR(f.Array("detail_bytes", &lengths, num_functions));
    std::vector<uint64_t> row;
    RETURN_IF_ERROR(ReadUint64Array(*lengths, f.Path("detail_bytes"), &row));
    if (row.size() != num_functions) {
      return Invalid(f.Path("detail_bytes"), absl::StrCat("has ", row.size(), " entries for ",
                                                          num_functions, " functions"));
    }
    RETURN_IF_ERROR(f.Finish());
    detail_lengths.insert(detail_lengths.end(), row.begin(), row.end());
  }
  FrameCursor totals(frames[1], sizeof(double), "completions: total frame");
  FrameCursor values(frames[2], sizeof(double), "completions: score frame");
  FrameCursor marks(frames[3], 1, "completions: mark frame");
  FrameCursor details(frames[4], 1, "completions: detail frame");
  RETURN_IF_ERROR(totals.Check({array->Size()}));
  RETURN_IF_ERROR(values.Check({num_scores}));
  RETURN_IF_ERROR(marks.Check({num_scores}));
  RETURN_IF_ERROR(details.Check(detail_lengths));
  for (size_t i = 0; i < m->completions.size(); ++i) {
    ScoredCompletion& c = m->completions[i];
    c.total = totals.Take<double>();
    c.scores.resize(num_functions);
    for (size_t j = 0; j < num_functions; ++j) {
      FunctionScore& s = c.scores[j];
      s.value = values.Take<double>();
      uint8_t mark = marks.Take<uint8_t>();
      if (mark > static_cast<uint8_t>(ScoreMark::kError)) {
        return Invalid(absl::StrCat("completions[", i, "].scores[", j, "]"),
                       absl::StrCat("mark ", static_cast<int>(mark),
                                    " is not 0 (ok), 1 (not applicable) or 2 (error)"));
      }
      s.mark = static_cast<ScoreMark>(mark);
      details.TakeString(detail_lengths[i * num_functions + j], &s.detail);
    }
  }
  return absl::OkStatus();
}

}  // namespace zerorl::wire

namespace zerorl::wire {

const char* FinishReasonName(FinishReason reason) {
  return wire::kFinishReasonNames[static_cast<int>(reason)];
}

const char* ScoreMarkName(ScoreMark mark) {
  static const char* const kNames[] = {"ok", "not_applicable", "error"};
  return kNames[static_cast<int>(mark)];
}

}  // namespace zerorl::wire
