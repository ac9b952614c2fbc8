// The logical plan the analyzer (analyzer.hpp) makes of a query: a tree of typed relational
// nodes, each with its output schema and its changelog mode derived as Flink derives them.
// Expressions in it are resolved (`rex`): column references are indexes into the node's input
// (for a join, the left input's columns then the right's), every call is typed.
//
// `explain` prints a plan as an indented operator tree in the shape of Flink's EXPLAIN
// ("== Optimized Logical Plan =="), one node a line with its attributes and changelog mode.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "spate/sql/ast.hpp"
#include "spate/sql/types.hpp"

namespace spate::sql {

// ---------------------------------------------------------------------------------------------
// Resolved expressions

enum class rex_kind {
  input_ref,    //!< column `index` of the input; `name` is its name, for printing
  literal,      //!< `name` is the value as SQL text (e.g. 'abc', 42, INTERVAL '4' SECOND)
  call,         //!< operator or function `name` (upper case: "+", "=", "AND", "CASE", "CAST",
                //!< "UPPER", ...) applied to operands; CAST's target is the rex's type
  field_access, //!< field `index` (named `name`) of operands[0], a ROW
};

struct rex {
  rex_kind kind = rex_kind::literal;
  logical_type type;
  int index = -1;
  std::string name;
  std::vector<rex> operands;
  literal_kind lit = literal_kind::null; //!< for literals
  std::string unit;                      //!< EXTRACT, FLOOR/CEIL TO, interval literal unit
  //! A call of a user-defined function (functions.hpp): its class name; `name` is the
  //! function's name in the catalog.
  std::string udf;
  source_pos pos; //!< where it was written (not compared)
};

//! Structural equality: kind, index, name, operands, literal and unit (not positions).
bool operator==(const rex& a, const rex& b);
bool operator!=(const rex& a, const rex& b);

//! The expression as explain prints it: column names, `+(a, 1)`, `CAST(x AS BIGINT)`,
//! literals with their type when not obvious (`0.908:DECIMAL(4, 3)`).
std::string to_string(const rex& e);

rex make_input_ref(int index, const std::string& name, const logical_type& type);

// ---------------------------------------------------------------------------------------------
// Plan nodes

struct changelog_mode {
  bool insert = true;
  bool update_before = false;
  bool update_after = false;
  bool delete_ = false;

  bool insert_only() const { return !update_before && !update_after && !delete_; }
  //! Flink's spelling: [I], [I,UB,UA], [I,UB,UA,D], [NONE] for a sink.
  std::string to_string() const;
  static changelog_mode inserts() { return {}; }
  static changelog_mode updates() { return {true, true, true, false}; }
  static changelog_mode all() { return {true, true, true, true}; }
  static changelog_mode none() { return {false, false, false, false}; }
};

bool operator==(const changelog_mode& a, const changelog_mode& b);

enum class window_kind { tumble, hop, cumulate, session };

//! A window of a window table function or a group window, with durations in milliseconds.
struct window_def {
  window_kind kind = window_kind::tumble;
  int time_column = -1; //!< in the window TVF's input
  std::string time_column_name;
  time_attribute time = time_attribute::rowtime;
  std::int64_t size = 0;           //!< tumble, hop, cumulate (the max size)
  std::int64_t slide = 0;          //!< hop
  std::int64_t step = 0;           //!< cumulate
  std::int64_t offset = 0;         //!< tumble, hop, cumulate
  std::int64_t gap = 0;            //!< session
  std::vector<int> partition_keys; //!< session TVF: PARTITION BY columns
  std::vector<std::string> partition_names;

  //! TUMBLE(time_col=[dateTime], size=[10 s]) as explain prints it.
  std::string to_string() const;
  //! Same kind and durations (not the time column).
  bool same_windows(const window_def& other) const;
};

//! Whether a column is one of the window properties a window TVF or window aggregate adds.
enum class window_property { none, start, end, time };

struct plan_column {
  std::string name;
  logical_type type;
  window_property property = window_property::none;
  std::shared_ptr<const window_def> window; //!< for window properties
};

//! An aggregate call: function (COUNT, SUM, MIN, MAX, AVG, ...) over input columns.
struct agg_call {
  std::string function; //!< upper case
  bool distinct = false;
  bool star = false;     //!< COUNT(*)
  std::vector<int> args; //!< input columns
  int filter = -1;       //!< input column holding the FILTER (WHERE ...) condition, or -1
  logical_type type;
  std::string name; //!< the output column's name
};

enum class node_kind {
  scan,                  //!< TableSourceScan: a catalog table's physical columns
  calc,                  //!< projection and an optional filter
  watermark_assigner,    //!< rowtime column and watermark expression
  window_table_function, //!< TUMBLE/HOP/CUMULATE/SESSION: input + window_start/end/time
  window_aggregate,      //!< aggregate per key and window: insert-only
  group_aggregate,       //!< aggregate per key, updating
  join,                  //!< regular join with equi-keys and a residual condition
  interval_join,         //!< join bounded on the two rowtimes (or proctimes)
  window_join,           //!< join of two windowed inputs on the same windows
  rank,                  //!< Top-N: ROW_NUMBER() OVER (...) filtered to rn <= N
  deduplicate,           //!< Top-1 on a time attribute: keep first or last row
  over_aggregate,        //!< aggregates OVER a ROWS/RANGE frame before each row: input + them
  lookup_join,           //!< LookupJoin: each input row looked up in a table (FOR SYSTEM_TIME
                         //!< AS OF a proctime attribute); one input, the left side
  correlate,             //!< [LEFT] JOIN UNNEST(collection): each input row once per element
                         //!< (`projection[0]` the collection, over the input), then the
                         //!< element's columns; `join` inner or left
  union_all,
  values,
  sink,
};

enum class join_type { inner, left, right, full };

struct plan_node;
using plan_ptr = std::shared_ptr<plan_node>;

struct plan_node {
  node_kind kind = node_kind::calc;
  std::vector<plan_column> schema; //!< the output columns
  changelog_mode changelog;
  std::vector<plan_ptr> inputs;

  // scan, sink and lookup_join (the looked-up table): the fully qualified table name and its
  // WITH options (legacy 'connector.type' keys mapped, see catalog_table::effective_options)
  std::string table;
  std::map<std::string, std::string> options;

  // calc
  std::vector<rex> projection;
  std::optional<rex> condition;

  // watermark_assigner
  int rowtime = -1;
  std::optional<rex> watermark;

  // window_table_function, window_aggregate, window_join: the window;
  // window_aggregate over a window's start and end columns (a cascade) names them here
  std::shared_ptr<const window_def> window;
  int window_start_column = -1;
  int window_end_column = -1;

  // window_aggregate and group_aggregate: output is keys, aggregates, then (window
  // aggregate) window_start, window_end, window_time
  std::vector<int> group_keys;
  std::vector<agg_call> aggregates;

  // join, interval_join, window_join, lookup_join: keys index the left and right inputs; the
  // residual condition is over left ++ right
  join_type join = join_type::inner;
  std::vector<int> left_keys;
  std::vector<int> right_keys;
  std::optional<rex> residual;
  // interval_join: right.time + lower_bound <= left.time <= right.time + upper_bound
  int left_time = -1;
  int right_time = -1;
  std::int64_t lower_bound = 0;
  std::int64_t upper_bound = 0;

  // lookup_join: the looked-up table's physical columns (the right side; the output is the
  // input's columns then these); left_keys index the input, right_keys these columns
  std::vector<plan_column> lookup_columns;

  // over_aggregate: partition_keys, order_keys (the one time attribute) and aggregates (over
  // the input's columns; the output is the input's columns then one per aggregate), with the
  // frame: ROWS or RANGE from `over_preceding` rows or milliseconds before the current row
  // (-1: UNBOUNDED PRECEDING) to the current row
  bool over_rows = false;
  std::int64_t over_preceding = -1;

  // rank and deduplicate
  std::vector<int> partition_keys;
  std::vector<std::pair<int, bool>> order_keys;     //!< column, descending
  std::int64_t rank_limit = 0;                      //!< N of rn <= N; 0 while not yet known
  bool output_rank_number = true;                   //!< rank: rn is the last output column
  bool keep_last = false;                           //!< deduplicate
  time_attribute order_time = time_attribute::none; //!< deduplicate: the order's time kind

  // values
  std::vector<std::vector<rex>> rows;

  // sink: the sink's columns as the catalog has them
  std::vector<plan_column> sink_columns;
  //! sink: its table's PRIMARY KEY columns in the key's order (indexes into sink_columns)
  std::vector<int> primary_key;

  //! The node's name in explain and error messages: GroupAggregate, Calc, ...
  std::string operator_name() const;
  //! "GroupAggregate(groupBy=[auction], select=[auction, COUNT(*) AS cnt])"
  std::string describe() const;
};

//! What INSERT, a statement set or a query plans to: one root per sink (or the query's root
//! for a SELECT).
struct logical_plan {
  std::vector<plan_ptr> roots;
};

//! The plan as Flink's EXPLAIN shows it: "== Optimized Logical Plan ==" and one line a node,
//! children indented under "+- ", with each node's changelogMode.
std::string explain(const logical_plan& plan);

//! "auction BIGINT, num BIGINT NOT NULL": a node's output columns and types.
std::string schema_string(const plan_node& node);

} // namespace spate::sql
