// One seed for every randomized test: SPATE_TEST_SEED=N replays a run, and
// every run logs the seed it used, so a failure can be replayed exactly.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <random>
#include <string>

namespace spate::test {

//! The seed of this run: SPATE_TEST_SEED when set (decimal), else a random
//! one. Logged on stderr with `what` (the test) either way.
inline std::uint64_t test_seed(const std::string& what) {
  std::uint64_t seed = 0;
  const char* fixed = std::getenv("SPATE_TEST_SEED");
  if (fixed && *fixed) {
    seed = std::strtoull(fixed, nullptr, 10);
  } else {
    std::random_device rd;
    seed = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
  }
  std::cerr << what << ": seed " << seed << " (replay with SPATE_TEST_SEED=" << seed << ")"
            << std::endl;
  return seed;
}

} // namespace spate::test
