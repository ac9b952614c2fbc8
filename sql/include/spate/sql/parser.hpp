// The Flink SQL parser: hand-written recursive descent over the tokens of lexer.hpp, giving
// the tree of ast.hpp. The dialect is Flink 1.15-1.20's as its documentation gives it; what
// is recognized but not implemented is refused with "not supported yet: <what>".
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "spate/core/error.hpp"
#include "spate/sql/ast.hpp"

namespace spate::sql {

//! A statement that does not parse. what() reads
//!   SQL parse error at line 3, column 12: expected ')' but found 'FROM'
//!     FROM t WHERE (a = 1 FROM
//!                         ^
//! and the parts are kept apart for callers that show them their own way.
class sql_error : public error {
public:
  //! `stage` starts what(): "SQL parse error" from the parser, "SQL validation error" from
  //! the analyzer (analyzer.hpp).
  sql_error(source_pos pos, std::string message, std::string source_line,
            const std::string& stage = "SQL parse error");

  const source_pos& pos() const noexcept { return pos_; }
  std::uint32_t line() const noexcept { return pos_.line; }
  std::uint32_t column() const noexcept { return pos_.column; }
  //! The message alone: "expected ')' but found 'FROM'".
  const std::string& message() const noexcept { return message_; }
  //! The source line the error is on, without its line break.
  const std::string& source_line() const noexcept { return source_line_; }

private:
  source_pos pos_;
  std::string message_;
  std::string source_line_;
};

//! Throws the sql_error for `message` at `pos` of `sql`.
[[noreturn]] void throw_sql_error(std::string_view sql, source_pos pos, const std::string& message);

//! Throws the analyzer's sql_error ("SQL validation error at line ...") for `message` at `pos`.
[[noreturn]] void throw_validation_error(std::string_view sql, source_pos pos,
                                         const std::string& message);

//! One statement, with or without a final ';'. BEGIN STATEMENT SET needs parse_script.
statement parse_statement(std::string_view sql);

//! Statements separated by ';' (empty ones are skipped). The SQL client's
//! `BEGIN STATEMENT SET; INSERT ...; ... END;` becomes one statement_set.
std::vector<statement> parse_script(std::string_view sql);

//! A query: SELECT, WITH, VALUES, set operations, ORDER BY, LIMIT.
query parse_query(std::string_view sql);

//! One expression on its own (tests, computed columns given as text).
expr parse_expression(std::string_view sql);

//! One data type: `DECIMAL(10, 2) NOT NULL`, `ROW<a INT, b ARRAY<STRING>>`.
data_type parse_data_type(std::string_view sql);

} // namespace spate::sql
