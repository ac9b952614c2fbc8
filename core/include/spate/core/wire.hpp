// Which record types can leave the process. Records cross processes as
// msgpack; a type qualifies when msgpack can encode it: arithmetic types,
// strings, standard containers, pairs, tuples and optionals of qualifying
// types, and user types that declare SPATE_FIELDS. A type with its own msgpack
// adaptor qualifies once it specializes spate::wire_serializable.
//
// msgpack's own templates fail to compile for other types; this trait lets a
// job that never leaves the process keep such records (nlohmann::json, say)
// and a job that does fail with a message naming the type instead.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <msgpack.hpp>

namespace spate {

namespace detail {
template <class T, class = void>
struct has_spate_fields : std::false_type {};
template <class T>
struct has_spate_fields<T, std::void_t<decltype(std::declval<T&>().msgpack_unpack(
                               std::declval<const msgpack::object&>()))>> : std::true_type {};
} // namespace detail

//! True when records of type T can be sent between processes.
template <class T, class = void>
struct wire_serializable : std::bool_constant<std::is_arithmetic_v<T> || std::is_enum_v<T> ||
                                              detail::has_spate_fields<T>::value> {};

template <>
struct wire_serializable<std::string> : std::true_type {};
template <class T>
struct wire_serializable<std::vector<T>> : wire_serializable<T> {};
template <class T>
struct wire_serializable<std::deque<T>> : wire_serializable<T> {};
template <class T>
struct wire_serializable<std::list<T>> : wire_serializable<T> {};
template <class T>
struct wire_serializable<std::set<T>> : wire_serializable<T> {};
template <class T>
struct wire_serializable<std::unordered_set<T>> : wire_serializable<T> {};
template <class T>
struct wire_serializable<std::optional<T>> : wire_serializable<T> {};
template <class T, std::size_t N>
struct wire_serializable<std::array<T, N>> : wire_serializable<T> {};
template <class K, class V>
struct wire_serializable<std::map<K, V>>
    : std::bool_constant<wire_serializable<K>::value && wire_serializable<V>::value> {};
template <class K, class V>
struct wire_serializable<std::unordered_map<K, V>>
    : std::bool_constant<wire_serializable<K>::value && wire_serializable<V>::value> {};
template <class A, class B>
struct wire_serializable<std::pair<A, B>>
    : std::bool_constant<wire_serializable<A>::value && wire_serializable<B>::value> {};
template <class... Ts>
struct wire_serializable<std::tuple<Ts...>>
    : std::bool_constant<(wire_serializable<Ts>::value && ...)> {};

template <class T>
inline constexpr bool wire_serializable_v = wire_serializable<T>::value;

//! The readable name of a type ("std::pair<int, long>"), for messages.
std::string type_name(const std::type_info& t);

} // namespace spate
