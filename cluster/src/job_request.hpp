// SQL job requests (internal): a job_request that carries a SQL script instead of naming a
// registered job. Every process that builds the job (the JobManager, each TaskManager) plans
// the same script into its environment (table_environment::plan_script), so they all build
// the same graph with the same operator uids.
//
// The script is job_request::sql; on the wire (to_json/from_json, the deploy spec) and over
// REST it is {"sql": TEXT}.
#pragma once

#include <string>

#include "spate/cluster/cluster.hpp"
#include "spate/sqlrt/table_environment.hpp"

namespace spate::cluster_detail {

//! A request to run `text` (statements; its INSERTs become one job).
job_request sql_request(std::string text);
bool is_sql_request(const job_request& r);
//! The script of a SQL request.
const std::string& sql_text(const job_request& r);

//! The script of `r` analyzed (no operators built): its SQL errors (with line and column),
//! its SET options, the tables it reads and writes, and its query's columns when it runs a
//! query instead of INSERTs. `config` is the job's configuration.
sql::planned_job analyze_sql_request(const job_request& r, const configuration& config);

//! Plans a SQL request into `env` (build_job's SQL side); returns what was planned. A query's
//! rows go to the sink `query_sink` makes; without one a query is refused
//! (errc::invalid_argument).
sql::planned_job build_sql_job(const job_request& r, environment& env,
                               const sql::query_sink_factory& query_sink = {});

} // namespace spate::cluster_detail
