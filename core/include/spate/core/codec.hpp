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
// Besides msgpack's members, spate_fields(f) calls f with the fields, so
// batches crossing processes decode records straight into them (batch.hpp).
#define SPATE_FIELDS(...)                                                                          \
  MSGPACK_DEFINE(__VA_ARGS__)                                                                      \
  template <class SpateFieldsVisitor>                                                              \
  void spate_fields(SpateFieldsVisitor&& spate_visit) {                                            \
    spate_visit(__VA_ARGS__);                                                                      \
  }

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

//! Bounds for msgpack from an untrusted peer. Every decoded object costs
//! msgpack-c about 24 bytes however few bytes encode it (a nil is 1), so the
//! count of objects, not only the size of each container, must be bounded:
//! a 64 MiB array of nils would otherwise become 1.5 GiB of objects.
struct decode_limits {
  //! Containers nested deeper than this are refused (the stack stays small).
  std::size_t max_depth = 64;
  //! Objects (scalars and containers, counted once each) in one value.
  std::size_t max_objects = std::size_t{1} << 20;
};

//! Walks the msgpack object at `offset` of [data, data+size) without
//! building it (no allocation, no recursion) and checks it against `limits`:
//! its nesting, its number of objects, and that no container, string,
//! binary or extension claims more than the bytes left. Returns the offset
//! after it. Throws spate::error(errc::codec) naming `what` and the limit.
inline std::size_t check_untrusted(const char* data, std::size_t size, std::size_t offset,
                                   const decode_limits& limits, const char* what) {
  auto fail = [&](const std::string& why) {
    return error(errc::codec, std::string("cannot decode ") + what + ": " + why);
  };
  auto u = [&](std::size_t at, int n) {
    std::uint64_t v = 0;
    for (int i = 0; i < n; ++i)
      v = (v << 8) | static_cast<unsigned char>(data[at + static_cast<std::size_t>(i)]);
    return v;
  };
  // Children still to read, per open container (at most max_depth + 1).
  std::uint64_t stack[130];
  const std::size_t max_depth = limits.max_depth < 128 ? limits.max_depth : 128;
  std::size_t depth = 0;
  std::size_t objects = 0;
  std::size_t at = offset;
  do {
    if (at >= size)
      throw fail("truncated msgpack at byte " + std::to_string(at));
    if (++objects > limits.max_objects)
      throw fail("more than " + std::to_string(limits.max_objects) +
                 " msgpack objects (the limit on objects)");
    const auto b = static_cast<unsigned char>(data[at++]);
    std::uint64_t skip = 0;     // bytes of payload after the head
    std::uint64_t children = 0; // objects inside a container
    int len = 0;                // bytes of a length field
    bool container = false;
    std::uint64_t per = 1; // objects per counted element (2 for maps)
    if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3) {
    } else if (b <= 0x8f) {
      container = true, children = 2u * (b & 0x0fu), per = 2;
    } else if (b <= 0x9f) {
      container = true, children = b & 0x0fu;
    } else if (b <= 0xbf) {
      skip = b & 0x1fu;
    } else if (b == 0xc1) {
      throw fail("byte 0xc1 is not msgpack");
    } else if (b >= 0xc4 && b <= 0xc6) {
      len = 1 << (b - 0xc4);
    } else if (b >= 0xc7 && b <= 0xc9) {
      len = 1 << (b - 0xc7);
      skip = 1; // the extension type
    } else if (b == 0xca) {
      skip = 4;
    } else if (b == 0xcb) {
      skip = 8;
    } else if (b >= 0xcc && b <= 0xcf) {
      skip = 1u << (b - 0xcc);
    } else if (b >= 0xd0 && b <= 0xd3) {
      skip = 1u << (b - 0xd0);
    } else if (b >= 0xd4 && b <= 0xd8) {
      skip = 1 + (1u << (b - 0xd4));
    } else if (b >= 0xd9 && b <= 0xdb) {
      len = 1 << (b - 0xd9);
    } else if (b == 0xdc || b == 0xdd) {
      container = true, len = b == 0xdc ? 2 : 4;
    } else { // 0xde, 0xdf
      container = true, len = b == 0xde ? 2 : 4, per = 2;
    }
    if (len > 0) {
      if (size - at < static_cast<std::size_t>(len))
        throw fail("truncated msgpack at byte " + std::to_string(at));
      std::uint64_t n = u(at, len);
      at += static_cast<std::size_t>(len);
      if (container)
        children = n * per;
      else
        skip += n;
    }
    if (skip > size - at)
      throw fail("a msgpack value claims " + std::to_string(skip) + " bytes, " +
                 std::to_string(size - at) + " are left");
    at += static_cast<std::size_t>(skip);
    if (container && children > 0) {
      // Each child takes at least one byte, and counts as an object.
      if (children > size - at)
        throw fail("a msgpack container claims " + std::to_string(children) + " elements, " +
                   std::to_string(size - at) + " bytes are left");
      if (children > limits.max_objects - objects)
        throw fail("more than " + std::to_string(limits.max_objects) +
                   " msgpack objects (the limit on objects)");
      if (depth == max_depth)
        throw fail("msgpack nested deeper than " + std::to_string(max_depth) +
                   " (the limit on depth)");
      stack[depth++] = children;
      continue;
    }
    while (depth > 0 && --stack[depth - 1] == 0)
      --depth;
  } while (depth > 0);
  return at;
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

//! decode() for bytes from an untrusted peer: check_untrusted() first, so a
//! forged message is refused before msgpack-c allocates anything for it.
template <class T>
T decode_untrusted(const char* data, std::size_t size, const decode_limits& limits,
                   const char* what) {
  if (check_untrusted(data, size, 0, limits, what) != size)
    throw error(errc::codec, std::string("trailing bytes after ") + what);
  try {
    std::size_t offset = 0;
    const std::size_t n = size < limits.max_objects ? size : limits.max_objects;
    msgpack::object_handle oh =
        msgpack::unpack(data, size, offset, nullptr, nullptr,
                        msgpack::unpack_limit(n, n, size, size, size, limits.max_depth));
    return oh.get().as<T>();
  } catch (const spate::error&) {
    throw;
  } catch (const std::exception& e) {
    throw error(errc::codec, std::string("cannot decode ") + what + ": " + e.what());
  }
}

} // namespace spate
