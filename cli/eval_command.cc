// `zerorl eval`: pass@k, maj@k and length statistics of a model on a math or code dataset.
//
//   zerorl eval --model DIR --dataset NAME|FILE [--n K] [--temperature T] [--top-p P]
//       [--max-new-tokens N] [--template NAME] [--output DIR] [--limit N] [--seed S]
//       [--preset NAME] [--data-dir DIR] [--tokenizer PATH] [--config FILE]... [--set K=V]...
//   zerorl eval --completions FILE --dataset NAME|FILE ...      (replay: no model)
//
// Settings come from the run config (--config, --set; defaults in config/config.h), and the
// flags above override their keys: --model model.path, --tokenizer model.tokenizer, --n /
// --temperature / --top-p / --max-new-tokens rollout.sampling.*, --template data.template,
// --seed run.seed. Stop strings, dtype, device, threads and max_batch are the config's.
//
// --dataset: an existing FILE (preset from --preset, else guessed from its first row's keys:
// task_id+entry_point humaneval, test_list mbpp, question+answer gsm8k, unique_id math500,
// problem math, else generic); else the name of a data.eval set of the config; else a preset
// name: arithmetic and countdown are generated, and gsm8k, math500, math, humaneval, mbpp
// are read from --data-dir (default $ZERORL_DATA) as gsm8k/test.jsonl, math/test.jsonl,
// math/math_test_5000.jsonl, humaneval/HumanEval.jsonl, mbpp/mbpp.jsonl.
//
// Writes OUTPUT/problems.jsonl and OUTPUT/summary.json (formats in eval/report.h; OUTPUT
// defaults to <run.output_dir>/eval/<dataset>), prints summary.json on stdout, a progress
// line with ETA and a one-line summary on stderr. Exit 2 for bad input (flags, config,
// dataset, model folder, a malformed --completions line), 1 for a runtime failure.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/command.h"
#include "config/config.h"
#include "core/json.h"
#include "core/status.h"
#include "datasets/datasets.h"
#include "eval/metrics.h"
#include "eval/progress.h"
#include "eval/replay.h"
#include "eval/report.h"
#include "eval/scoring.h"
#include "model/dtype.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"
#include "rollout/engine.h"
#include "tokenizer/templates.h"
#include "tokenizer/tokenizer.h"
#include "train/machine.h"

namespace zerorl::cli {
namespace {

namespace fs = std::filesystem;
using eval::Completion;
using eval::ProblemInput;
using eval::ProblemResult;

struct EvalArgs {
  ConfigArgs config;
  std::string model, tokenizer, dataset, preset, data_dir, output, completions, template_name;
  int n = 0, limit = 0;
  double temperature = 0, top_p = 0;
  int64_t max_new_tokens = 0, seed = 0;
  // Which optional flags were given (they override config keys only then).
  std::vector<std::pair<const CLI::Option*, std::string>> overrides;  // option, "key=%s"
};

// Where a JSONL preset's file lives under --data-dir (the layout of ../shared/data).
const char* PresetFile(const std::string& preset) {
  if (preset == "gsm8k") return "gsm8k/test.jsonl";
  if (preset == "math500") return "math/test.jsonl";
  if (preset == "math") return "math/math_test_5000.jsonl";
  if (preset == "humaneval") return "humaneval/HumanEval.jsonl";
  if (preset == "mbpp") return "mbpp/mbpp.jsonl";
  return nullptr;
}

// The preset a JSONL file looks like, from the keys of its first row.
std::string GuessPreset(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line) && line.find_first_not_of(" \t\r") == std::string::npos) {
  }
  absl::StatusOr<rapidjson::Document> doc = core::ParseJson(line);
  if (!doc.ok() || !doc->IsObject()) return "generic";
  auto has = [&](const char* key) { return doc->HasMember(key); };
  if (has("task_id") && has("entry_point")) return "humaneval";
  if (has("test_list")) return "mbpp";
  if (has("question") && has("answer")) return "gsm8k";
  if (has("unique_id")) return "math500";
  if (has("problem")) return "math";
  return "generic";
}

absl::StatusOr<config::DatasetConfig> ResolveDataset(const EvalArgs& args,
                                                     const config::Config& config) {
  config::DatasetConfig d;
  std::error_code ec;
  if (fs::is_regular_file(args.dataset, ec)) {
    d.preset = args.preset.empty() ? GuessPreset(args.dataset) : args.preset;
    d.path = args.dataset;
  } else if (auto it = std::find_if(
                 config.data.eval.begin(), config.data.eval.end(),
                 [&](const config::DatasetConfig& e) { return e.Name() == args.dataset; });
             it != config.data.eval.end()) {
    d = *it;
  } else if (args.dataset == "arithmetic" || args.dataset == "countdown") {
    d.preset = args.dataset;
  } else if (const char* relative = PresetFile(args.dataset)) {
    std::string dir = args.data_dir;
    if (dir.empty() && std::getenv("ZERORL_DATA") != nullptr) dir = std::getenv("ZERORL_DATA");
    if (dir.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--dataset ", args.dataset, ": give the file (--dataset PATH) or --data-dir DIR (or "
          "$ZERORL_DATA) holding ", relative));
    }
    d.preset = args.dataset;
    d.path = dir + "/" + relative;
    if (!fs::is_regular_file(d.path, ec)) {
      return absl::NotFoundError(absl::StrCat("--dataset ", args.dataset, ": no file ", d.path));
    }
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "--dataset ", args.dataset, ": not a file, not a data.eval set of the config, and not a "
        "preset (gsm8k, math500, math, humaneval, mbpp, arithmetic, countdown)"));
  }
  if (!args.preset.empty()) d.preset = args.preset;
  if (args.limit > 0) d.limit = args.limit;
  return d;
}

absl::StatusOr<std::vector<datasets::Problem>> LoadProblems(const config::DatasetConfig& d,
                                                            const config::Config& config) {
  absl::StatusOr<datasets::Dataset> data = datasets::LoadDataset(d, config.data.on_bad_line);
  if (!data.ok()) return core::Annotate(data.status(), "--dataset");
  for (const std::string& bad : data->stats().first_bad_lines) std::cerr << "  skipped " << bad << "\n";
  std::vector<datasets::Problem> problems;
  for (size_t i = 0; i < data->size(); ++i) {
    absl::StatusOr<datasets::Problem> p = data->Get(i);
    if (!p.ok()) return p.status();
    problems.push_back(*std::move(p));
  }
  return problems;
}

// The text a string flag becomes in a --set override: a JSON string, so "123" stays a string.
std::string JsonString(const std::string& s) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  return buffer.GetString();
}

// SplitMix64 of (seed, index): unrelated sample streams for every problem.
uint64_t ProblemSeed(int64_t seed, size_t index) {
  uint64_t z = static_cast<uint64_t>(seed) + 0x9E3779B97F4A7C15ull * (index + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Produces the completions of problems [begin, end): by the engine, or from replayed lines.
using CompletionSource =
    std::function<absl::Status(size_t begin, size_t end, std::vector<ProblemInput>* inputs)>;

struct Timings {
  double generation_s = 0, scoring_s = 0;
};

double Since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// Runs `source` over `count` problems in chunks of `chunk`, scores each chunk and appends its
// lines to problems.jsonl.
absl::StatusOr<std::vector<ProblemResult>> RunChunks(size_t count, size_t chunk,
                                                     const CompletionSource& source,
                                                     eval::Scorer* scorer, std::ofstream* lines,
                                                     const std::string& label, Timings* timings) {
  eval::Progress progress(label, static_cast<int64_t>(count), &std::cerr, ::isatty(2) == 1);
  std::vector<ProblemResult> results;
  for (size_t begin = 0; begin < count; begin += chunk) {
    size_t end = std::min(count, begin + chunk);
    std::vector<ProblemInput> inputs;
    auto started = std::chrono::steady_clock::now();
    RETURN_IF_ERROR(source(begin, end, &inputs));
    timings->generation_s += Since(started);
    started = std::chrono::steady_clock::now();
    for (ProblemResult& r : scorer->Score(std::move(inputs))) {
      *lines << eval::ProblemLine(r, static_cast<int64_t>(results.size())) << "\n";
      results.push_back(std::move(r));
    }
    timings->scoring_s += Since(started);
    lines->flush();
    if (!*lines) return absl::InternalError("writing problems.jsonl failed");
    progress.Update(static_cast<int64_t>(end));
  }
  progress.Finish();
  return results;
}

struct Session {
  config::Config config;
  std::vector<datasets::Problem> problems;
  tokenizer::PromptTemplate tmpl;
  std::string dataset_name, dataset_path;
  train::MachineSetup machine;  // precision and threads, resolved by PrepareSession
};

std::string Render(const Session& s, const datasets::Problem& p) {
  return s.tmpl.Render(p.system_prompt, p.prompt, p.instruction);
}

// Generate mode: the model's samples for each problem, `chunk` problems per engine call.
absl::StatusOr<CompletionSource> EngineSource(const Session& s,
                                              std::shared_ptr<rollout::Engine>* holder) {
  if (s.config.model.path.empty()) {
    return absl::InvalidArgumentError("--model DIR is required (or model.path in --config), "
                                      "unless --completions FILE replays saved completions");
  }
  model::LoadOptions load;
  load.dtype = model::ScalarTypeOf(s.config.model.dtype);
  try {
    load.device = torch::Device(s.config.model.device);
  } catch (const c10::Error&) {
    return absl::InvalidArgumentError("model.device: not a device: " + s.config.model.device);
  }
  absl::StatusOr<std::unique_ptr<rollout::Engine>> engine =
      rollout::Engine::Load(s.config.model.path, s.config.model.tokenizer, load,
                            rollout::EngineOptionsFromConfig(s.config));
  if (!engine.ok()) return core::Annotate(engine.status(), "--model " + s.config.model.path);
  if (!(*engine)->tokenizer()) return absl::InvalidArgumentError("--model: no tokenizer");
  *holder = std::shared_ptr<rollout::Engine>(std::move(*engine));
  std::shared_ptr<rollout::Engine> e = *holder;
  rollout::GenerationParams params = rollout::GenerationParams::FromConfig(s.config.rollout.sampling);
  return CompletionSource([&s, e, params](size_t begin, size_t end, std::vector<ProblemInput>* inputs) {
    tokenizer::EncodeOptions encode;
    encode.add_special_tokens = s.tmpl.add_special_tokens();
    std::vector<rollout::PromptInput> prompts;
    for (size_t i = begin; i < end; ++i) {
      inputs->push_back({s.problems[i], Render(s, s.problems[i]), {}});
      prompts.push_back({e->tokenizer()->Encode(inputs->back().prompt_text, encode),
                         ProblemSeed(s.config.run.seed, i)});
    }
    absl::StatusOr<std::vector<rollout::SampleOutput>> samples = e->Generate(prompts, params);
    if (!samples.ok()) return samples.status();
    for (rollout::SampleOutput& out : *samples) {
      Completion c;
      c.text = std::move(out.text);
      c.num_tokens = static_cast<int64_t>(out.completion_ids.size());
      c.finish_reason = wire::FinishReasonName(out.finish_reason);
      (*inputs)[out.prompt_index].completions.push_back(std::move(c));
    }
    return absl::OkStatus();
  });
}

// Replay mode: the saved completions, in file order; lengths from a tokenizer when one is
// configured (model.tokenizer, else model.path) and the line does not give them.
absl::StatusOr<CompletionSource> ReplaySource(Session* s, const std::string& path,
                                              int* most_samples) {
  ASSIGN_OR_RETURN(std::vector<eval::ReplayLine> lines, eval::ReadReplayFile(path));
  ASSIGN_OR_RETURN(std::vector<size_t> order, eval::MatchReplay(lines, s->problems, path));
  std::shared_ptr<tokenizer::Tokenizer> tok;
  std::string tok_path = s->config.model.tokenizer.empty() ? s->config.model.path : s->config.model.tokenizer;
  if (!tok_path.empty()) {
    absl::StatusOr<tokenizer::Tokenizer> loaded = tokenizer::Tokenizer::Load(tok_path);
    if (!loaded.ok()) return core::Annotate(loaded.status(), "--tokenizer");
    tok = std::make_shared<tokenizer::Tokenizer>(*std::move(loaded));
  }
  std::vector<datasets::Problem> reordered;
  for (size_t i : order) reordered.push_back(s->problems[i]);
  s->problems = std::move(reordered);
  for (const eval::ReplayLine& line : lines) {
    *most_samples = std::max(*most_samples, static_cast<int>(line.completions.size()));
  }
  auto shared = std::make_shared<std::vector<eval::ReplayLine>>(std::move(lines));
  return CompletionSource([s, shared, tok](size_t begin, size_t end, std::vector<ProblemInput>* inputs) {
    for (size_t i = begin; i < end; ++i) {
      ProblemInput in{s->problems[i], Render(*s, s->problems[i]), (*shared)[i].completions};
      for (Completion& c : in.completions) {
        if (c.num_tokens < 0 && tok) c.num_tokens = static_cast<int64_t>(tok->Encode(c.text).size());
      }
      inputs->push_back(std::move(in));
    }
    return absl::OkStatus();
  });
}

std::vector<datasets::TaskKind> KindsOf(const std::vector<datasets::Problem>& problems) {
  std::vector<datasets::TaskKind> kinds;
  for (const datasets::Problem& p : problems) {
    if (std::find(kinds.begin(), kinds.end(), p.kind) == kinds.end()) kinds.push_back(p.kind);
  }
  return kinds;
}

absl::Status PrepareSession(const EvalArgs& args, Session* s) {
  std::vector<std::string> overrides;
  for (const auto& [option, key] : args.overrides) {
    if (option->count() == 0) continue;
    std::string value = option->as<std::string>();
    bool text = key == "model.path" || key == "model.tokenizer" || key == "data.template";
    overrides.push_back(key + "=" + (text ? JsonString(value) : value));
  }
  overrides.insert(overrides.end(), args.config.overrides.begin(), args.config.overrides.end());
  ASSIGN_OR_RETURN(s->config, config::LoadConfig(args.config.files, overrides));
  ASSIGN_OR_RETURN(s->machine, train::ApplyMachineSetup(&s->config, config::ProcessRole::kAlone));
  ASSIGN_OR_RETURN(config::DatasetConfig d, ResolveDataset(args, s->config));
  ASSIGN_OR_RETURN(s->problems, LoadProblems(d, s->config));
  absl::StatusOr<tokenizer::PromptTemplate> tmpl =
      tokenizer::PromptTemplate::FromName(s->config.data.template_name);
  if (!tmpl.ok()) return core::Annotate(tmpl.status(), "--template");
  s->tmpl = *std::move(tmpl);
  s->dataset_name = d.Name();
  s->dataset_path = d.path;
  return absl::OkStatus();
}

int RunEval(const EvalArgs& args) {
  const char* kName = "eval";
  auto started = std::chrono::steady_clock::now();
  Session s{{}, {}, *tokenizer::PromptTemplate::FromName("plain"), "", "", {}};
  absl::Status prepared = PrepareSession(args, &s);
  if (!prepared.ok()) return ReportError(kName, prepared);

  eval::RunInfo info;
  info.dataset = s.dataset_name;
  info.dataset_path = s.dataset_path;
  const config::SamplingConfig& sampling = s.config.rollout.sampling;
  std::shared_ptr<rollout::Engine> engine;
  absl::StatusOr<CompletionSource> source;
  if (!args.completions.empty()) {
    info.mode = "replay";
    info.completions = args.completions;
    info.n = 0;
    source = ReplaySource(&s, args.completions, &info.n);
  } else {
    info.model = s.config.model.path;
    info.n = sampling.n;
    info.temperature = sampling.temperature;
    info.top_p = sampling.top_p;
    info.max_new_tokens = sampling.max_new_tokens;
    info.seed = s.config.run.seed;
    std::cerr << "zerorl eval: " << s.machine.Summary() << "\n";  // replay runs no model
    source = EngineSource(s, &engine);
  }
  if (!source.ok()) return ReportError(kName, source.status());
  info.template_name = s.config.data.template_name;

  reward::RewardPipelineOptions pipeline_options;
  pipeline_options.default_max_length = sampling.max_new_tokens;
  absl::StatusOr<std::unique_ptr<eval::Scorer>> scorer =
      eval::Scorer::Create(s.config.reward, KindsOf(s.problems), pipeline_options);
  if (!scorer.ok()) return ReportError(kName, scorer.status());
  info.reward_functions = (*scorer)->function_names();
  if (!s.problems.empty()) info.correctness_function = (*scorer)->CorrectnessFunction(s.problems[0].kind);

  std::string output = args.output.empty()
                           ? s.config.run.output_dir + "/eval/" + s.dataset_name
                           : args.output;
  std::error_code ec;
  fs::create_directories(output, ec);
  std::ofstream lines(output + "/problems.jsonl", std::ios::trunc);
  if (ec || !lines) {
    return ReportError(kName, absl::InvalidArgumentError(absl::StrCat(
                                  "--output ", output, ": cannot write there",
                                  ec ? ": " + ec.message() : "")));
  }
  std::cerr << "zerorl eval: " << s.problems.size() << " problems of " << s.dataset_name
            << (info.mode == "replay" ? " (replayed from " + args.completions + ")"
                                      : absl::StrCat(", ", info.n, " samples each at temperature ",
                                                     info.temperature))
            << " -> " << output << "\n";
  int per_call = std::max(1, 4 * s.config.rollout.max_batch / std::max(1, info.n));
  Timings timings;
  absl::StatusOr<std::vector<ProblemResult>> results =
      RunChunks(s.problems.size(), static_cast<size_t>(per_call), *source, scorer->get(), &lines,
                s.dataset_name, &timings);
  if (!results.ok()) return ReportError(kName, results.status());
  lines.close();

  bool majority = std::any_of(s.problems.begin(), s.problems.end(), [](const datasets::Problem& p) {
    return p.kind == datasets::TaskKind::kMath;
  });
  eval::EvalMetrics metrics = eval::Summarize(eval::StatsOf(*results), majority);
  info.wall_time_s = Since(started);
  info.generation_s = timings.generation_s;
  info.scoring_s = timings.scoring_s;
  std::string summary = eval::SummaryJson(info, metrics);
  absl::Status written = core::WriteFileAtomic(output + "/summary.json", summary);
  if (!written.ok()) return ReportError(kName, written);
  std::cout << summary;
  std::cerr << "zerorl eval: " << eval::SummaryLine(metrics) << "\n";
  return kExitOk;
}

}  // namespace

void AddEvalCommand(CLI::App& app, CommandMain* run) {
  auto args = std::make_shared<EvalArgs>();
  CLI::App* cmd = app.add_subcommand(
      "eval",
      "evaluate a model (or replayed completions) on a math or code dataset: pass@k, maj@k, "
      "lengths, truncation; writes OUTPUT/problems.jsonl and OUTPUT/summary.json");
  AddConfigArgs(cmd, &args->config, /*positional_files=*/false);
  auto over = [&](CLI::Option* option, const char* key) { args->overrides.emplace_back(option, key); };
  over(cmd->add_option("--model", args->model, "Hugging Face model folder (sets model.path)"),
       "model.path");
  over(cmd->add_option("--tokenizer", args->tokenizer,
                       "tokenizer folder or tokenizer.json (sets model.tokenizer; replay: counts "
                       "completion tokens)"),
       "model.tokenizer");
  cmd->add_option("--dataset", args->dataset,
                  "a JSONL file, a data.eval set name of the config, or a preset (gsm8k, math500, "
                  "math, humaneval, mbpp with --data-dir; arithmetic, countdown)")
      ->required();
  cmd->add_option("--preset", args->preset, "the preset of a --dataset FILE (default: guessed)");
  cmd->add_option("--data-dir", args->data_dir,
                  "folder with gsm8k/ math/ humaneval/ mbpp/ for preset names (default $ZERORL_DATA)");
  over(cmd->add_option("--n", args->n, "samples per problem (rollout.sampling.n)")
           ->check(CLI::PositiveNumber),
       "rollout.sampling.n");
  over(cmd->add_option("--temperature", args->temperature, "0 = greedy (rollout.sampling.temperature)"),
       "rollout.sampling.temperature");
  over(cmd->add_option("--top-p", args->top_p, "nucleus mass in (0, 1] (rollout.sampling.top_p)"),
       "rollout.sampling.top_p");
  over(cmd->add_option("--max-new-tokens", args->max_new_tokens,
                       "tokens per completion at most (rollout.sampling.max_new_tokens)")
           ->check(CLI::PositiveNumber),
       "rollout.sampling.max_new_tokens");
  over(cmd->add_option("--template", args->template_name,
                       "prompt template: r1, chatml, llama3, deepseek_v3, deepseek_r1, plain, or a "
                       "text with {prompt} (data.template)"),
       "data.template");
  over(cmd->add_option("--seed", args->seed, "problem i samples from SplitMix64(seed, i) (run.seed)"),
       "run.seed");
  cmd->add_option("--limit", args->limit, "evaluate only the first N problems")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--output", args->output,
                  "folder for problems.jsonl and summary.json (default <run.output_dir>/eval/<dataset>)");
  cmd->add_option("--completions", args->completions,
                  "replay: score JSON lines {\"id\"|\"index\", \"completions\": [...]} instead of "
                  "generating (eval/replay.h)");
  cmd->callback([run, args] { *run = [args] { return RunEval(*args); }; });
}

}  // namespace zerorl::cli
