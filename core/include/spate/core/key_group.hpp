// Key groups: the unit in which keyed state is partitioned and rescaled.
// The assignment is exactly Flink's (KeyGroupRangeAssignment), so a key lands in
// the same key group and subtask as it would there for the same key hash.
#pragma once

#include <cstdint>
#include <ostream>

#include "spate/core/types.hpp"

namespace spate {

//! Flink's MathUtils.murmurHash: a 32-bit murmur3 finalisation of one int,
//! made non-negative. Inline: every keyed record computes it, on both sides
//! of a key_by.
inline std::int32_t murmur_hash(std::int32_t code) {
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
  // Java's Math.abs, except that INT32_MIN (whose negation overflows) maps to 0.
  return s != INT32_MIN ? -s : 0;
}

//! Key group of a key whose hash is `key_hash`, for `max_parallelism` groups.
inline int key_group_for_hash(std::uint64_t key_hash, int max_parallelism) {
  // Fold the 64-bit hash into Java's int hashCode range first.
  auto folded = static_cast<std::int32_t>(static_cast<std::uint32_t>(key_hash ^ (key_hash >> 32)));
  const std::int32_t h = murmur_hash(folded); // non-negative
  // Flink's default of 128, like most settings, is a power of two: then a
  // mask does the division's work.
  if ((max_parallelism & (max_parallelism - 1)) == 0)
    return h & (max_parallelism - 1);
  return h % max_parallelism;
}

//! Index of the subtask (of `parallelism`) that owns key group `key_group`.
inline int subtask_for_key_group(int key_group, int max_parallelism, int parallelism) {
  const auto scaled = static_cast<std::int64_t>(key_group) * parallelism; // non-negative
  if ((max_parallelism & (max_parallelism - 1)) == 0)
    return static_cast<int>(scaled >> __builtin_ctz(static_cast<unsigned>(max_parallelism)));
  return static_cast<int>(scaled / max_parallelism);
}

//! An inclusive range of key groups [start, end]; empty when end < start.
struct key_group_range {
  int start = 0;
  int end = -1;

  int size() const { return end < start ? 0 : end - start + 1; }
  bool contains(int kg) const { return kg >= start && kg <= end; }
  bool empty() const { return end < start; }
  friend bool operator==(key_group_range a, key_group_range b) {
    return a.start == b.start && a.end == b.end;
  }
  friend std::ostream& operator<<(std::ostream& os, key_group_range r) {
    return os << "[" << r.start << ", " << r.end << "]";
  }
};

//! The key groups owned by subtask `index` of `parallelism`:
//! [ceil(i*M/p), floor(((i+1)*M - 1)/p)].
inline key_group_range key_group_range_for_subtask(int max_parallelism, int parallelism,
                                                   int index) {
  std::int64_t m = max_parallelism;
  std::int64_t p = parallelism;
  std::int64_t i = index;
  return {static_cast<int>((i * m + p - 1) / p), static_cast<int>(((i + 1) * m - 1) / p)};
}

} // namespace spate
