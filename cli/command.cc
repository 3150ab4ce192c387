#include "cli/command.h"

#include <iostream>

namespace zerorl::cli {

int ReportError(const std::string& command, const absl::Status& status) {
  std::cerr << "zerorl " << command << ": " << status.message() << "\n";
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kAlreadyExists:
      return kExitBadInput;
    default:
      return kExitRuntimeError;
  }
}

void AddConfigArgs(CLI::App* command, ConfigArgs* args, bool positional_files) {
  if (positional_files) {
    command->add_option("files", args->files, "config files, layered in order (later wins)");
  }
  command->add_option("--config", args->files, "config file; repeat to layer several")
      ->allow_extra_args(false);
  command->add_option("--set", args->overrides,
                      "override a key: --set rollout.sampling.n=4 (VALUE is JSON, or a bare "
                      "word taken as a string); repeatable")
      ->allow_extra_args(false);
}

}  // namespace zerorl::cli
