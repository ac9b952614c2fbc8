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
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "spate/actors/job_client.hpp"
#include "spate/core/config.hpp"
#include "spate/sql/session.hpp"
#include "spate/sqlrt/row.hpp"

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

class table_environment {
public:
  //! Jobs with default configuration (parallelism 1).
  table_environment();
  //! Jobs start from `config` (state directory, parallelism, checkpointing, ...).
  explicit table_environment(configuration config);

  //! Executes one statement. INSERT and queries start a job and return at once.
  table_result execute_sql(std::string_view sql);
  //! Executes a script's statements in order (BEGIN STATEMENT SET; ... END; included); each
  //! job is waited for before the next statement runs. `each` sees every result after its
  //! statement ran (a job's once it ended). Throws what the failing statement throws.
  void execute_script(std::string_view sql,
                      const std::function<void(const table_result&)>& each = {});

  //! Called with each query row's changelog line as it arrives (the CLI prints them); the
  //! rows are collected as well.
  void on_query_row(std::function<void(const std::string&)> f) { on_row_ = std::move(f); }
  //! Start options of the jobs (a savepoint to restore, ...).
  start_options& start() { return start_; }

  sql_session& session() { return session_; }
  configuration& config() { return config_; }

private:
  table_result run_plan(const logical_plan& plan, bool query);
  table_result finish(sql_result r);

  configuration config_;
  sql_session session_;
  start_options start_;
  std::function<void(const std::string&)> on_row_;
  int jobs_ = 0;
};

} // namespace spate::sql
