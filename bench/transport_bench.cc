// How fast a weight update crosses process boundaries: 64 MiB of weights from a ROUTER to a
// DEALER in another process, over ipc:// and tcp://127.0.0.1, timed until the receiver has
// acknowledged a complete, checked version. Beside it, the baseline: the same bytes as bare
// ZeroMQ frames (zero-copy, no header, no checksum, no assembly), and memcpy / CRC-32C of
// the same bytes in one process.
//
//   build/bench/transport_bench [--mib 64] [--chunk-mib 8] [--repeats 7]
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "core/cpu_features.h"
#include "core/crc32c.h"
#include "wire/messages.h"
#include "wire/transport.h"
#include "wire/weight_sync.h"

namespace zerorl::bench {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kPatience{60000};

struct Options {
  size_t mib = 64;
  size_t chunk_mib = 8;
  int repeats = 7;
};

// Three tensors (embedding, an fp32 matrix, a head) adding up to `mib` MiB.
std::vector<wire::NamedTensor> MakeWeights(size_t mib) {
  const int64_t cols = 1024;
  const int64_t rows_bf16 = static_cast<int64_t>(mib) * 1024 * 1024 / 2 / cols / 2;  // half
  const int64_t rows_fp32 = static_cast<int64_t>(mib) * 1024 * 1024 / 4 / cols / 4;  // quarter
  std::vector<wire::NamedTensor> tensors;
  uint64_t state = 88172645463325252ull;
  auto add = [&](const char* name, config::DType dtype, int64_t rows) {
    std::string data(static_cast<size_t>(rows * cols) * wire::DTypeSize(dtype), '\0');
    for (size_t i = 0; i + 8 <= data.size(); i += 8) {
      state ^= state << 13;
      state ^= state >> 7;
      state ^= state << 17;
      std::memcpy(&data[i], &state, 8);
    }
    tensors.push_back({name, dtype, {rows, cols}, wire::Frame::FromString(std::move(data))});
  };
  add("model.embed_tokens.weight", config::DType::kBFloat16, rows_bf16);
  add("model.layers.0.mlp.up_proj.weight", config::DType::kFloat32, rows_fp32);
  add("lm_head.weight", config::DType::kBFloat16, rows_bf16 / 2);
  return tensors;
}

size_t TotalBytes(const std::vector<wire::NamedTensor>& tensors) {
  size_t bytes = 0;
  for (const wire::NamedTensor& t : tensors) bytes += t.data.size();
  return bytes;
}

// The receiving process: copies every update into `total_bytes` of "parameters" (as a
// worker copies into its model) and acknowledges it. Frames after a "raw" frame are the
// baseline: [offset as text, bytes], copied without decoding or checks.
int Receiver(const std::string& endpoint, size_t total_bytes) {
  std::unique_ptr<uint8_t[]> parameters(new uint8_t[total_bytes]);
  std::memset(parameters.get(), 0, total_bytes);  // resident, as a loaded model is
  zmq::context_t context;
  auto dealer = wire::MakeDealerSocket(context, "bench-worker");
  if (!dealer.ok() || !wire::Connect(*dealer, endpoint).ok()) return 1;
  if (!wire::SendFrames(*dealer, {wire::Frame::FromString("ready")}).ok()) return 1;
  wire::WeightAssembler assembler;
  size_t raw_bytes = 0;
  while (true) {
    absl::StatusOr<wire::Frames> frames = wire::ReceiveFrames(*dealer, kPatience);
    if (!frames.ok()) {
      std::fprintf(stderr, "receiver: %s\n", frames.status().ToString().c_str());
      return 1;
    }
    bool done = false;
    if ((*frames)[0].view() == "raw") {
      size_t offset = std::strtoull(std::string((*frames)[1].view()).c_str(), nullptr, 10);
      const wire::Frame& bytes = (*frames)[2];
      if (offset > total_bytes || bytes.size() > total_bytes - offset) return 1;
      std::memcpy(parameters.get() + offset, bytes.data(), bytes.size());
      raw_bytes += bytes.size();
      done = raw_bytes >= total_bytes;
      if (done) raw_bytes = 0;
    } else {
      absl::StatusOr<wire::Message> m = wire::Decode(*frames);
      if (!m.ok()) {
        std::fprintf(stderr, "receiver: %s\n", m.status().ToString().c_str());
        return 1;
      }
      if (std::holds_alternative<wire::Shutdown>(*m)) return 0;
      absl::StatusOr<bool> complete = assembler.Add(std::get<wire::WeightUpdate>(*m));
      if (!complete.ok()) return 1;
      if (*complete) {
        absl::StatusOr<std::vector<wire::ReceivedTensor>> tensors = assembler.Take();
        if (!tensors.ok()) return 1;
        size_t offset = 0;
        for (const wire::ReceivedTensor& t : *tensors) {
          if (t.bytes > total_bytes - offset) return 1;
          t.CopyTo(parameters.get() + offset);
          offset += t.bytes;
        }
        done = offset == total_bytes;
        if (!done) return 1;
      }
    }
    if (done && !wire::SendFrames(*dealer, {wire::Frame::FromString("ack")}).ok()) return 1;
  }
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Milliseconds per complete transfer, median of `repeats`.
template <typename SendOnce>
double TimeTransfers(zmq::socket_t& router, int repeats, SendOnce send_once) {
  std::vector<double> ms;
  for (int r = 0; r < repeats + 1; ++r) {  // the first run warms up connections and pages
    auto start = Clock::now();
    send_once();
    absl::StatusOr<wire::RoutedFrames> ack = wire::ReceiveRoutedFrames(router, kPatience);
    if (!ack.ok()) {
      std::fprintf(stderr, "no ack: %s\n", ack.status().ToString().c_str());
      std::exit(1);
    }
    if (r > 0)
      ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  return Median(ms);
}

void Row(const char* transport, const char* path, double ms, size_t bytes, double baseline_ms) {
  double gbps = static_cast<double>(bytes) / (ms / 1000.0) / 1e9;
  std::printf("%-9s %-38s %9.1f ms %7.2f GB/s", transport, path, ms, gbps);
  if (baseline_ms > 0) std::printf("   %5.2fx the baseline time", ms / baseline_ms);
  std::printf("\n");
}

void Die(const absl::Status& status) {
  std::fprintf(stderr, "transport_bench: %s\n", status.ToString().c_str());
  std::exit(1);
}

void RunTransport(const char* name, const std::string& wanted, const Options& o,
                  const std::vector<wire::NamedTensor>& weights) {
  const size_t total = TotalBytes(weights);
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) std::exit(1);
  pid_t child = ::fork();  // before any ZeroMQ context exists in this process
  if (child == 0) {
    ::close(pipe_fds[1]);
    char buffer[512] = {};
    ssize_t n = ::read(pipe_fds[0], buffer, sizeof(buffer) - 1);
    ::_exit(n > 0 ? Receiver(std::string(buffer, static_cast<size_t>(n)), total) : 1);
  }
  ::close(pipe_fds[0]);
  {
    zmq::context_t context;
    wire::SocketOptions options;
    options.send_hwm = 0;  // queue a whole update
    auto router = wire::MakeRouterSocket(context, options);
    if (!router.ok()) Die(router.status());
    auto endpoint = wire::Bind(*router, wanted);
    if (!endpoint.ok()) Die(endpoint.status());
    if (::write(pipe_fds[1], endpoint->data(), endpoint->size()) < 0) std::exit(1);
    ::close(pipe_fds[1]);
    auto ready = wire::ReceiveRoutedFrames(*router, kPatience);
    if (!ready.ok()) Die(ready.status());
    const std::string peer = ready->routing_id;
    const size_t chunk_bytes = o.chunk_mib << 20;

    double raw_ms = TimeTransfers(*router, o.repeats, [&] {
      size_t base = 0;
      for (const wire::NamedTensor& t : weights) {
        for (size_t offset = 0; offset < t.data.size(); offset += chunk_bytes) {
          size_t n = std::min(chunk_bytes, t.data.size() - offset);
          wire::Frames frames = {wire::Frame::FromString("raw"),
                                 wire::Frame::FromString(std::to_string(base + offset)),
                                 wire::Frame::Borrow(t.data.data() + offset, n, t.data.owner())};
          absl::Status sent = wire::SendFramesTo(*router, peer, frames);
          if (!sent.ok()) Die(sent);
        }
        base += t.data.size();
      }
    });
    double codec_ms = TimeTransfers(*router, o.repeats, [&] {
      auto chunks = wire::SplitWeights(1, weights, chunk_bytes);
      if (!chunks.ok()) Die(chunks.status());
      for (const wire::WeightUpdate& chunk : *chunks) {
        absl::Status sent = wire::SendMessageTo(*router, peer, chunk);
        if (!sent.ok()) Die(sent);
      }
    });
    Row(name, "raw ZeroMQ frames + copy (baseline)", raw_ms, total, 0);
    Row(name, "WeightUpdate: +header, CRC x2, assembly", codec_ms, total, raw_ms);
    absl::Status bye = wire::SendMessageTo(*router, peer, wire::Shutdown{"bench done"});
    if (!bye.ok()) Die(bye);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "receiver process failed (status %d)\n", status);
    std::exit(1);
  }
}

void RunLocal(const Options& o, const std::vector<wire::NamedTensor>& weights) {
  const size_t total = TotalBytes(weights);
  std::string target(total, '\0');
  std::vector<double> copy_ms, crc_ms;
  uint32_t sink = 0;
  for (int r = 0; r < o.repeats; ++r) {
    auto start = Clock::now();
    size_t offset = 0;
    for (const wire::NamedTensor& t : weights) {
      std::memcpy(&target[offset], t.data.data(), t.data.size());
      offset += t.data.size();
    }
    auto mid = Clock::now();
    for (const wire::NamedTensor& t : weights) sink ^= core::Crc32c(t.data.data(), t.data.size());
    auto end = Clock::now();
    copy_ms.push_back(std::chrono::duration<double, std::milli>(mid - start).count());
    crc_ms.push_back(std::chrono::duration<double, std::milli>(end - mid).count());
  }
  double copy = Median(copy_ms);
  Row("local", "memcpy (baseline)", copy, total, 0);
  Row("local", core::internal::Crc32cUsesHardware() ? "CRC-32C (SSE4.2)" : "CRC-32C (portable)",
      Median(crc_ms), total, copy);
  if (sink == 42) std::printf(" ");  // keep the checksums alive
}

}  // namespace
}  // namespace zerorl::bench

int main(int argc, char** argv) {
  std::printf("CPU: %s\n", zerorl::core::HostCpu().Describe().c_str());
  zerorl::bench::Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    long value = std::strtol(argv[i + 1], nullptr, 10);
    if (value <= 0) {
      std::fprintf(stderr, "%s: needs a positive number\n", flag.c_str());
      return 2;
    }
    if (flag == "--mib")
      o.mib = static_cast<size_t>(value);
    else if (flag == "--chunk-mib")
      o.chunk_mib = static_cast<size_t>(value);
    else if (flag == "--repeats")
      o.repeats = static_cast<int>(value);
    else {
      std::fprintf(stderr, "usage: transport_bench [--mib 64] [--chunk-mib 8] [--repeats 7]\n");
      return 2;
    }
  }
  std::vector<zerorl::wire::NamedTensor> weights = zerorl::bench::MakeWeights(o.mib);
  std::printf("weight update: %zu MiB in %zu tensors, %zu MiB chunks, median of %d\n\n",
              zerorl::bench::TotalBytes(weights) >> 20, weights.size(), o.chunk_mib, o.repeats);
  char dir[] = "/tmp/zerorl-bench-XXXXXX";
  if (::mkdtemp(dir) == nullptr) return 1;
  zerorl::bench::RunLocal(o, weights);
  zerorl::bench::RunTransport("ipc", std::string("ipc://") + dir + "/controller.sock", o, weights);
  zerorl::bench::RunTransport("tcp", "tcp://127.0.0.1:*", o, weights);
  ::unlink((std::string(dir) + "/controller.sock").c_str());
  ::rmdir(dir);
  return 0;
}
