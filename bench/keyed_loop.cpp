// The plain-loop reference in C++ for spate-bench --pipeline window (issue
// #20): one thread, no framework, a std::unordered_map per window. The same
// events as apps::keyed_window: event i has key rng() % keys with the
// generator's engine seeded from (seed 42, i), value i, event time i / 1000 ms;
// 1 s tumbling windows keep count and sum per key, and at each window's end
// every (key, count, sum, window_end) goes to a discard (a checksum).
//
// Usage: spate-keyed-loop --events N --keys K
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unordered_map>

#include "spate/core/hash.hpp"
#include "spate/core/process_stats.hpp"
#include "spate/core/random.hpp"

namespace {

struct result {
  std::int64_t key, count, sum, window_end;
};

std::uint64_t checksum = 0;
std::uint64_t emitted = 0;

// Not inlined: a sink the compiler cannot see through.
[[gnu::noinline]] void discard(const result& r) {
  checksum += static_cast<std::uint64_t>(r.key + r.count + r.sum + r.window_end);
  ++emitted;
}

struct acc {
  std::int64_t count = 0, sum = 0;
};

void run(std::int64_t events, std::int64_t keys) {
  const auto k = static_cast<std::uint64_t>(keys);
  std::unordered_map<std::int64_t, acc> window;
  std::int64_t window_end = 1000;
  spate::record_rng rng;
  for (std::int64_t i = 0; i < events; ++i) {
    rng.seed(spate::mix64(42 ^ spate::mix64(static_cast<std::uint64_t>(i))));
    const auto key = static_cast<std::int64_t>(rng() % k);
    const std::int64_t ts = i / 1000;
    if (ts >= window_end) {
      for (auto& [key2, a] : window)
        discard({key2, a.count, a.sum, window_end});
      window = {}; // a new map per window, as the JavaScript loop does
      window_end = (ts / 1000 + 1) * 1000;
    }
    auto& a = window[key];
    a.count += 1;
    a.sum += i;
  }
  for (auto& [key2, a] : window)
    discard({key2, a.count, a.sum, window_end});
}

} // namespace

int main(int argc, char** argv) {
  std::int64_t events = 20'000'000;
  std::int64_t keys = 10'000;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--events") == 0)
      events = std::atoll(argv[i + 1]);
    else if (std::strcmp(argv[i], "--keys") == 0)
      keys = std::atoll(argv[i + 1]);
    else {
      std::fprintf(stderr, "usage: spate-keyed-loop [--events N] [--keys K]\n");
      return 2;
    }
  }
  if (events < 1 || keys < 1) {
    std::fprintf(stderr, "spate-keyed-loop: --events and --keys must be positive\n");
    return 2;
  }
  double cpu0 = spate::process_cpu_seconds();
  auto t0 = std::chrono::steady_clock::now();
  run(events, keys);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double cpu = spate::process_cpu_seconds() - cpu0;
  std::printf("pipeline        C++: an unordered_map per 1 s window (count, sum) -> discard\n");
  std::printf("events          %lld\n", static_cast<long long>(events));
  std::printf("keys            %lld\n", static_cast<long long>(keys));
  std::printf("results         %llu (checksum %llu)\n", static_cast<unsigned long long>(emitted),
              static_cast<unsigned long long>(checksum));
  std::printf("seconds         %.3f\n", secs);
  std::printf("events/s        %.0f\n", static_cast<double>(events) / secs);
  std::printf("cpu seconds     %.3f\n", cpu);
  std::printf("events/s/core   %.0f\n", static_cast<double>(events) / cpu);
  std::printf("peak rss        %.1f MiB\n", spate::process_peak_rss_mib());
  return 0;
}
