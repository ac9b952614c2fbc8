// Private helpers around RocksDB calls (not installed, not part of the API).
#pragma once

#include <string>
#include <string_view>

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

namespace spate::detail {

//! RocksDB's own column family, which holds no state.
inline constexpr const char* default_column = "default";

//! Writes never go to the WAL: durability comes from checkpoints.
inline rocksdb::WriteOptions write_options() {
  rocksdb::WriteOptions w;
  w.disableWAL = true;
  return w;
}

inline rocksdb::Slice slice(std::string_view s) { return {s.data(), s.size()}; }
inline std::string_view view(const rocksdb::Slice& s) { return {s.data(), s.size()}; }

//! The 2-byte big-endian key-group prefix.
inline std::string key_group_prefix(int kg) {
  return {static_cast<char>((kg >> 8) & 0xff), static_cast<char>(kg & 0xff)};
}

//! The smallest string greater than every string starting with `prefix`;
//! empty when there is none (prefix all 0xff).
inline std::string prefix_successor(std::string prefix) {
  while (!prefix.empty()) {
    auto& c = reinterpret_cast<unsigned char&>(prefix.back());
    if (c != 0xff) {
      ++c;
      return prefix;
    }
    prefix.pop_back();
  }
  return prefix;
}

} // namespace spate::detail
