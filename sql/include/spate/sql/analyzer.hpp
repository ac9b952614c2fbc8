// The analyzer: resolves names against the catalog (tables, views, CTEs, aliases, subqueries,
// `*`, nested fields), types every expression with Flink's rules (types.hpp), checks GROUP BY
// and time attributes, and plans the result as a logical plan (plan.hpp). Errors are
// sql_error (parser.hpp) with what() starting "SQL validation error at line L, column C:" and
// the source line with a caret; unknown names come with the closest known name
// ("did you mean 'bidder'?"). What Flink accepts but spate does not plan yet is refused with
// "not supported yet: <what>".
#pragma once

#include <string_view>

#include "spate/sql/ast.hpp"
#include "spate/sql/catalog.hpp"
#include "spate/sql/plan.hpp"

namespace spate::sql {

//! Checks a CREATE TABLE (column names, computed column expressions, the watermark, the
//! primary key) and gives the catalog's table: types with NOT NULL for key columns, the
//! rowtime column marked, PROCTIME() columns marked.
catalog_table analyze_create_table(const catalog& cat, const create_table& ddl,
                                   std::string_view sql);

//! Checks a CREATE VIEW's query and gives the catalog's view.
catalog_view analyze_create_view(const catalog& cat, const create_view& ddl, std::string_view sql);

//! Plans a query (SELECT, VALUES, set operation) on its own: one root, the query's output.
logical_plan plan_query(const catalog& cat, const query& q, std::string_view sql);

//! Plans INSERT INTO: one root, a sink node.
logical_plan plan_insert(const catalog& cat, const insert_into& insert, std::string_view sql,
                         source_pos pos);

//! Plans a statement set: one sink root per INSERT.
logical_plan plan_statement_set(const catalog& cat, const statement_set& set, std::string_view sql,
                                source_pos pos);

//! Levenshtein distance, for "did you mean" suggestions.
std::size_t edit_distance(std::string_view a, std::string_view b);

} // namespace spate::sql
