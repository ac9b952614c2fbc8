#define BOOST_TEST_MODULE socket_source
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "connectors/source_harness.hpp"
#include "spate/connectors/socket_source.hpp"
#include "spate/core/error.hpp"
#include "spate/core/log.hpp"

#include <spdlog/sinks/ringbuffer_sink.h>

using namespace spate;
using lines = std::vector<std::string>;

namespace {

// A TCP socket bound to 127.0.0.1 on a port the kernel picks.
class local_socket {
public:
  explicit local_socket(bool listening) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    BOOST_TEST_REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    if (listening)
      BOOST_TEST_REQUIRE(::listen(fd_, 4) == 0);
    socklen_t len = sizeof(addr);
    BOOST_TEST_REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port_ = ntohs(addr.sin_port);
  }
  ~local_socket() { close(); }
  int port() const { return port_; }
  int fd() const { return fd_; }
  void close() {
    if (fd_ >= 0)
      ::close(fd_);
    fd_ = -1;
  }

private:
  int fd_ = -1;
  int port_ = 0;
};

void send_all(int fd, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::send(fd, text.data() + done, text.size() - done, MSG_NOSIGNAL);
    if (n <= 0)
      throw std::runtime_error("send failed");
    done += static_cast<std::size_t>(n);
  }
}

// Polls `source` until it has emitted `want` records in total or finished;
// idle answers wait what they ask for, as the runtime would.
source_status poll_until(source_function<std::string>& source, collector<std::string>& out,
                         const typed_batch<std::string>& batch, std::size_t want) {
  while (true) {
    source_status s = source.poll(out, 3);
    if (s.kind == source_status::finished || batch.size() >= want)
      return s;
    if (s.kind == source_status::idle) {
      BOOST_TEST(s.wait.count() == 5);
      std::this_thread::sleep_for(s.wait);
    }
  }
}

} // namespace

BOOST_AUTO_TEST_CASE(receives_lines_then_ends) {
  local_socket server(true);
  std::promise<void> first_lines_seen;
  std::thread peer([&, seen = first_lines_seen.get_future()]() mutable {
    int conn = ::accept(server.fd(), nullptr, nullptr);
    if (conn < 0)
      return;
    send_all(conn, "alpha\nbeta\r\ngam");
    seen.wait(); // the source holds the partial "gam" now
    send_all(conn, "ma\n\ndelta\nlast without newline");
    ::close(conn);
  });
  auto spec = socket_text_source("127.0.0.1", server.port());
  BOOST_TEST(!spec.parallel);
  auto source = spec.factory();
  runtime_context ctx;
  source->open(ctx);
  typed_batch<std::string> batch;
  collector<std::string> out(&batch);
  poll_until(*source, out, batch, 2);
  BOOST_TEST((batch.values == lines{"alpha", "beta"}));
  first_lines_seen.set_value();
  source_status s = poll_until(*source, out, batch, SIZE_MAX);
  BOOST_TEST(s.kind == source_status::finished);
  BOOST_TEST(
      (batch.values == lines{"alpha", "beta", "gamma", "", "delta", "last without newline"}));
  BOOST_TEST(source->poll(out, 3).kind == source_status::finished);
  source->close();
  peer.join();
}

BOOST_AUTO_TEST_CASE(custom_delimiter_and_empty_stream) {
  local_socket server(true);
  std::thread peer([&] {
    int conn = ::accept(server.fd(), nullptr, nullptr);
    send_all(conn, "a;b;;c;");
    ::close(conn);
    conn = ::accept(server.fd(), nullptr, nullptr);
    ::close(conn); // a peer that sends nothing
  });
  BOOST_TEST((test::drain(socket_text_source("127.0.0.1", server.port(), ';'), 0, 1) ==
              lines{"a", "b", "", "c"}));
  BOOST_TEST(test::drain(socket_text_source("localhost", server.port()), 0, 1).empty());
  peer.join();
}

BOOST_AUTO_TEST_CASE(closed_port_gives_a_clear_error) {
  local_socket unused(false); // bound but not listening: connections are refused
  std::string where = "127.0.0.1:" + std::to_string(unused.port());
  auto source = socket_text_source("127.0.0.1", unused.port()).factory();
  runtime_context ctx;
  BOOST_CHECK_EXCEPTION(source->open(ctx), spate::error, [&](const spate::error& e) {
    BOOST_TEST_MESSAGE(e.what());
    return e.code() == errc::io && std::string(e.what()) == "cannot connect to socket source " +
                                                                where + ": Connection refused";
  });
}

BOOST_AUTO_TEST_CASE(invalid_port_is_rejected) {
  auto source = socket_text_source("127.0.0.1", 70000).factory();
  runtime_context ctx;
  BOOST_CHECK_EXCEPTION(source->open(ctx), spate::error,
                        [](const spate::error& e) { return e.code() == errc::invalid_argument; });
}

BOOST_AUTO_TEST_CASE(checkpoints_record_nothing_and_say_so) {
  auto captured = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(16);
  spate::log().sinks().push_back(captured);
  local_socket server(true);
  std::thread peer([&] {
    for (int k = 0; k < 2; ++k) {
      int conn = ::accept(server.fd(), nullptr, nullptr);
      send_all(conn, "a\nb\n");
      ::close(conn);
    }
  });
  // Without checkpointing no warning; with it, one.
  for (bool checkpointing : {false, true}) {
    auto source = socket_text_source("127.0.0.1", server.port()).factory();
    test::checkpointing_context ctx(0, 1, checkpointing);
    source->open(ctx);
    typed_batch<std::string> batch;
    collector<std::string> out(&batch);
    poll_until(*source, out, batch, SIZE_MAX);
    BOOST_TEST((batch.values == lines{"a", "b"}));
    operator_state_writer w;
    source->snapshot_state(1, w);
    BOOST_TEST(w.entries().empty());
    source->close();
  }
  peer.join();
  spate::log().sinks().pop_back();
  auto messages = captured->last_formatted();
  auto warnings = std::count_if(messages.begin(), messages.end(), [](const std::string& m) {
    return m.find("socket source 127.0.0.1:") != std::string::npos &&
           m.find("cannot be rewound") != std::string::npos;
  });
  BOOST_TEST(warnings == 1);
}
