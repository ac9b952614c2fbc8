#include "spate/state/timer_queue.hpp"

#include <algorithm>
#include <cstring>

#include "spate/core/error.hpp"
#include "spate/core/hash.hpp"
#include "spate/core/log.hpp"
#include "spate/state/keyed_state_backend.hpp"

namespace spate {

namespace {

// Big endian with the sign bit flipped: byte order equals time order.
void put_time(std::string& out, timestamp t) {
  auto u = static_cast<std::uint64_t>(t) ^ (std::uint64_t{1} << 63);
  char b[8];
  for (int i = 7; i >= 0; --i) {
    b[i] = static_cast<char>(u & 0xff);
    u >>= 8;
  }
  out.append(b, 8);
}

timestamp get_time(std::string_view in) {
  std::uint64_t u = 0;
  for (int i = 0; i < 8; ++i)
    u = (u << 8) | static_cast<unsigned char>(in[i]);
  return static_cast<timestamp>(u ^ (std::uint64_t{1} << 63));
}

std::uint64_t hash_of(std::string_view bytes) {
  return mix64(hash_bytes(bytes.data(), bytes.size()));
}

} // namespace

timer_queue::timer_queue(keyed_state_backend& backend, std::string name, bool persisted)
    : backend_(backend), name_(std::move(name)), persisted_(persisted), attached_(persisted) {
  if (!persisted_)
    return; // never flushed: nothing to register or load
  backend_.register_timer_queue(this);
  auto names = backend_.state_names();
  if (std::find(names.begin(), names.end(), name_) == names.end())
    return;
  backend_.for_each_raw(
      name_, backend_.key_groups(), [this](int kg, std::string_view rest, std::string_view value) {
        std::uint32_t key_size = 0;
        if (rest.size() < 8 || value.size() != 4)
          throw error(errc::corrupt, "timer state '" + name_ + "' holds a malformed entry");
        std::memcpy(&key_size, value.data(), 4);
        if (key_size > rest.size() - 8)
          throw error(errc::corrupt, "timer state '" + name_ + "' holds a malformed entry");
        auto h = hash_of(rest);
        if (find(rest, h) != none)
          return;
        auto id = insert_record(kg, rest, key_size, h, true);
        heap_push(id, get_time(rest));
      });
}

timer_queue::~timer_queue() {
  if (!attached_)
    return;
  if (!changed_.empty()) {
    // The backend may outlive this queue: hand over what it has not written.
    try {
      backend_.flush();
    } catch (const std::exception& e) {
      log().error("timer state '{}': flush on close failed: {}", name_, e.what());
    }
  }
  backend_.unregister_timer_queue(this);
}

void timer_queue::set_probe(timestamp t) {
  probe_.clear();
  put_time(probe_, t);
  probe_.append(backend_.current_key_bytes());
  probe_.append(backend_.current_namespace_bytes());
}

bool timer_queue::add(timestamp t) {
  set_probe(t);
  const auto h = hash_of(probe_);
  auto id = find(probe_, h);
  if (id != none) {
    if (records_[id].heap_pos != none)
      return false;
    heap_push(id, t); // deleted since the last flush: live again
    return true;
  }
  id = insert_record(backend_.current_key_group(), probe_,
                     static_cast<std::uint32_t>(backend_.current_key_bytes().size()), h, false);
  note_changed(id);
  heap_push(id, t);
  return true;
}

bool timer_queue::remove(timestamp t) {
  set_probe(t);
  auto id = find(probe_, hash_of(probe_));
  if (id == none || records_[id].heap_pos == none)
    return false;
  heap_erase(records_[id].heap_pos);
  release(id);
  return true;
}

const timer_entry* timer_queue::pop_if_due(timestamp limit) {
  if (heap_.empty() || heap_.front().time > limit)
    return nullptr;
  const std::uint32_t id = heap_.front().id;
  const record& r = records_[id];
  fired_.time = heap_.front().time;
  fired_.key_group = r.key_group;
  fired_.key.assign(r.bytes, 8, r.key_size);
  fired_.ns.assign(r.bytes, 8 + r.key_size, std::string::npos);
  heap_erase(0);
  release(id);
  return &fired_;
}

std::vector<timer_entry> timer_queue::entries() const {
  std::vector<node> order = heap_;
  std::sort(order.begin(), order.end(), before);
  std::vector<timer_entry> out;
  out.reserve(order.size());
  for (const auto& n : order) {
    const record& r = records_[n.id];
    out.push_back(
        {n.time, r.key_group, r.bytes.substr(8, r.key_size), r.bytes.substr(8 + r.key_size)});
  }
  return out;
}

// A timer that left the heap: forgotten at once unless RocksDB holds it, in
// which case it waits in the index for the flush that writes its Delete.
void timer_queue::release(std::uint32_t id) {
  record& r = records_[id];
  if (r.in_db) {
    note_changed(id);
    return;
  }
  unindex(id);
  if (!r.changed) {
    free_.push_back(id);
  }
  // A changed record is freed by mark_flushed(), which walks changed_.
}

void timer_queue::note_changed(std::uint32_t id) {
  if (!persisted_)
    return; // in_db stays false: a released timer is forgotten at once
  record& r = records_[id];
  if (!r.changed) {
    r.changed = true;
    changed_.push_back(id);
  }
}

void timer_queue::mark_flushed() {
  for (std::uint32_t id : changed_) {
    record& r = records_[id];
    r.changed = false;
    if (r.heap_pos != none) {
      r.in_db = true;
    } else {
      r.in_db = false;
      if (r.indexed)
        unindex(id);
      free_.push_back(id);
    }
  }
  changed_.clear();
}

// ---- Index -----------------------------------------------------------------

std::uint32_t timer_queue::find(std::string_view bytes, std::uint64_t h) const {
  if (index_.empty())
    return none;
  const std::size_t mask = index_.size() - 1;
  for (std::size_t i = h & mask;; i = (i + 1) & mask) {
    const std::uint32_t x = index_[i];
    if (x == 0)
      return none;
    if (x >= 2) {
      const record& r = records_[x - 2];
      if (r.hash == h && r.bytes == bytes)
        return x - 2;
    }
  }
}

std::uint32_t timer_queue::insert_record(int key_group, std::string_view bytes,
                                         std::uint32_t key_size, std::uint64_t h, bool in_db) {
  if ((index_used_ + 1) * 4 > index_.size() * 3)
    rebuild_index(index_size_ + 1);
  std::uint32_t id;
  if (!free_.empty()) {
    id = free_.back();
    free_.pop_back();
  } else {
    id = static_cast<std::uint32_t>(records_.size());
    records_.emplace_back();
  }
  record& r = records_[id];
  r.bytes.assign(bytes.data(), bytes.size()); // reuses the freed record's capacity
  r.hash = h;
  r.key_group = key_group;
  r.key_size = key_size;
  r.heap_pos = none;
  r.indexed = true;
  r.in_db = in_db;
  r.changed = false;
  const std::size_t mask = index_.size() - 1;
  std::size_t i = h & mask;
  while (index_[i] >= 2)
    i = (i + 1) & mask;
  if (index_[i] == 0)
    ++index_used_;
  index_[i] = id + 2;
  ++index_size_;
  return id;
}

void timer_queue::unindex(std::uint32_t id) {
  record& r = records_[id];
  const std::size_t mask = index_.size() - 1;
  for (std::size_t i = r.hash & mask;; i = (i + 1) & mask) {
    if (index_[i] == id + 2) {
      index_[i] = 1;
      break;
    }
  }
  r.indexed = false;
  --index_size_;
}

void timer_queue::rebuild_index(std::size_t needed) {
  std::size_t capacity = 16;
  // At most half full after a rebuild: an index that reached 3/4 doubles, and
  // one filled with tombstones keeps its size.
  while (capacity < needed * 2)
    capacity *= 2;
  index_.assign(capacity, 0);
  const std::size_t mask = capacity - 1;
  for (std::size_t id = 0; id < records_.size(); ++id) {
    if (!records_[id].indexed)
      continue;
    std::size_t i = records_[id].hash & mask;
    while (index_[i] != 0)
      i = (i + 1) & mask;
    index_[i] = static_cast<std::uint32_t>(id + 2);
  }
  index_used_ = index_size_;
}

// ---- Heap ------------------------------------------------------------------

void timer_queue::heap_push(std::uint32_t id, timestamp t) {
  heap_.push_back({t, next_seq_++, id});
  records_[id].heap_pos = static_cast<std::uint32_t>(heap_.size() - 1);
  sift_up(heap_.size() - 1);
}

void timer_queue::heap_erase(std::size_t pos) {
  records_[heap_[pos].id].heap_pos = none;
  const node last = heap_.back();
  heap_.pop_back();
  if (pos == heap_.size())
    return;
  place(pos, last);
  if (pos > 0 && before(last, heap_[(pos - 1) / 2]))
    sift_up(pos);
  else
    sift_down(pos);
}

void timer_queue::sift_up(std::size_t pos) {
  const node n = heap_[pos];
  while (pos > 0) {
    std::size_t parent = (pos - 1) / 2;
    if (!before(n, heap_[parent]))
      break;
    place(pos, heap_[parent]);
    pos = parent;
  }
  place(pos, n);
}

void timer_queue::sift_down(std::size_t pos) {
  const node n = heap_[pos];
  const std::size_t size = heap_.size();
  for (;;) {
    std::size_t child = 2 * pos + 1;
    if (child >= size)
      break;
    if (child + 1 < size && before(heap_[child + 1], heap_[child]))
      ++child;
    if (!before(heap_[child], n))
      break;
    place(pos, heap_[child]);
    pos = child;
  }
  place(pos, n);
}

} // namespace spate
