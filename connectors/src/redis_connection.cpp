#include "redis_connection.hpp"

#include <hiredis/hiredis.h>
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "json_template.hpp"
#include "spate/core/error.hpp"
#include "spate/core/log.hpp"

namespace spate::detail {

namespace {

timeval to_timeval(std::int64_t ms) {
  timeval tv;
  tv.tv_sec = static_cast<time_t>(ms / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms % 1000) * 1000);
  return tv;
}

// hiredis write()s to its socket: a server gone away would raise SIGPIPE and
// kill the process. SIGPIPE is blocked in this thread while the guard lives,
// and one raised meanwhile is discarded (SIGPIPE from write() goes to the
// writing thread). The process-wide disposition is left alone.
class sigpipe_guard {
public:
  sigpipe_guard() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigemptyset(&pending);
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~sigpipe_guard() {
    if (!was_pending_) {
      sigset_t pending;
      sigemptyset(&pending);
      sigpending(&pending);
      if (sigismember(&pending, SIGPIPE) == 1) {
        timespec zero{0, 0};
        sigtimedwait(&pipe_, nullptr, &zero);
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  sigpipe_guard(const sigpipe_guard&) = delete;
  sigpipe_guard& operator=(const sigpipe_guard&) = delete;

private:
  sigset_t pipe_;
  sigset_t old_;
  bool was_pending_ = false;
};

// Error replies that say "not now" rather than "never": worth a retry.
bool transient_reply(const std::string& text) {
  for (const char* prefix :
       {"LOADING", "BUSY", "TRYAGAIN", "MASTERDOWN", "CLUSTERDOWN", "READONLY", "OOM"})
    if (text.compare(0, std::strlen(prefix), prefix) == 0)
      return true;
  return false;
}

} // namespace

void command_buffer::arg_start() { arg_begin_.push_back(arena_.size()); }

void command_buffer::end_command() { command_end_.push_back(arg_begin_.size()); }

command_buffer::mark command_buffer::position() const {
  return {arena_.size(), arg_begin_.size(), command_end_.size()};
}

void command_buffer::rollback(const mark& m) {
  arena_.resize(m.arena);
  arg_begin_.resize(m.args);
  command_end_.resize(m.commands);
}

void command_buffer::clear() {
  arena_.clear();
  arg_begin_.clear();
  command_end_.clear();
}

void command_buffer::prepare() {
  std::size_t n = arg_begin_.size();
  argv_.resize(n);
  argvlen_.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    std::size_t end = i + 1 < n ? arg_begin_[i + 1] : arena_.size();
    argv_[i] = arena_.data() + arg_begin_[i];
    argvlen_[i] = end - arg_begin_[i];
  }
}

int command_buffer::argc(std::size_t command) const {
  return static_cast<int>(command_end_[command] - first_arg(command));
}

const char** command_buffer::argv(std::size_t command) { return argv_.data() + first_arg(command); }

const std::size_t* command_buffer::argvlen(std::size_t command) {
  return argvlen_.data() + first_arg(command);
}

std::string_view command_buffer::argument(std::size_t command, std::size_t i) const {
  std::size_t a = first_arg(command) + i;
  if (a >= command_end_[command] || a >= argv_.size())
    return {};
  return {argv_[a], argvlen_[a]};
}

redis_connection::redis_connection(const redis_sink_config& cfg,
                                   std::atomic<std::int64_t>* reconnects)
    : cfg_(cfg), reconnects_(reconnects) {
  bool v6 = cfg.host.find(':') != std::string::npos;
  endpoint_ = (v6 ? "[" + cfg.host + "]" : cfg.host) + ":" + std::to_string(cfg.port);
}

redis_connection::~redis_connection() { close(); }

void redis_connection::fail(const std::string& why) const {
  throw error(errc::io, "redis sink " + endpoint_ + ": " + why);
}

void redis_connection::close() noexcept {
  if (ctx_) {
    redisFree(ctx_);
    ctx_ = nullptr;
  }
}

void redis_connection::open() {
  sigpipe_guard guard;
  std::string why;
  if (!connect(why))
    fail(why);
}

bool redis_connection::connect(std::string& why) {
  close();
  ctx_ = redisConnectWithTimeout(cfg_.host.c_str(), cfg_.port, to_timeval(cfg_.connect_timeout_ms));
  if (ctx_ == nullptr) {
    why = "cannot allocate a connection";
    return false;
  }
  if (ctx_->err) {
    why = std::string("cannot connect: ") + ctx_->errstr;
    close();
    return false;
  }
  if (redisSetTimeout(ctx_, to_timeval(cfg_.socket_timeout_ms)) != REDIS_OK) {
    why = std::string("cannot set the socket timeout: ") + ctx_->errstr;
    close();
    return false;
  }
  redisEnableKeepAlive(ctx_);

  // One set-up command; a refusal other than a transient one is final.
  auto setup = [&](std::vector<const char*> argv, const std::string& what) {
    std::vector<std::size_t> len;
    for (const char* a : argv)
      len.push_back(std::strlen(a));
    auto* reply = static_cast<redisReply*>(
        redisCommandArgv(ctx_, static_cast<int>(argv.size()), argv.data(), len.data()));
    if (reply == nullptr) {
      why = what + ": " + ctx_->errstr;
      close();
      return false;
    }
    if (reply->type != REDIS_REPLY_ERROR) {
      freeReplyObject(reply);
      return true;
    }
    std::string text(reply->str, reply->len);
    freeReplyObject(reply);
    close();
    if (transient_reply(text)) {
      why = what + ": " + text;
      return false;
    }
    fail(what + ": " + text);
  };
  if (cfg_.password) {
    std::vector<const char*> auth{"AUTH"};
    if (!cfg_.user.empty())
      auth.push_back(cfg_.user.c_str());
    auth.push_back(cfg_.password->c_str());
    if (!setup(auth, "authentication failed" +
                         (cfg_.user.empty() ? std::string() : " for user '" + cfg_.user + "'")))
      return false;
  }
  if (cfg_.database != 0) {
    std::string db = std::to_string(cfg_.database);
    if (!setup({"SELECT", db.c_str()}, "SELECT " + db + " failed"))
      return false;
  }
  return setup({"PING"}, "PING failed");
}

bool redis_connection::write(const pending& p, std::string& why) {
  command_buffer& commands = *p.commands;
  for (std::size_t i = p.acked; i < commands.size(); ++i)
    if (redisAppendCommandArgv(ctx_, commands.argc(i), commands.argv(i), commands.argvlen(i)) !=
        REDIS_OK) {
      why = std::string("cannot buffer a command: ") + ctx_->errstr;
      close();
      return false;
    }
  // Redis buffers its replies for a client without limit (normal clients
  // have no output-buffer limit by default), so writing a whole batch while
  // the previous one's replies are unread cannot deadlock.
  int done = 0;
  while (!done)
    if (redisBufferWrite(ctx_, &done) != REDIS_OK) {
      why = std::string("cannot send: ") + ctx_->errstr;
      close();
      return false;
    }
  return true;
}

bool redis_connection::read_replies(pending& p, std::string& why) {
  command_buffer& commands = *p.commands;
  for (std::size_t i = p.acked; i < commands.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(ctx_, &raw) != REDIS_OK) {
      why = ctx_->errstr;
      if (ctx_->err == REDIS_ERR_IO && std::strcmp(ctx_->errstr, std::strerror(EAGAIN)) == 0)
        why = "no reply within socket.timeout (" + std::to_string(cfg_.socket_timeout_ms) + " ms)";
      close();
      return false;
    }
    auto* reply = static_cast<redisReply*>(raw);
    if (reply->type == REDIS_REPLY_ERROR) {
      std::string text(reply->str, reply->len);
      freeReplyObject(reply);
      close(); // replies still due would be out of step
      if (transient_reply(text)) {
        why = text;
        return false;
      }
      fail(std::string(commands.argument(i, 0)) + " '" + excerpt(commands.argument(i, 1), 80) +
           "' failed: " + text);
    }
    freeReplyObject(reply);
    p.acked = i + 1;
  }
  return true;
}

void redis_connection::send(command_buffer& commands) {
  if (commands.empty())
    return;
  commands.prepare();
  pending_.push_back({&commands, 0});
  if (!ctx_)
    return; // await_oldest() reconnects
  sigpipe_guard guard;
  write(pending_.back(), why_);
}

void redis_connection::await_oldest() {
  if (pending_.empty())
    return;
  sigpipe_guard guard;
  std::string why = why_.empty() ? "not connected" : why_;
  if (ctx_ && read_replies(pending_.front(), why)) {
    pending_.erase(pending_.begin());
    return;
  }
  recover(std::move(why));
  pending_.erase(pending_.begin());
}

void redis_connection::recover(std::string why) {
  using clock = std::chrono::steady_clock;
  const auto max_retry = std::chrono::milliseconds(cfg_.max_retry_ms);
  const auto max_backoff = std::chrono::milliseconds(2000);
  auto started = clock::now();
  auto deadline = started + max_retry;
  auto backoff = std::chrono::milliseconds(50);
  auto unacked = [&] {
    std::size_t n = 0;
    for (const auto& p : pending_)
      n += p.commands->size() - p.acked;
    return n;
  };
  log().warn("redis sink {}: {}; reconnecting for up to {} ms ({} commands unacknowledged)",
             endpoint_, why, cfg_.max_retry_ms, unacked());
  for (;;) {
    auto now = clock::now();
    if (now >= deadline)
      fail("gave up after " +
           std::to_string(
               std::chrono::duration_cast<std::chrono::milliseconds>(now - started).count()) +
           " ms of reconnecting (sink.max-retry-time " + std::to_string(cfg_.max_retry_ms) +
           " ms); last error: " + why);
    std::this_thread::sleep_for(std::min<clock::duration>(backoff, deadline - now));
    backoff = std::min(backoff * 2, max_backoff);
    if (reconnects_)
      reconnects_->fetch_add(1, std::memory_order_relaxed);
    if (!connect(why))
      continue;
    // Everything not acknowledged goes again, in the order it was first sent.
    bool sent = true;
    for (const auto& p : pending_)
      if (!(sent = write(p, why)))
        break;
    if (!sent)
      continue;
    std::size_t before = pending_.front().acked;
    if (read_replies(pending_.front(), why)) {
      why_.clear();
      log().info(
          "redis sink {}: reconnected after {} ms", endpoint_,
          std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - started).count());
      return;
    }
    if (pending_.front().acked > before) { // Redis is alive and took some: a fresh allowance
      deadline = clock::now() + max_retry;
      backoff = std::chrono::milliseconds(50);
    }
  }
}

} // namespace spate::detail
