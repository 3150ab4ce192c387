#include "config/config.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_join.h"
#include "core/status.h"

namespace zerorl::config {

// ---- section descriptions: one line per key ----

void Describe(Fields& f, RunConfig& c) {
  f.String("name", c.name);
  f.String("output_dir", c.output_dir);
  f.Int("seed", c.seed);
  f.Int("steps", c.steps).AtLeast(0);
  f.Enum("mode", c.mode, {{"sync", RunMode::kSync}, {"async", RunMode::kAsync}});
  f.Int("max_staleness", c.max_staleness).AtLeast(0);
  f.Int("eval_every", c.eval_every).AtLeast(0);
  f.Int("checkpoint_every", c.checkpoint_every).AtLeast(0);
  f.Int("keep_last", c.keep_last).AtLeast(1);
  f.Bool("eval_before", c.eval_before);
  f.Int("eval_samples", c.eval_samples).AtLeast(1);
  f.Double("eval_temperature", c.eval_temperature).AtLeast(0.0);
  f.Double("log_samples_fraction", c.log_samples_fraction).AtLeast(0.0).AtMost(1.0);
  f.Int("cold_start_sft_steps", c.cold_start_sft_steps).AtLeast(0);
  f.Double("time_limit_s", c.time_limit_s).AtLeast(0.0);
  f.Bool("continue_sft", c.continue_sft);
  if (f.reading() && c.name.empty()) f.Error("name", "must not be empty");
  if (f.reading() && c.eval_samples > 1 && c.eval_temperature == 0.0) {
    f.Error("eval_temperature", "must be > 0 when eval_samples > 1 (greedy samples are all "
                                "the same)");
  }
  if (f.reading() && c.name.find('/') != std::string::npos) {
    f.Error("name", "must not contain '/' (it names a folder inside run.output_dir)");
  }
}

void Describe(Fields& f, ModelInitConfig& c) {
  f.Int("hidden_size", c.hidden_size).AtLeast(1);
  f.Int("num_layers", c.num_layers).AtLeast(1);
  f.Int("num_heads", c.num_heads).AtLeast(1);
  f.Int("num_kv_heads", c.num_kv_heads).AtLeast(1);
  f.Int("intermediate_size", c.intermediate_size).AtLeast(1);
  f.Int("max_position_embeddings", c.max_position_embeddings).AtLeast(16);
  f.Double("rope_theta", c.rope_theta).GreaterThan(0.0);
  f.Double("initializer_range", c.initializer_range).GreaterThan(0.0);
  f.Int("seed", c.seed);
  if (!f.reading()) return;
  if (c.hidden_size % c.num_heads != 0) {
    f.Error("hidden_size", "must be a multiple of num_heads (" + std::to_string(c.num_heads) + ")");
  }
  if (c.num_heads % c.num_kv_heads != 0) {
    f.Error("num_kv_heads", "must divide num_heads (" + std::to_string(c.num_heads) + ")");
  }
}

void Describe(Fields& f, ModelConfig& c) {
  f.String("path", c.path);
  f.Object("init", c.init);
  f.String("tokenizer", c.tokenizer);
  f.Enum("dtype", c.dtype,
         {{"auto", DType::kAuto}, {"bf16", DType::kBFloat16}, {"fp32", DType::kFloat32},
          {"fp16", DType::kFloat16}});
  f.String("device", c.device);
  f.Int("threads", c.threads).AtLeast(0);
  if (f.reading()) {
    const std::string& d = c.device;
    bool cuda_index = d.rfind("cuda:", 0) == 0 && d.size() > 5 &&
                      d.find_first_not_of("0123456789", 5) == std::string::npos;
    if (d != "cpu" && d != "cuda" && !cuda_index) {
      f.Error("device", "unknown device \"" + d + "\"; one of: cpu, cuda, cuda:N");
    }
  }
}

void Describe(Fields& f, FieldMapConfig& c) {
  f.String("id", c.id);
  f.String("prompt", c.prompt);
  f.String("messages", c.messages);
  f.String("answer", c.answer);
  f.String("solution", c.solution);
  f.String("tests", c.tests);
  f.String("entry_point", c.entry_point);
  f.String("test_setup", c.test_setup);
  f.String("level", c.level);
  f.String("subject", c.subject);
}

void Describe(Fields& f, ArithmeticConfig& c) {
  f.Int("digits_min", c.digits_min).Between(1, 9);
  f.Int("digits_max", c.digits_max).Between(1, 9);
  f.StringList("operators", c.operators);
  f.Enum("carries", c.carries,
         {{"any", CarryMode::kAny}, {"force", CarryMode::kForce}, {"forbid", CarryMode::kForbid}});
  f.Bool("allow_negative", c.allow_negative);
  f.Enum("style", c.style,
         {{"verbose", ArithmeticStyle::kVerbose}, {"compact", ArithmeticStyle::kCompact}});
  if (!f.reading()) return;
  if (c.digits_min > c.digits_max) f.Error("digits_max", "must be >= digits_min");
  if (c.operators.empty()) f.Error("operators", "must name at least one of + - *");
  for (const std::string& op : c.operators) {
    if (op != "+" && op != "-" && op != "*") {
      f.Error("operators", "unknown operator \"" + op + "\"; each must be one of + - *");
      break;
    }
  }
}

void Describe(Fields& f, CountdownConfig& c) {
  f.Int("numbers_min", c.numbers_min).Between(2, 6);
  f.Int("numbers_max", c.numbers_max).Between(2, 6);
  f.Int("number_min", c.number_min).Between(1, 10000);
  f.Int("number_max", c.number_max).Between(1, 10000);
  f.Int("target_min", c.target_min).Between(0, 1000000);
  f.Int("target_max", c.target_max).Between(0, 1000000);
  if (!f.reading()) return;
  if (c.numbers_min > c.numbers_max) f.Error("numbers_max", "must be >= numbers_min");
  if (c.number_min > c.number_max) f.Error("number_max", "must be >= number_min");
  if (c.target_min > c.target_max) f.Error("target_max", "must be >= target_min");
}

namespace {

bool SameFields(const FieldMapConfig& a, const FieldMapConfig& b) {
  return a.id == b.id && a.prompt == b.prompt && a.messages == b.messages &&
         a.answer == b.answer && a.solution == b.solution && a.tests == b.tests &&
         a.entry_point == b.entry_point && a.test_setup == b.test_setup && a.level == b.level &&
         a.subject == b.subject;
}
bool SameArithmetic(const ArithmeticConfig& a, const ArithmeticConfig& b) {
  return a.digits_min == b.digits_min && a.digits_max == b.digits_max &&
         a.operators == b.operators && a.carries == b.carries &&
         a.allow_negative == b.allow_negative;
}
bool SameCountdown(const CountdownConfig& a, const CountdownConfig& b) {
  return a.numbers_min == b.numbers_min && a.numbers_max == b.numbers_max &&
         a.number_min == b.number_min && a.number_max == b.number_max &&
         a.target_min == b.target_min && a.target_max == b.target_max;
}

// Keys that only one kind of preset reads are refused on the others, so that none is
// silently ignored.
void CheckPresetOnlyKeys(Fields& f, const DatasetConfig& c) {
  const DatasetConfig defaults;
  bool synthetic = c.preset == "arithmetic" || c.preset == "countdown";
  const std::string quoted = "\"" + c.preset + "\"";
  if (synthetic) {
    if (!c.path.empty()) f.Error("path", "preset " + quoted + " is generated and reads no file");
    if (!SameFields(c.fields, defaults.fields)) {
      f.Error("fields", "preset " + quoted + " is generated; fields apply to JSONL presets");
    }
    if (!c.ids_file.empty()) f.Error("ids_file", "applies to JSONL presets only");
    if (c.limit != 0) f.Error("limit", "applies to JSONL presets; use count for " + quoted);
  } else if (c.count != defaults.count) {
    f.Error("count", "applies to the synthetic presets arithmetic and countdown only");
  }
  if (c.preset != "arithmetic" && !SameArithmetic(c.arithmetic, defaults.arithmetic)) {
    f.Error("arithmetic", "applies to preset \"arithmetic\" only");
  }
  if (c.preset != "countdown" && !SameCountdown(c.countdown, defaults.countdown)) {
    f.Error("countdown", "applies to preset \"countdown\" only");
  }
}

}  // namespace

void Describe(Fields& f, DatasetConfig& c) {
  f.String("preset", c.preset, FieldFlag::kRequired);
  f.String("path", c.path);
  f.String("name", c.name);
  f.Object("fields", c.fields);
  f.String("ids_file", c.ids_file);
  f.Int("limit", c.limit).AtLeast(0);
  f.String("system_prompt", c.system_prompt);
  f.String("instruction", c.instruction);
  f.Int("seed", c.seed);
  f.Int("count", c.count).AtLeast(1);
  f.Object("arithmetic", c.arithmetic);
  f.Object("countdown", c.countdown);
  if (!f.reading() || c.preset.empty()) return;
  static const std::vector<std::string> kPresets = {
      "gsm8k", "math", "math500", "humaneval", "mbpp", "generic", "arithmetic", "countdown"};
  bool known = false;
  for (const auto& p : kPresets) known |= p == c.preset;
  if (!known) {
    std::string hint = SuggestKey(c.preset, kPresets);
    f.Error("preset", "unknown preset \"" + c.preset + "\"" +
                          (hint.empty() ? "" : " (did you mean \"" + hint + "\"?)") +
                          "; one of: " + absl::StrJoin(kPresets, ", "));
    return;
  }
  bool synthetic = c.preset == "arithmetic" || c.preset == "countdown";
  if (!synthetic && c.path.empty()) {
    f.Error("path", "required for preset \"" + c.preset + "\" (a JSONL file)");
  }
  if (c.name.find_first_of("/ \t\n") != std::string::npos) {
    f.Error("name", "must not contain '/' or whitespace (it prefixes ids and metric names)");
  }
  CheckPresetOnlyKeys(f, c);
}

void Describe(Fields& f, DataConfig& c) {
  f.Object("train", c.train);
  f.ObjectList("eval", c.eval);
  f.String("template", c.template_name);
  f.Int("prompts_per_step", c.prompts_per_step).AtLeast(1);
  f.Enum("on_bad_line", c.on_bad_line,
         {{"skip", BadLinePolicy::kSkip}, {"error", BadLinePolicy::kError}});
  f.Bool("shuffle", c.shuffle);
  f.Double("holdout_fraction", c.holdout_fraction).AtLeast(0.0).AtMost(0.9);
  if (!f.reading()) return;
  // Eval sets are reported as eval/<name>/...: two with one name would mix their metrics.
  std::vector<std::string> names;
  if (c.holdout_fraction > 0.0) names.push_back(c.train.Name() + "_holdout");
  for (size_t i = 0; i < c.eval.size(); ++i) {
    const std::string& name = c.eval[i].Name();
    if (std::find(names.begin(), names.end(), name) != names.end()) {
      f.Error(core::IndexKeyPath("eval", i) + ".name",
              "eval set name \"" + name + "\" is used twice; give each eval set its own name");
    }
    names.push_back(name);
  }
}

void Describe(Fields& f, SamplingConfig& c) {
  f.Int("n", c.n).AtLeast(1);
  f.Double("temperature", c.temperature).AtLeast(0.0);
  f.Double("top_p", c.top_p).GreaterThan(0.0).AtMost(1.0);
  f.Int("top_k", c.top_k).AtLeast(0);
  f.Double("min_p", c.min_p).AtLeast(0.0).AtMost(1.0);
  f.Int("max_new_tokens", c.max_new_tokens).AtLeast(1);
  f.StringList("stop", c.stop);
}

void Describe(Fields& f, RolloutConfig& c) {
  f.Int("workers", c.workers).AtLeast(0);
  f.Int("max_batch", c.max_batch).AtLeast(1);
  f.Bool("fast_cpu", c.fast_cpu);
  f.Object("sampling", c.sampling);
}

void Describe(Fields& f, AlgorithmConfig& c) {
  f.Enum("advantage", c.advantage,
         {{"grpo", AdvantageEstimator::kGrpo},
          {"dr_grpo", AdvantageEstimator::kDrGrpo},
          {"rloo", AdvantageEstimator::kRloo}});
  f.Enum("scale_rewards", c.scale_rewards,
         {{"group", RewardScaling::kGroup},
          {"batch", RewardScaling::kBatch},
          {"none", RewardScaling::kNone}});
  f.Enum("loss_agg", c.loss_agg,
         {{"token_mean", LossAggregation::kTokenMean},
          {"seq_mean_token_mean", LossAggregation::kSeqMeanTokenMean},
          {"seq_mean_token_sum_norm", LossAggregation::kSeqMeanTokenSumNorm}});
  f.Double("epsilon_low", c.epsilon_low).AtLeast(0.0).AtMost(1.0);
  f.Double("epsilon_high", c.epsilon_high).AtLeast(0.0);
  f.Double("beta", c.beta).AtLeast(0.0);
  f.Enum("kl_estimator", c.kl_estimator,
         {{"k1", KlEstimator::kK1}, {"k2", KlEstimator::kK2}, {"k3", KlEstimator::kK3}});
  f.Int("num_iterations", c.num_iterations).AtLeast(1);
  f.Enum("importance_level", c.importance_level,
         {{"token", ImportanceLevel::kToken}, {"sequence", ImportanceLevel::kSequence}});
  f.Double("clip_ratio_c", c.clip_ratio_c).AtLeast(0.0);
  f.Bool("mask_truncated_completions", c.mask_truncated_completions);
  f.Double("entropy_coeff", c.entropy_coeff);
  f.Double("tis_imp_ratio_cap", c.tis_imp_ratio_cap).AtLeast(0.0);
  if (f.reading() && c.clip_ratio_c != 0.0 && !(c.clip_ratio_c > 1.0)) {
    f.Error("clip_ratio_c", absl::StrCat("must be 0 (off) or > 1, got ", c.clip_ratio_c));
  }
}

void Describe(Fields& f, OptimizerConfig& c) {
  f.Double("lr", c.lr).GreaterThan(0.0);
  f.Double("weight_decay", c.weight_decay).AtLeast(0.0);
  f.DoubleList("betas", c.betas, 2);
  f.Double("eps", c.eps).GreaterThan(0.0);
  f.Double("grad_clip", c.grad_clip).AtLeast(0.0);
  f.Int("warmup_steps", c.warmup_steps).AtLeast(0);
  f.Enum("schedule", c.schedule,
         {{"constant", LrSchedule::kConstant}, {"cosine", LrSchedule::kCosine}});
  f.Double("min_lr_ratio", c.min_lr_ratio).Between(0.0, 1.0);
  if (f.reading()) {
    for (double b : c.betas) {
      if (!(b >= 0.0 && b < 1.0)) {
        f.Error("betas", "each beta must be in [0, 1)");
        break;
      }
    }
  }
}

void Describe(Fields& f, SftConfig& c) {
  f.String("path", c.path);
  f.Int("epochs", c.epochs).AtLeast(1);
  f.Int("steps", c.steps).AtLeast(0);
  f.Int("batch_size", c.batch_size).AtLeast(1);
  f.Int("max_length", c.max_length).AtLeast(2);
  f.Double("lr", c.lr).GreaterThan(0.0);
}

void Describe(Fields& f, LearnerConfig& c) {
  f.Object("algorithm", c.algorithm);
  f.Object("optimizer", c.optimizer);
  f.Int("micro_batch_tokens", c.micro_batch_tokens).AtLeast(1);
  f.Enum("compute_dtype", c.compute_dtype,
         {{"auto", DType::kAuto}, {"bf16", DType::kBFloat16}, {"fp32", DType::kFloat32}});
  f.Bool("gradient_checkpointing", c.gradient_checkpointing);
  f.Int("logprob_chunk_tokens", c.logprob_chunk_tokens).AtLeast(1);
  f.Bool("shard_optimizer", c.shard_optimizer);
  f.Double("collective_timeout_s", c.collective_timeout_s).GreaterThan(0.0);
  f.Object("sft", c.sft);
}

void Describe(Fields& f, ClusterConfig& c) {
  f.Bool("spawn", c.spawn);
  f.String("endpoint", c.endpoint);
  f.Int("learner_ranks", c.learner_ranks).Between(1, 4096);
  f.String("learner_master", c.learner_master);
  if (f.reading()) {
    const std::string& e = c.endpoint;
    if (e.rfind("tcp://", 0) != 0 && e.rfind("ipc://", 0) != 0 && e.rfind("inproc://", 0) != 0) {
      f.Error("endpoint", "must start with tcp://, ipc:// or inproc://, got \"" + e + "\"");
    }
    std::string host;
    int port = 0;
    if (!c.learner_master.empty() && !SplitHostPort(c.learner_master, &host, &port)) {
      f.Error("learner_master", "must be HOST:PORT (port 1-65535) or empty, got \"" +
                                    c.learner_master + "\"");
    }
  }
}

void Describe(Fields& f, Config& c) {
  f.Object("run", c.run);
  f.Object("model", c.model);
  f.Object("data", c.data);
  f.Object("rollout", c.rollout);
  f.Object("reward", c.reward);
  f.Object("learner", c.learner);
  f.Object("cluster", c.cluster);
}

// ---- layering and overrides ----

namespace {

using Origins = std::map<std::string, core::JsonOrigin>;

// Drops the origins of `path` and everything below it.
void EraseSubtree(Origins& origins, const std::string& path) {
  for (auto it = origins.lower_bound(path); it != origins.end();) {
    const std::string& k = it->first;
    bool below = k == path || (k.size() > path.size() && k.compare(0, path.size(), path) == 0 &&
                               (k[path.size()] == '.' || k[path.size()] == '['));
    if (!below) {
      if (k.compare(0, path.size(), path) != 0) break;
      ++it;
      continue;
    }
    it = origins.erase(it);
  }
}

void CopySubtree(const Origins& from, Origins& to, const std::string& path) {
  for (auto it = from.lower_bound(path); it != from.end(); ++it) {
    const std::string& k = it->first;
    if (k.compare(0, path.size(), path) != 0) break;
    if (k.size() == path.size() || k[path.size()] == '.' || k[path.size()] == '[') {
      to[k] = it->second;
    }
  }
}

// Merges `src` into `dst` (both objects): nested objects merge, anything else replaces.
void MergeObjects(rapidjson::Value& dst, const rapidjson::Value& src, const std::string& path,
                  rapidjson::Document::AllocatorType& allocator, Origins& dst_origins,
                  const Origins& src_origins) {
  for (auto it = src.MemberBegin(); it != src.MemberEnd(); ++it) {
    std::string key(it->name.GetString(), it->name.GetStringLength());
    std::string child = core::JoinKeyPath(path, key);
    auto existing = dst.FindMember(it->name);
    if (existing != dst.MemberEnd() && existing->value.IsObject() && it->value.IsObject()) {
      MergeObjects(existing->value, it->value, child, allocator, dst_origins, src_origins);
      continue;
    }
    EraseSubtree(dst_origins, child);
    CopySubtree(src_origins, dst_origins, child);
    rapidjson::Value copy(it->value, allocator);
    if (existing != dst.MemberEnd()) {
      existing->value = std::move(copy);
    } else {
      dst.AddMember(rapidjson::Value(key, allocator), copy, allocator);
    }
  }
}

// Splits "a.b[2].c" into {"a", "b", "[2]", "c"}; empty on a malformed path.
std::vector<std::string> SplitKeyPath(const std::string& path) {
  std::vector<std::string> parts;
  std::string current;
  for (size_t i = 0; i < path.size(); ++i) {
    char ch = path[i];
    if (ch == '.') {
      if (current.empty() && (parts.empty() || parts.back()[0] != '[')) return {};
      if (!current.empty()) parts.push_back(current);
      current.clear();
    } else if (ch == '[') {
      if (!current.empty()) parts.push_back(current);
      current.clear();
      size_t close = path.find(']', i);
      if (close == std::string::npos || close == i + 1) return {};
      std::string index = path.substr(i + 1, close - i - 1);
      if (index.find_first_not_of("0123456789") != std::string::npos) return {};
      parts.push_back("[" + index + "]");
      i = close;
    } else {
      current += ch;
    }
  }
  if (!current.empty()) parts.push_back(current);
  else if (parts.empty() || path.back() == '.') return {};
  return parts;
}

absl::Status ApplyOverride(const std::string& override_text, rapidjson::Document& doc,
                           Origins& origins) {
  const std::string where = "--set " + override_text;
  size_t eq = override_text.find('=');
  if (eq == std::string::npos) {
    return absl::InvalidArgumentError(where + ": expected KEY=VALUE, e.g. --set run.steps=10");
  }
  std::string key = override_text.substr(0, eq);
  std::string value_text = override_text.substr(eq + 1);
  std::vector<std::string> parts = SplitKeyPath(key);
  if (parts.empty()) {
    return absl::InvalidArgumentError(where + ": malformed key \"" + key +
                                      "\"; expected dotted names like rollout.sampling.n");
  }
  auto& allocator = doc.GetAllocator();
  // VALUE is JSON when it parses as JSON; a bare word is a string (--set run.name=exp1).
  rapidjson::Document parsed(&allocator);
  parsed.Parse(value_text.c_str());
  bool is_json = !parsed.HasParseError();
  rapidjson::Value value;
  if (is_json) {
    value.CopyFrom(parsed, allocator);
  } else {
    value.SetString(value_text, allocator);
  }
  rapidjson::Value* node = &doc;
  std::string path;
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string& part = parts[i];
    bool last = i + 1 == parts.size();
    if (part[0] == '[') {
      size_t index = std::stoul(part.substr(1, part.size() - 2));
      if (!node->IsArray() || index >= node->Size()) {
        return absl::InvalidArgumentError(where + ": \"" + path + "\" has no element " +
                                          std::to_string(index));
      }
      path = core::IndexKeyPath(path, index);
      node = &(*node)[static_cast<rapidjson::SizeType>(index)];
      if (last) *node = value;
      continue;
    }
    if (!node->IsObject()) {
      return absl::InvalidArgumentError(where + ": \"" + path +
                                        "\" is not an object, so it has no key \"" + part + "\"");
    }
    path = core::JoinKeyPath(path, part);
    auto it = node->FindMember(part.c_str());
    if (it == node->MemberEnd()) {
      rapidjson::Value fresh(last ? rapidjson::kNullType : rapidjson::kObjectType);
      node->AddMember(rapidjson::Value(part, allocator), fresh, allocator);
      it = node->FindMember(part.c_str());
    }
    node = &it->value;
    if (last) *node = value;
  }
  EraseSubtree(origins, path);
  origins[path] = core::JsonOrigin{where, 0};
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Config> LoadConfigFromSources(const std::vector<ConfigSource>& sources,
                                             const std::vector<std::string>& overrides) {
  rapidjson::Document merged(rapidjson::kObjectType);
  Origins origins;
  std::vector<std::string> problems;
  for (const ConfigSource& source : sources) {
    absl::StatusOr<core::PositionedJson> layer =
        core::ParseJsonWithPositions(source.text, source.name);
    if (!layer.ok()) {
      problems.push_back(std::string(layer.status().message()));
      continue;
    }
    if (!layer->doc.IsObject()) {
      problems.push_back(source.name + ": the top level must be a JSON object");
      continue;
    }
    MergeObjects(merged, layer->doc, "", merged.GetAllocator(), origins, layer->origins);
  }
  for (const std::string& o : overrides) {
    absl::Status applied = ApplyOverride(o, merged, origins);
    if (!applied.ok()) problems.push_back(std::string(applied.message()));
  }
  if (!problems.empty()) return absl::InvalidArgumentError(absl::StrJoin(problems, "\n"));

  Config config;
  std::vector<ConfigError> errors;
  Fields root(&merged, "", &origins, &errors);
  Describe(root, config);
  root.ReportUnknownKeys();
  if (!errors.empty()) {
    std::vector<std::string> lines;
    for (const ConfigError& e : errors) lines.push_back(e.ToString());
    return absl::InvalidArgumentError(absl::StrJoin(lines, "\n"));
  }
  return config;
}

absl::StatusOr<Config> LoadConfig(const std::vector<std::string>& paths,
                                  const std::vector<std::string>& overrides) {
  std::vector<ConfigSource> sources;
  for (const std::string& path : paths) {
    absl::StatusOr<std::string> text = core::ReadFile(path);
    if (!text.ok()) {
      return absl::InvalidArgumentError("config file " + std::string(text.status().message()));
    }
    sources.push_back({path, *std::move(text)});
  }
  return LoadConfigFromSources(sources, overrides);
}

bool SplitHostPort(const std::string& text, std::string* host, int* port) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) return false;
  const std::string digits = text.substr(colon + 1);
  if (digits.size() > 5 || digits.find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  const int value = std::stoi(digits);
  if (value < 1 || value > 65535) return false;
  std::string name = text.substr(0, colon);
  if (name.size() >= 2 && name.front() == '[' && name.back() == ']') {
    name = name.substr(1, name.size() - 2);
  }
  if (name.empty()) return false;
  *host = name;
  *port = value;
  return true;
}

std::string ConfigToJson(const Config& config) {
  rapidjson::Document doc(rapidjson::kObjectType);
  Fields writer(&doc, &doc.GetAllocator());
  Describe(writer, const_cast<Config&>(config));  // the writer only reads the struct
  return core::JsonToString(doc, /*pretty=*/true);
}

const char* DTypeName(DType dtype) {
  switch (dtype) {
    case DType::kBFloat16: return "bf16";
    case DType::kFloat32: return "fp32";
    case DType::kFloat16: return "fp16";
    case DType::kAuto: return "auto";
  }
  return "?";
}

}  // namespace zerorl::config
