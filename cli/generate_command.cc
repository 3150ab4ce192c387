// `zerorl generate`: sample completions for JSON-lines prompts with the rollout engine.
//
//   zerorl generate --model DIR [--tokenizer PATH] [--input FILE|-] [--max-new-tokens N]
//       [--temperature T] [--top-p P] [--top-k K] [--min-p P] [--n G] [--seed S]
//       [--dtype auto|bf16|fp32] [--template NAME] [--top-logits K] [--stop STR]...
//       [--device cpu|cuda[:N]] [--threads N] [--max-batch B]
//
// Input lines: {"prompt": str} (rendered with --template, then encoded) or
// {"prompt_ids": [int, ...]}. Blank lines are skipped; the others are numbered from 0 in
// order (prompt_index). Every prompt is generated in one engine call (batched, --n samples
// each from one prefill). Output, in input order, one line per prompt and sample:
//   {"prompt_index": i, "sample_index": j, "completion_ids": [...], "completion": str,
//    "logprobs": [...], "finish_reason": "stop"|"length"[, "top_logits": [[[id, logit], ...],
//    ...]]}
// A line that cannot be used gets {"prompt_index": i, "error": "line N: why"} instead and the
// rest go on (exit 0). A model or tokenizer that cannot be loaded exits 2.
#include <charconv>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/command.h"
#include "config/precision.h"
#include "core/json.h"
#include "core/status.h"
#include "model/dtype.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"
#include "rollout/engine.h"
#include "tokenizer/templates.h"
#include "train/machine.h"

namespace zerorl::cli {
namespace {

using rollout::Engine;
using rollout::GenerationParams;
using rollout::PromptInput;
using rollout::SampleOutput;
using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

struct GenerateArgs {
  std::string model;
  std::string tokenizer;
  std::string input = "-";
  int64_t max_new_tokens = 128;
  double temperature = 1.0;
  double top_p = 1.0;
  int top_k = 0;
  double min_p = 0.0;
  int n = 1;
  uint64_t seed = 0;
  std::string dtype = "auto";
  std::string template_name = "plain";
  int top_logits = 0;
  std::vector<std::string> stop;
  std::string device = "cpu";
  int threads = 0;
  int max_batch = 64;
};

// A prompt line: the ids to generate from, or why the line is unusable.
struct InputLine {
  int64_t line_number = 0;
  std::vector<int32_t> ids;
  std::string error;  // non-empty: no generation
};

// Prompt i's seed: SplitMix64 of (seed, i), so that prompts get unrelated streams.
uint64_t PromptSeed(uint64_t seed, int64_t index) {
  uint64_t z = seed + 0x9E3779B97F4A7C15ull * static_cast<uint64_t>(index + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

void WriteFloat(Writer& w, float value) {
  char buffer[32];
  auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);  // shortest round trip
  w.RawValue(buffer, static_cast<size_t>(result.ptr - buffer), rapidjson::kNumberType);
}

void WriteString(Writer& w, const std::string& s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

std::string SampleLine(const SampleOutput& s, int64_t prompt_index, bool top_logits) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("prompt_index");
  w.Int64(prompt_index);
  w.Key("sample_index");
  w.Int(s.sample_index);
  w.Key("completion_ids");
  w.StartArray();
  for (int32_t id : s.completion_ids) w.Int(id);
  w.EndArray();
  w.Key("completion");
  WriteString(w, s.text);
  w.Key("logprobs");
  w.StartArray();
  for (float lp : s.logprobs) WriteFloat(w, lp);
  w.EndArray();
  w.Key("finish_reason");
  w.String(wire::FinishReasonName(s.finish_reason));
  if (top_logits) {
    w.Key("top_logits");
    w.StartArray();
    for (const auto& position : s.top_logits) {
      w.StartArray();
      for (const auto& [id, logit] : position) {
        w.StartArray();
        w.Int(id);
        WriteFloat(w, logit);
        w.EndArray();
      }
      w.EndArray();
    }
    w.EndArray();
  }
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string ErrorLine(int64_t prompt_index, const InputLine& line) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("prompt_index");
  w.Int64(prompt_index);
  w.Key("error");
  std::string message = absl::StrCat("line ", line.line_number, ": ", line.error);
  for (char& c : message) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  WriteString(w, message);
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

// Fills line->ids from the JSON text, or line->error.
void ParseLine(const std::string& text, const tokenizer::Tokenizer& tok,
               const tokenizer::PromptTemplate& tmpl, int64_t vocab_size, InputLine* line) {
  absl::StatusOr<rapidjson::Document> doc = core::ParseJson(text);
  if (!doc.ok()) {
    line->error = absl::StrCat("not JSON: ", doc.status().message());
    return;
  }
  if (!doc->IsObject()) {
    line->error = "expected a JSON object like {\"prompt\": ...} or {\"prompt_ids\": [...]}";
    return;
  }
  auto prompt = doc->FindMember("prompt");
  auto prompt_ids = doc->FindMember("prompt_ids");
  if (prompt != doc->MemberEnd()) {
    if (!prompt->value.IsString()) {
      line->error = "\"prompt\" must be a string";
      return;
    }
    tokenizer::EncodeOptions options;
    options.add_special_tokens = tmpl.add_special_tokens();
    std::string rendered = tmpl.Render(
        "", std::string_view(prompt->value.GetString(), prompt->value.GetStringLength()));
    line->ids = tok.Encode(rendered, options);
  } else if (prompt_ids != doc->MemberEnd()) {
    if (!prompt_ids->value.IsArray()) {
      line->error = "\"prompt_ids\" must be an array of token ids";
      return;
    }
    for (rapidjson::SizeType i = 0; i < prompt_ids->value.Size(); ++i) {
      const rapidjson::Value& id = prompt_ids->value[i];
      if (!id.IsInt() || id.GetInt() < 0 || id.GetInt() >= vocab_size) {
        line->error = absl::StrCat("prompt_ids[", i, "] is not a token id in [0, ", vocab_size,
                                   ")");
        return;
      }
      line->ids.push_back(id.GetInt());
    }
  } else {
    line->error = "missing field \"prompt\" (or \"prompt_ids\")";
    return;
  }
  if (line->ids.empty()) line->error = "the prompt has no tokens";
}

absl::StatusOr<std::vector<std::string>> ReadLines(const std::string& input) {
  std::ifstream file;
  std::istream* in = &std::cin;
  if (input != "-") {
    file.open(input);
    if (!file) return absl::NotFoundError(absl::StrCat("--input ", input, ": cannot open"));
    in = &file;
  }
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(*in, line)) lines.push_back(line);
  return lines;
}

int RunGenerate(const GenerateArgs& args) {
  const char* kName = "generate";
  absl::StatusOr<tokenizer::PromptTemplate> tmpl =
      tokenizer::PromptTemplate::FromName(args.template_name);
  if (!tmpl.ok()) return ReportError(kName, core::Annotate(tmpl.status(), "--template"));
  model::LoadOptions load;
  try {
    load.device = torch::Device(args.device);
  } catch (const c10::Error&) {
    return ReportError(kName, absl::InvalidArgumentError(absl::StrCat(
                                  "--device ", args.device, ": not a device (cpu, cuda, cuda:N)")));
  }
  // The flags as a run config: --dtype auto and --threads 0 resolve as a run's model.dtype and
  // model.threads do, and the engine options come from it as a rollout worker's do.
  config::Config flags_config;
  flags_config.model.dtype = args.dtype == "fp32"   ? config::DType::kFloat32
                             : args.dtype == "bf16" ? config::DType::kBFloat16
                                                    : config::DType::kAuto;
  flags_config.model.device = args.device;
  flags_config.model.threads = args.threads;
  flags_config.rollout.max_batch = args.max_batch;
  absl::StatusOr<train::MachineSetup> machine =
      train::ApplyMachineSetup(&flags_config, config::ProcessRole::kAlone);
  if (!machine.ok()) return ReportError(kName, machine.status());
  std::cerr << "zerorl generate: " << machine->Summary() << "\n";
  if (!machine->emulated_bf16_cost.empty()) {
    std::cerr << "warning: " << machine->emulated_bf16_cost << "\n";
  }
  load.dtype = model::ScalarTypeOf(flags_config.model.dtype);
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Load(
      args.model, args.tokenizer, load, rollout::EngineOptionsFromConfig(flags_config));
  if (!engine.ok()) return ReportError(kName, engine.status());
  absl::StatusOr<std::vector<std::string>> text = ReadLines(args.input);
  if (!text.ok()) return ReportError(kName, text.status());

  const tokenizer::Tokenizer& tok = *(*engine)->tokenizer();
  int64_t vocab_size = (*engine)->model()->config().vocab_size;
  std::vector<InputLine> lines;
  std::vector<PromptInput> prompts;
  for (size_t i = 0; i < text->size(); ++i) {
    if ((*text)[i].find_first_not_of(" \t\r") == std::string::npos) continue;
    InputLine line;
    line.line_number = static_cast<int64_t>(i + 1);
    ParseLine((*text)[i], tok, *tmpl, vocab_size, &line);
    int64_t index = static_cast<int64_t>(lines.size());
    if (line.error.empty()) prompts.push_back({line.ids, PromptSeed(args.seed, index)});
    lines.push_back(std::move(line));
  }

  GenerationParams params;
  params.n = args.n;
  params.sampling.temperature = args.temperature;
  params.sampling.top_p = args.top_p;
  params.sampling.top_k = args.top_k;
  params.sampling.min_p = args.min_p;
  params.max_new_tokens = args.max_new_tokens;
  params.stop = args.stop;
  params.top_logits = args.top_logits;
  absl::StatusOr<std::vector<SampleOutput>> samples = (*engine)->Generate(prompts, params);
  if (!samples.ok()) return ReportError(kName, samples.status());

  size_t next = 0;  // samples are ordered by prompt, n per prompt
  for (size_t index = 0; index < lines.size(); ++index) {
    if (!lines[index].error.empty()) {
      std::cout << ErrorLine(static_cast<int64_t>(index), lines[index]) << "\n";
      continue;
    }
    for (int j = 0; j < args.n; ++j) {
      std::cout << SampleLine((*samples)[next++], static_cast<int64_t>(index),
                              args.top_logits > 0)
                << "\n";
    }
  }
  std::cout.flush();
  return kExitOk;
}

}  // namespace

void AddGenerateCommand(CLI::App& app, CommandMain* run) {
  auto args = std::make_shared<GenerateArgs>();
  CLI::App* cmd = app.add_subcommand(
      "generate",
      "sample completions for JSON lines {\"prompt\": str} or {\"prompt_ids\": [...]} with the "
      "rollout engine; one output line per prompt and sample");
  cmd->add_option("--model", args->model, "Hugging Face model folder (config.json + safetensors)")
      ->required();
  cmd->add_option("--tokenizer", args->tokenizer,
                  "tokenizer folder or tokenizer.json (default: the model folder)");
  cmd->add_option("--input", args->input, "JSON-lines file, or - for stdin")->capture_default_str();
  cmd->add_option("--max-new-tokens", args->max_new_tokens, "tokens per completion at most")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--temperature", args->temperature, "0 = greedy (ties to the lower id)")
      ->capture_default_str();
  cmd->add_option("--top-p", args->top_p, "nucleus mass in (0, 1]; 1 = off")->capture_default_str();
  cmd->add_option("--top-k", args->top_k, "keep the K most likely tokens; 0 = off")
      ->capture_default_str();
  cmd->add_option("--min-p", args->min_p, "drop tokens below min_p * the top probability")
      ->capture_default_str();
  cmd->add_option("--n", args->n, "samples per prompt (one prefill, shared)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--seed", args->seed, "prompt i samples from the streams of SplitMix64(seed, i)")
      ->capture_default_str();
  cmd->add_option("--dtype", args->dtype,
                  "weights and activations; auto: bf16 on CUDA and on CPUs with bf16 "
                  "instructions (AVX512_BF16, AMX), else fp32")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "bf16", "fp32"}));
  cmd->add_option("--template", args->template_name,
                  "prompt template for \"prompt\" lines: r1, chatml, llama3, deepseek_v3, "
                  "deepseek_r1, plain, or a text with {prompt}")
      ->capture_default_str();
  cmd->add_option("--top-logits", args->top_logits,
                  "also write the K largest raw logits (before temperature) of every position")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--stop", args->stop, "stop string (repeatable); the completion ends after it");
  cmd->add_option("--device", args->device, "cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("--threads", args->threads,
                  "intra-op threads; 0 = every CPU this process may run on")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--max-batch", args->max_batch, "sequences decoded together")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->callback([run, args] { *run = [args] { return RunGenerate(*args); }; });
}

}  // namespace zerorl::cli
