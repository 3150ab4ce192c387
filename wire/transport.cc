#include "wire/transport.h"

#include <cerrno>
#include <filesystem>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/status.h"

namespace zerorl::wire {
namespace {

constexpr size_t kMaxIpcPathBytes = 107;  // sizeof(sockaddr_un::sun_path) - 1

// A Status for a ZeroMQ error during `what`.
absl::Status ZmqError(const zmq::error_t& e, absl::string_view what) {
  std::string message = absl::StrCat(what, ": ", e.what());
  switch (e.num()) {
    case EINTR: return absl::CancelledError(message + " (interrupted by a signal)");
    case ETERM: return absl::CancelledError(message + " (the ZeroMQ context is shutting down)");
    case EHOSTUNREACH: return absl::NotFoundError(message);
    case EADDRINUSE:
    case EADDRNOTAVAIL:
    case ENODEV: return absl::UnavailableError(message);
    case EINVAL:
    case EPROTONOSUPPORT: return absl::InvalidArgumentError(message);
    default: return absl::InternalError(message);
  }
}

void FreeShared(void* /*data*/, void* hint) {
  delete static_cast<std::shared_ptr<const void>*>(hint);
}

// A ZeroMQ message for `frame`: a view that holds the frame's owner when big, a copy when
// small.
zmq::message_t ToZmq(const Frame& frame) {
  if (frame.size() < kZeroCopyMinBytes || frame.owner() == nullptr) {
    return zmq::message_t(frame.data(), frame.size());
  }
  auto* hint = new std::shared_ptr<const void>(frame.owner());
  return zmq::message_t(const_cast<uint8_t*>(frame.data()), frame.size(), &FreeShared, hint);
}

absl::Status ApplyCommonOptions(zmq::socket_t& socket, const SocketOptions& o) {
  socket.set(zmq::sockopt::linger, o.linger_ms);
  socket.set(zmq::sockopt::sndhwm, o.send_hwm);
  socket.set(zmq::sockopt::rcvhwm, o.recv_hwm);
  socket.set(zmq::sockopt::sndtimeo, o.send_timeout_ms);
  socket.set(zmq::sockopt::maxmsgsize, o.max_frame_bytes);
  socket.set(zmq::sockopt::heartbeat_ivl, o.zmtp_heartbeat_ivl_ms);
  socket.set(zmq::sockopt::heartbeat_timeout, o.zmtp_heartbeat_timeout_ms);
  socket.set(zmq::sockopt::reconnect_ivl, o.reconnect_ivl_ms);
  socket.set(zmq::sockopt::reconnect_ivl_max, o.reconnect_ivl_max_ms);
  return absl::OkStatus();
}

absl::Status SendParts(zmq::socket_t& socket, const std::string* routing_id, const Frames& frames,
                       absl::string_view peer) {
  if (frames.empty()) return absl::InvalidArgumentError("cannot send a message with no frames");
  const size_t total = frames.size() + (routing_id != nullptr ? 1 : 0);
  try {
    for (size_t i = 0; i < total; ++i) {
      zmq::message_t part = (routing_id != nullptr && i == 0)
                                ? zmq::message_t(routing_id->data(), routing_id->size())
                                : ToZmq(frames[i - (routing_id != nullptr ? 1 : 0)]);
      auto flags = i + 1 < total ? zmq::send_flags::sndmore : zmq::send_flags::none;
      if (!socket.send(part, flags)) {
        if (i == 0) {
          return absl::DeadlineExceededError(absl::StrCat(
              "send to ", peer, ": queue full for the whole send timeout (peer stuck?)"));
        }
        return absl::InternalError(absl::StrCat("send to ", peer, ": failed after part ", i));
      }
    }
  } catch (const zmq::error_t& e) {
    if (e.num() == EHOSTUNREACH) {
      return absl::NotFoundError(absl::StrCat("send to ", peer, ": no such peer is connected"));
    }
    return ZmqError(e, absl::StrCat("send to ", peer));
  }
  return absl::OkStatus();
}

// Waits for `socket` to be readable; false on timeout.
absl::StatusOr<bool> WaitReadable(zmq::socket_t& socket, std::chrono::milliseconds timeout) {
  ASSIGN_OR_RETURN(std::vector<bool> ready, PollReadable({&socket}, timeout));
  return ready[0];
}

// Receives one multipart message into `frames` (sharing ZeroMQ's buffers); parts beyond
// kMaxFrames + 1 (room for a routing id) are consumed and counted in `dropped`.
absl::Status ReceiveParts(zmq::socket_t& socket, std::chrono::milliseconds timeout, Frames* frames,
                          size_t* dropped) {
  ASSIGN_OR_RETURN(bool readable, WaitReadable(socket, timeout));
  if (!readable) {
    return absl::DeadlineExceededError(
        absl::StrCat("nothing received in ", timeout.count(), " ms"));
  }
  try {
    bool more = true;
    while (more) {
      auto part = std::make_shared<zmq::message_t>();
      // The socket is readable and multipart delivery is atomic: no part waits.
      if (!socket.recv(*part, zmq::recv_flags::dontwait)) {
        return absl::InternalError("receive: a readable socket had no message");
      }
      more = part->more();
      if (frames->size() > kMaxFrames) {
        ++*dropped;
        continue;
      }
      const void* data = part->data();
      size_t size = part->size();
      frames->push_back(Frame::Borrow(data, size, std::move(part)));
    }
  } catch (const zmq::error_t& e) {
    return ZmqError(e, "receive");
  }
  return absl::OkStatus();
}

absl::Status TooManyFrames(size_t count, absl::string_view peer) {
  return absl::InvalidArgumentError(absl::StrCat("message from ", peer, " has ", count,
                                                 " frames, over the limit of ", kMaxFrames,
                                                 " (dropped)"));
}

}  // namespace

absl::StatusOr<zmq::socket_t> MakeRouterSocket(zmq::context_t& context,
                                               const SocketOptions& options) {
  try {
    zmq::socket_t socket(context, zmq::socket_type::router);
    RETURN_IF_ERROR(ApplyCommonOptions(socket, options));
    socket.set(zmq::sockopt::router_mandatory, true);
    socket.set(zmq::sockopt::router_handover, true);
    return socket;
  } catch (const zmq::error_t& e) {
    return ZmqError(e, "creating a ROUTER socket");
  }
}

absl::StatusOr<zmq::socket_t> MakeDealerSocket(zmq::context_t& context,
                                               const std::string& routing_id,
                                               const SocketOptions& options) {
  if (routing_id.empty() || routing_id.size() > 255 || routing_id[0] == '\0') {
    return absl::InvalidArgumentError(absl::StrCat("routing id ", PeerName(routing_id),
                                                   ": must be 1-255 bytes, not starting with 0"));
  }
  try {
    zmq::socket_t socket(context, zmq::socket_type::dealer);
    RETURN_IF_ERROR(ApplyCommonOptions(socket, options));
    socket.set(zmq::sockopt::routing_id, routing_id);
    return socket;
  } catch (const zmq::error_t& e) {
    return ZmqError(e, "creating a DEALER socket");
  }
}

absl::StatusOr<std::string> Bind(zmq::socket_t& socket, const std::string& endpoint) {
  RETURN_IF_ERROR(ValidateEndpoint(endpoint));
  try {
    socket.bind(endpoint);
    return socket.get(zmq::sockopt::last_endpoint);
  } catch (const zmq::error_t& e) {
    return ZmqError(e, "bind " + endpoint);
  }
}

absl::Status Connect(zmq::socket_t& socket, const std::string& endpoint) {
  RETURN_IF_ERROR(ValidateEndpoint(endpoint));
  try {
    socket.connect(endpoint);
    return absl::OkStatus();
  } catch (const zmq::error_t& e) {
    return ZmqError(e, "connect " + endpoint);
  }
}

absl::StatusOr<std::string> IpcEndpoint(const std::string& dir, const std::string& name) {
  std::error_code error;
  std::filesystem::path absolute = std::filesystem::absolute(dir, error);
  if (error) return absl::InvalidArgumentError(absl::StrCat(dir, ": ", error.message()));
  std::string path = (absolute / (name + ".sock")).lexically_normal().string();
  if (path.size() > kMaxIpcPathBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ipc socket path ", path, " has ", path.size(), " bytes, over the ", kMaxIpcPathBytes,
        " a Unix socket allows: use a shorter run directory, or tcp://127.0.0.1:*"));
  }
  return "ipc://" + path;
}

std::string TcpEndpoint(const std::string& host, int port) {
  return absl::StrCat("tcp://", host, ":", port == 0 ? std::string("*") : std::to_string(port));
}

absl::Status ValidateEndpoint(const std::string& endpoint) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("endpoint '", endpoint, "': ", why));
  };
  if (absl::StartsWith(endpoint, "tcp://")) {
    absl::string_view rest = absl::string_view(endpoint).substr(6);
    size_t colon = rest.rfind(':');
    if (colon == absl::string_view::npos || colon == 0) return bad("must be tcp://HOST:PORT");
    absl::string_view port = rest.substr(colon + 1);
    int number = 0;
    if (port != "*" && (!absl::SimpleAtoi(port, &number) || number < 1 || number > 65535)) {
      return bad("the port must be 1-65535, or * to bind to a free one");
    }
    return absl::OkStatus();
  }
  if (absl::StartsWith(endpoint, "ipc://")) {
    size_t length = endpoint.size() - 6;
    if (length == 0) return bad("ipc:// needs a path");
    if (length > kMaxIpcPathBytes) {
      return bad(
          absl::StrCat("the path is over the ", kMaxIpcPathBytes, " bytes a Unix socket allows"));
    }
    return absl::OkStatus();
  }
  if (absl::StartsWith(endpoint, "inproc://") && endpoint.size() > 9) return absl::OkStatus();
  return bad("must be tcp://HOST:PORT, ipc://PATH or inproc://NAME");
}

std::string PeerName(std::string_view routing_id) {
  bool printable = !routing_id.empty();
  for (char c : routing_id) printable &= (c >= 0x21 && c <= 0x7E);
  if (printable) return std::string(routing_id);
  static const char kHex[] = "0123456789abcdef";
  std::string out = "0x";
  for (unsigned char c : routing_id) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

absl::Status SendFrames(zmq::socket_t& socket, const Frames& frames) {
  return SendParts(socket, nullptr, frames, "peer");
}

absl::Status SendFramesTo(zmq::socket_t& router, std::string_view routing_id,
                          const Frames& frames) {
  std::string id(routing_id);
  return SendParts(router, &id, frames, PeerName(routing_id));
}

absl::StatusOr<Frames> ReceiveFrames(zmq::socket_t& socket, std::chrono::milliseconds timeout) {
  Frames frames;
  size_t dropped = 0;
  RETURN_IF_ERROR(ReceiveParts(socket, timeout, &frames, &dropped));
  if (dropped > 0) return TooManyFrames(frames.size() + dropped, "peer");
  return frames;
}

absl::StatusOr<RoutedFrames> ReceiveRoutedFrames(zmq::socket_t& router,
                                                 std::chrono::milliseconds timeout) {
  Frames frames;
  size_t dropped = 0;
  RETURN_IF_ERROR(ReceiveParts(router, timeout, &frames, &dropped));
  RoutedFrames routed;
  routed.routing_id = std::string(frames[0].view());
  if (dropped > 0) return TooManyFrames(frames.size() + dropped - 1, PeerName(routed.routing_id));
  frames.erase(frames.begin());
  routed.frames = std::move(frames);
  return routed;
}

absl::Status SendMessage(zmq::socket_t& socket, const Message& message) {
  ASSIGN_OR_RETURN(Frames frames, Encode(message));
  return SendFrames(socket, frames);
}

absl::Status SendMessageTo(zmq::socket_t& router, std::string_view routing_id,
                           const Message& message) {
  ASSIGN_OR_RETURN(Frames frames, Encode(message));
  return SendFramesTo(router, routing_id, frames);
}

absl::StatusOr<Received> ReceiveMessage(zmq::socket_t& socket, std::chrono::milliseconds timeout) {
  Frames frames;
  size_t dropped = 0;
  RETURN_IF_ERROR(ReceiveParts(socket, timeout, &frames, &dropped));
  if (dropped > 0) return Received{"", TooManyFrames(frames.size() + dropped, "peer")};
  return Received{"", Decode(frames)};
}

absl::StatusOr<Received> ReceiveRoutedMessage(zmq::socket_t& router,
                                              std::chrono::milliseconds timeout) {
  Frames frames;
  size_t dropped = 0;
  RETURN_IF_ERROR(ReceiveParts(router, timeout, &frames, &dropped));
  std::string id(frames[0].view());
  if (dropped > 0) return Received{id, TooManyFrames(frames.size() + dropped - 1, PeerName(id))};
  frames.erase(frames.begin());
  return Received{std::move(id), Decode(frames)};
}

absl::StatusOr<std::vector<bool>> PollReadable(const std::vector<zmq::socket_t*>& sockets,
                                               std::chrono::milliseconds timeout) {
  std::vector<zmq::pollitem_t> items;
  items.reserve(sockets.size());
  for (zmq::socket_t* socket : sockets) {
    items.push_back(zmq::pollitem_t{socket->handle(), 0, ZMQ_POLLIN, 0});
  }
  try {
    zmq::poll(items.data(), items.size(),
              timeout.count() < 0 ? std::chrono::milliseconds(-1) : timeout);
  } catch (const zmq::error_t& e) {
    return ZmqError(e, "poll");
  }
  std::vector<bool> readable(sockets.size());
  for (size_t i = 0; i < items.size(); ++i) readable[i] = (items[i].revents & ZMQ_POLLIN) != 0;
  return readable;
}

}  // namespace zerorl::wire
