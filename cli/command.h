// How a `zerorl` subcommand plugs into the binary: each command file adds its CLI11
// subcommand and, when the user picks it, leaves the function to run in `*run`.
//
//   void AddConfigCommand(CLI::App& app, CommandMain* run);
//
// Exit codes are the same for every command: 0 success, 1 runtime failure, 2 bad usage or
// bad input (config, dataset, arguments), with a one-line reason on stderr.
#ifndef ZERORL_CLI_COMMAND_H_
#define ZERORL_CLI_COMMAND_H_

#include <functional>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"

namespace zerorl::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitRuntimeError = 1;
inline constexpr int kExitBadInput = 2;

using CommandMain = std::function<int()>;

// Prints "zerorl COMMAND: MESSAGE" to stderr and returns the exit code for the status:
// kInvalidArgument/kNotFound/kFailedPrecondition/kOutOfRange are the user's input (2),
// anything else is a runtime failure (1).
int ReportError(const std::string& command, const absl::Status& status);

// Config options shared by every command that reads a run config: positional FILE...,
// --config FILE (repeatable, layered in order) and --set KEY=VALUE (repeatable).
struct ConfigArgs {
  std::vector<std::string> files;
  std::vector<std::string> overrides;
};
void AddConfigArgs(CLI::App* command, ConfigArgs* args, bool positional_files);

void AddTrainCommand(CLI::App& app, CommandMain* run);
void AddRolloutCommand(CLI::App& app, CommandMain* run);
void AddConfigCommand(CLI::App& app, CommandMain* run);
void AddDataCommand(CLI::App& app, CommandMain* run);
void AddRewardCommand(CLI::App& app, CommandMain* run);
void AddSandboxCommand(CLI::App& app, CommandMain* run);
void AddGenerateCommand(CLI::App& app, CommandMain* run);
void AddTokenizeCommand(CLI::App& app, CommandMain* run);
void AddVerifyCommand(CLI::App& app, CommandMain* run);
void AddSftCommand(CLI::App& app, CommandMain* run);
void AddDashboardCommand(CLI::App& app, CommandMain* run);
void AddEvalCommand(CLI::App& app, CommandMain* run);
void AddLearnerCommand(CLI::App& app, CommandMain* run);

}  // namespace zerorl::cli

#endif  // ZERORL_CLI_COMMAND_H_
