// Comparing short byte strings (state keys, namespaces) without a library call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace spate {

//! True when the `n` bytes at `a` and `b` are equal. Inline word compares:
//! for the short keys of the state cache, memcmp's call costs more than the
//! compare.
inline bool short_bytes_equal(const char* a, const char* b, std::size_t n) noexcept {
  if (n >= 8) {
    std::uint64_t x, y;
    for (std::size_t i = 0; i + 8 < n; i += 8) {
      std::memcpy(&x, a + i, 8);
      std::memcpy(&y, b + i, 8);
      if (x != y)
        return false;
    }
    // The last eight bytes, overlapping the words compared before.
    std::memcpy(&x, a + n - 8, 8);
    std::memcpy(&y, b + n - 8, 8);
    return x == y;
  }
  if (n >= 4) {
    std::uint32_t x, y, u, v;
    std::memcpy(&x, a, 4);
    std::memcpy(&y, b, 4);
    std::memcpy(&u, a + n - 4, 4);
    std::memcpy(&v, b + n - 4, 4);
    return x == y && u == v;
  }
  for (std::size_t i = 0; i < n; ++i)
    if (a[i] != b[i])
      return false;
  return true;
}

} // namespace spate
