// Timers of one keyed operator in one time domain: deduplicated per
// (time, key, namespace), fired in time order, kept in RocksDB (a column
// family of the operator's backend) so they survive restarts and checkpoints.
// The ordered set in memory is the truth; changes reach RocksDB with the
// backend's flush() (every checkpoint does one), so a timer added and fired
// between two checkpoints never touches RocksDB.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <unordered_map>

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
  ~timer_queue();
  timer_queue(const timer_queue&) = delete;
  timer_queue& operator=(const timer_queue&) = delete;

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

  //! Changes not yet in RocksDB (for tests).
  std::size_t pending_changes() const { return pending_.size(); }

private:
  friend class keyed_state_backend;
  //! A change held back until the backend's next flush.
  struct change {
    int key_group = 0;
    std::uint32_t key_size = 0;
    bool put = false;   //!< false: delete
    bool in_db = false; //!< RocksDB held the timer at the last flush
  };
  //! Called by the backend's flush(): hands every held-back change to `stage`.
  template <class Stage>
  void collect_pending(Stage&& stage) const {
    for (const auto& [stored, c] : pending_)
      stage(c.key_group, stored, c.put, c.key_size);
  }
  void mark_flushed() { pending_.clear(); }
  //! The backend is going away first: nothing more to unregister from.
  void detach() { attached_ = false; }
  void note_put(const timer_entry& e);
  void note_delete(const timer_entry& e);

  std::string stored_key(const timer_entry& e) const;
  //! The timer at `t` of the backend's current key and namespace.
  void set_probe(timestamp t);

  keyed_state_backend& backend_;
  std::string name_;
  std::set<timer_entry> timers_;
  timer_entry probe_;
  //! Stored key (time + key + namespace) -> change since the last flush.
  std::unordered_map<std::string, change> pending_;
  bool attached_ = true;
};

} // namespace spate
