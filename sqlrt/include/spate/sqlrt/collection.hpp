// ARRAY, MAP and MULTISET values: one variable-length slot of a row (a string slot as far as
// copying, state and the codec go) holding a compact binary encoding of the elements.
//
//   [u32 n: slots][null bitmap: (n + 7) / 8 bytes][slot 0]...[slot n-1][bytes of strings...]
//
// An element takes the slots of `element_layout(t)`: ARRAY<T> and MULTISET<T> -> [T] (a
// multiset keeps each occurrence as an element), MAP<K, V> -> [K, V]; a ROW element is flattened
// as in a row (its null flag, then its fields), a nested ARRAY/MAP/MULTISET is one slot holding
// its own encoding. A slot holds what a row's slot holds; a variable-length slot holds (offset
// from the start of the encoding << 32 | length). Equal values built by `collection_builder`
// have equal bytes (a null slot is zero; strings are appended in element order), so group keys,
// join keys and `=` compare encodings as bytes. Reading an element never allocates.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "spate/core/error.hpp"
#include "spate/sql/types.hpp"

namespace spate::sql {

//! True for ARRAY, MAP and MULTISET.
inline bool is_collection(const logical_type& t) {
  return t.kind == logical_kind::array || t.kind == logical_kind::map ||
         t.kind == logical_kind::multiset;
}

//! Reads an encoded collection: the view is valid while the bytes are.
class collection_view {
public:
  collection_view() = default;
  //! Throws spate::error(errc::codec) when the bytes cannot hold the slots they announce.
  explicit collection_view(std::string_view b) : b_(b) {
    if (b.size() < 4)
      throw error(errc::codec, "SQL collection: " + std::to_string(b.size()) + " bytes");
    std::uint32_t n;
    std::memcpy(&n, b.data(), 4);
    n_ = n;
    at_ = 4 + (n_ + 7) / 8;
    if (b.size() < at_ + n_ * 8)
      throw error(errc::codec, "SQL collection: " + std::to_string(b.size()) +
                                   " bytes cannot hold " + std::to_string(n_) + " slots");
  }
  std::size_t slots() const { return n_; }
  bool is_null(std::size_t i) const {
    return (static_cast<unsigned char>(b_[4 + i / 8]) >> (i % 8)) & 1u;
  }
  std::uint64_t raw(std::size_t i) const {
    std::uint64_t v;
    std::memcpy(&v, b_.data() + at_ + i * 8, 8);
    return v;
  }
  std::int64_t get_long(std::size_t i) const { return static_cast<std::int64_t>(raw(i)); }
  bool get_bool(std::size_t i) const { return raw(i) != 0; }
  double get_double(std::size_t i) const {
    double d;
    std::memcpy(&d, b_.data() + at_ + i * 8, 8);
    return d;
  }
  std::string_view get_string(std::size_t i) const {
    const std::uint64_t s = raw(i);
    const std::size_t off = static_cast<std::size_t>(s >> 32);
    const std::size_t len = static_cast<std::size_t>(s & 0xffffffffu);
    if (off + len > b_.size() || (len > 0 && off < at_ + n_ * 8))
      throw error(errc::codec, "SQL collection: slot " + std::to_string(i) + " out of bounds");
    return b_.substr(off, len);
  }

private:
  std::string_view b_;
  std::size_t n_ = 0;
  std::size_t at_ = 4;
};

//! Slot `j` of one element (slots base + j of a collection): reads like a row.
struct element_ref {
  const collection_view* v = nullptr;
  std::size_t base = 0;
  bool is_null(std::size_t j) const { return v->is_null(base + j); }
  std::uint64_t raw(std::size_t j) const { return v->raw(base + j); }
  std::int64_t get_long(std::size_t j) const { return v->get_long(base + j); }
  bool get_bool(std::size_t j) const { return v->get_bool(base + j); }
  double get_double(std::size_t j) const { return v->get_double(base + j); }
  std::string_view get_string(std::size_t j) const { return v->get_string(base + j); }
};

//! Builds an encoding slot by slot; reused, it keeps its buffers (no allocation once warm).
class collection_builder {
public:
  void clear() {
    slots_.clear();
    nulls_.clear();
    var_.clear();
    bytes_.clear();
  }
  std::size_t slots() const { return slots_.size(); }
  //! Appends `k` null slots; returns the first one's index.
  std::size_t add(std::size_t k) {
    const std::size_t at = slots_.size();
    slots_.resize(at + k, 0);
    nulls_.resize(at + k, 1);
    var_.resize(at + k, 0);
    return at;
  }
  void set_null(std::size_t i) {
    slots_[i] = 0;
    nulls_[i] = 1;
    var_[i] = 0;
  }
  void set_long(std::size_t i, std::int64_t v) {
    slots_[i] = static_cast<std::uint64_t>(v);
    nulls_[i] = 0;
    var_[i] = 0;
  }
  void set_bool(std::size_t i, bool v) { set_long(i, v ? 1 : 0); }
  void set_double(std::size_t i, double d) {
    std::memcpy(&slots_[i], &d, 8);
    nulls_[i] = 0;
    var_[i] = 0;
  }
  //! Appends the bytes (a slot set twice leaves its old bytes behind).
  void set_string(std::size_t i, std::string_view s) {
    if (s.size() > 0xffffffffu || bytes_.size() + s.size() > 0xffffffffu)
      throw error(errc::invalid_argument, "SQL collection of more than 4 GiB");
    slots_[i] = (static_cast<std::uint64_t>(bytes_.size()) << 32) | s.size();
    bytes_.append(s.data(), s.size());
    nulls_[i] = 0;
    var_[i] = 1;
  }
  //! The encoding, into `out` (replacing what it held).
  void finish(std::string& out) const {
    const std::size_t n = slots_.size();
    const std::size_t header = 4 + (n + 7) / 8 + n * 8;
    if (header + bytes_.size() > 0xffffffffu)
      throw error(errc::invalid_argument, "SQL collection of more than 4 GiB");
    out.assign(header, '\0');
    const auto n32 = static_cast<std::uint32_t>(n);
    std::memcpy(out.data(), &n32, 4);
    for (std::size_t i = 0; i < n; ++i) {
      if (nulls_[i]) {
        out[4 + i / 8] =
            static_cast<char>(static_cast<unsigned char>(out[4 + i / 8]) | (1u << (i % 8)));
        continue;
      }
      std::uint64_t v = slots_[i];
      if (var_[i])
        v += static_cast<std::uint64_t>(header) << 32;
      std::memcpy(out.data() + 4 + (n + 7) / 8 + i * 8, &v, 8);
    }
    out += bytes_;
  }

private:
  std::vector<std::uint64_t> slots_;
  std::vector<std::uint8_t> nulls_;
  std::vector<std::uint8_t> var_;
  std::string bytes_;
};

} // namespace spate::sql
