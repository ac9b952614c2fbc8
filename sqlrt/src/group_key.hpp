// A key of SQL rows (GROUP BY, PARTITION BY, join keys): some of a row's columns as bytes, a
// tag and 8 bytes per column (strings with their length instead), for keyed state. One BIGINT
// key is 9 bytes and needs no allocation beyond the string's small buffer.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "spate/core/error.hpp"
#include "spate/sqlrt/row.hpp"

namespace spate::sql::detail {

struct group_key {
  std::vector<std::size_t> in_slots;  //!< input slots of the key columns, flattened
  std::vector<std::size_t> out_slots; //!< output slots they go to
  std::vector<std::uint8_t> is_string;

  std::string encode(const row& r) const {
    std::string k;
    encode_into(r, k);
    return k;
  }

  //! encode() into `k` (its contents replaced), reusing its buffer: its size first, then the
  //! bytes written in place (no append per column).
  void encode_into(const row& r, std::string& k) const {
    const std::size_t n = in_slots.size();
    std::size_t size = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t s = in_slots[i];
      size += r.is_null(s) ? 1 : is_string[i] ? 5 + r.get_string(s).size() : 9;
    }
    k.resize(size);
    char* p = k.data();
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t s = in_slots[i];
      if (r.is_null(s)) {
        *p++ = '\0';
        continue;
      }
      *p++ = '\1';
      if (is_string[i]) {
        const std::string_view v = r.get_string(s);
        const auto len = static_cast<std::uint32_t>(v.size());
        std::memcpy(p, &len, 4);
        if (!v.empty())
          std::memcpy(p + 4, v.data(), v.size());
        p += 4 + v.size();
      } else {
        const std::uint64_t v = r.raw(s);
        std::memcpy(p, &v, 8);
        p += 8;
      }
    }
  }

  //! Whether a key column of `r` is null.
  bool has_null(const row& r) const {
    for (std::size_t s : in_slots)
      if (r.is_null(s))
        return true;
    return false;
  }

  void decode(std::string_view k, row& o) const {
    std::size_t at = 0;
    auto need = [&k, &at](std::size_t n) {
      if (k.size() - at < n)
        throw error(errc::codec, "SQL group key: truncated");
    };
    for (std::size_t i = 0; i < out_slots.size(); ++i) {
      need(1);
      if (k[at++] == '\0') {
        o.set_null(out_slots[i]);
        continue;
      }
      if (is_string[i]) {
        need(4);
        std::uint32_t n;
        std::memcpy(&n, k.data() + at, 4);
        at += 4;
        need(n);
        o.set_string(out_slots[i], k.substr(at, n));
        at += n;
      } else {
        need(8);
        std::int64_t v;
        std::memcpy(&v, k.data() + at, 8);
        at += 8;
        o.set_long(out_slots[i], v);
      }
    }
  }
};

//! The key of `columns` of rows laid out as `layout` (decoded into the same columns' slots).
inline group_key key_of_columns(const row_layout& layout, const std::vector<int>& columns) {
  group_key k;
  for (int c : columns) {
    if (c < 0 || static_cast<std::size_t>(c) >= layout.columns.size())
      throw error(errc::invalid_argument, "not supported yet: a key on a nested column");
    const std::size_t s = layout.first[static_cast<std::size_t>(c)];
    if (layout.columns[static_cast<std::size_t>(c)].kind == logical_kind::row)
      throw error(errc::invalid_argument, "not supported yet: a key on a ROW column");
    k.in_slots.push_back(s);
    k.out_slots.push_back(s);
    k.is_string.push_back(layout.is_string[s]);
  }
  return k;
}

} // namespace spate::sql::detail
