// `zerorl config check|show`: validate a config and print it fully resolved.
#include <iostream>
#include <memory>

#include "cli/command.h"
#include "config/config.h"

namespace zerorl::cli {
namespace {

int RunConfig(const ConfigArgs& args, bool show) {
  const char* name = show ? "config show" : "config check";
  if (args.files.empty()) {
    std::cerr << "zerorl " << name << ": give at least one config file\n";
    return kExitBadInput;
  }
  absl::StatusOr<config::Config> config = config::LoadConfig(args.files, args.overrides);
  if (!config.ok()) return ReportError(name, config.status());
  if (show) {
    std::cout << config::ConfigToJson(*config) << "\n";
  } else {
    std::cout << "ok: " << args.files.back() << (args.files.size() > 1 ? " (layered)" : "")
              << "\n";
  }
  return kExitOk;
}

}  // namespace

void AddConfigCommand(CLI::App& app, CommandMain* run) {
  CLI::App* config = app.add_subcommand("config", "check or print a run config");
  config->require_subcommand(1);
  for (bool show : {false, true}) {
    auto args = std::make_shared<ConfigArgs>();
    CLI::App* sub = config->add_subcommand(
        show ? "show" : "check",
        show ? "print the fully resolved config (defaults included) as JSON"
             : "validate config files; lists every problem with key path and file:line");
    AddConfigArgs(sub, args.get(), /*positional_files=*/true);
    sub->callback([run, args, show] { *run = [args, show] { return RunConfig(*args, show); }; });
  }
}

}  // namespace zerorl::cli
