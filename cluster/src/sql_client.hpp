// Where users type SQL (internal): the interactive SQL client of `spate sql` (Flink's
// sql-client: readline, multi-line statements, HELP/QUIT, result modes table, changelog and
// tableau), `spate sql -m` (INSERTs go to a cluster) and `spate run --sql FILE`.
#pragma once

#include <string>
#include <vector>

#include "client.hpp"

namespace spate::cluster_detail {

struct sql_client_options {
  std::string execute; //!< -e
  std::string file;    //!< -f
  int parallelism = 0;
  std::vector<std::string> config; //!< -D key=value
  //! -m given: INSERTs are submitted to the cluster; `jobmanager` is its host:port, or empty
  //! for rest.address/rest.port of spate.yaml (and -D).
  bool remote = false;
  std::string jobmanager;
  std::string config_dir;
};

//! `spate sql` without -e/-f (the interactive client on a terminal, a script read from stdin
//! otherwise), and `spate sql -m` with or without them. Returns the exit code.
int run_sql_client(const sql_client_options& o);

//! `spate run --sql FILE`: the script's INSERTs as one job on the cluster (the options of
//! `spate run` in `co`: -m, -p, --max-parallelism, -D, -s, -n, --restoreMode, -d).
int run_sql_job(const client_options& co, const std::string& file);

} // namespace spate::cluster_detail
