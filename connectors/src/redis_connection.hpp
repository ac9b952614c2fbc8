// Private machinery of the Redis sink: a batch of commands built in reusable
// buffers, and one hiredis connection that sends them pipelined and survives
// Redis restarts.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "spate/connectors/redis_sink.hpp"

struct redisContext;

namespace spate::detail {

//! Commands as argument vectors, every argument's bytes in one arena. Cleared
//! and refilled per round trip, so after warm-up adding a command allocates
//! nothing.
class command_buffer {
public:
  //! Starts an argument; append() adds to it until the next arg() or end().
  void arg() { arg_start(); }
  void arg(std::string_view text) {
    arg_start();
    arena_ += text;
  }
  std::string& arena() { return arena_; }
  //! Closes the current command.
  void end_command();

  //! A point to roll back to (a record whose command cannot be completed).
  struct mark {
    std::size_t arena, args, commands;
  };
  mark position() const;
  void rollback(const mark& m);

  std::size_t size() const { return command_end_.size(); }
  bool empty() const { return command_end_.empty(); }
  void clear();

  //! Fills the argv/argvlen arrays hiredis takes (after the last command).
  void prepare();
  int argc(std::size_t command) const;
  const char** argv(std::size_t command);
  const std::size_t* argvlen(std::size_t command);
  //! Argument `i` of command `command`, for messages.
  std::string_view argument(std::size_t command, std::size_t i) const;

private:
  void arg_start();
  std::size_t first_arg(std::size_t command) const {
    return command == 0 ? 0 : command_end_[command - 1];
  }

  std::string arena_;
  std::vector<std::size_t> arg_begin_;   // offset of each argument in arena_
  std::vector<std::size_t> command_end_; // one past each command's last argument
  std::vector<const char*> argv_;
  std::vector<std::size_t> argvlen_;
};

//! One connection to Redis of one subtask. Not thread-safe.
class redis_connection {
public:
  //! `reconnects` counts reconnect attempts (may be nullptr).
  redis_connection(const redis_sink_config& cfg, std::atomic<std::int64_t>* reconnects);
  ~redis_connection();
  redis_connection(const redis_connection&) = delete;
  redis_connection& operator=(const redis_connection&) = delete;

  //! Connects, AUTHs, SELECTs and PINGs once. Throws spate::error(errc::io,
  //! "redis sink HOST:PORT: <why>") when any of it fails; never shows the
  //! password.
  void open();
  //! Sends every command of `commands` pipelined and returns without waiting
  //! for the replies: Redis works on this batch while the caller builds the
  //! next. `commands` must stay unchanged until await_oldest() has returned
  //! for it. A connection lost while sending is noticed, and repaired, by
  //! await_oldest().
  void send(command_buffer& commands);
  //! Reads the replies of the oldest batch sent. A lost connection (or a
  //! transient error reply: LOADING, BUSY, TRYAGAIN, ...) drops the
  //! connection; it is reopened with exponential backoff and every command
  //! not yet acknowledged, of this batch and of those sent after it, is sent
  //! again in order, for up to cfg.max_retry_ms, then errc::io naming
  //! HOST:PORT and the last error. Any other error reply throws errc::io
  //! naming the command and its key.
  void await_oldest();
  //! Batches sent and not yet acknowledged.
  std::size_t in_flight() const { return pending_.size(); }
  //! Frees the connection. Never throws.
  void close() noexcept;

  //! "HOST:PORT", as messages name the server.
  const std::string& endpoint() const { return endpoint_; }

private:
  //! Connects and authenticates; false with `why` set on a failure worth
  //! retrying, throws on one that is not (a refused AUTH or SELECT).
  bool connect(std::string& why);
  //! A batch sent; `acked` of its commands have their replies.
  struct pending {
    command_buffer* commands;
    std::size_t acked;
  };
  //! Writes the commands of `p` not yet acknowledged. False with `why` set
  //! when the connection failed.
  bool write(const pending& p, std::string& why);
  //! Reads the replies of `p`, advancing its `acked`. False with `why` set
  //! when the connection failed or a transient error came back.
  bool read_replies(pending& p, std::string& why);
  //! Reconnects with backoff until the oldest batch is acknowledged.
  void recover(std::string why);
  [[noreturn]] void fail(const std::string& why) const;

  const redis_sink_config& cfg_;
  std::atomic<std::int64_t>* reconnects_;
  std::string endpoint_;
  redisContext* ctx_ = nullptr;
  std::vector<pending> pending_; // oldest first
  std::string why_;              // why the connection was dropped while sending
};

} // namespace spate::detail
