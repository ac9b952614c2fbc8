// Flink's socketTextStream: lines read from a TCP server.
#pragma once

#include <chrono>
#include <string>

#include "spate/api/functions.hpp"

namespace spate {

//! The single instance of socket_text_source(). A socket cannot be rewound,
//! so this source has no position: snapshot_state() records nothing, and after
//! a restore it continues with whatever the peer sends next (at-most-once for
//! the lines in flight). open() logs a warning saying so when checkpointing is on.
class socket_text_source_function final : public source_function<std::string> {
public:
  socket_text_source_function(std::string host, int port, char delimiter)
      : host_(std::move(host)), port_(port), delimiter_(delimiter) {}
  ~socket_text_source_function() override { close(); }

  //! Resolves the host and connects (TCP, at most 10 s). Throws
  //! spate::error(errc::io, "cannot connect to socket source <host>:<port>:
  //! <reason>"), or errc::invalid_argument for a port outside 1..65535. Logs
  //! once that the source is not replayable when the job takes checkpoints.
  void open(runtime_context& ctx) override;
  //! Emits up to `max_records` complete lines without blocking: has_more()
  //! with records, wait_for(5 ms) when nothing has arrived, end() once the
  //! peer closed (its last, unterminated line is emitted first). Throws
  //! spate::error(errc::io) when the connection fails.
  source_status poll(collector<std::string>& out, std::size_t max_records) override;
  //! Closes the connection. Never throws.
  void close() override;

  //! How long poll() asks to wait when no data is available.
  static constexpr std::chrono::milliseconds idle_wait{5};

private:
  std::string where() const { return host_ + ":" + std::to_string(port_); }
  void emit(collector<std::string>& out, std::size_t end);

  std::string host_;
  int port_;
  char delimiter_;
  int fd_ = -1;
  std::string buffer_; // received bytes not yet emitted, from begin_
  std::size_t begin_ = 0;
  std::size_t scanned_ = 0; // bytes after begin_ known to hold no delimiter
  bool peer_closed_ = false;
  bool done_ = false;
};

//! A non-parallel source of the `delimiter`-separated lines (a trailing "\r"
//! removed) a TCP server at host:port sends; ends when the server closes the
//! connection. Not replayable (see socket_text_source_function).
source_spec<std::string> socket_text_source(std::string host, int port, char delimiter = '\n');

} // namespace spate
