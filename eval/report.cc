#include "eval/report.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "rapidjson/prettywriter.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace zerorl::eval {
namespace {

template <typename W>
void String(W& w, const std::string& s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

template <typename W>
void Number(W& w, double value) {
  if (std::isfinite(value)) {
    w.Double(value);
  } else {
    w.Null();
  }
}

template <typename W>
void Sample(W& w, const ScoredSample& s, bool math) {
  w.StartObject();
  w.Key("completion");
  String(w, s.completion.text);
  w.Key("reward");
  Number(w, s.reward);
  w.Key("correct");
  if (s.correct < 0) {
    w.Null();
  } else {
    w.Bool(s.correct == 1);
  }
  w.Key("length");
  if (s.completion.num_tokens < 0) {
    w.Null();
  } else {
    w.Int64(s.completion.num_tokens);
  }
  w.Key("finish_reason");
  if (s.completion.finish_reason.empty()) {
    w.Null();
  } else {
    String(w, s.completion.finish_reason);
  }
  w.Key("extracted_answer");
  if (!math || s.extracted_answer.empty()) {
    w.Null();
  } else {
    String(w, s.extracted_answer);
  }
  w.Key("verdict");
  String(w, s.verdict);
  w.EndObject();
}

}  // namespace

std::string ProblemLine(const ProblemResult& r, int64_t index) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("schema_version");
  w.Int(kSchemaVersion);
  w.Key("index");
  w.Int64(index);
  w.Key("id");
  String(w, r.problem.id);
  w.Key("dataset");
  String(w, r.problem.dataset);
  w.Key("kind");
  w.String(datasets::TaskKindName(r.problem.kind));
  w.Key("prompt");
  String(w, r.prompt_text);
  w.Key("answer");
  String(w, r.problem.answer);
  w.Key("num_samples");
  w.Int64(static_cast<int64_t>(r.samples.size()));
  w.Key("num_correct");
  w.Int64(r.num_correct());
  w.Key("samples");
  w.StartArray();
  for (const ScoredSample& s : r.samples) Sample(w, s, r.problem.kind == datasets::TaskKind::kMath);
  w.EndArray();
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string SummaryJson(const RunInfo& info, const EvalMetrics& m) {
  rapidjson::StringBuffer buffer;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buffer);
  w.SetIndent(' ', 2);
  w.StartObject();
  w.Key("schema_version");
  w.Int(kSchemaVersion);
  auto str = [&](const char* key, const std::string& value) {
    w.Key(key);
    String(w, value);
  };
  str("model", info.model);
  str("dataset", info.dataset);
  str("dataset_path", info.dataset_path);
  str("mode", info.mode);
  if (!info.completions.empty()) str("completions", info.completions);
  w.Key("n");
  w.Int(info.n);
  if (info.mode == "generate") {  // replayed completions were sampled elsewhere
    w.Key("temperature");
    w.Double(info.temperature);
    w.Key("top_p");
    w.Double(info.top_p);
    w.Key("max_new_tokens");
    w.Int64(info.max_new_tokens);
    w.Key("seed");
    w.Int64(info.seed);
  }
  str("template", info.template_name);
  w.Key("reward_functions");
  w.StartArray();
  for (const std::string& f : info.reward_functions) String(w, f);
  w.EndArray();
  str("correctness_function", info.correctness_function);

  w.Key("metrics");
  w.StartObject();
  auto count = [&](const char* key, int64_t value) {
    w.Key(key);
    w.Int64(value);
  };
  count("problems", m.problems);
  count("samples", m.samples);
  count("judged_problems", m.judged_problems);
  count("unjudged_problems", m.unjudged_problems);
  count("unjudged_samples", m.unjudged_samples);
  for (const auto& [k, value] : m.pass_at_k) {
    w.Key(absl::StrCat("pass@", k));
    Number(w, value);
  }
  for (const auto& [k, value] : m.maj_at_k) {
    w.Key(absl::StrCat("maj@", k));
    Number(w, value);
  }
  w.Key("mean_length");
  Number(w, m.samples_with_length > 0 ? m.mean_length : NAN);
  w.Key("max_length");
  if (m.samples_with_length > 0) {
    w.Int64(m.max_length);
  } else {
    w.Null();
  }
  w.Key("truncation_rate");
  Number(w, m.samples_with_finish > 0 ? m.truncation_rate : NAN);
  w.EndObject();

  w.Key("wall_time_s");
  Number(w, info.wall_time_s);
  w.Key("problems_per_s");
  Number(w, info.wall_time_s > 0 ? static_cast<double>(m.problems) / info.wall_time_s : NAN);
  w.Key("generation_s");
  Number(w, info.generation_s);
  w.Key("scoring_s");
  Number(w, info.scoring_s);
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize()) + "\n";
}

std::string SummaryLine(const EvalMetrics& m) {
  std::string line = absl::StrCat(m.problems, " problems, ", m.samples, " samples");
  if (m.unjudged_problems > 0 || m.unjudged_samples > 0) {
    absl::StrAppend(&line, " (", m.unjudged_problems, " problems and ", m.unjudged_samples,
                    " samples not judged)");
  }
  for (const auto& [k, value] : m.pass_at_k) absl::StrAppendFormat(&line, "  pass@%d %.4f", k, value);
  for (const auto& [k, value] : m.maj_at_k) absl::StrAppendFormat(&line, "  maj@%d %.4f", k, value);
  if (m.samples_with_length > 0) {
    absl::StrAppendFormat(&line, "  mean_length %.1f  max_length %d", m.mean_length, m.max_length);
  }
  if (m.samples_with_finish > 0) absl::StrAppendFormat(&line, "  truncation_rate %.4f", m.truncation_rate);
  return line;
}

}  // namespace zerorl::eval
