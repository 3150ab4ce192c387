#include "learner/sft.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <numeric>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/json.h"
#include "core/log.h"
#include "core/status.h"
#include "learner/checkpoint.h"
#include "rapidjson/document.h"

namespace zerorl::learner {
namespace {

// Where the next batch starts: an epoch and a position in that epoch's shuffled order.
struct Cursor {
  int64_t epoch = 0;
  int64_t next = 0;

  std::string ToJson() const {
    return absl::StrCat("{\"epoch\": ", epoch, ", \"next\": ", next, "}");
  }
};

absl::StatusOr<Cursor> ParseCursor(const std::string& json, const std::string& source) {
  absl::StatusOr<rapidjson::Document> doc = core::ParseJson(json);
  Cursor c;
  if (doc.ok() && doc->IsObject() && doc->HasMember("epoch") && (*doc)["epoch"].IsInt64() &&
      doc->HasMember("next") && (*doc)["next"].IsInt64()) {
    c.epoch = (*doc)["epoch"].GetInt64();
    c.next = (*doc)["next"].GetInt64();
    if (c.epoch >= 0 && c.next >= 0) return c;
  }
  return absl::InvalidArgumentError(
      absl::StrCat(source, ": dataset_cursor must be {\"epoch\": N, \"next\": N}, got ", json));
}

std::vector<int64_t> EpochOrder(int64_t size, int64_t seed, int64_t epoch) {
  std::vector<int64_t> order(size);
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(static_cast<uint64_t>(seed) * 1000003u + static_cast<uint64_t>(epoch));
  std::shuffle(order.begin(), order.end(), rng);
  return order;
}

// The next `count` examples from `cursor`, moving it (across epochs when one runs out).
std::vector<SftExample> NextBatch(const std::vector<SftExample>& examples, int64_t count,
                                  int64_t seed, Cursor& cursor) {
  const int64_t n = static_cast<int64_t>(examples.size());
  std::vector<int64_t> order = EpochOrder(n, seed, cursor.epoch);
  std::vector<SftExample> batch;
  while (static_cast<int64_t>(batch.size()) < count) {
    if (cursor.next >= n) {
      ++cursor.epoch;
      cursor.next = 0;
      order = EpochOrder(n, seed, cursor.epoch);
    }
    batch.push_back(examples[order[cursor.next++]]);
  }
  return batch;
}

std::string MetricsLine(int64_t step, const StepMetrics& metrics) {
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  doc.AddMember("step", step, a);
  for (const auto& [name, value] : metrics) {
    rapidjson::Value v;
    if (std::isfinite(value)) v.SetDouble(value);  // else null: JSON has no NaN
    doc.AddMember(rapidjson::Value(name, a), v, a);
  }
  return core::JsonToString(doc) + "\n";
}

absl::Status AppendLine(const std::string& path, const std::string& line) {
  FILE* f = std::fopen(path.c_str(), "a");
  if (f == nullptr) return absl::UnavailableError("cannot append to " + path);
  bool ok = std::fwrite(line.data(), 1, line.size(), f) == line.size();
  ok &= std::fclose(f) == 0;
  return ok ? absl::OkStatus() : absl::UnavailableError("writing " + path);
}

// A bad-line message, or "" when the line is a usable example.
std::string ParseLine(const std::string& line, SftText* out) {
  absl::StatusOr<rapidjson::Document> doc = core::ParseJson(line);
  if (!doc.ok()) return std::string(doc.status().message());
  if (!doc->IsObject()) return "not a JSON object";
  for (const char* key : {"prompt", "completion"}) {
    auto it = doc->FindMember(key);
    if (it == doc->MemberEnd()) return absl::StrCat("missing field \"", key, "\"");
    if (!it->value.IsString()) return absl::StrCat("field \"", key, "\" must be a string");
  }
  out->prompt = (*doc)["prompt"].GetString();
  out->completion = (*doc)["completion"].GetString();
  if (out->completion.empty()) return "empty \"completion\"";
  return "";
}

}  // namespace

absl::StatusOr<SftData> ReadSftJsonl(const std::string& path, config::BadLinePolicy on_bad_line) {
  ASSIGN_OR_RETURN(std::string text, core::ReadFile(path));
  SftData data;
  int line_number = 0;
  for (absl::string_view piece : absl::StrSplit(text, '\n')) {
    ++line_number;
    std::string line(piece);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    SftText example;
    std::string why = ParseLine(line, &example);
    if (why.empty()) {
      data.examples.push_back(std::move(example));
      continue;
    }
    std::string where = absl::StrCat(path, ":", line_number, ": ");
    if (on_bad_line == config::BadLinePolicy::kError)
      return absl::InvalidArgumentError(where + why);
    ZLOG(WARNING) << where << "skipped: " << why;
    ++data.skipped_lines;
  }
  if (data.examples.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": no usable example (",
                                                   data.skipped_lines, " malformed lines)"));
  }
  return data;
}

std::vector<SftExample> TokenizeSft(const std::vector<SftText>& texts,
                                    const tokenizer::Tokenizer& tokenizer,
                                    const tokenizer::PromptTemplate& prompt_template) {
  tokenizer::EncodeOptions prompt_options;
  prompt_options.add_special_tokens = prompt_template.add_special_tokens();
  const int32_t eos = tokenizer.special_ids().eos;
  std::vector<SftExample> out;
  out.reserve(texts.size());
  for (const SftText& t : texts) {
    SftExample e;
    e.prompt_ids = tokenizer.Encode(prompt_template.Render("", t.prompt), prompt_options);
    e.completion_ids = tokenizer.Encode(t.completion);
    if (eos >= 0) e.completion_ids.push_back(eos);
    out.push_back(std::move(e));
  }
  return out;
}

std::string SftRunDir(const config::Config& config) {
  return (std::filesystem::path(config.run.output_dir) / config.run.name / "sft").string();
}

absl::StatusOr<SftResult> RunSft(const config::Config& config,
                                 const std::vector<SftExample>& examples, bool resume,
                                 const std::function<void(int64_t, const StepMetrics&)>& on_step) {
  const config::SftConfig& sft = config.learner.sft;
  if (examples.empty()) return absl::InvalidArgumentError("sft: no examples to train on");
  const int64_t n = static_cast<int64_t>(examples.size());
  const int64_t total =
      sft.steps > 0 ? sft.steps : sft.epochs * ((n + sft.batch_size - 1) / sft.batch_size);
  SftResult result;
  result.run_dir = SftRunDir(config);
  const std::string checkpoints = result.run_dir + "/checkpoints";
  std::error_code ec;
  std::filesystem::create_directories(checkpoints, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("creating ", checkpoints, ": ", ec.message()));
  RETURN_IF_ERROR(
      core::WriteFileAtomic(result.run_dir + "/config.json", config::ConfigToJson(config) + "\n"));

  LearnerOptions options = LearnerOptionsFromConfig(config);
  options.optimizer.lr = sft.lr;
  options.algorithm.beta = 0.0;  // no reference model
  options.temperature = 1.0;     // the plain likelihood
  options.total_steps = total;
  ASSIGN_OR_RETURN(std::unique_ptr<Learner> learner, Learner::Create(options, config.model.path));
  Cursor cursor;
  if (resume) {
    ASSIGN_OR_RETURN(std::string latest, LatestCheckpoint(checkpoints));
    ASSIGN_OR_RETURN(ResumeState state, LoadCheckpoint(latest, learner.get()));
    ASSIGN_OR_RETURN(cursor, ParseCursor(state.dataset_cursor_json, latest));
    result.final_checkpoint = latest;
    ZLOG(INFO) << "sft: resumed from " << latest << " at step " << state.step;
  }
  CheckpointExtras extras;
  extras.copy_files_from = {config.model.tokenizer, config.model.path};
  while (learner->step() < total) {
    std::vector<SftExample> rows = NextBatch(examples, sft.batch_size, config.run.seed, cursor);
    ASSIGN_OR_RETURN(TrainBatch batch, BuildSftBatch(rows, sft.max_length));
    ASSIGN_OR_RETURN(StepMetrics metrics, learner->SftStep(batch));
    const int64_t step = learner->step();
    metrics["epoch"] = static_cast<double>(cursor.epoch) + static_cast<double>(cursor.next) / n;
    RETURN_IF_ERROR(AppendLine(result.run_dir + "/metrics.jsonl", MetricsLine(step, metrics)));
    if (on_step) on_step(step, metrics);
    result.last_loss = metrics["loss"];
    const int every = config.run.checkpoint_every;
    if ((every > 0 && step % every == 0) || step == total) {
      extras.dataset_cursor_json = cursor.ToJson();
      ASSIGN_OR_RETURN(result.final_checkpoint, SaveCheckpoint(*learner, checkpoints, extras));
      RETURN_IF_ERROR(RotateCheckpoints(checkpoints, config.run.keep_last));
    }
  }
  result.steps = learner->step();
  return result;
}

}  // namespace zerorl::learner
