// `zerorl dashboard [--runs DIR] [--port N] [--host H]`: serves the live web dashboard of the
// runs under DIR (charts of metrics.jsonl, a browser over samples.jsonl) until Ctrl-C.
// Prints "zerorl dashboard: serving DIR at http://HOST:PORT/" once it accepts connections.
#include <pthread.h>
#include <signal.h>

#include <iostream>
#include <memory>

#include "cli/command.h"
#include "dashboard/dashboard.h"

namespace zerorl::cli {
namespace {

int RunDashboard(const dashboard::DashboardOptions& options) {
  // Block the stop signals in every thread (the server's threads inherit the mask) and wait
  // for them here, so Ctrl-C stops the server cleanly.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  absl::StatusOr<std::unique_ptr<dashboard::DashboardServer>> server =
      dashboard::DashboardServer::Start(options);
  if (!server.ok()) return ReportError("dashboard", server.status());
  std::cout << "zerorl dashboard: serving " << options.runs_dir << " at " << (*server)->url()
            << std::endl;
  int signal = 0;
  sigwait(&stop_signals, &signal);
  (*server)->Stop();
  return kExitOk;
}

}  // namespace

void AddDashboardCommand(CLI::App& app, CommandMain* run) {
  auto options = std::make_shared<dashboard::DashboardOptions>();
  CLI::App* command = app.add_subcommand(
      "dashboard", "serve a live web page of the runs under a folder: charts and a samples browser");
  command->add_option("--runs", options->runs_dir,
                      "folder whose sub-folders are runs, each with a metrics.jsonl (default runs)");
  command->add_option("--port", options->port, "TCP port; 0 picks a free one (default 8050)")
      ->check(CLI::Range(0, 65535));
  command->add_option("--host", options->host,
                      "address to listen on (default 127.0.0.1; 0.0.0.0 serves other machines)");
  command->callback([run, options] { *run = [options] { return RunDashboard(*options); }; });
}

}  // namespace zerorl::cli
