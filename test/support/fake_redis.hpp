// A scripted stand-in for a Redis server: speaks just enough RESP to let a
// test decide each reply (an error, a connection dropped after n replies).
#pragma once

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace spate::test {

//! A scripted stand-in for Redis on a free port, for failures a real server
//! cannot be made to show on cue. Answers PING with PONG and command n of
//! connection c (PINGs not counted) with reply(c, n); an empty reply closes
//! the connection at that point. Serves one connection at a time.
class fake_redis {
public:
  using script = std::function<std::string(int connection, int n)>;
  explicit fake_redis(script reply) : reply_(std::move(reply)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        ::listen(listen_fd_, 4) != 0 ||
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
      throw std::runtime_error("fake_redis: cannot listen");
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~fake_redis() {
    stop_ = true;
    thread_.join();
    ::close(listen_fd_);
  }
  int port() const { return port_; }
  //! The keys (second arguments) of the commands connection `c` received.
  std::vector<std::string> keys(int c) {
    std::lock_guard<std::mutex> lock(mutex_);
    return c < static_cast<int>(keys_.size()) ? keys_[c] : std::vector<std::string>{};
  }
  int connections() {
    std::lock_guard<std::mutex> lock(mutex_);
    return static_cast<int>(keys_.size());
  }

private:
  // One command "*N\r\n$L\r\narg\r\n..." from `buf` at `pos`; false when
  // it has not fully arrived yet.
  static bool parse(const std::string& buf, std::size_t& pos, std::vector<std::string>& args) {
    std::size_t p = pos;
    auto number = [&](char tag, long& n) {
      if (p >= buf.size() || buf[p] != tag)
        return false;
      auto eol = buf.find("\r\n", p);
      if (eol == std::string::npos)
        return false;
      n = std::stol(buf.substr(p + 1, eol - p - 1));
      p = eol + 2;
      return true;
    };
    long argc = 0;
    if (!number('*', argc))
      return false;
    args.clear();
    for (long i = 0; i < argc; ++i) {
      long len = 0;
      if (!number('$', len) || p + len + 2 > buf.size())
        return false;
      args.push_back(buf.substr(p, len));
      p += len + 2;
    }
    pos = p;
    return true;
  }

  void run() {
    for (int conn = 0; !stop_;) {
      pollfd pfd{listen_fd_, POLLIN, 0};
      if (::poll(&pfd, 1, 20) <= 0)
        continue;
      int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0)
        continue;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        keys_.emplace_back();
      }
      serve(fd, conn++);
      ::close(fd);
    }
  }

  void serve(int fd, int conn) {
    std::string buf;
    std::size_t pos = 0;
    std::vector<std::string> args;
    int n = 0;
    char chunk[4096];
    while (!stop_) {
      pollfd pfd{fd, POLLIN, 0};
      if (::poll(&pfd, 1, 20) <= 0)
        continue;
      auto got = ::read(fd, chunk, sizeof chunk);
      if (got <= 0)
        return;
      buf.append(chunk, static_cast<std::size_t>(got));
      while (parse(buf, pos, args)) {
        std::string reply = "+PONG\r\n";
        if (args[0] != "PING") {
          {
            std::lock_guard<std::mutex> lock(mutex_);
            keys_[conn].push_back(args.size() > 1 ? args[1] : "");
          }
          reply = reply_(conn, n++);
          if (reply.empty()) {
            // FIN after what was sent (a close with unread input would send
            // RST, and the client could lose the replies before it).
            ::shutdown(fd, SHUT_WR);
            while (!stop_ && ::read(fd, chunk, sizeof chunk) > 0) {
            }
            return;
          }
        }
        ::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL);
      }
    }
  }

  script reply_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::vector<std::vector<std::string>> keys_;
  std::thread thread_;
};

} // namespace spate::test
