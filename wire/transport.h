// Thin helpers over cppzmq for the sockets of wire/protocol.h: the controller's ROUTER,
// the workers' DEALERs, endpoints, and sending/receiving encoded messages.
//
//   // controller
//   zmq::context_t context;
//   ASSIGN_OR_RETURN(zmq::socket_t router, MakeRouterSocket(context));
//   ASSIGN_OR_RETURN(std::string endpoint, Bind(router, "tcp://127.0.0.1:*"));
//   ASSIGN_OR_RETURN(Received in, ReceiveRoutedMessage(router, kHeartbeatInterval));
//   if (!in.message.ok()) { ZLOG(WARNING) << PeerName(in.routing_id) << ": " <<
//   in.message.status(); } RETURN_IF_ERROR(SendMessageTo(router, in.routing_id, Shutdown{"done"}));
//
//   // worker
//   ASSIGN_OR_RETURN(zmq::socket_t dealer, MakeDealerSocket(context, "rollout-0"));
//   RETURN_IF_ERROR(Connect(dealer, endpoint));
//   RETURN_IF_ERROR(SendMessage(dealer, hello));
//
// Every call returns a Status; none throws. A socket belongs to one thread: use it, and
// these helpers on it, from that thread only. The zmq::context_t must outlive its sockets.
// Errors: kDeadlineExceeded (nothing arrived / nothing could be queued in time),
// kNotFound (ROUTER: no connected peer has that routing id), kCancelled (a signal
// interrupted the call, or the context is shutting down: check your stop flag),
// kInvalidArgument (a malformed endpoint or routing id), kUnavailable (bind/connect failed).
#ifndef ZERORL_WIRE_TRANSPORT_H_
#define ZERORL_WIRE_TRANSPORT_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "wire/frame.h"
#include "wire/messages.h"
#include "wire/protocol.h"
#include "zmq.hpp"

namespace zerorl::wire {

// Frames at least this big are sent without copying (they share their Frame's owner with
// ZeroMQ until it has written them); smaller ones are copied, which is cheaper.
inline constexpr size_t kZeroCopyMinBytes = 4096;

struct SocketOptions {
  // How long closing the socket may wait to deliver queued messages. Longer lets a
  // worker's last result leave before it exits; shorter makes shutdown snappier.
  int linger_ms = 1000;
  // Messages queued per peer. A full queue makes a send wait up to send_timeout_ms.
  int send_hwm = 1000;
  int recv_hwm = 1000;
  // A send that cannot be queued for this long fails with kDeadlineExceeded instead of
  // hanging. -1 waits forever. On the controller's ROUTER a full queue means that one
  // worker stopped reading (hung, SIGSTOPped): use 0 there, so the loop serving everyone
  // else never waits, and treat kDeadlineExceeded as that worker being stuck.
  int send_timeout_ms = 30000;
  // A peer that sends a bigger frame is disconnected by ZeroMQ before the frame is
  // buffered. Keep it above the weight chunk size (kWeightChunkBytes). -1 = no limit.
  int64_t max_frame_bytes = int64_t{256} << 20;
  // ZMTP-level pings: a TCP peer that stops answering them for heartbeat_timeout_ms is
  // disconnected (a DEALER then reconnects). This finds dead connections; the
  // application-level Heartbeat of protocol.h finds dead or hung processes. 0 = off.
  int zmtp_heartbeat_ivl_ms = static_cast<int>(kHeartbeatInterval.count());
  int zmtp_heartbeat_timeout_ms = static_cast<int>(kHeartbeatInterval.count()) * kHeartbeatLiveness;
  // DEALER reconnect back-off after the controller goes away.
  int reconnect_ivl_ms = static_cast<int>(kReconnectInterval.count());
  int reconnect_ivl_max_ms = static_cast<int>(kReconnectIntervalMax.count());
};

// A ROUTER for the controller: sends to an unknown routing id fail (kNotFound) instead of
// vanishing, and a worker reconnecting under the same id takes over its old connection.
absl::StatusOr<zmq::socket_t> MakeRouterSocket(zmq::context_t& context,
                                               const SocketOptions& options = {});

// A DEALER for a worker, whose `routing_id` (1..255 bytes, not starting with a 0 byte) is
// what the controller sees.
absl::StatusOr<zmq::socket_t> MakeDealerSocket(zmq::context_t& context,
                                               const std::string& routing_id,
                                               const SocketOptions& options = {});

// Binds `endpoint` and returns the endpoint actually bound ("tcp://127.0.0.1:*" comes back
// with the port the kernel chose). kUnavailable when the address is in use.
absl::StatusOr<std::string> Bind(zmq::socket_t& socket, const std::string& endpoint);
// Connects (ZeroMQ connects in the background and retries; this only checks the syntax).
absl::Status Connect(zmq::socket_t& socket, const std::string& endpoint);

// "ipc://<absolute dir>/<name>.sock". kInvalidArgument when the path is longer than a Unix
// socket allows (107 bytes), with a hint to use a shorter run directory or tcp://.
absl::StatusOr<std::string> IpcEndpoint(const std::string& dir, const std::string& name);
// "tcp://host:port"; port 0 gives "tcp://host:*" (bind to a free port).
std::string TcpEndpoint(const std::string& host, int port);
// Accepts tcp://HOST:PORT (PORT 1-65535 or *), ipc://PATH and inproc://NAME.
absl::Status ValidateEndpoint(const std::string& endpoint);

// A routing id as text for logs: itself when printable ASCII, else 0x-prefixed hex.
std::string PeerName(std::string_view routing_id);

// Sends one multipart message from a DEALER (or any non-ROUTER socket).
absl::Status SendFrames(zmq::socket_t& socket, const Frames& frames);
// Sends one multipart message from a ROUTER to the peer `routing_id`.
absl::Status SendFramesTo(zmq::socket_t& router, std::string_view routing_id, const Frames& frames);

// Waits up to `timeout` for one multipart message (0 = do not wait, negative = forever).
// The frames share the received ZeroMQ buffers (no copy). kInvalidArgument when the
// message has more than kMaxFrames frames (it is consumed and dropped).
absl::StatusOr<Frames> ReceiveFrames(zmq::socket_t& socket, std::chrono::milliseconds timeout);

struct RoutedFrames {
  std::string routing_id;
  Frames frames;
};
// ReceiveFrames() on a ROUTER: the first frame becomes routing_id.
absl::StatusOr<RoutedFrames> ReceiveRoutedFrames(zmq::socket_t& router,
                                                 std::chrono::milliseconds timeout);

// Encode() + SendFrames() / SendFramesTo().
absl::Status SendMessage(zmq::socket_t& socket, const Message& message);
absl::Status SendMessageTo(zmq::socket_t& router, std::string_view routing_id,
                           const Message& message);

// A message that arrived: the outer StatusOr of the receive calls says whether anything
// arrived; `message` says whether it decoded. A peer's garbage is an error here, not there.
struct Received {
  std::string routing_id;  // the sender on a ROUTER; empty on a DEALER
  absl::StatusOr<Message> message;
};
absl::StatusOr<Received> ReceiveMessage(zmq::socket_t& socket, std::chrono::milliseconds timeout);
absl::StatusOr<Received> ReceiveRoutedMessage(zmq::socket_t& router,
                                              std::chrono::milliseconds timeout);

// Waits up to `timeout` until at least one of `sockets` has a message to read; returns one
// flag per socket (all false on timeout). kCancelled when a signal interrupts the wait.
absl::StatusOr<std::vector<bool>> PollReadable(const std::vector<zmq::socket_t*>& sockets,
                                               std::chrono::milliseconds timeout);

}  // namespace zerorl::wire

#endif  // ZERORL_WIRE_TRANSPORT_H_
