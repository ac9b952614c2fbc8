// An open-addressing hash table from byte-string keys to values, for the
// state cache: an array of 64-bit hashes probed linearly (eight to a cache
// line), beside an array of slots holding keys (up to 30 bytes inline) and
// values. A hit costs one hash, a short scan of hashes and one slot: no node,
// no separate key allocation.
//
// Erasing leaves a tombstone, so slot indices stay valid while iterating and
// erasing; the table is rebuilt only by an insert that finds it too full.
// Pointers and indices are invalidated by insert() only.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "spate/core/hash.hpp"

namespace spate::detail {

//! Key bytes: inline up to `inline_capacity`, on the heap beyond.
class slot_key {
public:
  static constexpr std::size_t inline_capacity = 30;

  std::string_view view() const {
    return {heap_ ? heap_.get() : inline_, size_};
  }
  void assign(std::string_view k) {
    size_ = static_cast<std::uint32_t>(k.size());
    if (k.size() <= inline_capacity) {
      heap_.reset();
      std::memcpy(inline_, k.data(), k.size());
    } else {
      heap_.reset(new char[k.size()]);
      std::memcpy(heap_.get(), k.data(), k.size());
    }
  }
  void reset() {
    heap_.reset();
    size_ = 0;
  }

private:
  std::uint32_t size_ = 0;
  char inline_[inline_capacity];
  std::unique_ptr<char[]> heap_;
};

template <class V>
class flat_table {
  static constexpr std::uint64_t empty_hash = 0;
  static constexpr std::uint64_t tombstone_hash = 1;

  struct slot {
    slot_key key;
    V value{};
  };

public:
  //! Hash of `key` as the table uses it (never 0 or 1).
  static std::uint64_t hash_of(std::string_view key) {
    std::uint64_t h = mix64(hash_bytes(key.data(), key.size()));
    return h < 2 ? h + 2 : h;
  }

  std::size_t size() const { return size_; }

  //! The value at `key` (with h = hash_of(key)), nullptr if none.
  V* find(std::string_view key, std::uint64_t h) {
    if (hashes_.empty())
      return nullptr;
    for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
      const std::uint64_t x = hashes_[i];
      if (x == empty_hash)
        return nullptr;
      if (x == h && slots_[i].key.view() == key)
        return &slots_[i].value;
    }
  }

  //! Inserts `key` (absent: the caller looked it up) with `value`.
  V& insert(std::string_view key, std::uint64_t h, V value) {
    if ((size_ + tombstones_ + 1) * 4 > hashes_.size() * 3)
      rebuild(size_ + 1);
    std::size_t i = h & mask_;
    while (hashes_[i] >= 2)
      i = (i + 1) & mask_;
    if (hashes_[i] == tombstone_hash)
      --tombstones_;
    hashes_[i] = h;
    slot& s = slots_[i];
    s.key.assign(key);
    s.value = std::move(value);
    ++size_;
    return s.value;
  }

  //! Removes `key` if present.
  bool erase(std::string_view key, std::uint64_t h) {
    if (hashes_.empty())
      return false;
    for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
      const std::uint64_t x = hashes_[i];
      if (x == empty_hash)
        return false;
      if (x == h && slots_[i].key.view() == key) {
        erase_at(i);
        return true;
      }
    }
  }

  //! Calls `f(index, key, value)` for every entry, in slot order.
  template <class F>
  void for_each(F&& f) {
    for (std::size_t i = 0; i < hashes_.size(); ++i)
      if (hashes_[i] >= 2)
        f(i, slots_[i].key.view(), slots_[i].value);
  }

  //! Removes the entry at slot `index` (from for_each).
  void erase_at(std::size_t index) {
    slot& s = slots_[index];
    hashes_[index] = tombstone_hash;
    s.key.reset();
    s.value = V{};
    --size_;
    ++tombstones_;
  }
  std::string_view key_at(std::size_t index) const { return slots_[index].key.view(); }
  std::uint64_t hash_at(std::size_t index) const { return hashes_[index]; }
  V& value_at(std::size_t index) { return slots_[index].value; }

  //! Removes every entry; keeps the slots.
  void clear() {
    if (size_ == 0 && tombstones_ == 0)
      return;
    for (std::size_t i = 0; i < hashes_.size(); ++i) {
      if (hashes_[i] >= 2) {
        slots_[i].key.reset();
        slots_[i].value = V{};
      }
      hashes_[i] = empty_hash;
    }
    size_ = 0;
    tombstones_ = 0;
  }

private:
  void rebuild(std::size_t needed) {
    std::size_t capacity = 16;
    // At most half full after a rebuild: a table that reached 3/4 doubles, and
    // one filled with tombstones (a full cache evicting) keeps its size.
    while (capacity < needed * 2)
      capacity *= 2;
    std::vector<std::uint64_t> old_hashes = std::move(hashes_);
    std::vector<slot> old = std::move(slots_);
    hashes_.assign(capacity, empty_hash);
    slots_ = std::vector<slot>(capacity);
    mask_ = capacity - 1;
    tombstones_ = 0;
    for (std::size_t k = 0; k < old.size(); ++k) {
      const std::uint64_t h = old_hashes[k];
      if (h < 2)
        continue;
      std::size_t i = h & mask_;
      while (hashes_[i] != empty_hash)
        i = (i + 1) & mask_;
      hashes_[i] = h;
      slots_[i].key = std::move(old[k].key);
      slots_[i].value = std::move(old[k].value);
    }
  }

  std::vector<std::uint64_t> hashes_; //!< 0 empty, 1 tombstone, else the key's hash
  std::vector<slot> slots_;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
  std::size_t tombstones_ = 0;
};

} // namespace spate::detail
