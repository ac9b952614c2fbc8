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
#include <string>
#include <string_view>

#include <msgpack.hpp>

#include "spate/core/error.hpp"

//! Declares the serialized fields of a user record type, in order.
#define SPATE_FIELDS(...) MSGPACK_DEFINE(__VA_ARGS__)

namespace spate {

//! Appends the encoding of `value` to `out`.
template <class T>
void encode(const T& value, msgpack::sbuffer& out) {
  msgpack::pack(out, value);
}

//! Appends the encoding of `value` to a string (state keys and values).
template <class T>
void encode(const T& value, std::string& out) {
  struct string_writer {
    std::string* s;
    void write(const char* p, std::size_t n) { s->append(p, n); }
  } w{&out};
  msgpack::pack(w, value);
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
