// Non-blocking TCP line reader.
#include "spate/connectors/socket_source.hpp"

#include <cerrno>
#include <cstring>
#include <memory>

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "spate/connectors/checkpointing.hpp"
#include "spate/core/error.hpp"
#include "spate/core/log.hpp"

namespace spate {

namespace {

constexpr int connect_timeout_ms = 10000;
// Bytes read per poll at most, so a peer sending no delimiters cannot keep
// one poll() busy forever.
constexpr std::size_t max_bytes_per_poll = 1 << 20;

// Connects `fd` (non-blocking) to `addr` within the timeout; 0 or an errno.
int connect_with_timeout(int fd, const addrinfo* addr) {
  if (::connect(fd, addr->ai_addr, addr->ai_addrlen) == 0)
    return 0;
  if (errno != EINPROGRESS)
    return errno;
  pollfd p{fd, POLLOUT, 0};
  int r;
  do {
    r = ::poll(&p, 1, connect_timeout_ms);
  } while (r < 0 && errno == EINTR);
  if (r < 0)
    return errno;
  if (r == 0)
    return ETIMEDOUT;
  int err = 0;
  socklen_t len = sizeof(err);
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
    return errno;
  return err;
}

} // namespace

void socket_text_source_function::open(runtime_context& ctx) {
  if (port_ < 1 || port_ > 65535)
    throw error(errc::invalid_argument,
                "socket source port must be in 1..65535, got " + std::to_string(port_));
  if (checkpointing_enabled(ctx))
    log().warn("socket source {}: a socket cannot be rewound, so checkpoints record no position "
               "for it: after a restore it continues with what the peer sends next (lines in "
               "flight are lost or repeated; not exactly-once)",
               where());
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  int rc = ::getaddrinfo(host_.c_str(), std::to_string(port_).c_str(), &hints, &found);
  if (rc != 0)
    throw error(errc::io, "cannot connect to socket source " + where() + ": " +
                              (rc == EAI_SYSTEM ? std::strerror(errno) : ::gai_strerror(rc)));
  int last_error = ECONNREFUSED;
  for (addrinfo* a = found; a != nullptr && fd_ < 0; a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
    if (fd < 0) {
      last_error = errno;
      continue;
    }
    last_error = connect_with_timeout(fd, a);
    if (last_error == 0)
      fd_ = fd;
    else
      ::close(fd);
  }
  ::freeaddrinfo(found);
  if (fd_ < 0)
    throw error(errc::io,
                "cannot connect to socket source " + where() + ": " + std::strerror(last_error));
}

void socket_text_source_function::emit(collector<std::string>& out, std::size_t end) {
  std::size_t length = end - begin_;
  if (length > 0 && buffer_[begin_ + length - 1] == '\r')
    --length;
  out.collect(buffer_.substr(begin_, length));
}

source_status socket_text_source_function::poll(collector<std::string>& out,
                                                std::size_t max_records) {
  if (done_)
    return source_status::end();
  std::size_t emitted = 0, bytes_read = 0;
  while (emitted < max_records) {
    std::size_t pos = buffer_.find(delimiter_, begin_ + scanned_);
    if (pos != std::string::npos) {
      emit(out, pos);
      begin_ = pos + 1;
      scanned_ = 0;
      ++emitted;
      continue;
    }
    scanned_ = buffer_.size() - begin_;
    if (peer_closed_) {
      if (begin_ < buffer_.size()) {
        emit(out, buffer_.size()); // the last line had no delimiter
        ++emitted;
      }
      done_ = true;
      close();
      // Records only ever travel with has_more(); end() comes on the next poll.
      return emitted == 0 ? source_status::end() : source_status::has_more();
    }
    if (bytes_read >= max_bytes_per_poll)
      break;
    buffer_.erase(0, begin_);
    begin_ = 0;
    char chunk[64 * 1024];
    ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n > 0) {
      buffer_.append(chunk, static_cast<std::size_t>(n));
      bytes_read += static_cast<std::size_t>(n);
    } else if (n == 0) {
      peer_closed_ = true;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      return emitted == 0 ? source_status::wait_for(idle_wait) : source_status::has_more();
    } else if (errno != EINTR) {
      throw error(errc::io, "socket source " + where() + ": read failed: " + std::strerror(errno));
    }
  }
  return source_status::has_more();
}

void socket_text_source_function::close() {
  if (fd_ >= 0)
    ::close(fd_);
  fd_ = -1;
}

source_spec<std::string> socket_text_source(std::string host, int port, char delimiter) {
  source_spec<std::string> spec;
  spec.name = "socket-text";
  spec.factory = [host, port, delimiter]() -> std::unique_ptr<source_function<std::string>> {
    return std::make_unique<socket_text_source_function>(host, port, delimiter);
  };
  spec.parallel = false;
  return spec;
}

} // namespace spate
