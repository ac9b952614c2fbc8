// Stable hashing of keys. The hash decides a key's key group, so it must be
// the same in every process and every build: std::hash is not used.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <msgpack.hpp>

namespace spate {

//! 64-bit hash of a byte range (FNV-1a folded through a murmur3 finaliser).
inline std::uint64_t hash_bytes(const void* data, std::size_t size) noexcept {
  auto* p = static_cast<const unsigned char*>(data);
  std::uint64_t h = 0xcbf29ce484222325ull;
  std::size_t i = 0;
  // Eight bytes at a time, then the tail.
  for (; i + 8 <= size; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, p + i, 8);
    h ^= w;
    h *= 0x100000001b3ull;
    h ^= h >> 29;
  }
  for (; i < size; ++i) {
    h ^= p[i];
    h *= 0x100000001b3ull;
  }
  h ^= size;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}

inline std::uint64_t mix64(std::uint64_t x) noexcept {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  x ^= x >> 33;
  return x;
}

template <class T, class = void>
struct stable_hash;

//! Integers and enums hash by value.
template <class T>
struct stable_hash<T, std::enable_if_t<std::is_integral_v<T> || std::is_enum_v<T>>> {
  std::uint64_t operator()(T v) const noexcept {
    return mix64(static_cast<std::uint64_t>(static_cast<std::int64_t>(v)));
  }
};

template <>
struct stable_hash<std::string> {
  std::uint64_t operator()(const std::string& s) const noexcept {
    return hash_bytes(s.data(), s.size());
  }
};

template <>
struct stable_hash<std::string_view> {
  std::uint64_t operator()(std::string_view s) const noexcept {
    return hash_bytes(s.data(), s.size());
  }
};

template <class A, class B>
struct stable_hash<std::pair<A, B>> {
  std::uint64_t operator()(const std::pair<A, B>& p) const noexcept {
    return mix64(stable_hash<A>{}(p.first) * 31 + stable_hash<B>{}(p.second));
  }
};

template <class... Ts>
struct stable_hash<std::tuple<Ts...>> {
  std::uint64_t operator()(const std::tuple<Ts...>& t) const noexcept {
    std::uint64_t h = 17;
    std::apply(
        [&h](const auto&... x) {
          ((h = mix64(h * 31 + stable_hash<std::decay_t<decltype(x)>>{}(x))), ...);
        },
        t);
    return h;
  }
};

//! Any other type hashes its msgpack encoding (user types declare their fields
//! with SPATE_FIELDS). Give a specialisation for speed where it matters.
template <class T, class>
struct stable_hash {
  std::uint64_t operator()(const T& v) const {
    msgpack::sbuffer buf;
    msgpack::pack(buf, v);
    return hash_bytes(buf.data(), buf.size());
  }
};

} // namespace spate
