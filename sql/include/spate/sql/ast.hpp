// The syntax tree of Flink SQL as spate's parser produces it (sql/src/parser*.cpp) and
// `to_sql` prints it (print.hpp). It records what was written, not what it means: names are
// not resolved, types not checked, and a construct the planner may refuse (OVER with RANGE,
// a SESSION window TVF) is still a plain node here.
//
// Nodes are values: copying one copies its subtree (`box<T>` is an owning, deep-copying
// pointer), and `==` compares structure while ignoring source positions, so a statement
// parsed, printed and parsed again compares equal to the first parse.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace spate::sql {

//! Where a token or node starts: line and column count from 1 (columns in characters),
//! offset is the byte offset from 0.
struct source_pos {
  std::uint32_t line = 0;
  std::uint32_t column = 0;
  std::size_t offset = 0;
};

//! An owning pointer that copies deeply and compares what it points to (two empty boxes are
//! equal). It lets nodes hold subtrees of types that are still incomplete.
template <class T>
class box {
public:
  box() = default;
  box(T value) : p_(std::make_unique<T>(std::move(value))) {}
  box(const box& other) : p_(other.p_ ? std::make_unique<T>(*other.p_) : nullptr) {}
  box(box&&) noexcept = default;
  box& operator=(const box& other) {
    if (this != &other)
      p_ = other.p_ ? std::make_unique<T>(*other.p_) : nullptr;
    return *this;
  }
  box& operator=(box&&) noexcept = default;
  ~box() = default;

  explicit operator bool() const { return p_ != nullptr; }
  T& operator*() const { return *p_; }
  T* operator->() const { return p_.get(); }
  T* get() const { return p_.get(); }

private:
  std::unique_ptr<T> p_;
};

template <class T>
bool operator==(const box<T>& a, const box<T>& b) {
  if (!a || !b)
    return !a && !b;
  return *a == *b;
}
template <class T>
bool operator!=(const box<T>& a, const box<T>& b) {
  return !(a == b);
}

//! A possibly qualified name: `t`, `db.t`, `cat.db.t`.
using qualified_name = std::vector<std::string>;

// ---------------------------------------------------------------------------------------------
// Data types

enum class type_kind {
  boolean,
  tinyint,
  smallint,
  int_, //!< INT and INTEGER
  bigint,
  float_,    //!< FLOAT and REAL
  double_,   //!< DOUBLE and DOUBLE PRECISION
  decimal,   //!< DECIMAL, DEC and NUMERIC: precision, scale
  char_,     //!< CHAR(n): precision is n
  varchar,   //!< VARCHAR(n): precision is n when written
  string,    //!< STRING (VARCHAR of the largest length)
  binary,    //!< BINARY(n)
  varbinary, //!< VARBINARY(n)
  bytes,     //!< BYTES (VARBINARY of the largest length)
  date,
  time,          //!< TIME(p)
  timestamp,     //!< TIMESTAMP(p) [WITHOUT TIME ZONE]
  timestamp_ltz, //!< TIMESTAMP_LTZ(p) and TIMESTAMP(p) WITH LOCAL TIME ZONE
  array,         //!< ARRAY<t>: elements[0]
  multiset,      //!< MULTISET<t>: elements[0]
  map,           //!< MAP<k, v>: elements[0], elements[1]
  row,           //!< ROW<name type, ...> and ROW(name type, ...): fields
};

struct row_field;

struct data_type {
  type_kind kind = type_kind::int_;
  std::optional<int> precision; //!< length, or precision, when written
  std::optional<int> scale;     //!< DECIMAL's scale, when written
  bool not_null = false;
  std::vector<data_type> elements;
  std::vector<row_field> fields;
};

struct row_field {
  std::string name;
  data_type type;
  std::optional<std::string> description; //!< ROW<a INT 'the description'>
};

// ---------------------------------------------------------------------------------------------
// Expressions

enum class expr_kind {
  identifier,  //!< names: `a`, `t.a`, `t.a.b` (table, column and fields are resolved later)
  star,        //!< `*` or `t.*`: names holds the qualifier
  literal,     //!< lit and text (and unit/unit_to for intervals)
  unary,       //!< op (neg, pos, not_) applied to args[0]
  binary,      //!< op applied to args[0], args[1]
  is_test,     //!< args[0] IS [NOT] NULL/TRUE/FALSE/UNKNOWN: op is one of is_*
  between,     //!< args[0] [NOT] BETWEEN args[1] AND args[2]; negated
  in_list,     //!< args[0] [NOT] IN (args[1..]); negated
  in_query,    //!< args[0] [NOT] IN (subquery); negated
  like,        //!< args[0] [NOT] LIKE args[1] [ESCAPE args[2]]; negated
  exists,      //!< EXISTS (subquery)
  subquery,    //!< a scalar subquery: (SELECT ...)
  case_,       //!< CASE [operand] WHEN args[0] THEN args[1] ... [ELSE else_value] END
  cast,        //!< CAST(args[0] AS type), or TRY_CAST when try_cast
  extract,     //!< EXTRACT(unit FROM args[0])
  floor_ceil,  //!< FLOOR(args[0] TO unit), or CEIL(... TO unit) when ceil
  function,    //!< names(args), with distinct, star_arg, filter, over, no_parens
  subscript,   //!< args[0][args[1]]
  field,       //!< (args[0]).names[0]: field access on something that is not a plain name
  constructor, //!< ARRAY[args], MAP[k, v, ...], ROW(args): names[0] is ARRAY, MAP or ROW
};

enum class literal_kind {
  null,
  boolean,   //!< text is TRUE or FALSE
  integer,   //!< text as written: 42
  decimal,   //!< 4.2, .5
  approx,    //!< 4.2E1
  string,    //!< text is the value, quotes removed and '' unescaped
  binary,    //!< X'0AFF': text is the hex digits
  interval,  //!< INTERVAL 'text' unit [TO unit_to]
  date,      //!< DATE 'text'
  time,      //!< TIME 'text'
  timestamp, //!< TIMESTAMP 'text'
};

enum class op {
  none,
  // unary
  neg,
  pos,
  not_,
  // binary
  or_,
  and_,
  eq,
  ne, //!< <> and !=
  lt,
  le,
  gt,
  ge,
  is_distinct_from,
  is_not_distinct_from,
  add,
  sub,
  mul,
  div,
  mod,
  concat,
  // IS tests
  is_null,
  is_not_null,
  is_true,
  is_not_true,
  is_false,
  is_not_false,
  is_unknown,
  is_not_unknown,
};

struct expr;
struct query;
struct window_spec;

struct order_item {
  box<expr> value;
  bool descending = false;
  std::optional<bool> nulls_first; //!< NULLS FIRST / NULLS LAST, when written
};

//! One bound of a ROWS/RANGE frame.
struct frame_bound {
  enum class kind { unbounded_preceding, preceding, current_row, following, unbounded_following };
  kind type = kind::current_row;
  box<expr> offset; //!< for preceding and following
};

struct window_frame {
  bool rows = true; //!< ROWS, else RANGE
  frame_bound start;
  std::optional<frame_bound> end; //!< when written as BETWEEN start AND end
};

//! OVER (PARTITION BY ... ORDER BY ... [frame]).
struct window_spec {
  std::vector<box<expr>> partition_by;
  std::vector<order_item> order_by;
  std::optional<window_frame> frame;
};

struct expr {
  expr_kind kind = expr_kind::literal;
  source_pos pos;
  std::vector<std::string> names; //!< identifier parts, star qualifier, function name, field
  literal_kind lit = literal_kind::null;
  std::string text;    //!< literal text
  std::string unit;    //!< interval start unit, EXTRACT and FLOOR/CEIL unit (upper case, singular)
  std::string unit_to; //!< interval end unit (DAY TO SECOND), else empty
  op oper = op::none;
  bool negated = false;   //!< NOT BETWEEN, NOT IN, NOT LIKE
  bool distinct = false;  //!< f(DISTINCT x)
  bool star_arg = false;  //!< COUNT(*)
  bool no_parens = false; //!< CURRENT_TIMESTAMP, written without parentheses
  bool try_cast = false;
  bool ceil = false;
  std::vector<box<expr>> args;
  box<expr> operand;     //!< CASE operand WHEN ...
  box<expr> else_value;  //!< CASE ... ELSE else_value END
  box<expr> filter;      //!< f(x) FILTER (WHERE filter)
  box<window_spec> over; //!< f(x) OVER (...)
  box<query> subquery;   //!< IN, EXISTS and scalar subqueries
  box<data_type> type;   //!< CAST's target type
};

// ---------------------------------------------------------------------------------------------
// Queries

struct table_ref;

struct select_item {
  box<expr> value;   //!< an expression or a star
  std::string alias; //!< empty when none
};

//! WITH name [(columns)] AS (query)
struct cte {
  std::string name;
  std::vector<std::string> columns;
  box<query> body;
};

enum class query_kind { select, set_operation, values };
enum class set_op { union_, intersect, except };

struct query {
  query_kind kind = query_kind::select;
  source_pos pos;
  std::vector<cte> with;
  // select
  bool distinct = false;
  std::vector<select_item> items;
  box<table_ref> from; //!< empty for SELECT without FROM
  box<expr> where;
  std::vector<box<expr>> group_by;
  box<expr> having;
  // set_operation: left op [ALL] right
  set_op set = set_op::union_;
  bool all = false;
  box<query> left;
  box<query> right;
  // values: VALUES (row), (row)
  std::vector<std::vector<box<expr>>> rows;
  // any kind
  std::vector<order_item> order_by;
  box<expr> limit;
  box<expr> offset;
};

//! One argument of a table function: `[name =>] value`, where value is an expression,
//! `TABLE t [PARTITION BY cols]` or `DESCRIPTOR(cols)`.
struct table_arg {
  enum class kind { value, table, descriptor };
  kind type = kind::value;
  std::string name;     //!< the parameter name when passed by name (DATA, TIMECOL, SIZE, ...)
  box<expr> value;      //!< for value
  qualified_name table; //!< for table
  std::vector<std::string> partition_by; //!< for table: TABLE t PARTITION BY a, b
  std::vector<std::string> columns;      //!< for descriptor
};

enum class table_ref_kind {
  table,    //!< a name, maybe FOR SYSTEM_TIME AS OF system_time
  subquery, //!< [LATERAL] (query)
  function, //!< TABLE(f(args)) and LATERAL TABLE(f(args)): window TVFs, table functions
  unnest,   //!< UNNEST(args)
  join,     //!< left join right [ON on | USING (using_columns)]
};

enum class join_kind { inner, left, right, full, cross, comma };

struct table_ref {
  table_ref_kind kind = table_ref_kind::table;
  source_pos pos;
  qualified_name name;                     //!< table
  box<expr> system_time;                   //!< table: FOR SYSTEM_TIME AS OF system_time
  box<query> subquery;                     //!< subquery
  bool lateral = false;                    //!< subquery and function
  qualified_name function;                 //!< function
  std::vector<table_arg> args;             //!< function
  std::vector<box<expr>> unnest_args;      //!< unnest
  std::string alias;                       //!< table, subquery, function, unnest; empty when none
  std::vector<std::string> column_aliases; //!< AS alias(c1, c2)
  join_kind join = join_kind::inner;
  box<table_ref> left;
  box<table_ref> right;
  box<expr> on;
  std::vector<std::string> using_columns;
};

// ---------------------------------------------------------------------------------------------
// Statements

struct column_def {
  std::string name;
  source_pos pos;
  std::optional<data_type> type; //!< physical column
  box<expr> computed;            //!< computed column: name AS computed
  std::optional<std::string> comment;
};

struct watermark_def {
  std::string column;
  box<expr> strategy;
};

struct table_option {
  std::string key;
  std::string value;
  source_pos pos;
};

//! CREATE [TEMPORARY] TABLE [IF NOT EXISTS] name (columns, WATERMARK, PRIMARY KEY)
//! [COMMENT '...'] [PARTITIONED BY (cols)] [WITH (options)]
struct create_table {
  qualified_name name;
  bool temporary = false;
  bool if_not_exists = false;
  std::vector<column_def> columns;
  std::optional<watermark_def> watermark;
  std::vector<std::string> primary_key; //!< columns; NOT ENFORCED is the only form accepted
  std::string constraint_name;          //!< CONSTRAINT name PRIMARY KEY ...; empty when none
  std::optional<std::string> comment;
  std::vector<std::string> partitioned_by;
  std::vector<table_option> options;
};

//! CREATE [TEMPORARY] VIEW [IF NOT EXISTS] name [(columns)] [COMMENT '...'] AS query
struct create_view {
  qualified_name name;
  bool temporary = false;
  bool if_not_exists = false;
  std::vector<std::string> columns;
  std::optional<std::string> comment;
  box<query> body;
};

//! CREATE [TEMPORARY [SYSTEM]] FUNCTION [IF NOT EXISTS] name AS 'class' [LANGUAGE lang]
struct create_function {
  qualified_name name;
  bool temporary = false;
  bool system = false;
  bool if_not_exists = false;
  std::string class_name;
  std::string language; //!< JAVA, SCALA, PYTHON; empty when not written
};

//! DROP [TEMPORARY [SYSTEM]] TABLE|VIEW|FUNCTION [IF EXISTS] name
struct drop_object {
  enum class kind { table, view, function };
  kind what = kind::table;
  qualified_name name;
  bool temporary = false;
  bool system = false;
  bool if_exists = false;
};

//! SHOW TABLES, VIEWS, FUNCTIONS, USER FUNCTIONS, CATALOGS, DATABASES, CURRENT CATALOG,
//! CURRENT DATABASE, MODULES, FULL MODULES, JOBS; SHOW CREATE TABLE|VIEW name.
struct show_object {
  std::string what;    //!< the words after SHOW, upper case, one space apart: "USER FUNCTIONS"
  qualified_name name; //!< for SHOW CREATE TABLE|VIEW
};

//! DESCRIBE name, DESC name
struct describe_object {
  qualified_name name;
  bool extended = false;
};

struct statement;

//! EXPLAIN [PLAN FOR | detail, ...] statement
struct explain_statement {
  std::vector<std::string> details; //!< ESTIMATED_COST, CHANGELOG_MODE, JSON_EXECUTION_PLAN...
  box<statement> target;
};

//! SET; SET 'key' = 'value'
struct set_option {
  std::optional<std::string> key;
  std::optional<std::string> value;
};

//! RESET; RESET 'key'
struct reset_option {
  std::optional<std::string> key;
};

//! USE name; USE CATALOG name
struct use_object {
  bool catalog = false;
  qualified_name name;
};

//! INSERT INTO|OVERWRITE name [(columns)] query
struct insert_into {
  bool overwrite = false;
  qualified_name table;
  std::vector<std::string> columns;
  box<query> source;
};

//! EXECUTE STATEMENT SET BEGIN insert; ... END, and the SQL client's BEGIN STATEMENT SET;
//! insert; ... END; (one statement once parsed by parse_script).
struct statement_set {
  std::vector<insert_into> inserts;
};

//! A query on its own: SELECT ..., WITH ..., VALUES ...
struct query_statement {
  box<query> body;
};

using statement_body =
    std::variant<create_table, create_view, create_function, drop_object, show_object,
                 describe_object, explain_statement, set_option, reset_option, use_object,
                 insert_into, statement_set, query_statement>;

struct statement {
  statement_body body;
  source_pos pos;
};

// Structural equality: source positions are not compared.
bool operator==(const data_type& a, const data_type& b);
bool operator==(const row_field& a, const row_field& b);
bool operator==(const order_item& a, const order_item& b);
bool operator==(const frame_bound& a, const frame_bound& b);
bool operator==(const window_frame& a, const window_frame& b);
bool operator==(const window_spec& a, const window_spec& b);
bool operator==(const expr& a, const expr& b);
bool operator==(const select_item& a, const select_item& b);
bool operator==(const cte& a, const cte& b);
bool operator==(const query& a, const query& b);
bool operator==(const table_arg& a, const table_arg& b);
bool operator==(const table_ref& a, const table_ref& b);
bool operator==(const column_def& a, const column_def& b);
bool operator==(const watermark_def& a, const watermark_def& b);
bool operator==(const table_option& a, const table_option& b);
bool operator==(const create_table& a, const create_table& b);
bool operator==(const create_view& a, const create_view& b);
bool operator==(const create_function& a, const create_function& b);
bool operator==(const drop_object& a, const drop_object& b);
bool operator==(const show_object& a, const show_object& b);
bool operator==(const describe_object& a, const describe_object& b);
bool operator==(const explain_statement& a, const explain_statement& b);
bool operator==(const set_option& a, const set_option& b);
bool operator==(const reset_option& a, const reset_option& b);
bool operator==(const use_object& a, const use_object& b);
bool operator==(const insert_into& a, const insert_into& b);
bool operator==(const statement_set& a, const statement_set& b);
bool operator==(const query_statement& a, const query_statement& b);
bool operator==(const statement& a, const statement& b);

} // namespace spate::sql
