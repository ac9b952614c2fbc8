// A TCP socket listening on 127.0.0.1:`port` while it lives: holds a port
// taken, or finds one free (tests of port ranges). Not an unused httplib::Server: its
// destructor does not close the socket it bound.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <memory>
#include <random>
#include <stdexcept>
#include <vector>

namespace spate::test {

struct listener {
  int fd = -1;
  bool ok = false;
  explicit listener(int port) {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    // As the endpoints under test bind: a port whose old connections wait in
    // TIME-WAIT is free (a busy host has thousands), one that listens is not.
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && ::listen(fd, 4) == 0;
  }
  ~listener() { ::close(fd); }
  listener(const listener&) = delete;
  listener& operator=(const listener&) = delete;
};

//! `n` consecutive ports that were free a moment ago, below the kernel's
//! ephemeral range (net.ipv4.ip_local_port_range), so the host's own
//! outgoing connections and their TIME-WAIT never hold one.
inline int free_range(int n) {
  int low = 32768;
  std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
  range >> low;
  if (low - n <= 10000)
    low = 65535; // an unusual setting: try above 10000 anyway
  std::mt19937 pick{std::random_device{}()};
  std::uniform_int_distribution<int> first_of(10000, std::min(low, 65535) - n);
  for (int attempt = 0; attempt < 200; ++attempt) {
    int first = first_of(pick);
    bool all = true;
    std::vector<std::unique_ptr<listener>> held;
    for (int p = first; p < first + n && all; ++p) {
      held.push_back(std::make_unique<listener>(p));
      all = held.back()->ok;
    }
    if (all)
      return first;
  }
  throw std::runtime_error("no " + std::to_string(n) + " free consecutive ports");
}

} // namespace spate::test
