// Flink's logical types as the analyzer (analyzer.hpp) derives them: every type carries its
// nullability, and a TIMESTAMP(3) or TIMESTAMP_LTZ(3) column may carry a time attribute marker
// (rowtime or proctime) the way Flink's planner tracks them. Also the rules the analyzer types
// expressions with: implicit widening, the common type of CASE/UNION/COALESCE branches, the
// result types of arithmetic, and which CASTs are valid.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "spate/sql/ast.hpp"

namespace spate::sql {

enum class logical_kind {
  null, //!< the type of an untyped NULL literal
  boolean,
  tinyint,
  smallint,
  int_,
  bigint,
  float_,
  double_,
  decimal,   //!< precision, scale
  char_,     //!< length
  varchar,   //!< length; STRING is VARCHAR(2147483647)
  binary,    //!< length
  varbinary, //!< length; BYTES is VARBINARY(2147483647)
  date,
  time,          //!< precision
  timestamp,     //!< precision
  timestamp_ltz, //!< precision
  interval_year_month,
  interval_day_time,
  array,    //!< elements[0]
  multiset, //!< elements[0]
  map,      //!< elements[0], elements[1]
  row,      //!< fields
  symbol,   //!< a time unit argument (TIMESTAMPADD(DAY, ...)): not a value
};

//! Whether a timestamp is a time attribute, and which.
enum class time_attribute { none, rowtime, proctime };

constexpr int max_length = 2147483647;
constexpr int max_decimal_precision = 38;

struct logical_field;

struct logical_type {
  logical_kind kind = logical_kind::null;
  int precision = 0; //!< length, decimal/time precision
  int scale = 0;     //!< decimal scale
  bool nullable = true;
  time_attribute attribute = time_attribute::none;
  std::vector<logical_type> elements;
  std::vector<logical_field> fields;

  logical_type with_nullable(bool n) const;
  //! The same type without a time attribute marker (a "materialized" time attribute).
  logical_type materialized() const;
  bool is_time_attribute() const { return attribute != time_attribute::none; }
  bool is_rowtime() const { return attribute == time_attribute::rowtime; }
  bool is_proctime() const { return attribute == time_attribute::proctime; }
};

struct logical_field {
  std::string name;
  logical_type type;
};

// Constructors; all nullable unless `not_null`.
logical_type make_type(logical_kind kind, bool not_null = false);
logical_type make_decimal(int precision, int scale, bool not_null = false);
logical_type make_varchar(int length = max_length, bool not_null = false);
logical_type make_char(int length, bool not_null = false);
logical_type make_timestamp(int precision = 3, bool not_null = false);
logical_type make_timestamp_ltz(int precision = 3, bool not_null = false);
logical_type make_rowtime(logical_type t);
logical_type make_proctime();

//! The logical type a parsed data type (ast.hpp) stands for.
logical_type from_ast(const data_type& t);

//! Flink's summary string, as DESCRIBE shows it: BIGINT, STRING, DECIMAL(23, 3),
//! TIMESTAMP(3) *ROWTIME*, TIMESTAMP_LTZ(3) *PROCTIME*, `ROW<`id` BIGINT>`, with " NOT NULL"
//! for a not-null type.
std::string to_string(const logical_type& t);

//! The SQL type name validation errors use (Calcite's form): VARCHAR(2147483647), INTEGER,
//! DECIMAL(23, 3), TIMESTAMP(3); no nullability, no time attribute.
std::string sql_type_name(const logical_type& t);

//! The family names "No match found for function signature f(<NUMERIC>)" shows.
std::string type_family_name(const logical_type& t);

bool operator==(const logical_type& a, const logical_type& b);
bool operator!=(const logical_type& a, const logical_type& b);
bool operator==(const logical_field& a, const logical_field& b);

// Type classes.
bool is_integer(const logical_type& t);       //!< TINYINT .. BIGINT
bool is_exact_numeric(const logical_type& t); //!< integers and DECIMAL
bool is_numeric(const logical_type& t);       //!< exact and FLOAT, DOUBLE
bool is_character(const logical_type& t);     //!< CHAR, VARCHAR
bool is_binary(const logical_type& t);        //!< BINARY, VARBINARY
bool is_timestamp(const logical_type& t);     //!< TIMESTAMP, TIMESTAMP_LTZ
bool is_datetime(const logical_type& t);      //!< DATE, TIME, TIMESTAMP, TIMESTAMP_LTZ
bool is_interval(const logical_type& t);

//! The width rank of an integer type (TINYINT 1 .. BIGINT 4), 0 for other types.
int integer_rank(logical_kind k);

//! DECIMAL(p, s) the exact numeric `t` fits in: INT is DECIMAL(10, 0), BIGINT DECIMAL(19, 0).
logical_type as_decimal(const logical_type& t);

//! The least restrictive type of `types` (CASE branches, UNION columns, COALESCE, IN lists),
//! or nullopt when they have none. Nullable when any is; never a time attribute.
std::optional<logical_type> common_type(const std::vector<logical_type>& types);

//! Whether values of `a` and `b` can be compared with =, <, ... (after implicit widening).
bool comparable(const logical_type& a, const logical_type& b);

//! The result of `a op b` for +, -, *, /, % (op is '+', '-', '*', '/', '%'), or nullopt when
//! the operator does not apply. Datetime +/- interval is included.
std::optional<logical_type> arithmetic_type(char op, const logical_type& a, const logical_type& b);

//! Whether CAST(from AS to) is valid.
bool can_cast(const logical_type& from, const logical_type& to);

//! Whether a value of `from` may go where `to` is expected without an explicit CAST (INSERT
//! INTO columns, function arguments): widening, and any type into a wider string or equal
//! family.
bool can_assign(const logical_type& from, const logical_type& to);

} // namespace spate::sql
