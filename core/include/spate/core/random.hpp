// A small, fast random engine for generated records: seeding costs one store
// (std::mt19937_64 initialises 312 words), so every record can have its own
// engine seeded from (seed, sequence number).
#pragma once

#include <cstdint>

namespace spate {

//! splitmix64 as a UniformRandomBitGenerator (works with <random>'s
//! distributions). Not for cryptography.
class record_rng {
public:
  using result_type = std::uint64_t;
  explicit record_rng(std::uint64_t seed = 0) noexcept : state_(seed) {}
  void seed(std::uint64_t s) noexcept { state_ = s; }
  static constexpr result_type min() noexcept { return 0; }
  static constexpr result_type max() noexcept { return ~result_type{0}; }
  result_type operator()() noexcept {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  //! A uniform double in [0, 1).
  double uniform() noexcept { return static_cast<double>((*this)() >> 11) * 0x1.0p-53; }

private:
  std::uint64_t state_;
};

} // namespace spate
