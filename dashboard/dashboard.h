// `zerorl dashboard`: a small HTTP server that shows the runs under one folder in a browser,
// live: charts of metrics.jsonl and a browser over samples.jsonl. The page and its script
// are compiled into the binary; nothing is fetched from the network.
//
//   DashboardOptions options;
//   options.runs_dir = "runs";
//   options.port = 0;  // any free port
//   ASSIGN_OR_RETURN(std::unique_ptr<DashboardServer> server, DashboardServer::Start(options));
//   std::cout << server->url() << "\n";
//   ...
//   server->Stop();
//
// HTTP API (every answer is JSON; errors are {"error": "..."} with 400 for a bad request or
// run name, 404 for an unknown run or file):
//   GET /api/runs                          runs: name, sizes, mtime, finished
//   GET /api/runs/NAME/metrics?offset=B    metrics.jsonl rows from byte B on, as a chunk:
//                                          {rows, next_offset, file_size, reset, malformed,
//                                          first_error}; poll with offset = next_offset
//   GET /api/runs/NAME/samples?step=&split=&function=&min_reward=&max_reward=&prompt=
//                               &order=newest|oldest&offset=&limit=
//                                          {total, samples, steps, splits, functions,
//                                          malformed, first_error}
//   GET /api/runs/NAME/group?step=&split=&prompt_id=   every sample of one prompt in a step
#ifndef ZERORL_DASHBOARD_DASHBOARD_H_
#define ZERORL_DASHBOARD_DASHBOARD_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace zerorl::dashboard {

struct DashboardOptions {
  // The folder whose sub-folders are runs (each with a metrics.jsonl).
  std::string runs_dir = "runs";
  // Loopback by default: the page shows prompts and completions. "0.0.0.0" to share it.
  std::string host = "127.0.0.1";
  // 0 picks a free port (see DashboardServer::port()).
  int port = 8050;
  // The most metrics.jsonl bytes one poll returns; the page asks again until caught up.
  uint64_t max_chunk_bytes = 4 << 20;
  // The most samples one page of the samples browser may ask for.
  int64_t max_samples_per_page = 500;
};

class DashboardServer {
 public:
  // Binds host:port and serves from a background thread. kInvalidArgument for a port out of
  // range, kNotFound when runs_dir is not a folder, kUnavailable when the address cannot be
  // bound (in use, or a host that is not this machine's).
  static absl::StatusOr<std::unique_ptr<DashboardServer>> Start(const DashboardOptions& options);
  ~DashboardServer();  // Stop()
  DashboardServer(const DashboardServer&) = delete;
  DashboardServer& operator=(const DashboardServer&) = delete;

  int port() const;
  std::string url() const;  // "http://HOST:PORT/"
  // Stops listening and waits for the server thread. Idempotent.
  void Stop();

 private:
  struct Impl;
  explicit DashboardServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace zerorl::dashboard

#endif  // ZERORL_DASHBOARD_DASHBOARD_H_
