#include "spate/state/timer_queue.hpp"

#include <algorithm>
#include <cstring>

#include "spate/core/error.hpp"
#include "spate/core/log.hpp"
#include "spate/state/keyed_state_backend.hpp"

namespace spate {

namespace {

// Big endian with the sign bit flipped: byte order equals time order.
void put_time(std::string& out, timestamp t) {
  auto u = static_cast<std::uint64_t>(t) ^ (std::uint64_t{1} << 63);
  for (int i = 7; i >= 0; --i)
    out.push_back(static_cast<char>((u >> (8 * i)) & 0xff));
}

timestamp get_time(std::string_view in) {
  std::uint64_t u = 0;
  for (int i = 0; i < 8; ++i)
    u = (u << 8) | static_cast<unsigned char>(in[i]);
  return static_cast<timestamp>(u ^ (std::uint64_t{1} << 63));
}

} // namespace

timer_queue::timer_queue(keyed_state_backend& backend, std::string name)
    : backend_(backend), name_(std::move(name)) {
  backend_.register_timer_queue(this);
  auto names = backend_.state_names();
  if (std::find(names.begin(), names.end(), name_) == names.end())
    return;
  backend_.for_each_raw(name_, backend_.key_groups(),
                        [this](int kg, std::string_view rest, std::string_view value) {
                          std::uint32_t key_size = 0;
                          if (rest.size() < 8 || value.size() != 4)
                            throw error(errc::corrupt, "timer state '" + name_ +
                                                           "' holds a malformed entry");
                          std::memcpy(&key_size, value.data(), 4);
                          if (key_size > rest.size() - 8)
                            throw error(errc::corrupt, "timer state '" + name_ +
                                                           "' holds a malformed entry");
                          timer_entry e;
                          e.time = get_time(rest);
                          e.key_group = kg;
                          e.key.assign(rest.substr(8, key_size));
                          e.ns.assign(rest.substr(8 + key_size));
                          timers_.insert(std::move(e));
                        });
}

timer_queue::~timer_queue() {
  if (!attached_)
    return;
  if (!pending_.empty()) {
    // The backend may outlive this queue: hand over what it has not written.
    try {
      backend_.flush();
    } catch (const std::exception& e) {
      log().error("timer state '{}': flush on close failed: {}", name_, e.what());
    }
  }
  backend_.unregister_timer_queue(this);
}

// Without a pending change, RocksDB holds exactly the timers in memory.
void timer_queue::note_put(const timer_entry& e) {
  // The timer is new, so RocksDB holds it only if a pending delete says so.
  auto [it, inserted] = pending_.try_emplace(
      stored_key(e), change{e.key_group, static_cast<std::uint32_t>(e.key.size()), true, false});
  if (!inserted)
    it->second.put = true;
}

void timer_queue::note_delete(const timer_entry& e) {
  auto [it, inserted] = pending_.try_emplace(
      stored_key(e), change{e.key_group, static_cast<std::uint32_t>(e.key.size()), false, true});
  if (inserted)
    return;
  if (it->second.in_db)
    it->second.put = false;
  else
    pending_.erase(it); // added since the last flush: RocksDB never saw it
}

std::string timer_queue::stored_key(const timer_entry& e) const {
  std::string k;
  k.reserve(8 + e.key.size() + e.ns.size());
  put_time(k, e.time);
  k.append(e.key);
  k.append(e.ns);
  return k;
}

void timer_queue::set_probe(timestamp t) {
  probe_.time = t;
  probe_.key_group = backend_.current_key_group();
  probe_.key.assign(backend_.current_key_bytes());
  probe_.ns.assign(backend_.current_namespace_bytes());
}

bool timer_queue::add(timestamp t) {
  set_probe(t);
  if (timers_.count(probe_))
    return false;
  note_put(probe_);
  timers_.insert(probe_);
  return true;
}

bool timer_queue::remove(timestamp t) {
  set_probe(t);
  auto it = timers_.find(probe_);
  if (it == timers_.end())
    return false;
  note_delete(*it);
  timers_.erase(it);
  return true;
}

std::optional<timer_entry> timer_queue::pop_if_due(timestamp limit) {
  if (timers_.empty() || timers_.begin()->time > limit)
    return std::nullopt;
  auto node = timers_.extract(timers_.begin());
  note_delete(node.value());
  return std::move(node.value());
}

} // namespace spate
