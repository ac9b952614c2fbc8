// When peers were last heard from and which of them are silent for longer
// than the heartbeat timeout, on an injected clock: the JobManager watches its
// TaskManagers with one, a TaskManager its JobManager. A plain class, not
// synchronized: its owner calls it under its own lock.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "spate/core/clock.hpp"

namespace spate::cluster {

class heartbeat_monitor {
public:
  //! Throws spate::error (invalid_argument) when `timeout` is not positive.
  explicit heartbeat_monitor(std::chrono::milliseconds timeout,
                             const spate::clock& clk = system_clock::instance());

  //! Records that `id` was heard from now (and starts watching it).
  void heard_from(const std::string& id);
  //! Stops watching `id`; nothing happens when it is not watched.
  void forget(const std::string& id);
  bool knows(const std::string& id) const { return last_.count(id) > 0; }

  //! How long `id` has been silent; nullopt when it is not watched.
  std::optional<std::chrono::milliseconds> silent_for(const std::string& id) const;
  //! Whether `id` is watched and silent for longer than the timeout: a peer
  //! heard from at t expires at t + timeout + 1 ms, not at t + timeout.
  bool has_expired(const std::string& id) const;
  //! The watched ids that expired, sorted.
  std::vector<std::string> expired() const;
  //! Every watched id, sorted.
  std::vector<std::string> watched() const;

  std::chrono::milliseconds timeout() const { return timeout_; }

private:
  const spate::clock& clock_;
  std::chrono::milliseconds timeout_;
  //! Last heard from, on clock_.monotonic_ms(), by id (sorted, so expired() is).
  std::map<std::string, std::int64_t> last_;
};

} // namespace spate::cluster
