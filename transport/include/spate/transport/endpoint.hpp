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
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "spate/transport/frame.hpp"

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
};

//! The first part of every message on the wire: the sender's session (one
//! per DEALER socket, random) and the number of the frame in it (from 1).
constexpr std::size_t envelope_size = 16;
std::string encode_envelope(std::uint64_t session, std::uint64_t seq);

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
  //! are only logged.
  endpoint(std::string id, const std::string& bind, handler on_frame, gap_handler on_gap = {});
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

  std::string id_;
  std::string address_;
  handler on_frame_;
  gap_handler on_gap_;
  std::unique_ptr<impl> impl_;
  std::thread thread_;
};

} // namespace spate::transport
