// Control-plane payloads between TaskManagers and the JobManager that are
// not about one job: registration and heartbeats.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "spate/core/codec.hpp"

namespace spate::cluster_detail {

//! The id every TaskManager knows the JobManager by.
inline const std::string jobmanager_id = "jobmanager";

struct wire_register {
  std::string id;
  std::string address; //!< its endpoint, for deployments and other TaskManagers
  std::int32_t slots = 1;
  std::int64_t pid = 0;
  std::string host;
  SPATE_FIELDS(id, address, slots, pid, host);
};

struct wire_registered {
  bool accepted = true;
  std::string reason;
  SPATE_FIELDS(accepted, reason);
};

//! TaskManager -> JobManager: it gives up its tasks (it stops, or frames from
//! the JobManager were lost); the JobManager treats them as lost.
struct wire_disconnect {
  std::string id;
  std::string reason;
  SPATE_FIELDS(id, reason);
};

struct wire_heartbeat {
  std::string id;
  std::int64_t time_ms = 0;
  //! From a TaskManager: its endpoint, so a JobManager that does not know
  //! it (any more) can tell it to register again.
  std::string address;
  //! From a TaskManager: its process metrics (Status.Process.*), for
  //! /taskmanagers/:id/metrics.
  std::map<std::string, double> metrics;
  SPATE_FIELDS(id, time_ms, address, metrics);
};

//! JobManager -> TaskManagers: the job ended (same layout as the task host's).
struct wire_release {
  std::string job_id;
  SPATE_FIELDS(job_id);
};

} // namespace spate::cluster_detail
