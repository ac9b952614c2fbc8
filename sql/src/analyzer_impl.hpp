// The analyzer's internals, shared by analyzer_expr.cpp (expressions and functions) and
// analyzer.cpp (relations and plans).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "spate/sql/analyzer.hpp"
#include "spate/sql/parser.hpp"

namespace spate::sql::detail {

//! A table (or alias) visible in a FROM clause: its columns are scope columns
//! [offset, offset + names.size()).
struct scope_table {
  std::string alias;
  std::vector<std::string> names;
  int offset = 0;
};

struct scope {
  std::vector<scope_table> tables;
  std::vector<plan_column> columns; //!< all columns, by index
};

//! An aggregate call met while analyzing a SELECT: its arguments over the input scope.
struct pending_agg {
  std::string function;
  bool distinct = false;
  bool star = false;
  std::vector<rex> args;
  std::optional<rex> filter;
  logical_type type;
  source_pos pos;
};

//! A legacy group window from GROUP BY TUMBLE(ts, INTERVAL ...), HOP(...), SESSION(...).
struct group_window {
  std::string function; //!< TUMBLE, HOP, SESSION
  window_def window;
};

//! A ROW_NUMBER() OVER (...) met in a SELECT list.
struct pending_row_number {
  std::vector<rex> partition_by;
  std::vector<std::pair<rex, bool>> order_by;
  source_pos pos;
  bool seen = false;
};

//! An aggregate OVER a window (`AVG(price) OVER (PARTITION BY ... ORDER BY ts ROWS ...)`) met
//! in a SELECT list.
struct pending_over {
  pending_agg agg;
  std::vector<int> partition_by; //!< input columns
  int order = -1;                //!< the time attribute column
  bool rows = false;             //!< ROWS, else RANGE
  std::int64_t preceding = -1;   //!< rows or milliseconds before the current row; -1 unbounded
  source_pos pos;
};

struct expr_context {
  const scope* sc = nullptr;
  const char* clause = "SELECT";
  std::vector<pending_agg>* aggs = nullptr; //!< aggregates allowed when set
  bool inside_agg = false;
  pending_row_number* row_number = nullptr;  //!< ROW_NUMBER() OVER allowed when set
  const group_window* window = nullptr;      //!< TUMBLE_START & co allowed when set
  std::vector<pending_over>* over = nullptr; //!< OVER aggregates allowed when set
};

// Special calls the SELECT planner rewrites: "$AGG" (index = aggregate number) and
// "$WINPROP" (unit = start, end, time), "$ROWNUM".

class analyzer {
public:
  analyzer(const catalog& cat, std::string_view sql) : cat_(cat), sql_(sql) {}

  // analyzer_expr.cpp
  rex analyze(const expr& e, expr_context& ctx);
  rex analyze_condition(const expr& e, expr_context& ctx, const char* clause);
  [[noreturn]] void fail(source_pos pos, const std::string& message) const;
  static std::optional<std::int64_t> interval_millis(const rex& r);
  std::string_view sql() const { return sql_; }

  // analyzer.cpp
  plan_ptr plan_query(const query& q);
  plan_ptr plan_sink(const insert_into& insert, source_pos pos);

  const catalog& cat_;

private:
  friend struct select_planner;

  rex resolve_identifier(const expr& e, const scope& sc);
  rex analyze_function(const expr& e, expr_context& ctx);
  rex analyze_user_function(const expr& e, const catalog_function& f, expr_context& ctx);
  rex analyze_aggregate(const expr& e, const std::string& upper, expr_context& ctx);
  rex analyze_row_number(const expr& e, expr_context& ctx);
  rex analyze_over(const expr& e, const std::string& upper, expr_context& ctx);
  rex analyze_literal(const expr& e);

  struct cte_entry {
    const cte* def = nullptr;
    std::string_view sql;
  };

  struct join_tree;
  struct from_result;
  from_result analyze_from(const table_ref& t);
  plan_ptr table_node(const qualified_name& name, source_pos pos, std::string* alias);
  plan_ptr window_tvf(const table_ref& t);
  plan_ptr plan_select(const query& q);
  plan_ptr plan_over(plan_ptr base, const std::vector<pending_over>& overs,
                     std::vector<rex>& projection);
  plan_ptr plan_join(join_type type, plan_ptr left, plan_ptr right, std::vector<rex> conjuncts,
                     source_pos pos);
  //! The right side of a lookup join (`t` FOR SYSTEM_TIME AS OF ...): a catalog table whose
  //! connector can be looked up, as a scan node of its physical columns (analyzer_lookup.cpp).
  plan_ptr lookup_table(const table_ref& t);
  //! UNNEST(collection) on the right of a join: a leaf of the element's columns (a Values node
  //! never run, the collection over `left`'s columns as its one projection) and its scope.
  from_result unnest_table(const table_ref& t, const scope& left);
  //! A LookupJoin of `left` with the table `right` (from lookup_table) on `conjuncts` (over
  //! left ++ right); `time` is the FOR SYSTEM_TIME AS OF expression over left's columns.
  plan_ptr plan_lookup_join(join_type type, plan_ptr left, const plan_node& right,
                            std::vector<rex> conjuncts, const rex& time, source_pos time_pos);

  plan_ptr scan_chain(const catalog_table& t);
  plan_ptr plan_select_body(const query& q);
  plan_ptr plan_values(const query& q);
  plan_ptr plan_set_operation(const query& q);

public:
  //! Refuses a ROW_NUMBER() left without its rn <= N filter.
  void check_ranks() const;

private:
  std::string_view sql_;
  std::vector<std::map<std::string, cte_entry>> ctes_;
  std::set<std::string> expanding_;
  std::vector<std::pair<const plan_node*, source_pos>> ranks_;
};

//! The closest of `candidates` to `name`, when close enough to suggest.
std::optional<std::string> closest(const std::string& name,
                                   const std::vector<std::string>& candidates);
std::string upper_of(const std::string& s);

//! Builds a call, typing left to the caller.
rex make_call(const std::string& name, std::vector<rex> operands, logical_type type,
              source_pos pos = {});
rex make_literal(literal_kind lit, const std::string& text, logical_type type);

//! The conjuncts of an AND tree.
void split_conjuncts(const rex& e, std::vector<rex>& out);
rex and_of(std::vector<rex> conjuncts);
//! Calls `f` on every input_ref of `e`.
void collect_refs(const rex& e, std::set<int>& out);
//! `e` with every input_ref index shifted by `delta`.
rex shift_refs(rex e, int delta);

//! Recomputes the changelog mode of `n` from its inputs (and, recursively, of its inputs).
void derive_changelog(plan_node& n, bool recurse);

//! Names made unique the way Calcite does: the second `id` becomes `id0`.
std::vector<std::string> uniquify(const std::vector<std::string>& names);
plan_ptr make_node(node_kind kind, std::vector<plan_ptr> inputs);
//! Expressions to compute as columns after an input's `width` ones (append_columns): the
//! column an expression is read from, a column reference as it is, each other expression once.
struct appended_columns {
  explicit appended_columns(int w) : width(w) {}
  int column_of(const rex& e) {
    if (e.kind == rex_kind::input_ref)
      return e.index;
    for (std::size_t i = 0; i < exprs.size(); ++i)
      if (exprs[i] == e)
        return width + static_cast<int>(i);
    exprs.push_back(e);
    return width + static_cast<int>(exprs.size()) - 1;
  }
  int width;
  std::vector<rex> exprs;
};

//! `input` with the `extra` expressions as more columns ($f<n>) after its own: a Calc, or
//! `input` itself when there are none.
plan_ptr append_columns(plan_ptr input, const std::vector<rex>& extra);
//! A Calc over `input` with `projection` (named `names`) and an optional filter.
plan_ptr make_calc(plan_ptr input, std::vector<rex> projection,
                   const std::vector<std::string>& names, std::optional<rex> condition);

} // namespace spate::sql::detail
