// The CLI's cluster commands (internal).
#pragma once

#include <string>
#include <vector>

namespace spate::cluster_detail {

constexpr int exit_ok = 0;
//! The job failed, or the operation (savepoint, cancel) did.
constexpr int exit_failed = 1;
//! Bad usage: unknown option, job or job id; a request the JobManager refused.
constexpr int exit_usage = 2;
//! The JobManager cannot be reached.
constexpr int exit_unreachable = 3;

struct client_options {
  std::string command;    //!< run, list, info, cancel, savepoint, stop, overview
  std::string jobmanager; //!< host:port of the REST API
  std::string config_dir;
  // run
  std::string job;
  int parallelism = 0;
  int max_parallelism = 0;
  std::string input;
  std::vector<std::string> outputs;
  std::vector<std::string> config;
  std::string from_savepoint;
  bool allow_non_restored_state = false;
  //! --restoreMode: CLAIM, NO_CLAIM or LEGACY (any case); empty: the config's
  std::string restore_mode;
  bool detached = false;
  std::vector<std::string> job_args;
  // info, cancel, savepoint, stop
  std::string job_id;
  std::string savepoint_dir;
  bool drain = false;
  // overview
  int wait_taskmanagers = -1;
  int timeout_seconds = 30;
};

int run_client_command(const client_options& o);

} // namespace spate::cluster_detail
