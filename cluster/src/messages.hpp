// Control-plane payloads between TaskManagers and the JobManager that are
// not about one job's tasks: registration, heartbeats, and the rows of SQL
// queries (query_results.hpp).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

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

//! One row of a query's result: its kind (0 +I, 1 -U, 2 +U, 3 -D) and each column's value as
//! the SQL client shows it (nullopt: NULL).
struct wire_result_row {
  std::int32_t kind = 0;
  std::vector<std::optional<std::string>> values;
  SPATE_FIELDS(kind, values);
};

//! TaskManager -> JobManager (query_rows): rows `first`, `first` + 1, ... that subtask
//! `subtask` of a query's sink sent since it started as `incarnation`.
struct wire_query_rows {
  std::string job_id;
  std::int32_t subtask = 0;
  std::uint64_t incarnation = 0;
  std::int64_t first = 0;
  std::vector<wire_result_row> rows;
  SPATE_FIELDS(job_id, subtask, incarnation, first, rows);
};

//! TaskManager -> JobManager (query_reset): subtask `subtask` of a query's sink starts as
//! `incarnation` having sent `count` rows (restored from a checkpoint; 0 without one): its
//! rows beyond `count` are gone, and the rows of earlier incarnations still on the way too.
struct wire_query_reset {
  std::string job_id;
  std::int32_t subtask = 0;
  std::uint64_t incarnation = 0;
  std::int64_t count = 0;
  SPATE_FIELDS(job_id, subtask, incarnation, count);
};

} // namespace spate::cluster_detail
