// Basic vocabulary of spate: time, identifiers, limits.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <ostream>
#include <string>

namespace spate {

//! Event or processing time in milliseconds since the Unix epoch.
using timestamp = std::int64_t;

//! A record without an assigned timestamp carries this value.
constexpr timestamp no_timestamp = std::numeric_limits<timestamp>::min();
//! The watermark that ends event time: every window fires.
constexpr timestamp max_watermark = std::numeric_limits<timestamp>::max();
//! The watermark before any input: nothing is complete.
constexpr timestamp min_watermark = std::numeric_limits<timestamp>::min();

//! Default number of key groups, as Flink's default for small parallelism.
constexpr int default_max_parallelism = 128;
//! The largest max parallelism (key groups are stored in two bytes).
constexpr int upper_max_parallelism = 32768;

//! A distinct integer type per kind of identifier, so a subtask index is never
//! passed where a key group is expected.
template <class Tag, class Rep = std::int32_t>
class strong_id {
public:
  using rep_type = Rep;
  constexpr strong_id() = default;
  constexpr explicit strong_id(Rep v) : value_(v) {}
  constexpr Rep value() const { return value_; }
  friend constexpr bool operator==(strong_id a, strong_id b) { return a.value_ == b.value_; }
  friend constexpr bool operator!=(strong_id a, strong_id b) { return a.value_ != b.value_; }
  friend constexpr bool operator<(strong_id a, strong_id b) { return a.value_ < b.value_; }
  friend constexpr bool operator<=(strong_id a, strong_id b) { return a.value_ <= b.value_; }
  friend constexpr bool operator>(strong_id a, strong_id b) { return a.value_ > b.value_; }
  friend constexpr bool operator>=(strong_id a, strong_id b) { return a.value_ >= b.value_; }
  friend std::ostream& operator<<(std::ostream& os, strong_id id) { return os << id.value_; }

private:
  Rep value_ = 0;
};

struct vertex_id_tag {};
struct subtask_index_tag {};
struct checkpoint_id_tag {};
struct attempt_number_tag {};
struct channel_index_tag {};

//! Identifies a transformation (a node of the job graph).
using vertex_id = strong_id<vertex_id_tag>;
//! Index of one parallel instance of a vertex, 0 .. parallelism-1.
using subtask_index = strong_id<subtask_index_tag>;
//! Number of a checkpoint, increasing from 1.
using checkpoint_id = strong_id<checkpoint_id_tag, std::int64_t>;
//! Which deployment of a job a message belongs to: 1 for the first, one more
//! per restart (Flink's attempt number), so late messages of an earlier
//! attempt are told apart.
using attempt_number = strong_id<attempt_number_tag>;
//! Index of one input or output channel of a subtask, 0 .. channels-1.
using channel_index = strong_id<channel_index_tag>;

} // namespace spate

namespace std {
template <class Tag, class Rep>
struct hash<spate::strong_id<Tag, Rep>> {
  size_t operator()(spate::strong_id<Tag, Rep> id) const noexcept {
    return std::hash<Rep>{}(id.value());
  }
};
} // namespace std
