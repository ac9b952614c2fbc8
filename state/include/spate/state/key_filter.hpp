// A filter of the keys a state's cache has handed to RocksDB, so that a miss
// on a key it never handed over (a new key, or a new window) is answered
// "absent" without asking RocksDB. RocksDB's own bloom filters give the same
// answer, but only after a lookup that probes the memtable and every file on
// the way down; this one costs one cache line per part.
//
// Blocked bloom filters (one 64-byte block per key, 10 bits per key, about
// 1.5 % false positives) in a chain: when the newest part is full, a part
// twice its size is added, so nothing is ever rehashed and a lookup probes
// log2(keys / first capacity) + 1 parts. Keys are never removed: a key RocksDB
// stops holding stays a (harmless) positive.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

namespace spate::detail {

class key_filter {
public:
  //! `first_capacity`: keys the first part holds at 10 bits each.
  explicit key_filter(std::size_t first_capacity = 1024)
      : next_capacity_(std::max<std::size_t>(first_capacity, 64)) {}

  //! Keys added so far.
  std::size_t size() const { return size_; }
  //! False only if `hash` was never added.
  bool may_contain(std::uint64_t hash) const {
    for (const auto& p : parts_)
      if (p.may_contain(hash))
        return true;
    return false;
  }
  void add(std::uint64_t hash) {
    if (parts_.empty() || parts_.back().count >= parts_.back().capacity) {
      parts_.emplace_back(next_capacity_);
      next_capacity_ *= 2;
    }
    parts_.back().add(hash);
    ++size_;
  }
  //! Bytes the parts take.
  std::size_t memory() const {
    std::size_t n = 0;
    for (const auto& p : parts_)
      n += p.words.size() * sizeof(std::uint64_t);
    return n;
  }

private:
  static constexpr int bits_per_key = 10;
  static constexpr int probes = 6;
  static constexpr std::size_t block_words = 8; // 512 bits, one cache line

  struct part {
    explicit part(std::size_t keys)
        : capacity(keys), blocks((keys * bits_per_key + block_words * 64 - 1) / (block_words * 64)),
          words(blocks * block_words, 0) {}

    std::size_t block_of(std::uint64_t hash) const {
      // The high half picks the block (the cache table probes with the low bits).
      return static_cast<std::size_t>(((hash >> 32) * blocks) >> 32);
    }
    // Nine bits per probe from a remix of the hash: the bit within the block.
    static std::uint64_t probe_bits(std::uint64_t hash) { return hash * 0x9e3779b97f4a7c15ULL; }

    bool may_contain(std::uint64_t hash) const {
      const std::uint64_t* block = words.data() + block_of(hash) * block_words;
      std::uint64_t bits = probe_bits(hash);
      for (int i = 0; i < probes; ++i, bits >>= 9) {
        const unsigned bit = static_cast<unsigned>(bits & 511);
        if ((block[bit >> 6] & (std::uint64_t{1} << (bit & 63))) == 0)
          return false;
      }
      return true;
    }
    void add(std::uint64_t hash) {
      std::uint64_t* block = words.data() + block_of(hash) * block_words;
      std::uint64_t bits = probe_bits(hash);
      for (int i = 0; i < probes; ++i, bits >>= 9) {
        const unsigned bit = static_cast<unsigned>(bits & 511);
        block[bit >> 6] |= std::uint64_t{1} << (bit & 63);
      }
      ++count;
    }

    std::size_t capacity;
    std::size_t count = 0;
    std::size_t blocks;
    std::vector<std::uint64_t> words;
  };

  std::vector<part> parts_;
  std::size_t next_capacity_;
  std::size_t size_ = 0;
};

} // namespace spate::detail
