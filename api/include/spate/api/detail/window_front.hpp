// The window operator's front: per open window, a table from the typed key to
// the window's current contents (an accumulator or a reduced value), in front
// of the keyed state. A record of a key whose window is in the front costs a
// hash of the typed key and a probe of a small table: no key encoding, no
// byte-string hash, no probe of the state cache (a slot of 64 bytes per
// entry), which is where the keyed path spent most of its time (issue #20).
//
// The state stays the truth at every point where it is read: the operator
// writes a window's front entries back into its state before any timer of
// that window can fire (the watermark or processing time reaching the
// window's max timestamp), before a snapshot, and when the front holds more
// entries than its limit. A front entry starts from what the state held for
// its key and window, so the values written back are exactly what adding the
// same records to the state one by one would have made.
#pragma once

#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>
#include <vector>

#include "spate/core/hash.hpp"

namespace spate::detail {

//! Whether K can key a front table (equality and a stable hash).
template <class K, class = void>
struct front_key : std::false_type {};
template <class K>
struct front_key<K, std::void_t<decltype(std::declval<const K&>() == std::declval<const K&>()),
                                decltype(stable_hash<K>{}(std::declval<const K&>()))>>
    : std::bool_constant<std::is_default_constructible_v<K> && std::is_copy_assignable_v<K>> {};

//! Open addressing (linear probing) from K to V; entries are only added, and
//! the whole table is emptied at once. Iteration follows insertion order. A byte of tags (0 empty,
//! else 0x80 and seven bits of the hash) is probed beside the slots.
template <class K, class V>
class front_table {
  struct slot {
    K key{};
    V value{};
  };

public:
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  //! The value at `key` (h = stable_hash<K>(key)); nullptr if none.
  V* find(const K& key, std::uint64_t h) {
    if (size_ == 0)
      return nullptr;
    const std::uint8_t tag = tag_of(h);
    for (std::size_t i = index_of(h);; i = (i + 1) & mask_) {
      const std::uint8_t t = tags_[i];
      if (t == 0)
        return nullptr;
      if (t == tag && slots_[i].key == key)
        return &slots_[i].value;
    }
  }

  //! Adds `key` (absent: the caller looked it up) with `value`.
  V& insert(const K& key, std::uint64_t h, V value) {
    if ((size_ + 1) * 4 > tags_.size() * 3)
      grow();
    std::size_t i = index_of(h);
    while (tags_[i] != 0)
      i = (i + 1) & mask_;
    tags_[i] = tag_of(h);
    slot& s = slots_[i];
    s.key = key;
    s.value = std::move(value);
    ++size_;
    order_.push_back(static_cast<std::uint32_t>(i));
    return s.value;
  }

  //! Calls `f(key, value)` for every entry, in the order they were added.
  template <class F>
  void for_each(F&& f) {
    for (std::uint32_t i : order_)
      f(static_cast<const K&>(slots_[i].key), slots_[i].value);
  }

  //! Removes every entry; keeps the slots for the next window.
  void clear() {
    if (size_ == 0)
      return;
    for (std::uint32_t i : order_) {
      tags_[i] = 0;
      slots_[i] = slot{};
    }
    order_.clear();
    size_ = 0;
  }

private:
  static std::uint8_t tag_of(std::uint64_t h) {
    return static_cast<std::uint8_t>(0x80 | (h >> 57));
  }
  //! The hash's low bits pick the slot (stable_hash values are mixed).
  std::size_t index_of(std::uint64_t h) const { return static_cast<std::size_t>(h) & mask_; }

  void grow() {
    const std::size_t capacity = tags_.empty() ? 64 : tags_.size() * 2;
    std::vector<std::uint8_t> old_tags = std::move(tags_);
    std::vector<slot> old = std::move(slots_);
    tags_.assign(capacity, 0);
    slots_ = std::vector<slot>(capacity);
    mask_ = capacity - 1;
    for (std::uint32_t& k : order_) {
      const std::uint64_t h = stable_hash<K>{}(old[k].key);
      std::size_t i = index_of(h);
      while (tags_[i] != 0)
        i = (i + 1) & mask_;
      tags_[i] = old_tags[k];
      slots_[i] = std::move(old[k]);
      k = static_cast<std::uint32_t>(i);
    }
  }

  std::vector<std::uint8_t> tags_;
  std::vector<slot> slots_;
  std::vector<std::uint32_t> order_; //!< slots in the order their keys were added
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
};

} // namespace spate::detail
