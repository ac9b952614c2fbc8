// The record SQL jobs move between operators and keep in state: a row of fixed 8-byte slots,
// a null bitmap and the bytes of its strings, all in one buffer.
//
//   [null bitmap: one bit per slot, in 8-byte words][slot 0]...[slot n-1][string bytes...]
//
// A slot holds an integer (BOOLEAN .. BIGINT, DATE as days, TIME as ms of the day, TIMESTAMP
// and TIMESTAMP_LTZ as epoch ms, intervals as ms or months, DECIMAL as its unscaled value), a
// double (FLOAT, DOUBLE) or, for CHAR/VARCHAR/BINARY/VARBINARY, the string's offset in the
// buffer (high 32 bits) and its length (low 32 bits); ARRAY, MAP and MULTISET are kept as a
// string slot holding their encoding (collection.hpp). A nested ROW column is flattened into the
// slots after its own (whose null bit says whether the row is null): `row_layout` maps a
// schema's columns to slots. Building a row appends to the one buffer; reading never
// allocates. Rows carry Flink's RowKind (+I, -U, +U, -D).
//
// The codec encodes a row as the msgpack array [kind, slots, bin(buffer)]: rows cross channels
// and live in RocksDB state as one copy of their buffer.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "spate/core/codec.hpp"
#include "spate/core/error.hpp"
#include "spate/core/wire.hpp"
#include "spate/sql/types.hpp"

namespace spate::sql {

//! Flink's RowKind, with its byte values.
enum class row_kind : std::uint8_t { insert = 0, update_before = 1, update_after = 2, delete_ = 3 };

//! "+I", "-U", "+U", "-D".
const char* short_string(row_kind k);

class row {
public:
  row() = default;
  //! A row of `slots` null slots.
  explicit row(std::size_t slots, row_kind kind = row_kind::insert) { reset(slots, kind); }

  //! Makes this a row of `slots` null slots with no string bytes, keeping the buffer's
  //! capacity (no allocation when it is large enough).
  void reset(std::size_t slots, row_kind kind = row_kind::insert) {
    slots_ = static_cast<std::uint32_t>(slots);
    kind_ = kind;
    buf_.assign(header_bytes(slots), '\0');
    // Every slot null: whole bitmap words of ones, the last one masked.
    const std::size_t words = (slots + 63) / 64;
    for (std::size_t w = 0; w < words; ++w) {
      const std::size_t bits = w + 1 < words || slots % 64 == 0 ? 64 : slots % 64;
      const std::uint64_t v = bits == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << bits) - 1;
      std::memcpy(buf_.data() + w * 8, &v, 8);
    }
  }

  //! Makes room for `bytes` of buffer (slots and strings), so the strings appended next do
  //! not grow it step by step.
  void reserve(std::size_t bytes) { buf_.reserve(bytes); }

  std::size_t size() const { return slots_; }
  row_kind kind() const { return kind_; }
  void set_kind(row_kind k) { kind_ = k; }

  bool is_null(std::size_t i) const { return (word(i / 64) >> (i % 64)) & 1u; }
  void set_null(std::size_t i) { set_bit(i); }

  std::int64_t get_long(std::size_t i) const {
    std::int64_t v;
    std::memcpy(&v, slot_ptr(i), 8);
    return v;
  }
  double get_double(std::size_t i) const {
    double v;
    std::memcpy(&v, slot_ptr(i), 8);
    return v;
  }
  bool get_bool(std::size_t i) const { return get_long(i) != 0; }
  //! The bytes of a string slot; valid until the row changes.
  std::string_view get_string(std::size_t i) const {
    const std::uint64_t s = raw(i);
    const std::size_t off = static_cast<std::size_t>(s >> 32);
    const std::size_t len = static_cast<std::size_t>(s & 0xffffffffu);
    if (off + len > buf_.size() || (len > 0 && off < header_bytes(slots_)))
      throw error(errc::codec, "SQL row: string slot " + std::to_string(i) + " out of bounds");
    return {buf_.data() + off, len};
  }
  //! The slot's 8 bytes as they are stored.
  std::uint64_t raw(std::size_t i) const {
    std::uint64_t v;
    std::memcpy(&v, slot_ptr(i), 8);
    return v;
  }

  void set_long(std::size_t i, std::int64_t v) {
    std::memcpy(slot_ptr(i), &v, 8);
    clear_bit(i);
  }
  void set_double(std::size_t i, double v) {
    std::memcpy(slot_ptr(i), &v, 8);
    clear_bit(i);
  }
  void set_bool(std::size_t i, bool v) { set_long(i, v ? 1 : 0); }
  //! Appends the bytes to the buffer (a string set twice leaves its old bytes behind until
  //! compact()).
  void set_string(std::size_t i, std::string_view s) {
    if (s.size() > 0xffffffffu || buf_.size() + s.size() > 0xffffffffu)
      throw error(errc::invalid_argument, "SQL row: a string of more than 4 GiB");
    const std::uint64_t off = buf_.size();
    buf_.append(s.data(), s.size());
    const std::uint64_t v = (off << 32) | static_cast<std::uint64_t>(s.size());
    std::memcpy(slot_ptr(i), &v, 8);
    clear_bit(i);
  }
  //! Slot `from` of `src` into slot `to`: a string (is_string) is copied as bytes.
  void copy_slot(const row& src, std::size_t from, std::size_t to, bool is_string) {
    if (src.is_null(from))
      set_null(to);
    else if (is_string)
      set_string(to, src.get_string(from));
    else {
      std::memcpy(slot_ptr(to), src.slot_ptr(from), 8);
      clear_bit(to);
    }
  }

  //! Drops string bytes no slot refers to; `is_string[i]` says which slots hold strings.
  void compact(const std::vector<std::uint8_t>& is_string);
  //! Bytes of strings after the slots (live or left behind).
  std::size_t string_bytes() const { return buf_.size() - header_bytes(slots_); }

  //! The whole buffer, as encoded.
  const std::string& buffer() const { return buf_; }
  //! Takes an encoded buffer; throws spate::error(errc::codec) when it is shorter than the
  //! slots it must hold.
  void assign(row_kind kind, std::size_t slots, std::string_view buffer);

  //! Same kind, slots and bytes (rows built alike; see equal_values for a typed comparison).
  friend bool operator==(const row& a, const row& b) {
    return a.kind_ == b.kind_ && a.slots_ == b.slots_ && a.buf_ == b.buf_;
  }
  friend bool operator!=(const row& a, const row& b) { return !(a == b); }

  static std::size_t header_bytes(std::size_t slots) { return ((slots + 63) / 64) * 8 + slots * 8; }

private:
  std::uint64_t word(std::size_t w) const {
    std::uint64_t v;
    std::memcpy(&v, buf_.data() + w * 8, 8);
    return v;
  }
  void set_bit(std::size_t i) {
    std::uint64_t v = word(i / 64) | (std::uint64_t{1} << (i % 64));
    std::memcpy(buf_.data() + (i / 64) * 8, &v, 8);
  }
  void clear_bit(std::size_t i) {
    std::uint64_t v = word(i / 64) & ~(std::uint64_t{1} << (i % 64));
    std::memcpy(buf_.data() + (i / 64) * 8, &v, 8);
  }
  const char* slot_ptr(std::size_t i) const {
    return buf_.data() + ((slots_ + 63) / 64) * 8 + i * 8;
  }
  char* slot_ptr(std::size_t i) { return buf_.data() + ((slots_ + 63) / 64) * 8 + i * 8; }

  std::string buf_;
  std::uint32_t slots_ = 0;
  row_kind kind_ = row_kind::insert;
};

// ---------------------------------------------------------------------------------------------
// Layout: a schema's columns over slots

//! How a value of a logical type is kept in its slot.
enum class slot_kind : std::uint8_t {
  integer, //!< BOOLEAN, TINYINT..BIGINT, DATE, TIME, TIMESTAMP(_LTZ), intervals
  decimal, //!< unscaled int64 with the type's scale
  floating,
  string, //!< CHAR, VARCHAR, BINARY, VARBINARY; ARRAY, MAP, MULTISET (their encoding)
  nested, //!< a ROW: its null flag; its fields follow
};

//! The slot kind of `t`; throws sql_error-free spate::error(errc::invalid_argument,
//! "not supported yet: <type> values") for RAW and SYMBOL.
slot_kind slot_kind_of(const logical_type& t);

//! Slots a value of `t` takes: 1, or 1 + the fields' for a ROW.
std::size_t slot_width(const logical_type& t);

struct row_layout;
//! The layout of one element of an ARRAY<T> or MULTISET<T> ([T]) or MAP<K, V> ([K, V]).
std::shared_ptr<const row_layout> element_layout(const logical_type& collection);

//! A schema's slots: column i starts at `first[i]` and takes `width[i]` slots; `types[s]` and
//! `kinds[s]` are the type and kind of slot s (a nested field's own type).
struct row_layout {
  std::vector<logical_type> columns;
  std::vector<std::size_t> first;
  std::vector<std::size_t> width;
  std::vector<logical_type> types;
  std::vector<slot_kind> kinds;
  std::vector<std::uint8_t> is_string; //!< per slot, for copy_slot and compact
  //! Per slot: for an ARRAY, MAP or MULTISET slot the layout of one element, else null.
  std::vector<std::shared_ptr<const row_layout>> elements;

  explicit row_layout(std::vector<logical_type> column_types = {});
  std::size_t slots() const { return kinds.size(); }
};

//! The text of a value as Flink's print connector writes it (Java's toString of the external
//! type): 42, 1.5, 1.0E7, 111.684, abc, 2015-07-15T00:00:00.123 (LocalDateTime; whole minutes
//! as 2015-07-15T00:00), ...Z for TIMESTAMP_LTZ, true, NULL for null, a nested row as +I[a, b].
void append_value(std::string& out, const row& r, std::size_t slot, const row_layout& layout);
//! An encoded ARRAY, MAP or MULTISET (collection.hpp) of type `t`, whose element layout is `el`,
//! as the print connector writes it: [1, 2, NULL], {a=1, b=2} (a multiset as {element=count}).
void append_collection_text(std::string& out, std::string_view bytes, const logical_type& t,
                            const row_layout& el);
//! The row as Flink's print connector writes it: "+I[a, b, c]".
std::string to_print_string(const row& r, const row_layout& layout);
//! One JSON object (Flink's json format, SQL timestamp standard):
//! {"a":1,"b":"x","ts":"2015-07-15 00:00:00.12"} (no trailing zeros in the fraction).
void append_json(std::string& out, const row& r, const row_layout& layout,
                 const std::vector<std::string>& names);

//! Same kind and the same values slot by slot (strings by their bytes).
bool equal_values(const row& a, const row& b, const row_layout& layout);

// Temporal text helpers shared with the evaluator.
//! "2015-07-15 00:00:00.000" for epoch ms, with `precision` fractional digits (0..3).
void append_timestamp(std::string& out, std::int64_t ms, int precision);
//! "2015-07-15" for days since the epoch.
void append_date(std::string& out, std::int64_t days);
//! "12:34:56" (and .fff with precision) for ms of the day.
void append_time(std::string& out, std::int64_t ms, int precision);
//! The unscaled decimal with `scale` digits after the point: 111684, 3 -> "111.684".
void append_decimal(std::string& out, std::int64_t unscaled, int scale);
//! Java's Double.toString, as Flink prints doubles: 1.0, 0.5, 1.0E7, 1.0E-4.
void append_double(std::string& out, double d);

//! Days since the epoch of a civil date, and back.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d);
void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d);

} // namespace spate::sql

// The codec: [kind, slots, bin(buffer)].
namespace msgpack {
MSGPACK_API_VERSION_NAMESPACE(MSGPACK_DEFAULT_API_NS) {
  namespace adaptor {
  template <>
  struct pack<spate::sql::row> {
    template <class Stream>
    msgpack::packer<Stream>& operator()(msgpack::packer<Stream>& o,
                                        const spate::sql::row& v) const {
      o.pack_array(3);
      o.pack(static_cast<unsigned>(v.kind()));
      o.pack(static_cast<std::uint64_t>(v.size()));
      o.pack_bin(static_cast<std::uint32_t>(v.buffer().size()));
      o.pack_bin_body(v.buffer().data(), static_cast<std::uint32_t>(v.buffer().size()));
      return o;
    }
  };
  template <>
  struct convert<spate::sql::row> {
    const msgpack::object& operator()(const msgpack::object& o, spate::sql::row& v) const {
      if (o.type != msgpack::type::ARRAY || o.via.array.size != 3 ||
          o.via.array.ptr[2].type != msgpack::type::BIN)
        throw msgpack::type_error();
      const unsigned kind = o.via.array.ptr[0].as<unsigned>();
      if (kind > 3)
        throw msgpack::type_error();
      const auto slots = o.via.array.ptr[1].as<std::uint64_t>();
      if (slots > 0xffffffffu)
        throw msgpack::type_error();
      const auto& bin = o.via.array.ptr[2].via.bin;
      v.assign(static_cast<spate::sql::row_kind>(kind), static_cast<std::size_t>(slots),
               std::string_view(bin.ptr, bin.size));
      return o;
    }
  };
  template <>
  struct object_with_zone<spate::sql::row> {
    void operator()(msgpack::object::with_zone& o, const spate::sql::row& v) const {
      o.type = type::ARRAY;
      o.via.array.size = 3;
      o.via.array.ptr = static_cast<msgpack::object*>(o.zone.allocate_align(
          sizeof(msgpack::object) * 3, MSGPACK_ZONE_ALIGNOF(msgpack::object)));
      o.via.array.ptr[0] = msgpack::object(static_cast<unsigned>(v.kind()), o.zone);
      o.via.array.ptr[1] = msgpack::object(static_cast<std::uint64_t>(v.size()), o.zone);
      const auto n = static_cast<std::uint32_t>(v.buffer().size());
      char* bytes = static_cast<char*>(o.zone.allocate_no_align(n));
      std::memcpy(bytes, v.buffer().data(), n);
      o.via.array.ptr[2].type = type::BIN;
      o.via.array.ptr[2].via.bin.size = n;
      o.via.array.ptr[2].via.bin.ptr = bytes;
    }
  };
  } // namespace adaptor
} // MSGPACK_API_VERSION_NAMESPACE(MSGPACK_DEFAULT_API_NS)
} // namespace msgpack

namespace spate {
//! Rows cross processes (the exchanges of a SQL job over several TaskManagers) as the codec
//! above writes them; decoding checks the kind, the slot count and that the buffer holds the
//! slots, and a string slot is checked against the buffer when read.
template <>
struct wire_serializable<sql::row> : std::true_type {};
} // namespace spate
