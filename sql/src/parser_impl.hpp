// The recursive-descent parser's state and rules, shared by parser_*.cpp: statements in
// parser_statements.cpp, queries and table references in parser_query.cpp, expressions and
// data types in parser_expr.cpp.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "spate/sql/ast.hpp"
#include "spate/sql/lexer.hpp"
#include "spate/sql/parser.hpp"

namespace spate::sql::detail {

//! Words that are never plain identifiers: they start or end clauses, so `SELECT a b FROM t`
//! can tell an alias from the next clause. Other keywords (CREATE, KEY, VALUE, HOUR, ...)
//! are identifiers wherever a name fits. print.cpp backquotes these (and a few more).
bool is_reserved(const std::string& upper);

//! The time units of EXTRACT and FLOOR/CEIL(x TO unit), upper case and singular.
bool is_time_unit(const std::string& upper);

//! An interval unit (YEAR ... SECOND, or its plural) in its singular form, or "".
std::string interval_unit(const std::string& upper);

class parser {
public:
  explicit parser(std::string_view sql);

  statement parse_one_statement();
  std::vector<statement> parse_statements();
  query parse_whole_query();
  expr parse_whole_expression();
  data_type parse_whole_type();

  // --- tokens ------------------------------------------------------------------------------
  const token& peek(std::size_t k = 0) const;
  const token& next();
  bool is_word(const char* upper, std::size_t k = 0) const;
  bool accept_word(const char* upper);
  void expect_word(const char* upper);
  bool is_symbol(const char* text, std::size_t k = 0) const;
  bool accept_symbol(const char* text);
  void expect_symbol(const char* text);
  void expect_end();
  //! A plain (non-reserved) word or a backquoted name at k.
  bool is_identifier(std::size_t k = 0) const;
  std::string identifier(const char* what = "an identifier");
  qualified_name compound_name(const char* what = "a name");
  std::vector<std::string> identifier_list(); //!< ( a, b, c )
  std::string string_literal(const char* what = "a string literal");
  int small_integer(const char* what);
  //! Whether a query starts at k, behind any number of '('.
  bool starts_query(std::size_t k) const;

  std::string describe(const token& t) const;
  [[noreturn]] void fail(const token& at, const std::string& message) const;
  [[noreturn]] void fail_expected(const std::string& what) const;
  [[noreturn]] void unsupported(const token& at, const std::string& what) const;

  // --- statements (parser_statements.cpp) --------------------------------------------------
  statement statement_();
  create_table create_table_(bool temporary);
  void table_element(create_table& t);
  create_view create_view_(bool temporary);
  create_function create_function_(bool temporary, bool system);
  statement_body drop_();
  show_object show_();
  statement_body set_();
  insert_into insert_();
  statement_set statement_set_body(); //!< after BEGIN: inserts up to END

  // --- queries (parser_query.cpp) ----------------------------------------------------------
  query query_();
  query set_expression();
  query set_term();
  query query_primary();
  query select_();
  query values_();
  std::vector<order_item> order_items();
  table_ref from_clause();
  table_ref joined_table();
  table_ref table_primary();
  void table_alias(table_ref& t);
  std::vector<table_arg> table_function_args();

  // --- expressions and types (parser_expr.cpp) ---------------------------------------------
  expr expression();
  expr or_();
  expr and_();
  expr not_();
  expr is_();
  expr comparison();
  expr predicate();
  expr additive();
  expr multiplicative();
  expr unary();
  expr postfix();
  expr primary();
  expr name_or_call();
  expr function_call(qualified_name name, source_pos pos);
  expr case_(source_pos pos);
  expr interval_(source_pos pos);
  window_spec window_spec_();
  frame_bound frame_bound_();
  data_type data_type_();
  std::vector<row_field> row_fields(const char* close);

private:
  std::string_view sql_;
  std::vector<token> tokens_;
  std::size_t i_ = 0;
};

} // namespace spate::sql::detail
