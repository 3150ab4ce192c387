// `zerorl sft --config FILE`: cold-start supervised fine-tuning (learner/sft.h).
#include <iostream>
#include <memory>

#include "cli/command.h"
#include "config/config.h"
#include "core/status.h"
#include "learner/sft.h"
#include "tokenizer/templates.h"
#include "tokenizer/tokenizer.h"
#include "train/machine.h"

namespace zerorl::cli {
namespace {

absl::StatusOr<learner::SftResult> Sft(const config::Config& config, bool resume) {
  if (config.learner.sft.path.empty()) {
    return absl::InvalidArgumentError(
        "learner.sft.path: give a JSONL file of {\"prompt\": ..., \"completion\": ...} lines");
  }
  if (config.model.path.empty()) {
    return absl::InvalidArgumentError("model.path: give the Hugging Face model folder to tune");
  }
  const std::string tokenizer_path =
      config.model.tokenizer.empty() ? config.model.path : config.model.tokenizer;
  ASSIGN_OR_RETURN(tokenizer::Tokenizer tokenizer, tokenizer::Tokenizer::Load(tokenizer_path));
  ASSIGN_OR_RETURN(tokenizer::PromptTemplate prompt_template,
                   tokenizer::PromptTemplate::FromName(config.data.template_name));
  ASSIGN_OR_RETURN(learner::SftData data,
                   learner::ReadSftJsonl(config.learner.sft.path, config.data.on_bad_line));
  std::vector<learner::SftExample> examples =
      learner::TokenizeSft(data.examples, tokenizer, prompt_template);
  std::cerr << "zerorl sft: " << examples.size() << " examples from " << config.learner.sft.path
            << " (" << data.skipped_lines << " malformed lines skipped)\n";
  return learner::RunSft(config, examples, resume,
                         [](int64_t step, const learner::StepMetrics& m) {
                           std::cerr << "sft step " << step << "  loss " << m.at("loss")
                                     << "  lr " << m.at("lr") << "  grad_norm "
                                     << m.at("grad_norm") << "  "
                                     << static_cast<int64_t>(m.at("throughput/learner_tokens_per_s"))
                                     << " tok/s\n";
                         });
}

int RunSftCommand(const ConfigArgs& args, bool resume) {
  if (args.files.empty()) {
    std::cerr << "zerorl sft: give a config file (--config FILE)\n";
    return kExitBadInput;
  }
  absl::StatusOr<config::Config> config = config::LoadConfig(args.files, args.overrides);
  if (!config.ok()) return ReportError("sft", config.status());
  absl::StatusOr<train::MachineSetup> machine =
      train::ApplyMachineSetup(&*config, config::ProcessRole::kAlone);
  if (!machine.ok()) return ReportError("sft", machine.status());
  std::cerr << "zerorl sft: " << machine->Summary() << "\n";
  if (!machine->emulated_bf16_cost.empty()) {
    std::cerr << "warning: " << machine->emulated_bf16_cost << "\n";
  }
  absl::StatusOr<learner::SftResult> result = Sft(*config, resume);
  if (!result.ok()) return ReportError("sft", result.status());
  std::cout << "sft: " << result->steps << " steps, last loss " << result->last_loss
            << "\nmodel: " << result->final_checkpoint << "\nmetrics: " << result->run_dir
            << "/metrics.jsonl\n";
  return kExitOk;
}

}  // namespace

void AddSftCommand(CLI::App& app, CommandMain* run) {
  auto args = std::make_shared<ConfigArgs>();
  auto resume = std::make_shared<bool>(false);
  CLI::App* sft = app.add_subcommand(
      "sft", "cold-start supervised fine-tuning on prompt/completion pairs (learner.sft.*); "
             "loss on completion tokens only");
  AddConfigArgs(sft, args.get(), /*positional_files=*/true);
  sft->add_flag("--resume", *resume, "continue from the newest checkpoint of this run's SFT");
  sft->callback([run, args, resume] {
    *run = [args, resume] { return RunSftCommand(*args, *resume); };
  });
}

}  // namespace zerorl::cli
