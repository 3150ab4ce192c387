// The `zerorl` binary: one CLI11 app, one subcommand per file in cli/.
#include <iostream>

#include "cli/command.h"
#include "core/cpu_features.h"

int main(int argc, char** argv) {
  // ZERORL_CPU_ISA lowers LibTorch's, oneDNN's and OpenBLAS's dispatch too (see the header).
  zerorl::core::ApplyCpuIsaCapToLibraries(argv);
  using namespace zerorl::cli;
  CLI::App app{
      "zerorl: reinforcement learning from verifiable rewards (GRPO) for language models.\n"
      "Run `zerorl COMMAND --help` for a command's options.",
      "zerorl"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "print help for every command");

  CommandMain run;
  AddTrainCommand(app, &run);
  AddRolloutCommand(app, &run);
  AddLearnerCommand(app, &run);
  AddConfigCommand(app, &run);
  AddDataCommand(app, &run);
  AddRewardCommand(app, &run);
  AddSandboxCommand(app, &run);
  AddGenerateCommand(app, &run);
  AddTokenizeCommand(app, &run);
  AddVerifyCommand(app, &run);
  AddSftCommand(app, &run);
  AddEvalCommand(app, &run);
  AddDashboardCommand(app, &run);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // CLI11 prints the problem; bad usage is exit code 2 for every command.
    app.exit(e);
    return kExitBadInput;
  }
  if (!run) return kExitBadInput;
  return run();
}
