// One process's place in the ZeroMQ mesh. Every process binds one ROUTER
// socket and receives everything on it; it reaches each peer through one
// DEALER socket whose routing id is its own id, so the receiver knows who
// sent a frame. All channels between two processes share these sockets.
//
// A single I/O thread owns the sockets. send() and connect() are thread-safe:
// they queue work and wake the thread through an inproc socket. Received
// frames are checked (version, type, length, CRC) on the I/O thread; a bad
// one is logged with the peer's id and dropped, and the process goes on.
//
// Every frame travels as two ZeroMQ parts: an envelope naming the sending
// socket's session and the frame's number in it, then the frame. Numbers run
// 1, 2, 3... per session (one DEALER socket, so per peer). ZeroMQ reconnects a
// dropped TCP connection on its own, but what was in flight on the old one is
// gone: the receiver sees the numbers jump and calls the gap handler, so the
// owner can stop trusting what it believes about that peer (a lost cancel,
// acknowledgement or deploy would otherwise leave a job waiting for ever).
// Numbers count per session, so frames of two sockets under one name (an old
// connection's late frames, or a forger's) never pass for a gap in the other.
//
// With CURVE (mesh_security.hpp) the ROUTER is a CURVE server and every
// DEALER a client that knows its peer's public key. A ZAP handler on the I/O
// thread lets a connection finish its handshake only with a key this process
// trusts, and each received frame is checked against the key its connection
// proved: the name a sender goes by must belong to that key, so a peer is
// who its key says, not whom its routing id names.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

struct zmq_msg_t;

#include "spate/transport/frame.hpp"
#include "spate/transport/mesh_security.hpp"

namespace spate::transport {

//! Where frames go: implemented by endpoint, named by what sends them.
class frame_sink {
public:
  virtual ~frame_sink() = default;
  //! Queues an encoded frame for process `peer` (connected before).
  virtual void send(const std::string& peer, std::string frame) = 0;
  //! Connects to `peer` at `address` (tcp://host:port); idempotent.
  virtual void connect(const std::string& peer, const std::string& address) = 0;
  //! Drops the connection to `peer` and what is queued for it.
  virtual void disconnect(const std::string& peer) = 0;
  //! `peer` is whoever proves `public_key` (CURVE); connect() to it uses the
  //! key. Ignored without CURVE.
  virtual void trust(const std::string& /*peer*/, const std::string& /*public_key*/) {}
  //! The public key `peer` proved or was given; "" without CURVE.
  virtual std::string public_key(const std::string& /*peer*/) const { return {}; }
};

struct endpoint_stats {
  std::uint64_t frames_in = 0;
  std::uint64_t frames_out = 0;
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  std::uint64_t rejected = 0;
  //! Times frames from a peer were found missing.
  std::uint64_t gaps = 0;
  //! Frames not sent: a peer left more than mesh.max-pending-bytes waiting.
  std::uint64_t dropped = 0;
  //! Frames waiting in the endpoint now: ZeroMQ's send high-water mark was
  //! reached for their peer.
  std::uint64_t queued = 0;
  //! CURVE handshakes refused (an unknown key), and frames dropped because
  //! their sender's name does not belong to the key it proved.
  std::uint64_t handshakes_refused = 0;
  std::uint64_t impostor_frames = 0;
  //! Handshakes waiting now for a key this process may learn.
  std::uint64_t handshakes_held = 0;
  //! Sender names the endpoint keeps state for now: their sessions' numbers,
  //! and (CURVE) the key each was found to use (both at most
  //! mesh_security::max_sender_names).
  std::uint64_t sender_names = 0;
  std::uint64_t proven_names = 0;
};

//! The first part of every message on the wire: the sender's session (one
//! per DEALER socket, random) and the number of the frame in it (from 1).
constexpr std::size_t envelope_size = 16;
std::string encode_envelope(std::uint64_t session, std::uint64_t seq);

//! The routing id of a DEALER socket of process `id` in `session`: unique
//! per socket, so a connection that takes the name over in the peer's
//! ROUTER (ZeroMQ's handover, for a reconnect) is only ever this socket's
//! own, never another process's that uses the same name.
std::string routing_id(const std::string& id, std::uint64_t session);
//! The process name in a routing id ("<name>/<16 hex digits>", or a bare name).
std::string sender_name(const std::string& routing);

class endpoint final : public frame_sink {
public:
  //! Called on the I/O thread with the sender's id and a checked frame.
  using handler = std::function<void(const std::string& from, frame&& f)>;
  //! Called on the I/O thread, before the frame that shows it, when frames
  //! from `from` were lost: `what` says which ones.
  using gap_handler = std::function<void(const std::string& from, const std::string& what)>;

  //! Binds a ROUTER at `bind` ("tcp://127.0.0.1:0" picks a free port) as
  //! process `id`. Throws spate::error(errc::io) naming the address when the
  //! bind fails (port in use, bad address). Without `on_gap`, lost frames
  //! are only logged. With `security.curve`, connections in both directions
  //! use CURVE and only keys in `security.ring` get in.
  endpoint(std::string id, const std::string& bind, handler on_frame, gap_handler on_gap = {},
           mesh_security security = {});
  ~endpoint() override;
  endpoint(const endpoint&) = delete;
  endpoint& operator=(const endpoint&) = delete;

  const std::string& id() const { return id_; }
  //! The bound address with the actual port: "tcp://127.0.0.1:40123".
  const std::string& address() const { return address_; }
  //! The bound port.
  int port() const;

  void send(const std::string& peer, std::string frame) override;
  void connect(const std::string& peer, const std::string& address) override;
  void disconnect(const std::string& peer) override;
  void trust(const std::string& peer, const std::string& public_key) override;
  //! trust(), for as long as `scope` (a job) needs it: until release_trust()
  //! of every scope that trusted `public_key` for `peer`. False (nothing
  //! changes) when `peer` is bound for good to another key.
  bool trust(const std::string& peer, const std::string& public_key, const std::string& scope);
  //! `scope` needs none of the keys it trusted any more: the peers no other
  //! scope needs lose their keys (their frames are dropped, their new
  //! connections refused) and their links are dropped. Returns those peers.
  std::vector<std::string> release_trust(const std::string& scope);
  std::string public_key(const std::string& peer) const override;
  //! Whether connections use CURVE.
  bool authenticated() const { return security_.curve; }

  endpoint_stats stats() const;
  //! Stops the I/O thread and closes the sockets (what is queued is dropped).
  void stop();

private:
  struct command;
  struct impl;
  void run();
  void enqueue(command c);
  //! Checks a frame's place in its sender's session; false: drop it.
  bool admit(const std::string& from, std::uint64_t session, std::uint64_t seq);
  //! Answers the ZAP requests waiting (CURVE handshakes).
  void answer_handshakes();
  //! Whether the connection a message came on proved a key `from` may use.
  bool sender_proven(const std::string& from, zmq_msg_t* part);

  std::string id_;
  std::string address_;
  handler on_frame_;
  gap_handler on_gap_;
  mesh_security security_;
  std::unique_ptr<impl> impl_;
  std::thread thread_;
};

} // namespace spate::transport
