#include "kafka_txn.hpp"

#include <cerrno>
#include <cstring>
#include <thread>
#include <vector>

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "spate/connectors/uri.hpp"
#include "spate/core/error.hpp"

namespace spate::kafka {

namespace {

using clock = std::chrono::steady_clock;

constexpr std::int16_t api_find_coordinator = 10;
constexpr std::int16_t api_init_producer_id = 22;
constexpr std::int16_t api_end_txn = 26;

// Kafka error codes the requests here answer with.
constexpr std::int16_t err_none = 0;
constexpr std::int16_t err_coordinator_load_in_progress = 14;
constexpr std::int16_t err_coordinator_not_available = 15;
constexpr std::int16_t err_not_coordinator = 16;
constexpr std::int16_t err_invalid_producer_epoch = 47;
constexpr std::int16_t err_invalid_txn_state = 48;
constexpr std::int16_t err_invalid_producer_id_mapping = 49;
constexpr std::int16_t err_concurrent_transactions = 51;
constexpr std::int16_t err_producer_fenced = 90;

bool retriable(std::int16_t e) {
  return e == err_coordinator_load_in_progress || e == err_coordinator_not_available ||
         e == err_not_coordinator || e == err_concurrent_transactions;
}

class writer {
public:
  void i8(std::int8_t v) { b_.push_back(static_cast<char>(v)); }
  void i16(std::int16_t v) { be(static_cast<std::uint64_t>(static_cast<std::uint16_t>(v)), 2); }
  void i32(std::int32_t v) { be(static_cast<std::uint64_t>(static_cast<std::uint32_t>(v)), 4); }
  void i64(std::int64_t v) { be(static_cast<std::uint64_t>(v), 8); }
  void str(const std::string& s) {
    i16(static_cast<std::int16_t>(s.size()));
    b_.append(s);
  }
  std::string frame() const {
    std::string out;
    auto n = static_cast<std::uint32_t>(b_.size());
    for (int i = 3; i >= 0; --i)
      out.push_back(static_cast<char>(n >> (8 * i)));
    return out + b_;
  }

private:
  void be(std::uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i)
      b_.push_back(static_cast<char>(v >> (8 * i)));
  }
  std::string b_;
};

class reader {
public:
  explicit reader(const std::string& b) : b_(b) {}
  std::int64_t be(int bytes) {
    if (pos_ + static_cast<std::size_t>(bytes) > b_.size())
      throw error(errc::codec, "Kafka response truncated");
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i)
      v = v << 8 | static_cast<unsigned char>(b_[pos_++]);
    return static_cast<std::int64_t>(v);
  }
  std::int16_t i16() { return static_cast<std::int16_t>(be(2)); }
  std::int32_t i32() { return static_cast<std::int32_t>(be(4)); }
  std::int64_t i64() { return be(8); }
  std::string str() {
    std::int16_t n = i16();
    if (n < 0)
      return {};
    if (pos_ + static_cast<std::size_t>(n) > b_.size())
      throw error(errc::codec, "Kafka response truncated");
    std::string s = b_.substr(pos_, static_cast<std::size_t>(n));
    pos_ += static_cast<std::size_t>(n);
    return s;
  }

private:
  const std::string& b_;
  std::size_t pos_ = 0;
};

int remaining_ms(clock::time_point deadline) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
  return ms > 0 ? static_cast<int>(ms) : 0;
}

// One request, one response, on a new connection to host:port.
std::string round_trip(const std::string& host, int port, std::int16_t api, std::int16_t version,
                       const writer& body_only, clock::time_point deadline) {
  writer w;
  w.i16(api);
  w.i16(version);
  w.i32(1); // correlation id
  w.str("spate");
  std::string request = w.frame();
  // The frame above holds the header; append the body and fix the length.
  std::string body = body_only.frame().substr(4);
  request += body;
  auto n = static_cast<std::uint32_t>(request.size() - 4);
  for (int i = 0; i < 4; ++i)
    request[static_cast<std::size_t>(i)] = static_cast<char>(n >> (8 * (3 - i)));

  std::string where = host + ":" + std::to_string(port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found); rc != 0)
    throw error(errc::io, "Kafka broker " + where + ": " + ::gai_strerror(rc));
  int fd = -1;
  int last = ECONNREFUSED;
  for (addrinfo* a = found; a && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
    if (fd < 0) {
      last = errno;
      continue;
    }
    if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0 && errno != EINPROGRESS) {
      last = errno;
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(found);
  if (fd < 0)
    throw error(errc::io, "Kafka broker " + where + ": " + std::strerror(last));
  struct closer {
    int fd;
    ~closer() { ::close(fd); }
  } guard{fd};
  auto wait = [&](short events) {
    pollfd p{fd, events, 0};
    int r;
    do {
      r = ::poll(&p, 1, remaining_ms(deadline));
    } while (r < 0 && errno == EINTR);
    if (r == 0)
      throw error(errc::io, "Kafka broker " + where + ": timed out");
    if (r < 0)
      throw error(errc::io, "Kafka broker " + where + ": " + std::strerror(errno));
  };
  std::size_t sent = 0;
  while (sent < request.size()) {
    wait(POLLOUT);
    ssize_t k = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (k < 0 && errno != EAGAIN && errno != EINTR)
      throw error(errc::io, "Kafka broker " + where + ": " + std::strerror(errno));
    if (k > 0)
      sent += static_cast<std::size_t>(k);
  }
  std::string in;
  std::size_t need = 4;
  while (in.size() < need) {
    wait(POLLIN);
    char buf[4096];
    ssize_t k = ::recv(fd, buf, sizeof buf, 0);
    if (k == 0)
      throw error(errc::io, "Kafka broker " + where + " closed the connection (request " +
                                std::to_string(api) + " v" + std::to_string(version) +
                                " refused?)");
    if (k < 0) {
      if (errno == EAGAIN || errno == EINTR)
        continue;
      throw error(errc::io, "Kafka broker " + where + ": " + std::strerror(errno));
    }
    in.append(buf, static_cast<std::size_t>(k));
    if (need == 4 && in.size() >= 4) {
      reader r(in);
      auto len = r.i32();
      if (len < 4 || len > (1 << 20))
        throw error(errc::codec,
                    "Kafka broker " + where + ": bad response length " + std::to_string(len));
      need = 4 + static_cast<std::size_t>(len);
    }
  }
  return in.substr(8, need - 8); // after length and correlation id
}

struct coordinator {
  std::string host;
  int port = 0;
};

coordinator find_coordinator(const std::string& brokers, const std::string& txn_id,
                             clock::time_point deadline) {
  std::string last = "no broker answered";
  while (true) {
    for (const auto& b : parse_host_ports(brokers, 9092, brokers)) {
      try {
        writer body;
        body.str(txn_id);
        body.i8(1); // key type: transaction
        std::string resp = round_trip(b.host, b.port, api_find_coordinator, 1, body, deadline);
        reader r(resp);
        r.i32(); // throttle
        std::int16_t err = r.i16();
        std::string message = r.str();
        std::int32_t node = r.i32();
        coordinator c;
        c.host = r.str();
        c.port = r.i32();
        if (err == err_none && node >= 0)
          return c;
        last = "FindCoordinator error " + std::to_string(err) + " " + message;
        if (!retriable(err))
          throw error(errc::io, "Kafka transaction coordinator of '" + txn_id + "': " + last);
      } catch (const error& e) {
        if (e.code() != errc::io || remaining_ms(deadline) == 0)
          throw;
        last = e.what();
      }
    }
    if (remaining_ms(deadline) == 0)
      throw error(errc::io, "cannot find the Kafka transaction coordinator of '" + txn_id +
                                "' through " + brokers + ": " + last);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

} // namespace

std::optional<producer_identity> parse_producer_identity(const std::string& text) {
  auto at = text.find("PID{Id:");
  if (at == std::string::npos)
    return std::nullopt;
  long long id = 0;
  int epoch = 0;
  if (std::sscanf(text.c_str() + at, "PID{Id:%lld,Epoch:%d}", &id, &epoch) != 2 || id < 0 ||
      epoch < 0)
    return std::nullopt;
  return producer_identity{id, static_cast<std::int16_t>(epoch)};
}

end_txn_outcome end_transaction(const std::string& brokers, const std::string& transactional_id,
                                producer_identity who_holds, bool commit,
                                std::chrono::milliseconds timeout) {
  auto deadline = clock::now() + timeout;
  std::string last;
  while (true) {
    auto c = find_coordinator(brokers, transactional_id, deadline);
    writer body;
    body.str(transactional_id);
    body.i64(who_holds.id);
    body.i16(who_holds.epoch);
    body.i8(commit ? 1 : 0);
    std::string resp = round_trip(c.host, c.port, api_end_txn, 1, body, deadline);
    reader r(resp);
    r.i32(); // throttle
    std::int16_t err = r.i16();
    if (err == err_none)
      return end_txn_outcome::done;
    if (err == err_invalid_producer_epoch || err == err_producer_fenced)
      return end_txn_outcome::fenced;
    if (err == err_invalid_txn_state || err == err_invalid_producer_id_mapping)
      return end_txn_outcome::no_transaction;
    last = "EndTxn error " + std::to_string(err);
    if (!retriable(err) || remaining_ms(deadline) == 0)
      throw error(errc::io, "cannot " + std::string(commit ? "commit" : "abort") +
                                " Kafka transaction '" + transactional_id + "': " + last);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

producer_identity init_producer_id(const std::string& brokers, const std::string& transactional_id,
                                   std::int32_t transaction_timeout_ms,
                                   std::chrono::milliseconds timeout) {
  auto deadline = clock::now() + timeout;
  while (true) {
    auto c = find_coordinator(brokers, transactional_id, deadline);
    writer body;
    body.str(transactional_id);
    body.i32(transaction_timeout_ms);
    std::string resp = round_trip(c.host, c.port, api_init_producer_id, 1, body, deadline);
    reader r(resp);
    r.i32(); // throttle
    std::int16_t err = r.i16();
    producer_identity id;
    id.id = r.i64();
    id.epoch = r.i16();
    if (err == err_none)
      return id;
    if (!retriable(err) || remaining_ms(deadline) == 0)
      throw error(errc::io, "InitProducerId for Kafka transactional id '" + transactional_id +
                                "' failed with error " + std::to_string(err));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

} // namespace spate::kafka
