// A real redis-server for tests: its own port, password and directory,
// started and awaited (PING), killed and restarted on the same port, killed
// at scope exit. Plus a small hiredis client to look at what it holds.
#pragma once

#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace spate::test {

//! A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then
//! released).
inline int free_tcp_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    throw std::runtime_error("free_tcp_port: socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("free_tcp_port: bind failed");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

//! A client connection for checks: AUTHs and SELECTs on construction, each
//! call one command. Errors throw std::runtime_error with Redis's text.
class redis_client {
public:
  redis_client(int port, const std::string& password, int db = 0) {
    timeval tv{2, 0};
    ctx_ = redisConnectWithTimeout("127.0.0.1", port, tv);
    if (ctx_ == nullptr || ctx_->err) {
      std::string why = ctx_ ? ctx_->errstr : "out of memory";
      if (ctx_)
        redisFree(ctx_);
      throw std::runtime_error("redis_client: cannot connect to port " + std::to_string(port) +
                               ": " + why);
    }
    timeval io{5, 0}; // a reply never awaited for longer (subscribers)
    redisSetTimeout(ctx_, io);
    try {
      if (!password.empty())
        text({"AUTH", password});
      if (db != 0)
        text({"SELECT", std::to_string(db)});
    } catch (...) {
      redisFree(ctx_);
      throw;
    }
  }
  ~redis_client() {
    if (ctx_)
      redisFree(ctx_);
  }
  redis_client(const redis_client&) = delete;
  redis_client& operator=(const redis_client&) = delete;

  //! The reply as text: a string or status as is, an integer in decimal,
  //! nil as "(nil)", an array's elements (flattened) joined by ' '.
  std::string text(const std::vector<std::string>& args) {
    std::string out;
    for (const auto& s : list(args))
      out += (out.empty() ? "" : " ") + s;
    return out;
  }
  //! The reply as a flat list (nested arrays flattened, a scalar as one item).
  std::vector<std::string> list(const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    std::vector<std::size_t> len;
    for (const auto& a : args) {
      argv.push_back(a.data());
      len.push_back(a.size());
    }
    void* r = redisCommandArgv(ctx_, static_cast<int>(argv.size()), argv.data(), len.data());
    return take(r);
  }
  //! The next message pushed to a subscribed connection, flattened
  //! ("message", channel, payload).
  std::vector<std::string> next_message() {
    void* r = nullptr;
    if (redisGetReply(ctx_, &r) != REDIS_OK)
      r = nullptr;
    return take(r);
  }

private:
  std::vector<std::string> take(void* raw) {
    if (raw == nullptr)
      throw std::runtime_error(std::string("redis_client: ") + ctx_->errstr);
    auto* reply = static_cast<redisReply*>(raw);
    std::vector<std::string> out;
    std::string error;
    flatten(reply, out, error);
    freeReplyObject(reply);
    if (!error.empty())
      throw std::runtime_error("redis_client: " + error);
    return out;
  }
  static void flatten(const redisReply* r, std::vector<std::string>& out, std::string& error) {
    switch (r->type) {
      case REDIS_REPLY_ARRAY:
        for (std::size_t i = 0; i < r->elements; ++i)
          flatten(r->element[i], out, error);
        break;
      case REDIS_REPLY_INTEGER:
        out.push_back(std::to_string(r->integer));
        break;
      case REDIS_REPLY_NIL:
        out.push_back("(nil)");
        break;
      case REDIS_REPLY_ERROR:
        error.assign(r->str, r->len);
        break;
      default:
        out.emplace_back(r->str, r->len);
    }
  }

  redisContext* ctx_ = nullptr;
};

//! A redis-server child process on 127.0.0.1 with `--requirepass`, no
//! persistence (`--save ""`, so a kill loses the data) and its own temporary
//! directory (its log is `redis.log` there). The binary is
//! $SPATE_REDIS_SERVER or /usr/bin/redis-server.
class redis_server {
public:
  explicit redis_server(std::string password = "test-pa55word") : password_(std::move(password)) {
    std::string pattern = (std::filesystem::temp_directory_path() / "spate-redis-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
      throw std::runtime_error("redis_server: mkdtemp failed");
    dir_ = pattern;
    // A port taken between free_tcp_port() and the bind: try another.
    for (int attempt = 0;; ++attempt) {
      port_ = free_tcp_port();
      if (try_start() || attempt == 4)
        break;
    }
    if (pid_ < 0)
      throw std::runtime_error("redis_server: did not start: " + log_tail());
  }
  ~redis_server() {
    kill();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  redis_server(const redis_server&) = delete;
  redis_server& operator=(const redis_server&) = delete;

  int port() const { return port_; }
  const std::string& password() const { return password_; }
  //! "127.0.0.1:PORT", as the sink's messages name it.
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  //! "redis://:PASSWORD@127.0.0.1:PORT" followed by `rest` ("/3?key=...").
  std::string uri(const std::string& rest = "") const {
    return "redis://:" + password_ + "@" + address() + rest;
  }
  bool running() const { return pid_ > 0; }

  //! Starts it again on the same port (after kill()) and waits until it
  //! answers PING. Throws when it does not come up.
  void start() {
    if (running())
      return;
    if (!try_start())
      throw std::runtime_error("redis_server: did not restart on port " + std::to_string(port_) +
                               ": " + log_tail());
  }
  //! Sends `sig` (SIGKILL: the server vanishes at once) and reaps it.
  void kill(int sig = SIGKILL) {
    if (pid_ <= 0)
      return;
    ::kill(pid_, sig);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

private:
  bool try_start() {
    const char* env = std::getenv("SPATE_REDIS_SERVER");
    std::string bin = env ? env : "/usr/bin/redis-server";
    if (::access(bin.c_str(), X_OK) != 0)
      throw std::runtime_error("redis_server: " + bin +
                               " not found (scripts/install-deps.sh installs redis-server)");
    std::vector<std::string> args = {bin,
                                     "--port",
                                     std::to_string(port_),
                                     "--bind",
                                     "127.0.0.1",
                                     "--requirepass",
                                     password_,
                                     "--save",
                                     "",
                                     "--appendonly",
                                     "no",
                                     "--dir",
                                     dir_,
                                     "--daemonize",
                                     "no",
                                     "--logfile",
                                     dir_ + "/redis.log"};
    pid_ = ::fork();
    if (pid_ < 0)
      throw std::runtime_error("redis_server: fork failed");
    if (pid_ == 0) {
      std::vector<char*> argv;
      for (auto& a : args)
        argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    return await_ping();
  }

  // Polls PING with a short backoff until it answers PONG, the process exits
  // (false) or 10 s pass (throws).
  bool await_ping() {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    auto backoff = std::chrono::milliseconds(2);
    for (;;) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      try {
        redis_client c(port_, password_);
        if (c.text({"PING"}) == "PONG")
          return true;
      } catch (const std::runtime_error&) {
        // not listening yet
      }
      if (std::chrono::steady_clock::now() > deadline) {
        kill();
        throw std::runtime_error("redis_server: no PONG on port " + std::to_string(port_) +
                                 " within 10 s: " + log_tail());
      }
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(100));
    }
  }

  std::string log_tail() const {
    std::ifstream f(dir_ + "/redis.log");
    std::stringstream ss;
    ss << f.rdbuf();
    std::string s = ss.str();
    return s.size() > 2000 ? s.substr(s.size() - 2000) : s;
  }

  std::string password_;
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

} // namespace spate::test
