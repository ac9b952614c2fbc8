// Timers of one keyed operator in one time domain: deduplicated per
// (time, key, namespace), fired in time order, kept in RocksDB (a column
// family of the operator's backend) so they survive restarts and checkpoints.
#pragma once

#include <optional>
#include <set>
#include <string>

#include "spate/core/types.hpp"

namespace spate {

class keyed_state_backend;

struct timer_entry {
  timestamp time = 0;
  int key_group = 0;
  std::string key; //!< msgpack of the key
  std::string ns;  //!< msgpack of the namespace (empty: default)

  friend bool operator<(const timer_entry& a, const timer_entry& b) {
    if (a.time != b.time)
      return a.time < b.time;
    if (a.key_group != b.key_group)
      return a.key_group < b.key_group;
    if (a.key != b.key)
      return a.key < b.key;
    return a.ns < b.ns;
  }
};

//! Not thread-safe: used from the operator's task only.
class timer_queue {
public:
  //! Binds to column family `name` of `backend` and loads the timers stored
  //! there (a restart finds its timers again).
  timer_queue(keyed_state_backend& backend, std::string name);

  //! Registers a timer at `t` for the backend's current key and namespace.
  //! Returns false when the same timer exists already.
  bool add(timestamp t);
  //! Deletes the timer at `t` of the current key and namespace, if any.
  bool remove(timestamp t);
  //! Time of the earliest timer; max_watermark when there is none.
  timestamp earliest() const { return timers_.empty() ? max_watermark : timers_.begin()->time; }
  std::size_t size() const { return timers_.size(); }
  //! Removes and returns the earliest timer when its time is <= `limit`.
  std::optional<timer_entry> pop_if_due(timestamp limit);
  const std::set<timer_entry>& all() const { return timers_; }

private:
  std::string stored_key(const timer_entry& e) const;
  //! The timer at `t` of the backend's current key and namespace.
  void set_probe(timestamp t);

  keyed_state_backend& backend_;
  std::string name_;
  std::set<timer_entry> timers_;
  timer_entry probe_;
};

} // namespace spate
