// Prints a syntax tree (ast.hpp) as canonical Flink SQL: keywords in upper case, identifiers
// backquoted only when they must be, parentheses only where precedence needs them, one
// spelling per construct (INT for INTEGER, TIMESTAMP_LTZ(p) for TIMESTAMP(p) WITH LOCAL TIME
// ZONE, <> for !=). Parsing the text gives back an equal tree.
#pragma once

#include <string>

#include "spate/sql/ast.hpp"

namespace spate::sql {

std::string to_sql(const statement& s);
std::string to_sql(const query& q);
std::string to_sql(const expr& e);
std::string to_sql(const data_type& t);
std::string to_sql(const table_ref& t);

//! An identifier as SQL text: backquoted (with ` doubled) when it is not a plain word or is
//! a reserved word.
std::string quote_identifier(const std::string& name);

//! A string literal: quoted, with ' doubled.
std::string quote_string(const std::string& value);

} // namespace spate::sql
