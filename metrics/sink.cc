#include "metrics/sink.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>

#include "metrics/tensorboard.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace zerorl::metrics {

double UnixTimeSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace {

// Length of the well-formed UTF-8 sequence at text[i] (Unicode table 3-7), 0 if none.
size_t Utf8SequenceLength(const std::string& text, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  auto in = [&](size_t k, unsigned lo, unsigned hi) {
    return k < text.size() && byte(k) >= lo && byte(k) <= hi;
  };
  unsigned c = byte(i);
  if (c <= 0x7F) return 1;
  if (c >= 0xC2 && c <= 0xDF) return in(i + 1, 0x80, 0xBF) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    unsigned lo = c == 0xE0 ? 0xA0 : 0x80;
    unsigned hi = c == 0xED ? 0x9F : 0xBF;  // no UTF-16 surrogates
    return in(i + 1, lo, hi) && in(i + 2, 0x80, 0xBF) ? 3 : 0;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    unsigned lo = c == 0xF0 ? 0x90 : 0x80;
    unsigned hi = c == 0xF4 ? 0x8F : 0xBF;  // nothing past U+10FFFF
    return in(i + 1, lo, hi) && in(i + 2, 0x80, 0xBF) && in(i + 3, 0x80, 0xBF) ? 4 : 0;
  }
  return 0;
}

absl::Status FileError(const std::string& path, const char* what, int err) {
  std::string message = path + ": " + what + ": " + std::strerror(err);
  if (err == ENOENT || err == ENOTDIR) return absl::NotFoundError(message);
  if (err == EACCES || err == EPERM || err == EROFS) return absl::PermissionDeniedError(message);
  return absl::UnavailableError(message);
}

}  // namespace

std::string ToValidUtf8(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    size_t n = Utf8SequenceLength(text, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
      ++i;
    } else {
      out.append(text, i, n);
      i += n;
    }
  }
  return out;
}

void MetricsRow::Set(const std::string& name, Value value) {
  for (auto& entry : entries_) {
    if (entry.first == name) {
      entry.second = std::move(value);
      return;
    }
  }
  entries_.emplace_back(name, std::move(value));
}

template <typename Writer>
void MetricsRow::WriteTo(Writer& writer) const {
  writer.StartObject();
  for (const auto& [name, value] : entries_) {
    std::string key = ToValidUtf8(name);
    writer.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
    switch (value.kind) {
      case Kind::kInt: writer.Int64(value.i); break;
      case Kind::kUint: writer.Uint64(value.u); break;
      case Kind::kBool: writer.Bool(value.i != 0); break;
      case Kind::kDouble:
        if (std::isfinite(value.d)) {
          writer.Double(value.d);
        } else {
          writer.Null();
        }
        break;
      case Kind::kString: {
        std::string text = ToValidUtf8(value.s);
        writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
        break;
      }
      case Kind::kRow: value.row->WriteTo(writer); break;
    }
  }
  writer.EndObject();
}

std::vector<std::pair<std::string, double>> MetricsRow::Numbers() const {
  std::vector<std::pair<std::string, double>> numbers;
  for (const auto& [name, value] : entries_) {
    if (value.kind == Kind::kInt) numbers.emplace_back(name, static_cast<double>(value.i));
    if (value.kind == Kind::kUint) numbers.emplace_back(name, static_cast<double>(value.u));
    if (value.kind == Kind::kDouble && std::isfinite(value.d)) numbers.emplace_back(name, value.d);
  }
  return numbers;
}

std::string MetricsRow::ToJson() const {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  WriteTo(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

absl::StatusOr<std::unique_ptr<MetricsSink>> MetricsSink::Open(const std::string& path, Mode mode) {
  int flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (mode == kTruncate ? O_TRUNC : 0);
  int fd = ::open(path.c_str(), flags, 0644);
  if (fd < 0) return FileError(path, "open", errno);
  return std::unique_ptr<MetricsSink>(new MetricsSink(path, fd));
}

MetricsSink::MetricsSink(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}

MetricsSink::~MetricsSink() { ::close(fd_); }

absl::Status MetricsSink::EnableTensorBoard(const std::string& dir) {
  absl::StatusOr<std::unique_ptr<TensorBoardWriter>> writer = TensorBoardWriter::Open(dir);
  if (!writer.ok()) return writer.status();
  std::lock_guard<std::mutex> lock(mu_);
  tensorboard_ = *std::move(writer);
  return absl::OkStatus();
}

// Called with mu_ held.
absl::Status MetricsSink::WriteTensorBoard(const MetricsRow& row) {
  std::vector<std::pair<std::string, double>> numbers = row.Numbers();
  const char* step_key = nullptr;
  int64_t step = 0;
  for (const char* key : {"step", "sft_step"}) {
    for (const auto& [name, value] : numbers) {
      if (name == key) {
        step_key = key;
        step = static_cast<int64_t>(value);
        break;
      }
    }
    if (step_key != nullptr) break;
  }
  if (step_key == nullptr) return absl::OkStatus();
  std::vector<std::pair<std::string, float>> scalars;
  for (const auto& [name, value] : numbers) {
    if (name != step_key) scalars.emplace_back(ToValidUtf8(name), static_cast<float>(value));
  }
  if (scalars.empty()) return absl::OkStatus();
  return tensorboard_->WriteScalars(step, scalars);
}

absl::Status MetricsSink::Write(const MetricsRow& row) {
  std::string line = row.ToJson() + "\n";
  std::lock_guard<std::mutex> lock(mu_);
  off_t start = ::lseek(fd_, 0, SEEK_END);
  size_t written = 0;
  while (written < line.size()) {
    ssize_t n = ::write(fd_, line.data() + written, line.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = n < 0 ? errno : ENOSPC;
      if (written > 0 && start >= 0) {
        int ignored = ::ftruncate(fd_, start);  // take the partial line back
        (void)ignored;
      }
      return FileError(path_, "write", err);
    }
    written += static_cast<size_t>(n);
  }
  if (tensorboard_ != nullptr) return WriteTensorBoard(row);
  return absl::OkStatus();
}

}  // namespace zerorl::metrics
