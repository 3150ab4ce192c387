#include "reward/internal/plugin_wire.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace zerorl::reward::plugin_wire {
namespace {

enum : uint32_t { kLoadRequest = 1, kLoadReply = 2, kScoreRequest = 3, kScoreReply = 4 };

class Writer {
 public:
  explicit Writer(uint32_t type) { U32(type); }
  Writer& U32(uint32_t v) { return Raw(&v, sizeof(v)); }
  Writer& U64(uint64_t v) { return Raw(&v, sizeof(v)); }
  Writer& I32(int32_t v) { return Raw(&v, sizeof(v)); }
  Writer& I64(int64_t v) { return Raw(&v, sizeof(v)); }
  Writer& F64(double v) { return Raw(&v, sizeof(v)); }
  Writer& Str(std::string_view s) {
    U32(static_cast<uint32_t>(s.size()));
    out_.append(s.data(), s.size());
    return *this;
  }
  std::string Take() { return std::move(out_); }

 private:
  Writer& Raw(const void* p, size_t n) {
    out_.append(static_cast<const char*>(p), n);
    return *this;
  }
  std::string out_;
};

class Reader {
 public:
  Reader(std::string_view in, uint32_t type) : in_(in) {
    uint32_t t = 0;
    ok_ = U32(&t) && t == type;
  }
  bool U32(uint32_t* v) { return Raw(v, sizeof(*v)); }
  bool U64(uint64_t* v) { return Raw(v, sizeof(*v)); }
  bool I32(int32_t* v) { return Raw(v, sizeof(*v)); }
  bool I64(int64_t* v) { return Raw(v, sizeof(*v)); }
  bool F64(double* v) { return Raw(v, sizeof(*v)); }
  bool Str(std::string* s) {
    uint32_t n = 0;
    if (!U32(&n) || !ok_ || in_.size() < n) return ok_ = false;
    s->assign(in_.data(), n);
    in_.remove_prefix(n);
    return true;
  }
  // True when every read succeeded and nothing is left over.
  bool Done() const { return ok_ && in_.empty(); }

 private:
  bool Raw(void* p, size_t n) {
    if (!ok_ || in_.size() < n) return ok_ = false;
    std::memcpy(p, in_.data(), n);
    in_.remove_prefix(n);
    return true;
  }
  std::string_view in_;
  bool ok_ = true;
};

}  // namespace

std::string Encode(const LoadRequest& m) { return Writer(kLoadRequest).Str(m.library).Str(m.args).Take(); }

std::string Encode(const LoadReply& m) {
  return Writer(kLoadReply).U32(m.ok ? 1 : 0).U32(m.abi_version).Str(m.error).Take();
}

std::string Encode(const ScoreRequest& m) {
  return Writer(kScoreRequest)
      .U64(m.seq).Str(m.prompt).Str(m.completion).Str(m.answer).Str(m.metadata).I64(m.num_tokens)
      .Take();
}

std::string Encode(const ScoreReply& m) {
  return Writer(kScoreReply)
      .U64(m.seq).I32(m.status).F64(m.score).U32(m.detail_terminated ? 1 : 0).Str(m.detail)
      .Take();
}

bool Decode(std::string_view payload, LoadRequest* m) {
  Reader r(payload, kLoadRequest);
  r.Str(&m->library), r.Str(&m->args);
  return r.Done();
}

bool Decode(std::string_view payload, LoadReply* m) {
  Reader r(payload, kLoadReply);
  uint32_t ok = 0;
  r.U32(&ok), r.U32(&m->abi_version), r.Str(&m->error);
  m->ok = ok == 1;
  return r.Done();
}

bool Decode(std::string_view payload, ScoreRequest* m) {
  Reader r(payload, kScoreRequest);
  r.U64(&m->seq), r.Str(&m->prompt), r.Str(&m->completion), r.Str(&m->answer),
      r.Str(&m->metadata), r.I64(&m->num_tokens);
  return r.Done();
}

bool Decode(std::string_view payload, ScoreReply* m) {
  Reader r(payload, kScoreReply);
  uint32_t terminated = 0;
  r.U64(&m->seq), r.I32(&m->status), r.F64(&m->score), r.U32(&terminated), r.Str(&m->detail);
  m->detail_terminated = terminated == 1;
  return r.Done();
}

bool WriteFrame(int fd, std::string_view payload) {
  if (payload.size() > kMaxFrameBytes) return false;
  uint32_t size = static_cast<uint32_t>(payload.size());
  std::string frame(reinterpret_cast<const char*>(&size), sizeof(size));
  frame.append(payload);
  size_t sent = 0;
  while (sent < frame.size()) {
    ssize_t n = ::send(fd, frame.data() + sent, frame.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

namespace {

// Reads exactly `n` bytes into `out` by `deadline`.
ReadResult ReadExactly(int fd, size_t n, std::chrono::steady_clock::time_point deadline,
                       char* out) {
  using Clock = std::chrono::steady_clock;
  size_t got = 0;
  while (got < n) {
    int wait_ms = -1;
    if (deadline != Clock::time_point::max()) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() < 0) return ReadResult::kTimeout;
      wait_ms = static_cast<int>(std::min<int64_t>(left.count() + 1, 1 << 30));
    }
    pollfd p{fd, POLLIN, 0};
    int ready = ::poll(&p, 1, wait_ms);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return ReadResult::kClosed;
    if (ready == 0) return ReadResult::kTimeout;
    ssize_t r = ::read(fd, out + got, n - got);
    if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (r <= 0) return ReadResult::kClosed;
    got += static_cast<size_t>(r);
  }
  return ReadResult::kOk;
}

}  // namespace

ReadResult ReadFrame(int fd, std::chrono::steady_clock::time_point deadline, std::string* payload) {
  uint32_t size = 0;
  ReadResult r = ReadExactly(fd, sizeof(size), deadline, reinterpret_cast<char*>(&size));
  if (r != ReadResult::kOk) return r;
  if (size > kMaxFrameBytes) return ReadResult::kClosed;
  payload->resize(size);
  return ReadExactly(fd, size, deadline, payload->data());
}

}  // namespace zerorl::reward::plugin_wire
