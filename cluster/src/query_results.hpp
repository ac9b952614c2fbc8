// The rows of SQL queries that run on a cluster (internal to the cluster library): Flink's
// collect sink and its result fetcher, over the control connection.
//
// Every process plans the query (job_request.hpp). On a TaskManager the query's sink
// (query_result_sink) turns each row into its kind and its values as text (what the SQL client
// shows) and sends them to the JobManager in query_rows frames of at most max_rows_per_frame
// rows and about max_bytes_per_frame bytes: once per batch it is given, and before each
// checkpoint. Its operator state is how many rows it has sent; when it starts (after a
// failover, from the checkpoint it restored, else from 0) it first sends a query_reset frame
// with that count, so the JobManager drops what the restored job sends again.
//
// The JobManager keeps each query job's rows in a query_results until the job is forgotten
// (jobstore.max-capacity); GET /jobs/:jobid/results serves them in the order they arrived.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "messages.hpp"
#include "spate/sqlrt/planner.hpp"

namespace spate::cluster_detail {

//! Bounds of one query_rows frame: rows, and bytes of values (a larger row goes alone).
constexpr std::size_t max_rows_per_frame = 1000;
constexpr std::size_t max_bytes_per_frame = std::size_t{1} << 20;
//! Flink's key: how many rows the JobManager keeps of one query's result.
inline constexpr const char* max_table_result_rows_key =
    "sql-client.execution.max-table-result.rows";
constexpr std::int64_t default_max_table_result_rows = 1000000;
//! Subtasks a query's sink may have (its parallelism: the job's).
constexpr std::int32_t max_result_subtasks = 32768;

//! The sink of a query planned for a cluster: each subtask sends its rows through `send`
//! (an encoded frame for the JobManager; called on the subtask's thread). Named "collect" as
//! the embedded client's, but parallel: a subtask per subtask of the operator before it.
sql::query_sink_factory query_result_sink(std::function<void(std::string frame)> send);

//! "+I", "-U", "+U", "-D" for a row kind on the wire; nullptr for another number.
const char* row_kind_name(std::int32_t kind);

struct result_column {
  std::string name;
  std::string type; //!< as DESCRIBE shows it: BIGINT, STRING, ...
};

//! The columns of a query's result.
std::vector<result_column> result_columns(const sql::query_output& q);

//! The rows one query job sent to the JobManager: for each subtask of its sink its rows in
//! order, and the order they arrived in across subtasks (what readers see). Thread-safe.
class query_results {
public:
  //! At most `max_rows` rows are kept; beyond, rows are counted as dropped.
  query_results(std::vector<result_column> columns, std::size_t max_rows);

  const std::vector<result_column>& columns() const { return columns_; }

  //! A query_reset: the subtask starts as `m.incarnation` having sent `m.count` rows; its
  //! later rows are dropped (the version goes up when kept rows go). Throws
  //! spate::error(errc::codec) for a subtask or count out of range.
  void reset(const wire_query_reset& m);
  //! A query_rows: keeps the rows when they come from the subtask's latest incarnation and
  //! follow the rows it sent before; returns false (nothing kept) otherwise, e.g. rows of a
  //! failed attempt still on the way. Throws spate::error(errc::codec) for a row with another
  //! number of values than columns, an unknown kind, a subtask out of range.
  bool append(wire_query_rows&& m);

  struct page {
    //! The version the rows belong to; rows before `from` are unchanged since the
    //! version the reader gave.
    std::uint64_t version = 0;
    std::uint64_t from = 0;
    std::vector<wire_result_row> rows;
    //! Rows kept now (the position after the last).
    std::uint64_t available = 0;
    //! Rows not kept: beyond the limit, or after a gap.
    std::uint64_t dropped = 0;
  };
  //! Up to `max_rows` rows (and about max_bytes_per_frame * 4 bytes) from position `from`,
  //! for a reader that has the rows before `from` of `version` (none: the current one).
  //! When rows it has were dropped since (a reset after a failover), the page starts where
  //! they did (0 at worst) in the current version. Throws spate::error(errc::invalid_argument)
  //! for a version newer than the current one or a position past the rows of the current.
  page read(std::optional<std::uint64_t> version, std::uint64_t from, std::size_t max_rows) const;

  //! The current version (how many resets dropped kept rows).
  std::uint64_t version() const;

private:
  struct subtask_rows {
    bool started = false;
    std::uint64_t incarnation = 0;
    //! Rows the subtask sent in its current incarnation's history (kept or not).
    std::int64_t received = 0;
    //! The first of them this store got (a job restored from a savepoint starts after the
    //! rows the job that took it sent).
    std::int64_t base = 0;
    //! The first rows from `base` on that are kept (a prefix).
    std::vector<wire_result_row> rows;
  };
  subtask_rows& subtask(std::int32_t index, const char* what);

  std::vector<result_column> columns_;
  std::size_t max_rows_;
  mutable std::mutex mu_;
  std::vector<subtask_rows> subtasks_;
  //! The rows in arrival order: (subtask, index in its rows).
  std::vector<std::pair<std::int32_t, std::uint32_t>> order_;
  //! For each version after 0, the first position of order_ it changed.
  std::vector<std::uint64_t> cuts_;
};

} // namespace spate::cluster_detail
