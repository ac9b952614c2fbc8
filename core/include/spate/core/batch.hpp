// Batches of records: the unit that moves between operators and tasks.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <memory>
#include <typeinfo>
#include <utility>
#include <vector>

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
struct string_sink {
  std::string* s;
  void write(const char* p, std::size_t n) { s->append(p, n); }
};
[[noreturn]] void throw_not_serializable(const std::type_info& t);
[[noreturn]] void throw_bad_batch(const std::string& why);
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

  void encode_to(std::string& out) const override {
    if constexpr (wire_serializable_v<T>) {
      detail::string_sink sink{&out};
      msgpack::packer<detail::string_sink> pk(sink);
      pk.pack_array(2);
      pk.pack_array(static_cast<std::uint32_t>(values.size()));
      for (const auto& v : values)
        pk.pack(v);
      pk.pack_array(static_cast<std::uint32_t>(timestamps.size()));
      for (auto ts : timestamps)
        pk.pack(ts);
    } else {
      (void)out;
      detail::throw_not_serializable(typeid(T));
    }
  }

  void decode_from(const char* data, std::size_t size) override {
    if constexpr (wire_serializable_v<T>) {
      const std::size_t before = values.size();
      try {
        std::size_t offset = 0;
        auto oh = msgpack::unpack(data, size, offset, nullptr, nullptr,
                                  msgpack::unpack_limit(size, size, size, size, size, 64));
        if (offset != size)
          detail::throw_bad_batch("trailing bytes");
        const auto& o = oh.get();
        if (o.type != msgpack::type::ARRAY || o.via.array.size != 2 ||
            o.via.array.ptr[0].type != msgpack::type::ARRAY ||
            o.via.array.ptr[1].type != msgpack::type::ARRAY ||
            o.via.array.ptr[0].via.array.size != o.via.array.ptr[1].via.array.size)
          detail::throw_bad_batch("not a batch of records and timestamps");
        const auto& vs = o.via.array.ptr[0].via.array;
        const auto& ts = o.via.array.ptr[1].via.array;
        values.reserve(before + vs.size);
        timestamps.reserve(before + vs.size);
        for (std::uint32_t i = 0; i < vs.size; ++i) {
          values.push_back(vs.ptr[i].as<T>());
          timestamps.push_back(ts.ptr[i].as<timestamp>());
        }
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
