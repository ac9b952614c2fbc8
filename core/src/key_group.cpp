#include "spate/core/key_group.hpp"

#include <cstdlib>

namespace spate {

std::int32_t murmur_hash(std::int32_t code) {
  auto rotl = [](std::uint32_t x, int r) { return (x << r) | (x >> (32 - r)); };
  std::uint32_t k = static_cast<std::uint32_t>(code);
  k *= 0xcc9e2d51u;
  k = rotl(k, 15);
  k *= 0x1b873593u;
  std::uint32_t h = k; // seed 0
  h = rotl(h, 13);
  h = h * 5 + 0xe6546b64u;
  h ^= 4u; // length in bytes
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  auto s = static_cast<std::int32_t>(h);
  if (s >= 0)
    return s;
  if (s != INT32_MIN)
    return -s;
  return 0;
}

} // namespace spate
