#include "spate/core/crash_point.hpp"

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <string>

#include <unistd.h>

namespace spate {

namespace {

struct armed_point {
  std::string name;
  long hit = 1;
  std::atomic<long> passed{0};
};

//! The point SPATE_CRASH_POINT names, read once; null when unset.
armed_point* armed() {
  static armed_point* point = []() -> armed_point* {
    const char* v = std::getenv("SPATE_CRASH_POINT");
    if (!v || !*v)
      return nullptr;
    auto* p = new armed_point; // lives as long as the process
    std::string s(v);
    auto colon = s.find(':');
    p->name = s.substr(0, colon);
    if (colon != std::string::npos)
      p->hit = std::max(1L, std::strtol(s.c_str() + colon + 1, nullptr, 10));
    return p;
  }();
  return point;
}

} // namespace

void crash_point(const char* name) noexcept {
  auto* p = armed();
  if (!p || p->name != name)
    return;
  if (p->passed.fetch_add(1) + 1 != p->hit)
    return;
  std::string msg = std::string("spate: crash point '") + name + "' reached (SPATE_CRASH_POINT)\n";
  auto written = ::write(2, msg.data(), msg.size());
  (void)written;
  ::raise(SIGKILL);
}

} // namespace spate
