// `zerorl data preview`: load a config's data section (or one file under a preset) and print
// the first problems as the trainer will see them, one JSON object per line.
#include <iostream>
#include <memory>

#include "cli/command.h"
#include "config/config.h"
#include "core/json.h"
#include "datasets/datasets.h"
#include "datasets/sampler.h"

namespace zerorl::cli {
namespace {

struct PreviewArgs {
  ConfigArgs config;
  std::string preset;
  std::string path;
  std::string eval;
  int n = 3;
  bool sampled = false;
};

void PrintStats(const datasets::Dataset& d) {
  const datasets::LoadStats& s = d.stats();
  std::cerr << d.name() << ": " << d.size() << " problems";
  if (s.rows_read > 0) {
    std::cerr << " (" << s.rows_read << " rows read, " << s.bad_lines
              << " malformed skipped, " << s.dropped << " left out)";
  }
  std::cerr << "\n";
  for (const std::string& bad : s.first_bad_lines) std::cerr << "  skipped " << bad << "\n";
}

int RunPreview(const PreviewArgs& args) {
  const char* kName = "data preview";
  std::vector<std::string> overrides;
  if (!args.preset.empty()) {
    // A JSON object override replaces data.train; later --set keys still refine it.
    rapidjson::Document train(rapidjson::kObjectType);
    train.AddMember("preset", rapidjson::Value(args.preset, train.GetAllocator()),
                    train.GetAllocator());
    if (!args.path.empty()) {
      train.AddMember("path", rapidjson::Value(args.path, train.GetAllocator()),
                      train.GetAllocator());
    }
    overrides.push_back("data.train=" + core::JsonToString(train));
  } else if (!args.path.empty()) {
    std::cerr << "zerorl " << kName << ": --path needs --preset\n";
    return kExitBadInput;
  }
  overrides.insert(overrides.end(), args.config.overrides.begin(), args.config.overrides.end());
  absl::StatusOr<config::Config> config = config::LoadConfig(args.config.files, overrides);
  if (!config.ok()) return ReportError(kName, config.status());
  absl::StatusOr<datasets::DataSets> data = datasets::OpenData(config->data);
  if (!data.ok()) return ReportError(kName, data.status());
  const datasets::Dataset* shown = &data->train;
  PrintStats(data->train);
  for (const datasets::Dataset& eval : data->eval) {
    PrintStats(eval);
    if (eval.name() == args.eval) shown = &eval;
  }
  if (!args.eval.empty() && shown->name() != args.eval) {
    return ReportError(kName, absl::InvalidArgumentError("no eval set named \"" + args.eval +
                                                         "\" in data.eval"));
  }
  std::vector<size_t> rows;
  if (args.sampled) {
    datasets::PromptSampler sampler(*shown, datasets::DataCursor{0, 0, config->run.seed, 0},
                                    config->data.shuffle);
    absl::StatusOr<std::vector<size_t>> indices = sampler.NextIndices(args.n);
    if (!indices.ok()) return ReportError(kName, indices.status());
    rows = *indices;
  } else {
    for (size_t i = 0; i < shown->size() && i < static_cast<size_t>(args.n); ++i) rows.push_back(i);
  }
  for (size_t i : rows) {
    absl::StatusOr<datasets::Problem> problem = shown->Get(i);
    if (!problem.ok()) return ReportError(kName, problem.status());
    std::cout << ProblemToJson(*problem) << "\n";
  }
  return kExitOk;
}

}  // namespace

void AddDataCommand(CLI::App& app, CommandMain* run) {
  CLI::App* data = app.add_subcommand("data", "inspect datasets");
  data->require_subcommand(1);
  auto args = std::make_shared<PreviewArgs>();
  CLI::App* preview = data->add_subcommand(
      "preview",
      "load data.train and data.eval as a run would (counting malformed rows) and print the "
      "first problems as JSON lines; --preset NAME --path FILE loads one file without a config");
  AddConfigArgs(preview, &args->config, /*positional_files=*/true);
  preview->add_option("--preset", args->preset,
                      "dataset preset for --path (gsm8k, math, math500, humaneval, mbpp, "
                      "generic) or a synthetic one (arithmetic, countdown)");
  preview->add_option("--path", args->path, "JSONL file read under --preset");
  preview->add_option("--eval", args->eval, "show this eval set instead of data.train");
  preview->add_option("--n", args->n, "how many problems to print (default 3)")
      ->check(CLI::PositiveNumber);
  preview->add_flag("--sampled", args->sampled,
                    "print them in the order training draws them (run.seed, data.shuffle)");
  preview->callback([run, args] { *run = [args] { return RunPreview(*args); }; });
}

}  // namespace zerorl::cli
