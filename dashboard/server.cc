// The dashboard's HTTP routes: static assets, and the JSON API of dashboard.h over RunStore.
#include <sys/socket.h>
#include <sys/stat.h>

#include <chrono>
#include <cmath>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/status.h"
#include "dashboard/assets.h"
#include "dashboard/dashboard.h"
#include "dashboard/run_store.h"
#include "httplib.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace zerorl::dashboard {
namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

int HttpStatus(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument: return 400;
    case absl::StatusCode::kNotFound: return 404;
    default: return 500;
  }
}

void SendJson(httplib::Response& res, const rapidjson::StringBuffer& body) {
  res.set_header("Cache-Control", "no-store");
  res.set_content(std::string(body.GetString(), body.GetSize()), "application/json");
}

void SendError(httplib::Response& res, const absl::Status& status) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  w.Key("error");
  w.String(std::string(status.message()));
  w.EndObject();
  res.status = HttpStatus(status);
  SendJson(res, buffer);
}

// Raw JSON texts already checked to be objects, written as array elements without re-parsing.
void WriteRaw(JsonWriter& w, const std::string& json) {
  w.RawValue(json.data(), json.size(), rapidjson::kObjectType);
}

// Optional query parameters, each refused with kInvalidArgument when present but not a number.
absl::Status IntParam(const httplib::Request& req, const char* name, std::optional<int64_t>* out) {
  if (!req.has_param(name) || req.get_param_value(name).empty()) return absl::OkStatus();
  int64_t value;
  if (!absl::SimpleAtoi(req.get_param_value(name), &value)) {
    return absl::InvalidArgumentError(absl::StrCat("parameter ", name, "=\"",
                                                   req.get_param_value(name), "\": not an integer"));
  }
  *out = value;
  return absl::OkStatus();
}

absl::Status DoubleParam(const httplib::Request& req, const char* name, std::optional<double>* out) {
  if (!req.has_param(name) || req.get_param_value(name).empty()) return absl::OkStatus();
  double value;
  if (!absl::SimpleAtod(req.get_param_value(name), &value) || std::isnan(value)) {
    return absl::InvalidArgumentError(absl::StrCat("parameter ", name, "=\"",
                                                   req.get_param_value(name), "\": not a number"));
  }
  *out = value;
  return absl::OkStatus();
}

std::optional<std::string> StringParam(const httplib::Request& req, const char* name) {
  if (!req.has_param(name) || req.get_param_value(name).empty()) return std::nullopt;
  return req.get_param_value(name);
}

const char* ContentType(const std::string& name) {
  if (absl::EndsWith(name, ".html")) return "text/html; charset=utf-8";
  if (absl::EndsWith(name, ".js")) return "text/javascript; charset=utf-8";
  if (absl::EndsWith(name, ".css")) return "text/css; charset=utf-8";
  return "application/octet-stream";
}

}  // namespace

struct DashboardServer::Impl {
  DashboardOptions options;
  RunStore store;
  httplib::Server http;
  std::thread thread;
  int port = 0;

  explicit Impl(const DashboardOptions& o) : options(o), store(o.runs_dir) {}

  void Routes();
  void Runs(httplib::Response& res);
  absl::Status Metrics(const std::string& run, const httplib::Request& req, httplib::Response& res);
  absl::Status Samples(const std::string& run, const httplib::Request& req, httplib::Response& res);
  absl::Status Group(const std::string& run, const httplib::Request& req, httplib::Response& res);
};

void DashboardServer::Impl::Routes() {
  // httplib's default adds SO_REUSEPORT, which lets a second server share a busy port; keep
  // only SO_REUSEADDR (a restarted dashboard gets its port back at once).
  http.set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  http.Get("/", [](const httplib::Request&, httplib::Response& res) {
    const Asset* page = FindAsset("index.html");
    res.set_content(reinterpret_cast<const char*>(page->data), page->size, ContentType("index.html"));
  });
  http.Get(R"(/assets/([A-Za-z0-9_.-]+))", [](const httplib::Request& req, httplib::Response& res) {
    const std::string name = req.matches[1];
    const Asset* asset = FindAsset(name);
    if (asset == nullptr) return SendError(res, absl::NotFoundError("no asset " + name));
    res.set_content(reinterpret_cast<const char*>(asset->data), asset->size, ContentType(name));
  });
  http.Get("/api/runs", [this](const httplib::Request&, httplib::Response& res) { Runs(res); });
  auto run_route = [this](absl::Status (Impl::*handler)(const std::string&, const httplib::Request&,
                                                        httplib::Response&)) {
    return [this, handler](const httplib::Request& req, httplib::Response& res) {
      absl::Status status = (this->*handler)(req.matches[1], req, res);
      if (!status.ok()) SendError(res, status);
    };
  };
  http.Get(R"(/api/runs/([^/]+)/metrics)", run_route(&Impl::Metrics));
  http.Get(R"(/api/runs/([^/]+)/samples)", run_route(&Impl::Samples));
  http.Get(R"(/api/runs/([^/]+)/group)", run_route(&Impl::Group));
  http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    SendError(res, absl::InternalError("internal error while answering the request"));
  });
}

void DashboardServer::Impl::Runs(httplib::Response& res) {
  absl::StatusOr<std::vector<RunInfo>> runs = store.ListRuns();
  if (!runs.ok()) return SendError(res, runs.status());
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  w.Key("runs_dir");
  w.String(store.runs_dir());
  w.Key("runs");
  w.StartArray();
  for (const RunInfo& r : *runs) {
    w.StartObject();
    w.Key("name");
    w.String(r.name);
    w.Key("metrics_bytes");
    w.Uint64(r.metrics_bytes);
    w.Key("samples_bytes");
    w.Uint64(r.samples_bytes);
    w.Key("modified");
    w.Double(r.modified);
    w.Key("finished");
    w.Bool(r.finished);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  SendJson(res, buffer);
}

absl::Status DashboardServer::Impl::Metrics(const std::string& run, const httplib::Request& req,
                                            httplib::Response& res) {
  std::optional<int64_t> offset;
  RETURN_IF_ERROR(IntParam(req, "offset", &offset));
  if (offset.value_or(0) < 0) return absl::InvalidArgumentError("parameter offset: negative");
  ASSIGN_OR_RETURN(std::string path, store.RunFile(run, "metrics.jsonl"));
  ASSIGN_OR_RETURN(JsonlChunk chunk,
                   ReadJsonlChunk(path, static_cast<uint64_t>(offset.value_or(0)),
                                  options.max_chunk_bytes));
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  w.Key("offset");
  w.Uint64(chunk.offset);
  w.Key("next_offset");
  w.Uint64(chunk.next_offset);
  w.Key("file_size");
  w.Uint64(chunk.file_size);
  w.Key("reset");
  w.Bool(chunk.reset);
  w.Key("malformed");
  w.Int64(chunk.malformed);
  w.Key("first_error");
  w.String(chunk.first_error);
  w.Key("rows");
  w.StartArray();
  for (const std::string& line : chunk.lines) WriteRaw(w, line);
  w.EndArray();
  w.EndObject();
  SendJson(res, buffer);
  return absl::OkStatus();
}

absl::Status DashboardServer::Impl::Samples(const std::string& run, const httplib::Request& req,
                                            httplib::Response& res) {
  SampleQuery q;
  RETURN_IF_ERROR(IntParam(req, "step", &q.step));
  RETURN_IF_ERROR(DoubleParam(req, "min_reward", &q.min_reward));
  RETURN_IF_ERROR(DoubleParam(req, "max_reward", &q.max_reward));
  std::optional<int64_t> offset, limit;
  RETURN_IF_ERROR(IntParam(req, "offset", &offset));
  RETURN_IF_ERROR(IntParam(req, "limit", &limit));
  q.offset = offset.value_or(0);
  q.limit = limit.value_or(50);
  if (q.offset < 0 || q.limit < 1 || q.limit > options.max_samples_per_page) {
    return absl::InvalidArgumentError(absl::StrCat("parameters offset/limit: need offset >= 0 and 1 <= limit <= ",
                                                   options.max_samples_per_page));
  }
  q.split = StringParam(req, "split");
  q.function = StringParam(req, "function");
  q.prompt_contains = StringParam(req, "prompt").value_or("");
  std::string order = StringParam(req, "order").value_or("newest");
  if (order != "newest" && order != "oldest") {
    return absl::InvalidArgumentError("parameter order=\"" + order + "\": newest or oldest");
  }
  q.newest_first = order == "newest";
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  RETURN_IF_ERROR(store.WithSamples(run, [&](const SamplesIndex& index) {
    SamplePage page = index.Find(q);
    w.StartObject();
    w.Key("total");
    w.Int64(page.total);
    w.Key("offset");
    w.Int64(q.offset);
    w.Key("count");
    w.Uint64(index.size());
    w.Key("malformed");
    w.Int64(index.malformed());
    w.Key("first_error");
    w.String(index.first_error());
    w.Key("steps");
    w.StartArray();
    for (int64_t step : index.steps()) w.Int64(step);
    w.EndArray();
    w.Key("splits");
    w.StartArray();
    for (const std::string& split : index.splits()) w.String(split);
    w.EndArray();
    w.Key("functions");
    w.StartArray();
    for (const std::string& f : index.functions()) w.String(f);
    w.EndArray();
    w.Key("samples");
    w.StartArray();
    for (const Sample* s : page.samples) WriteRaw(w, s->json);
    w.EndArray();
    w.EndObject();
  }));
  SendJson(res, buffer);
  return absl::OkStatus();
}

absl::Status DashboardServer::Impl::Group(const std::string& run, const httplib::Request& req,
                                          httplib::Response& res) {
  std::optional<int64_t> step, prompt_id;
  RETURN_IF_ERROR(IntParam(req, "step", &step));
  RETURN_IF_ERROR(IntParam(req, "prompt_id", &prompt_id));
  if (!step || !prompt_id) {
    return absl::InvalidArgumentError("group: parameters step and prompt_id are required");
  }
  std::string split = StringParam(req, "split").value_or("train");
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  RETURN_IF_ERROR(store.WithSamples(run, [&](const SamplesIndex& index) {
    w.StartObject();
    w.Key("samples");
    w.StartArray();
    for (const Sample* s : index.Group(*step, split, *prompt_id)) WriteRaw(w, s->json);
    w.EndArray();
    w.EndObject();
  }));
  SendJson(res, buffer);
  return absl::OkStatus();
}

DashboardServer::DashboardServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

DashboardServer::~DashboardServer() { Stop(); }

absl::StatusOr<std::unique_ptr<DashboardServer>> DashboardServer::Start(
    const DashboardOptions& options) {
  if (options.port < 0 || options.port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("--port ", options.port, ": not in 0..65535"));
  }
  struct stat st;
  if (::stat(options.runs_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return absl::NotFoundError("--runs " + options.runs_dir + ": not a folder");
  }
  auto impl = std::make_unique<Impl>(options);
  impl->Routes();
  if (options.port == 0) {
    impl->port = impl->http.bind_to_any_port(options.host);
  } else {
    impl->port = impl->http.bind_to_port(options.host, options.port) ? options.port : -1;
  }
  if (impl->port <= 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options.host, ":", options.port,
                                               " (in use, or not an address of this machine)"));
  }
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->http.listen_after_bind(); });
  // Stop() is a no-op for a server not yet running: wait until it accepts connections.
  for (int i = 0; i < 5000 && !impl->http.is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return std::unique_ptr<DashboardServer>(new DashboardServer(std::move(impl)));
}

int DashboardServer::port() const { return impl_->port; }

std::string DashboardServer::url() const {
  return absl::StrCat("http://", impl_->options.host, ":", impl_->port, "/");
}

void DashboardServer::Stop() {
  if (!impl_->thread.joinable()) return;
  impl_->http.stop();
  impl_->thread.join();
}

}  // namespace zerorl::dashboard
