// The record codec: msgpack, for the network and for state alike.
//
// A user type declares its fields once:
//
//   struct click { std::string user; std::int64_t ts; SPATE_FIELDS(user, ts); };
//
// Standard types (integers, floats, strings, vectors, maps, pairs, tuples,
// optionals) need nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include <msgpack.hpp>

#include "spate/core/error.hpp"
#include "spate/core/types.hpp"

// A strong_id (checkpoint_id, subtask_index, ...) is encoded as its integer:
// the same bytes as the plain integer it replaced.
namespace msgpack {
MSGPACK_API_VERSION_NAMESPACE(MSGPACK_DEFAULT_API_NS) {
  namespace adaptor {
  template <class Tag, class Rep>
  struct convert<spate::strong_id<Tag, Rep>> {
    const msgpack::object& operator()(const msgpack::object& o,
                                      spate::strong_id<Tag, Rep>& v) const {
      v = spate::strong_id<Tag, Rep>(o.as<Rep>());
      return o;
    }
  };
  template <class Tag, class Rep>
  struct pack<spate::strong_id<Tag, Rep>> {
    template <class Stream>
    msgpack::packer<Stream>& operator()(msgpack::packer<Stream>& o,
                                        const spate::strong_id<Tag, Rep>& v) const {
      o.pack(v.value());
      return o;
    }
  };
  template <class Tag, class Rep>
  struct object_with_zone<spate::strong_id<Tag, Rep>> {
    void operator()(msgpack::object::with_zone& o, const spate::strong_id<Tag, Rep>& v) const {
      o << v.value();
    }
  };
  } // namespace adaptor
} // MSGPACK_API_VERSION_NAMESPACE(MSGPACK_DEFAULT_API_NS)
} // namespace msgpack

//! Declares the serialized fields of a user record type, in order.
#define SPATE_FIELDS(...) MSGPACK_DEFINE(__VA_ARGS__)

namespace spate {

//! Appends the encoding of `value` to `out`.
template <class T>
void encode(const T& value, msgpack::sbuffer& out) {
  msgpack::pack(out, value);
}

namespace detail {

//! The integer types msgpack-c packs as integers in their shortest form
//! (not bool, the char types or wchar_t).
template <class T>
inline constexpr bool packs_as_integer_v =
    std::is_same_v<T, short> || std::is_same_v<T, int> || std::is_same_v<T, long> ||
    std::is_same_v<T, long long> || std::is_same_v<T, unsigned short> ||
    std::is_same_v<T, unsigned int> || std::is_same_v<T, unsigned long> ||
    std::is_same_v<T, unsigned long long>;

//! Writes `tag`, then the low `bytes` bytes of `v` big endian; returns 1 + bytes.
inline std::size_t put_tagged(char* out, unsigned char tag, std::uint64_t v, int bytes) noexcept {
  out[0] = static_cast<char>(tag);
  for (int i = bytes; i >= 1; --i, v >>= 8)
    out[i] = static_cast<char>(v & 0xff);
  return 1 + static_cast<std::size_t>(bytes);
}

//! The bytes msgpack-c's packer writes for `d` (the shortest form); returns
//! how many (at most 9).
inline std::size_t pack_unsigned(std::uint64_t d, char* out) noexcept {
  if (d < (1u << 7)) {
    out[0] = static_cast<char>(d); // positive fixint
    return 1;
  }
  if (d < (1u << 8))
    return put_tagged(out, 0xcc, d, 1);
  if (d < (1u << 16))
    return put_tagged(out, 0xcd, d, 2);
  if (d < (std::uint64_t{1} << 32))
    return put_tagged(out, 0xce, d, 4);
  return put_tagged(out, 0xcf, d, 8);
}
inline std::size_t pack_signed(std::int64_t d, char* out) noexcept {
  if (d >= 0)
    return pack_unsigned(static_cast<std::uint64_t>(d), out);
  const auto u = static_cast<std::uint64_t>(d);
  if (d >= -(1 << 5)) {
    out[0] = static_cast<char>(u & 0xff); // negative fixint
    return 1;
  }
  if (d >= -(1 << 7))
    return put_tagged(out, 0xd0, u, 1);
  if (d >= -(1 << 15))
    return put_tagged(out, 0xd1, u, 2);
  if (d >= -(std::int64_t{1} << 31))
    return put_tagged(out, 0xd2, u, 4);
  return put_tagged(out, 0xd3, u, 8);
}

//! Writes msgpack's encoding of integer `v` (packs_as_integer_v) to `out`,
//! which has room for 9 bytes; returns how many it wrote.
template <class T>
std::size_t pack_integer(T v, char* out) noexcept {
  static_assert(packs_as_integer_v<T>);
  if constexpr (std::is_signed_v<T>)
    return pack_signed(static_cast<std::int64_t>(v), out);
  else
    return pack_unsigned(static_cast<std::uint64_t>(v), out);
}

} // namespace detail

//! Appends the encoding of `value` to a string (state keys and values).
//! Integers (keys, mostly) are packed here, byte for byte as msgpack-c does,
//! without its generic writer.
template <class T>
void encode(const T& value, std::string& out) {
  if constexpr (detail::packs_as_integer_v<T>) {
    char buf[9];
    out.append(buf, detail::pack_integer(value, buf));
  } else {
    struct string_writer {
      std::string* s;
      void write(const char* p, std::size_t n) { s->append(p, n); }
    } w{&out};
    msgpack::pack(w, value);
  }
}

//! Limits for decoding `size` untrusted bytes: no array, map, string or
//! binary can be longer than the bytes that hold it, and nesting is bounded,
//! so a forged length cannot make the decoder allocate gigabytes.
inline msgpack::unpack_limit unpack_limits(std::size_t size) {
  return msgpack::unpack_limit(size, size, size, size, size, 64);
}

//! Decodes the msgpack object at `offset` of [data, data+size) within
//! unpack_limits(size); advances `offset`. Throws what msgpack throws.
inline msgpack::object_handle unpack_checked(const char* data, std::size_t size,
                                             std::size_t& offset) {
  return msgpack::unpack(data, size, offset, nullptr, nullptr, unpack_limits(size));
}

//! Decodes one value of type T from [data, data+size). Throws spate::error
//! (errc::codec) when the bytes are truncated, malformed or of another type;
//! `what` names what was being decoded.
template <class T>
T decode(const char* data, std::size_t size, const char* what = "record") {
  try {
    std::size_t offset = 0;
    msgpack::object_handle oh = unpack_checked(data, size, offset);
    if (offset != size)
      throw error(errc::codec, std::string("trailing bytes after ") + what);
    return oh.get().as<T>();
  } catch (const spate::error&) {
    throw;
  } catch (const std::exception& e) {
    throw error(errc::codec, std::string("cannot decode ") + what + ": " + e.what());
  }
}

template <class T>
T decode(std::string_view bytes, const char* what = "record") {
  return decode<T>(bytes.data(), bytes.size(), what);
}

} // namespace spate
