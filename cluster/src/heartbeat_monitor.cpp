#include "heartbeat_monitor.hpp"

#include "spate/core/error.hpp"

namespace spate::cluster {

heartbeat_monitor::heartbeat_monitor(std::chrono::milliseconds timeout, const spate::clock& clk)
    : clock_(clk), timeout_(timeout) {
  if (timeout_.count() <= 0)
    throw error(errc::invalid_argument, "a heartbeat timeout must be positive, not " +
                                            std::to_string(timeout_.count()) + " ms");
}

void heartbeat_monitor::heard_from(const std::string& id) { last_[id] = clock_.monotonic_ms(); }

void heartbeat_monitor::forget(const std::string& id) { last_.erase(id); }

std::optional<std::chrono::milliseconds>
heartbeat_monitor::silent_for(const std::string& id) const {
  auto it = last_.find(id);
  if (it == last_.end())
    return std::nullopt;
  return std::chrono::milliseconds(clock_.monotonic_ms() - it->second);
}

bool heartbeat_monitor::has_expired(const std::string& id) const {
  auto silent = silent_for(id);
  return silent && *silent > timeout_;
}

std::vector<std::string> heartbeat_monitor::expired() const {
  auto now = clock_.monotonic_ms();
  std::vector<std::string> out;
  for (auto& [id, last] : last_)
    if (now - last > timeout_.count())
      out.push_back(id);
  return out;
}

std::vector<std::string> heartbeat_monitor::watched() const {
  std::vector<std::string> out;
  out.reserve(last_.size());
  for (auto& [id, at] : last_)
    out.push_back(id);
  return out;
}

} // namespace spate::cluster
