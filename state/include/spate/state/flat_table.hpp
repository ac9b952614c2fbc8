// An open-addressing hash table from byte-string keys to values, for the
// state cache. A byte array of control tags (empty, deleted, or seven bits of
// the key's hash) is probed linearly, beside an array of slots holding keys
// (up to 31 bytes inline) and values. A hit costs one hash, a scan of a few
// tag bytes and one slot: no node, no separate key allocation.
//
// The tags are one byte per slot so that the probed part stays in the CPU's
// cache while the slots do not: a lookup then misses at most once, on its
// slot. A slot of a 32-byte value is 64 bytes, aligned to a cache line.
//
// Erasing leaves a tombstone (or an empty tag when no probe runs through the
// slot), so slot indices stay valid while iterating and erasing; the table is
// rebuilt only by an insert that finds it too full. Pointers and indices are
// invalidated by insert() only.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "spate/core/bytes.hpp"
#include "spate/core/hash.hpp"

namespace spate::detail {

//! Key bytes in 32 bytes: inline up to `inline_capacity`, else on the heap
//! (a block holding the size, then the bytes).
class slot_key {
public:
  static constexpr std::size_t inline_capacity = 31;

  slot_key() noexcept { bytes_[inline_capacity] = 0; }
  ~slot_key() { reset(); }
  slot_key(slot_key&& o) noexcept {
    std::memcpy(bytes_, o.bytes_, sizeof bytes_);
    o.bytes_[inline_capacity] = 0;
  }
  slot_key& operator=(slot_key&& o) noexcept {
    if (this != &o) {
      reset();
      std::memcpy(bytes_, o.bytes_, sizeof bytes_);
      o.bytes_[inline_capacity] = 0;
    }
    return *this;
  }
  slot_key(const slot_key&) = delete;
  slot_key& operator=(const slot_key&) = delete;

  std::string_view view() const noexcept {
    auto tag = static_cast<unsigned char>(bytes_[inline_capacity]);
    if (tag != on_heap)
      return {bytes_, tag};
    const char* block = heap();
    std::uint32_t size;
    std::memcpy(&size, block, 4);
    return {block + 4, size};
  }
  bool equals(std::string_view k) const noexcept {
    auto tag = static_cast<unsigned char>(bytes_[inline_capacity]);
    if (tag != on_heap)
      return tag == k.size() && short_bytes_equal(bytes_, k.data(), k.size());
    return view() == k;
  }
  void assign(std::string_view k) {
    reset();
    if (k.size() <= inline_capacity) {
      std::memcpy(bytes_, k.data(), k.size());
      bytes_[inline_capacity] = static_cast<char>(k.size());
    } else {
      auto size = static_cast<std::uint32_t>(k.size());
      char* block = new char[4 + k.size()];
      std::memcpy(block, &size, 4);
      std::memcpy(block + 4, k.data(), k.size());
      std::memcpy(bytes_, &block, sizeof block);
      bytes_[inline_capacity] = static_cast<char>(on_heap);
    }
  }
  void reset() noexcept {
    if (static_cast<unsigned char>(bytes_[inline_capacity]) == on_heap)
      delete[] heap();
    bytes_[inline_capacity] = 0;
  }

private:
  static constexpr unsigned char on_heap = 0xff;
  char* heap() const noexcept {
    char* p;
    std::memcpy(&p, bytes_, sizeof p);
    return p;
  }
  //! Inline: the bytes, then their count in the last byte. On the heap: the
  //! block's address first, 0xff in the last byte.
  alignas(8) char bytes_[inline_capacity + 1];
};
static_assert(sizeof(slot_key) == 32);

template <class V>
class flat_table {
  static constexpr std::uint8_t empty_tag = 0;
  static constexpr std::uint8_t deleted_tag = 1;

  struct plain_slot {
    slot_key key;
    V value{};
  };
  //! A slot of 64 bytes or less is aligned to a cache line (when it is
  //! exactly 64) so that a lookup touches one line.
  struct alignas(sizeof(plain_slot) == 64 ? 64 : alignof(plain_slot)) slot {
    slot_key key;
    V value{};
  };

public:
  //! Hash of `key` as the table uses it.
  static std::uint64_t hash_of(std::string_view key) {
    return mix64(hash_bytes(key.data(), key.size()));
  }

  std::size_t size() const { return size_; }

  //! The value at `key` (with h = hash_of(key)), nullptr if none.
  V* find(std::string_view key, std::uint64_t h) {
    if (tags_.empty())
      return nullptr;
    const std::uint8_t tag = tag_of(h);
    for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
      const std::uint8_t t = tags_[i];
      if (t == empty_tag)
        return nullptr;
      if (t == tag && slots_[i].key.equals(key))
        return &slots_[i].value;
    }
  }

  //! Inserts `key` (absent: the caller looked it up) with `value`.
  V& insert(std::string_view key, std::uint64_t h, V value) {
    if ((size_ + tombstones_ + 1) * 4 > tags_.size() * 3)
      rebuild(size_ + 1);
    std::size_t i = h & mask_;
    while (tags_[i] > deleted_tag)
      i = (i + 1) & mask_;
    if (tags_[i] == deleted_tag)
      --tombstones_;
    tags_[i] = tag_of(h);
    slot& s = slots_[i];
    s.key.assign(key);
    s.value = std::move(value);
    ++size_;
    return s.value;
  }

  //! Removes `key` if present.
  bool erase(std::string_view key, std::uint64_t h) {
    if (tags_.empty())
      return false;
    const std::uint8_t tag = tag_of(h);
    for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
      const std::uint8_t t = tags_[i];
      if (t == empty_tag)
        return false;
      if (t == tag && slots_[i].key.equals(key)) {
        erase_at(i);
        return true;
      }
    }
  }

  //! Calls `f(index, key, value)` for every entry, in slot order.
  template <class F>
  void for_each(F&& f) {
    for (std::size_t i = 0; i < tags_.size(); ++i)
      if (tags_[i] > deleted_tag)
        f(i, slots_[i].key.view(), slots_[i].value);
  }

  //! Removes the entry at slot `index` (from for_each).
  void erase_at(std::size_t index) {
    slot& s = slots_[index];
    s.key.reset();
    s.value = V{};
    --size_;
    // No probe goes past an empty slot: when the next one is empty, this one
    // and the tombstones just before it end no probe either.
    if (tags_[(index + 1) & mask_] != empty_tag) {
      tags_[index] = deleted_tag;
      ++tombstones_;
      return;
    }
    tags_[index] = empty_tag;
    for (std::size_t i = (index - 1) & mask_; tags_[i] == deleted_tag; i = (i - 1) & mask_) {
      tags_[i] = empty_tag;
      --tombstones_;
    }
  }
  std::string_view key_at(std::size_t index) const { return slots_[index].key.view(); }
  //! hash_of(key_at(index)), computed again (the table keeps only its tag).
  std::uint64_t hash_at(std::size_t index) const { return hash_of(key_at(index)); }
  V& value_at(std::size_t index) { return slots_[index].value; }

  //! Removes every entry; keeps the slots.
  void clear() {
    if (size_ == 0 && tombstones_ == 0)
      return;
    for (std::size_t i = 0; i < tags_.size(); ++i) {
      if (tags_[i] > deleted_tag) {
        slots_[i].key.reset();
        slots_[i].value = V{};
      }
      tags_[i] = empty_tag;
    }
    size_ = 0;
    tombstones_ = 0;
  }

private:
  //! 0x80 and seven bits of the hash (the bits the slot index does not use
  //! until the table has 2^57 slots).
  static std::uint8_t tag_of(std::uint64_t h) {
    return static_cast<std::uint8_t>(0x80 | (h >> 57));
  }

  void rebuild(std::size_t needed) {
    std::size_t capacity = 16;
    // At most half full after a rebuild: a table that reached 3/4 doubles, and
    // one filled with tombstones (a full cache evicting) keeps its size.
    while (capacity < needed * 2)
      capacity *= 2;
    std::vector<std::uint8_t> old_tags = std::move(tags_);
    std::vector<slot> old = std::move(slots_);
    tags_.assign(capacity, empty_tag);
    slots_ = std::vector<slot>(capacity);
    mask_ = capacity - 1;
    tombstones_ = 0;
    for (std::size_t k = 0; k < old.size(); ++k) {
      if (old_tags[k] <= deleted_tag)
        continue;
      const std::uint64_t h = hash_of(old[k].key.view());
      std::size_t i = h & mask_;
      while (tags_[i] != empty_tag)
        i = (i + 1) & mask_;
      tags_[i] = old_tags[k];
      slots_[i].key = std::move(old[k].key);
      slots_[i].value = std::move(old[k].value);
    }
  }

  std::vector<std::uint8_t> tags_; //!< 0 empty, 1 tombstone, else tag_of(hash)
  std::vector<slot> slots_;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
  std::size_t tombstones_ = 0;
};

} // namespace spate::detail
