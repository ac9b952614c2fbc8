// A SQL session: a catalog (catalog.hpp) and the statements that read and change it. DDL,
// SHOW, DESCRIBE, SET/RESET and USE are executed here; INSERT INTO, statement sets and queries
// are analyzed and planned (analyzer.hpp) and their logical plan returned; EXPLAIN returns
// the plan as text.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "spate/sql/ast.hpp"
#include "spate/sql/catalog.hpp"
#include "spate/sql/plan.hpp"

namespace spate::sql {

struct sql_result {
  enum class kind {
    ok,    //!< a statement that changed the session (CREATE, DROP, SET, ...)
    table, //!< rows for SHOW, DESCRIBE, EXPLAIN and SET without a key
    plan,  //!< INSERT INTO, a statement set or a query: `plan`
  };
  kind type = kind::ok;
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;
  logical_plan plan;
};

class sql_session {
public:
  //! Executes one statement; `sql` is the text it was parsed from (for error positions).
  sql_result execute(const statement& s, std::string_view sql = {});
  //! Parses and executes one statement.
  sql_result execute_sql(std::string_view sql);
  //! Parses and executes a script's statements in order.
  std::vector<sql_result> execute_script(std::string_view sql);

  const catalog& get_catalog() const { return catalog_; }
  catalog& get_catalog() { return catalog_; }

private:
  sql_result describe(const describe_object& d, std::string_view sql, source_pos pos);
  catalog catalog_;
};

} // namespace spate::sql
