// How the SQL client shows a query's rows (internal to the cluster library): Flink's result
// modes over rows as text, so an embedded query (rows in this process) and a query on a
// cluster (rows from GET /jobs/:jobid/results) show the same way.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "spate/sql/types.hpp"

namespace spate::cluster_detail {

//! SET 'sql-client.execution.result-mode'.
enum class result_mode { table, changelog, tableau };

//! A row of a result as the client shows it: its kind ("+I", "-U", "+U", "-D") and its values
//! as text (NULL for null).
struct text_row {
  std::string kind;
  std::vector<std::string> cells;
};

//! A column's width in tableau and table mode (Flink's: by the type, at most 30 for strings,
//! at least the name's).
std::size_t column_width(const std::string& name, const sql::logical_type& t);

//! Flink's tableau: a bordered table with right-aligned cells.
struct table_printer {
  std::vector<std::size_t> widths;

  std::string border() const;
  std::string line(const std::vector<std::string>& cells) const;
};

//! The rows of one query as they come, shown in a result mode: printed as they arrive
//! (changelog, tableau) or folded into the materialized result (table; on a terminal redrawn
//! in place on the alternate screen, where Q quits). Not thread-safe.
class result_view {
public:
  //! `live`: table mode on a terminal (alternate screen, redraws, keys). `out` writes text.
  result_view(result_mode mode, std::vector<std::string> names,
              const std::vector<sql::logical_type>& types, bool live,
              std::function<void(const std::string&)> out);
  ~result_view();
  result_view(const result_view&) = delete;
  result_view& operator=(const result_view&) = delete;

  //! The next row of the result.
  void add(text_row r);
  //! The rows after the first `n` are gone (the job restarted from a checkpoint taken before
  //! them): they are undone as changes that revert them (changelog, tableau: -D for +I, ...,
  //! newest first) or taken out of the table, so the changes shown still fold to the result.
  void retract_to(std::size_t n);
  //! The rows of the result so far.
  std::size_t size() const { return history_.size(); }
  //! Whether Q (or Ctrl-D) was typed in live mode.
  bool quit_requested();
  //! Live mode: redraws what changed (at most every 200 ms, and once when `done`).
  void refresh(bool done);
  bool live() const { return live_; }
  //! The end: leaves the alternate screen and prints the final table (table mode) or the
  //! closing border (tableau).
  void close();

private:
  void apply(const text_row& r, std::string& text);
  void header(std::string& text);

  result_mode mode_;
  std::vector<std::string> header_;
  table_printer printer_;
  bool live_;
  std::function<void(const std::string&)> out_;
  struct terminal;
  std::unique_ptr<terminal> keys_;
  std::vector<text_row> history_;
  std::vector<std::vector<std::string>> materialized_;
  std::size_t updates_ = 0;
  bool header_shown_ = false;
  bool dirty_ = true;
  bool shown_done_ = false;
  bool closed_ = false;
  std::chrono::steady_clock::time_point drawn_;
};

} // namespace spate::cluster_detail
