// Timers of one keyed operator in one time domain: deduplicated per
// (time, key, namespace), fired in time order, kept in RocksDB (a column
// family of the operator's backend) so they survive restarts and checkpoints.
//
// In memory: a binary min-heap of (time, timer id) for firing, and an
// open-addressing index from the timer's bytes (time, key, namespace) to its
// id for deduplication and deletion, as Flink's HeapPriorityQueueSet. Each
// timer is one record in a pool whose strings are reused, so registering and
// firing timers allocates nothing once the pool has grown.
//
// The heap is the truth; changes reach RocksDB with the backend's flush()
// (every checkpoint does one), so a timer added and fired between two
// checkpoints never touches RocksDB. A timer RocksDB holds that is deleted
// stays in the index, out of the heap, until that flush writes the Delete.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "spate/core/types.hpp"

namespace spate {

class keyed_state_backend;

//! A timer as it fires: its time, key group, and the msgpack of its key and
//! namespace (an empty namespace is the default one).
struct timer_entry {
  timestamp time = 0;
  int key_group = 0;
  std::string key;
  std::string ns;
};

//! Not thread-safe: used from the operator's task only.
class timer_queue {
public:
  //! Binds to column family `name` of `backend` and loads the timers stored
  //! there (a restart finds its timers again). With `persisted` false the
  //! timers live in memory only: nothing is loaded or written, and the owner
  //! registers them again from its own state after a restore (the window
  //! operator does, from its windows' contents).
  timer_queue(keyed_state_backend& backend, std::string name, bool persisted = true);
  ~timer_queue();
  timer_queue(const timer_queue&) = delete;
  timer_queue& operator=(const timer_queue&) = delete;

  //! Registers a timer at `t` for the backend's current key and namespace.
  //! Returns false when the same timer exists already.
  bool add(timestamp t);
  //! Deletes the timer at `t` of the current key and namespace, if any.
  bool remove(timestamp t);
  //! Time of the earliest timer; max_watermark when there is none.
  timestamp earliest() const { return heap_.empty() ? max_watermark : heap_.front().time; }
  std::size_t size() const { return heap_.size(); }
  //! Removes the earliest timer when its time is <= `limit` and returns it
  //! (valid until the next call on this queue); nullptr otherwise. Equal
  //! times fire in the order they were registered (restored timers in key
  //! group, then key order), so ties never touch the timers' bytes.
  const timer_entry* pop_if_due(timestamp limit);
  //! Every timer, in firing order (a copy, for tests and inspection).
  std::vector<timer_entry> entries() const;

  //! Timers whose change has not reached RocksDB yet (for tests).
  std::size_t pending_changes() const { return changed_.size(); }

private:
  friend class keyed_state_backend;
  static constexpr std::uint32_t none = ~std::uint32_t{0};

  struct record {
    //! RocksDB's key without the key group: time (8 bytes, order-preserving)
    //! + key + namespace.
    std::string bytes;
    std::uint64_t hash = 0;
    int key_group = 0;
    std::uint32_t key_size = 0;
    std::uint32_t heap_pos = none; //!< none: not live (free, or a pending Delete)
    bool indexed = false;          //!< in the index: live or a pending Delete
    bool in_db = false;            //!< RocksDB held it at the last flush
    bool changed = false;          //!< listed in changed_
  };
  struct node {
    timestamp time;
    std::uint64_t seq; //!< registration order: equal times fire first come, first served
    std::uint32_t id;
  };

  //! Called by the backend's flush(): hands every held-back change to
  //! `stage(key_group, bytes, put, key_size)`.
  template <class Stage>
  void collect_pending(Stage&& stage) const {
    for (std::uint32_t id : changed_) {
      const record& r = records_[id];
      const bool live = r.heap_pos != none;
      if (live != r.in_db)
        stage(r.key_group, std::string_view(r.bytes), live, r.key_size);
    }
  }
  void mark_flushed();
  //! The backend is going away first: nothing more to unregister from.
  void detach() { attached_ = false; }

  //! Sets probe_ to the timer at `t` of the backend's current key and namespace.
  void set_probe(timestamp t);
  std::uint32_t find(std::string_view bytes, std::uint64_t h) const;
  std::uint32_t insert_record(int key_group, std::string_view bytes, std::uint32_t key_size,
                              std::uint64_t h, bool in_db);
  void unindex(std::uint32_t id);
  void release(std::uint32_t id);
  void note_changed(std::uint32_t id);
  void rebuild_index(std::size_t needed);

  static bool before(const node& a, const node& b) {
    return a.time != b.time ? a.time < b.time : a.seq < b.seq;
  }
  void heap_push(std::uint32_t id, timestamp t);
  void heap_erase(std::size_t pos);
  void sift_up(std::size_t pos);
  void sift_down(std::size_t pos);
  void place(std::size_t pos, node n) {
    heap_[pos] = n;
    records_[n.id].heap_pos = static_cast<std::uint32_t>(pos);
  }

  keyed_state_backend& backend_;
  std::string name_;
  std::vector<record> records_;
  std::vector<std::uint32_t> free_;
  std::vector<node> heap_;
  //! Open addressing: 0 empty, 1 tombstone, else record id + 2.
  std::vector<std::uint32_t> index_;
  std::size_t index_used_ = 0; //!< entries + tombstones
  std::size_t index_size_ = 0;
  std::vector<std::uint32_t> changed_;
  std::uint64_t next_seq_ = 0;
  std::string probe_;
  timer_entry fired_;
  bool persisted_;
  bool attached_;
};

} // namespace spate
