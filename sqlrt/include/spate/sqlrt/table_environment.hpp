// Flink's TableEnvironment for spate: execute_sql runs DDL, SHOW, DESCRIBE, SET and EXPLAIN in
// the session (session.hpp), and INSERT INTO, statement sets and queries as jobs in this
// process (planner.hpp). A query's rows come back as a changelog: "+I[a, b]" lines.
//
//   spate::sql::table_environment t;
//   t.execute_sql("CREATE TABLE src (...) WITH ('connector' = 'datagen', ...)");
//   auto r = t.execute_sql("SELECT a, b FROM src WHERE a > 10");
//   for (const auto& line : r.collect()) std::cout << line << "\n";
//
// The session's SET options configure the jobs (Flink's keys: 'parallelism.default',
// 'execution.checkpointing.interval', 'state.backend.rocksdb.localdir', 'pipeline.name', ...);
// 'execution.savepoint.path' starts the next job from a savepoint.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "spate/actors/job_client.hpp"
#include "spate/core/config.hpp"
#include "spate/sql/session.hpp"
#include "spate/sqlrt/planner.hpp"
#include "spate/sqlrt/row.hpp"

namespace spate {
class environment;
} // namespace spate

namespace spate::sql {

//! The rows a query's job produced so far.
struct query_rows {
  std::mutex mu;
  row_layout layout;
  std::vector<std::string> names;
  std::vector<row> rows;
};

struct table_result {
  enum class kind {
    ok,    //!< DDL, SET, ...
    table, //!< SHOW, DESCRIBE, EXPLAIN: `columns` and `rows`
    job,   //!< INSERT or a query, running: `job`
  };
  kind type = kind::ok;
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;
  std::optional<job_client> job;
  //! A query's rows (null for INSERT).
  std::shared_ptr<query_rows> query;

  //! Waits for the job to end; throws spate::error(errc::failed_precondition) with the
  //! failure when it FAILED.
  job_result wait();
  //! A query: waits for the job, then gives its rows as changelog lines ("+I[a, b]").
  std::vector<std::string> collect();
  //! A query's rows so far, as they are (typed).
  std::vector<row> rows_so_far() const;
};

//! What plan_script made of a script: one job, not started.
struct planned_job {
  //! 'pipeline.name', else "insert-into_<sink table>" (the first INSERT's).
  std::string name;
  //! The INSERT INTO statements planned (statement-set members counted one by one).
  int inserts = 0;
  //! The session's SET options at the end of the script, as applied to the environment's
  //! configuration (execution.savepoint.* and pipeline.name left out).
  std::map<std::string, std::string> config;
  //! SET 'execution.savepoint.path' / 'execution.savepoint.ignore-unclaimed-state'.
  std::string restore_path;
  bool allow_non_restored_state = false;
  //! Every table the job reads or writes: its qualified name and WITH options (for checks of
  //! what a submission over the network may name).
  std::vector<std::pair<std::string, std::map<std::string, std::string>>> tables;
  //! A script that runs a query instead of INSERTs (allowed by the caller): its columns.
  std::optional<query_output> query;
};

class table_environment {
public:
  //! Jobs with default configuration (parallelism 1).
  table_environment();
  //! Jobs start from `config` (state directory, parallelism, checkpointing, ...).
  explicit table_environment(configuration config);

  //! Executes one statement. INSERT and queries start a job and return at once.
  table_result execute_sql(std::string_view sql);
  //! Executes one parsed statement; `sql` is the text it was parsed from (error positions).
  table_result execute(const statement& s, std::string_view sql);
  //! Executes a script's statements in order (BEGIN STATEMENT SET; ... END; included); each
  //! job is waited for before the next statement runs. `each` sees every result after its
  //! statement ran (a job's once it ended). Throws what the failing statement throws.
  void execute_script(std::string_view sql,
                      const std::function<void(const table_result&)>& each = {});

  //! Plans the INSERT INTO statements and statement sets of `sql` into `env` as one job (all
  //! sinks of the script in one graph, like a statement set) without running it: what a
  //! cluster submission does on every process, which must all build the same graph. DDL, SET,
  //! RESET and USE run in the session first; SHOW, DESCRIBE and EXPLAIN are skipped; SET
  //! options (but execution.savepoint.* and pipeline.name, returned instead) are applied to
  //! env.config(). Operator uids come from the plan, so the same script gets the same uids
  //! everywhere. Throws sql_error (line, column) for bad SQL, and spate::error
  //! (errc::invalid_argument) for a query (its rows have no sink in a job that runs elsewhere)
  //! and for a script without INSERT.
  planned_job plan_script(std::string_view sql, environment& env);
  //! plan_script, where the script may instead run one query (and no INSERT): its rows go to
  //! the sink `query_sink` makes (called once, with the query's columns; the job is named
  //! 'pipeline.name' or "collect"). A script with a query and INSERTs, or two queries, is
  //! refused (sql_error at the second).
  planned_job plan_script(std::string_view sql, environment& env,
                          const query_sink_factory& query_sink);
  //! What plan_script would plan, without building operators (nothing is opened or made):
  //! the same errors but those of connector options, which translation finds. With
  //! `allow_query`, a script of one query is accepted (planned_job::query says so), as
  //! plan_script with a query sink accepts it.
  planned_job analyze_script(std::string_view sql, bool allow_query = false);

  //! Called with each query row's changelog line as it arrives (the CLI prints them); the
  //! rows are collected as well.
  void on_query_row(std::function<void(const std::string&)> f) { on_row_ = std::move(f); }
  //! Start options of the jobs (a savepoint to restore, ...).
  start_options& start() { return start_; }

  sql_session& session() { return session_; }
  configuration& config() { return config_; }

private:
  //! The configuration jobs start with: the environment's and the session's SET options.
  configuration job_config() const;
  table_result run_plan(const logical_plan& plan, bool query);
  table_result finish(sql_result r);
  planned_job analyze_script(std::string_view sql, logical_plan& all, bool allow_query);

  configuration config_;
  sql_session session_;
  start_options start_;
  std::function<void(const std::string&)> on_row_;
  int jobs_ = 0;
};

} // namespace spate::sql
