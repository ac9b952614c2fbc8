// Batches of records: the unit that moves between operators and tasks.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <memory>
#include <typeinfo>
#include <utility>
#include <vector>

#include <algorithm>
#include <cstring>
#include <limits>
#include <stdexcept>

#include "spate/core/codec.hpp"
#include "spate/core/error.hpp"
#include "spate/core/types.hpp"
#include "spate/core/wire.hpp"

namespace spate {

//! A type-erased batch. The runtime moves these around without knowing the
//! record type; typed operators cast to typed_batch<T> (one virtual call per
//! batch, none per record).
class any_batch {
public:
  virtual ~any_batch() = default;
  //! Number of records.
  virtual std::size_t size() const = 0;
  //! Removes all records, keeping the capacity (batches are recycled).
  virtual void clear() = 0;
  //! A new empty batch of the same record type.
  virtual std::unique_ptr<any_batch> make_empty() const = 0;
  //! A deep copy (used when one output feeds several consumers).
  virtual std::unique_ptr<any_batch> clone() const = 0;
  //! Moves all records of `other` (same type) to the end of this batch.
  virtual void append_from(any_batch& other) = 0;
  //! The record type, for checks when the graph is wired.
  virtual const std::type_info& record_type() const = 0;
  //! Appends the msgpack encoding of the records and their timestamps to
  //! `out` (records that leave the process). Throws errc::codec when the
  //! record type is not wire_serializable, naming it.
  virtual void encode_to(std::string& out) const = 0;
  //! Appends the records encoded in [data, data+size) by encode_to. Throws
  //! errc::codec when the bytes are truncated, malformed or of another type.
  virtual void decode_from(const char* data, std::size_t size) = 0;
  bool empty() const { return size() == 0; }
};

namespace detail {
[[noreturn]] void throw_not_serializable(const std::type_info& t);
[[noreturn]] void throw_bad_batch(const std::string& why);

//! msgpack-c's packer writes through this: into `s` from byte `n` on, growing
//! it ahead (a batch writes many small pieces; no call into libstdc++ each).
struct grow_sink {
  std::string* s;
  std::size_t n;
  void write(const char* p, std::size_t k) {
    if (s->size() - n < k)
      s->resize(std::max(n + k, 2 * s->size() + 64));
    std::memcpy(&(*s)[n], p, k);
    n += k;
  }
  void finish() { s->resize(n); }
};

//! Reads msgpack straight into typed values, no object tree: integers,
//! floating point, bool, strings, std::pair, std::vector and SPATE_FIELDS
//! records of them; any other type (or a field of one) is decoded on its
//! own through msgpack-c. Every length is checked against the bytes left.
//! Throws std::runtime_error (decode_from names the batch's type).
struct wire_reader {
  const char* begin;
  const char* p;
  const char* end;

  [[noreturn]] void fail(const char* what) const {
    throw std::runtime_error(std::string(what) + " at byte " + std::to_string(p - begin));
  }
  std::size_t left() const { return static_cast<std::size_t>(end - p); }
  unsigned char peek() const {
    if (p == end)
      fail("truncated");
    return static_cast<unsigned char>(*p);
  }
  std::uint64_t big_endian(int n) {
    if (left() < static_cast<std::size_t>(n))
      fail("truncated");
    std::uint64_t v = 0;
    for (int i = 0; i < n; ++i)
      v = (v << 8) | static_cast<unsigned char>(p[i]);
    p += n;
    return v;
  }
  bool nil() {
    if (peek() != 0xc0)
      return false;
    ++p;
    return true;
  }
  //! An array's length; each element takes a byte at least.
  std::size_t array() {
    const unsigned char b = peek();
    ++p;
    std::uint64_t n;
    if (b >= 0x90 && b <= 0x9f)
      n = b & 0x0fu;
    else if (b == 0xdc)
      n = big_endian(2);
    else if (b == 0xdd)
      n = big_endian(4);
    else
      fail("not an array");
    if (n > left())
      fail("an array longer than its bytes");
    return static_cast<std::size_t>(n);
  }
  //! An integer: its value, and whether it is negative (then `v` is its
  //! two's complement).
  bool integer(std::uint64_t& v) {
    const unsigned char b = peek();
    ++p;
    if (b <= 0x7f) {
      v = b;
      return false;
    }
    if (b >= 0xe0) {
      v = static_cast<std::uint64_t>(static_cast<std::int64_t>(static_cast<signed char>(b)));
      return true;
    }
    if (b >= 0xcc && b <= 0xcf) {
      v = big_endian(1 << (b - 0xcc));
      return false;
    }
    if (b >= 0xd0 && b <= 0xd3) {
      const int n = 1 << (b - 0xd0);
      v = big_endian(n);
      if (n < 8 && (v >> (8 * n - 1)) != 0)
        v |= ~std::uint64_t{0} << (8 * n); // sign extension
      return static_cast<std::int64_t>(v) < 0;
    }
    --p;
    fail("not an integer");
  }
  template <class T>
  void read_integer(T& out) {
    std::uint64_t v;
    const bool negative = integer(v);
    if constexpr (std::is_signed_v<T>) {
      const auto s = static_cast<std::int64_t>(v);
      if ((!negative && v > static_cast<std::uint64_t>(std::numeric_limits<T>::max())) ||
          (negative && s < static_cast<std::int64_t>(std::numeric_limits<T>::min())))
        fail("an integer out of range");
      out = static_cast<T>(s);
    } else {
      if (negative || v > static_cast<std::uint64_t>(std::numeric_limits<T>::max()))
        fail("an integer out of range");
      out = static_cast<T>(v);
    }
  }
  template <class T>
  void read_float(T& out) {
    const unsigned char b = peek();
    if (b == 0xca) {
      ++p;
      auto bits = static_cast<std::uint32_t>(big_endian(4));
      float f;
      std::memcpy(&f, &bits, 4);
      out = static_cast<T>(f);
    } else if (b == 0xcb) {
      ++p;
      auto bits = big_endian(8);
      double d;
      std::memcpy(&d, &bits, 8);
      out = static_cast<T>(d);
    } else {
      std::uint64_t v;
      out = integer(v) ? static_cast<T>(static_cast<std::int64_t>(v)) : static_cast<T>(v);
    }
  }
  void read_string(std::string& out) {
    const unsigned char b = peek();
    ++p;
    std::uint64_t n;
    if (b >= 0xa0 && b <= 0xbf)
      n = b & 0x1fu;
    else if (b >= 0xd9 && b <= 0xdb)
      n = big_endian(1 << (b - 0xd9));
    else if (b >= 0xc4 && b <= 0xc6)
      n = big_endian(1 << (b - 0xc4));
    else
      fail("not a string");
    if (n > left())
      fail("a string longer than its bytes");
    out.assign(p, static_cast<std::size_t>(n));
    p += n;
  }
  //! Any other type: this one value through msgpack-c, within the bytes left.
  template <class T>
  void read_object(T& out) {
    std::size_t offset = 0;
    auto oh = msgpack::unpack(p, left(), offset, nullptr, nullptr, unpack_limits(left()));
    oh.get().convert(out);
    p += offset;
  }
};

struct ignore_fields {
  template <class... Fields>
  void operator()(Fields&...) const {}
};

//! Whether T declares SPATE_FIELDS (and so spate_fields()).
template <class T>
struct visits_fields {
  template <class U>
  static auto test(int)
      -> decltype(std::declval<U&>().spate_fields(ignore_fields{}), std::true_type{});
  template <class U>
  static std::false_type test(...);
  static constexpr bool value = decltype(test<T>(0))::value;
};

template <class T>
void read_value(wire_reader& in, T& out);

template <class T>
void read_value(wire_reader& in, std::vector<T>& out) {
  if constexpr (std::is_same_v<T, bool> || !std::is_default_constructible_v<T>) {
    in.read_object(out);
  } else {
    const std::size_t n = in.array();
    out.clear();
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i)
      read_value(in, out.emplace_back());
  }
}

template <class A, class B>
void read_value(wire_reader& in, std::pair<A, B>& out) {
  if (in.array() != 2)
    in.fail("not a pair");
  read_value(in, out.first);
  read_value(in, out.second);
}

template <class T>
void read_value(wire_reader& in, T& out) {
  if constexpr (std::is_same_v<T, bool>) {
    const unsigned char b = in.peek();
    if (b != 0xc2 && b != 0xc3)
      in.fail("not a bool");
    ++in.p;
    out = b == 0xc3;
  } else if constexpr (packs_as_integer_v<T>) {
    in.read_integer(out);
  } else if constexpr (std::is_floating_point_v<T>) {
    in.read_float(out);
  } else if constexpr (std::is_same_v<T, std::string>) {
    in.read_string(out);
  } else if constexpr (visits_fields<T>::value) {
    // As msgpack-c's MSGPACK_DEFINE: fields beyond the array keep their
    // defaults, elements beyond the fields are skipped.
    const std::size_t n = in.array();
    std::size_t i = 0;
    out.spate_fields([&](auto&... field) {
      (void)((i < n ? (read_value(in, field), ++i, true) : false) && ...);
    });
    for (; i < n; ++i)
      in.p =
          in.begin + check_untrusted(in.begin, static_cast<std::size_t>(in.end - in.begin),
                                     static_cast<std::size_t>(in.p - in.begin),
                                     decode_limits{64, static_cast<std::size_t>(in.end - in.begin)},
                                     "a record field");
  } else {
    in.read_object(out);
  }
}
} // namespace detail

//! Records of type T with their timestamps (no_timestamp when none).
template <class T>
class typed_batch final : public any_batch {
public:
  std::vector<T> values;
  std::vector<timestamp> timestamps;

  std::size_t size() const override { return values.size(); }
  void clear() override {
    values.clear();
    timestamps.clear();
  }
  void reserve(std::size_t n) {
    values.reserve(n);
    timestamps.reserve(n);
  }
  void push(T value, timestamp ts) {
    values.push_back(std::move(value));
    timestamps.push_back(ts);
  }
  template <class... Args>
  void emplace(timestamp ts, Args&&... args) {
    values.emplace_back(std::forward<Args>(args)...);
    timestamps.push_back(ts);
  }
  std::unique_ptr<any_batch> make_empty() const override {
    return std::make_unique<typed_batch<T>>();
  }
  std::unique_ptr<any_batch> clone() const override {
    return std::make_unique<typed_batch<T>>(*this);
  }
  void append_from(any_batch& other) override {
    auto& o = static_cast<typed_batch<T>&>(other);
    if (values.empty()) {
      values.swap(o.values);
      timestamps.swap(o.timestamps);
    } else {
      values.insert(values.end(), std::make_move_iterator(o.values.begin()),
                    std::make_move_iterator(o.values.end()));
      timestamps.insert(timestamps.end(), o.timestamps.begin(), o.timestamps.end());
    }
    o.clear();
  }
  const std::type_info& record_type() const override { return typeid(T); }

  // [[records...], [timestamps...]], or [[records...], nil] when no
  // record has a timestamp (no_timestamp each: 9 bytes a record saved).
  void encode_to(std::string& out) const override {
    if constexpr (wire_serializable_v<T>) {
      detail::grow_sink sink{&out, out.size()};
      msgpack::packer<detail::grow_sink> pk(sink);
      pk.pack_array(2);
      pk.pack_array(static_cast<std::uint32_t>(values.size()));
      for (const auto& v : values) {
        if constexpr (detail::packs_as_integer_v<T>) {
          char buf[9];
          sink.write(buf, detail::pack_integer(v, buf));
        } else {
          pk.pack(v);
        }
      }
      bool stamped = false;
      for (auto ts : timestamps)
        if (ts != no_timestamp) {
          stamped = true;
          break;
        }
      if (!stamped && !timestamps.empty()) {
        pk.pack_nil();
      } else {
        pk.pack_array(static_cast<std::uint32_t>(timestamps.size()));
        for (auto ts : timestamps) {
          char buf[9];
          sink.write(buf, detail::pack_integer(ts, buf));
        }
      }
      sink.finish();
    } else {
      (void)out;
      detail::throw_not_serializable(typeid(T));
    }
  }

  void decode_from(const char* data, std::size_t size) override {
    if constexpr (wire_serializable_v<T>) {
      const std::size_t before = values.size();
      try {
        detail::wire_reader in{data, data, data + size};
        if (in.array() != 2)
          detail::throw_bad_batch("not a batch of records and timestamps");
        const std::size_t n = in.array();
        if constexpr (std::is_default_constructible_v<T>) {
          values.resize(before + n);
          for (std::size_t i = 0; i < n; ++i)
            detail::read_value(in, values[before + i]);
        } else {
          values.reserve(before + n);
          for (std::size_t i = 0; i < n; ++i) {
            std::size_t offset = 0;
            auto oh = msgpack::unpack(in.p, in.left(), offset, nullptr, nullptr,
                                      unpack_limits(in.left()));
            values.push_back(oh.get().as<T>());
            in.p += offset;
          }
        }
        if (in.nil()) {
          timestamps.resize(before + n, no_timestamp);
        } else {
          if (in.array() != n)
            detail::throw_bad_batch("not a batch of records and timestamps");
          timestamps.resize(before + n);
          for (std::size_t i = 0; i < n; ++i)
            in.read_integer(timestamps[before + i]);
        }
        if (in.p != in.end)
          detail::throw_bad_batch("trailing bytes");
      } catch (const std::exception& e) {
        values.erase(values.begin() + static_cast<std::ptrdiff_t>(before), values.end());
        timestamps.resize(before);
        if (dynamic_cast<const spate::error*>(&e))
          throw;
        detail::throw_bad_batch(std::string(e.what()) + " (records of type " +
                                type_name(typeid(T)) + ")");
      }
    } else {
      (void)data;
      (void)size;
      detail::throw_not_serializable(typeid(T));
    }
  }
};

//! Makes empty batches of one record type (what a receiving process decodes into).
using batch_factory = std::function<std::unique_ptr<any_batch>()>;

template <class T>
batch_factory make_batch_factory() {
  return [] { return std::make_unique<typed_batch<T>>(); };
}

template <class T>
typed_batch<T>& batch_cast(any_batch& b) {
  return static_cast<typed_batch<T>&>(b);
}

} // namespace spate
