#define BOOST_TEST_MODULE sqlrt_errors
#include <boost/test/unit_test.hpp>

// Bad SQL, end to end through table_environment: a table of wrong statements and the messages
// they must produce, from the parser (line, column, caret), the analyzer (names with
// suggestions, types, Flink's sink and connector messages), the planner and connectors (what
// does not run yet, bad options) and at run time (a failing expression fails the job with its
// task and cause). After each error the session goes on: its tables are still there and a
// good query runs.

#include <string>
#include <vector>

#include "spate/core/error.hpp"
#include "spate/sqlrt/table_environment.hpp"
#include "support/collect.hpp"

using namespace spate;
using namespace spate::sql;

namespace {

const char* ddl[] = {
    "CREATE TABLE t (a INT, s STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' "
    "SECOND) WITH ('connector' = 'datagen', 'number-of-rows' = '5', 'fields.a.kind' = "
    "'sequence', 'fields.a.start' = '1', 'fields.a.end' = '5')",
    "CREATE TABLE files (a INT) WITH ('connector' = 'filesystem', 'path' = '/nonexistent/x', "
    "'format' = 'json')",
    "CREATE TABLE counts (a INT, n BIGINT) WITH ('connector' = 'filesystem', 'path' = "
    "'/nonexistent/y', 'format' = 'csv')",
    "CREATE TABLE no_connector (a INT)",
    "CREATE TABLE unknown_connector (a INT) WITH ('connector' = 'nope')",
    "CREATE TABLE bad_rate (a INT) WITH ('connector' = 'datagen', 'rows-per-second' = 'fast')",
    "CREATE TABLE bad_kind (a INT) WITH ('connector' = 'datagen', 'fields.a.kind' = 'odd')",
    "CREATE TABLE bad_nexmark (event_type INT, whatever STRING) WITH ('connector' = 'nexmark')",
};

struct wrong {
  const char* sql;
  std::vector<const char*> message; //!< fragments the error must contain
};

const std::vector<wrong> cases = {
    // the parser: position and what it expected
    {"SELECT a FROM t WHERE", {"SQL parse error at line 1, column 22", "expected an expression"}},
    {"SELECT a,\n  FROM t", {"SQL parse error at line 2, column 3", "FROM"}},
    {"SELEC a FROM t", {"SQL parse error at line 1, column 1"}},
    {"SELECT 'unterminated FROM t", {"SQL parse error", "string"}},
    // names, with suggestions
    {"SELECT * FROM tt", {"Object 'tt' not found"}},
    {"SELECT b FROM t", {"Column 'b' not found in any table"}},
    {"SELECT tsx FROM t", {"Column 'tsx' not found in any table; did you mean 'ts'?"}},
    // types
    {"SELECT a + s FROM t", {"Cannot apply '+' to arguments of type"}},
    {"SELECT UPPER(a) FROM t", {"Cannot apply 'UPPER'", "Supported form(s)"}},
    // sinks, as Flink words them
    {"INSERT INTO files SELECT a, a FROM t", {"Different number of columns"}},
    {"INSERT INTO files SELECT COUNT(*) FROM t",
     {"Column types of query result and sink", "Incompatible types for sink column 'a'"}},
    {"INSERT INTO counts SELECT a, COUNT(*) FROM t GROUP BY a",
     {"doesn't support consuming update changes", "GroupAggregate"}},
    // connectors
    {"SELECT * FROM no_connector", {"Table options do not contain an option key 'connector'"}},
    {"SELECT * FROM unknown_connector",
     {"Could not find any factory for identifier 'nope'", "Available factory identifiers"}},
    {"SELECT * FROM bad_rate", {"option 'rows-per-second' is not an integer: 'fast'"}},
    {"SELECT * FROM bad_kind", {"fields.a.kind", "random or sequence"}},
    {"SELECT * FROM bad_nexmark", {"the nexmark connector has no column 'whatever'"}},
    // what does not run yet is named
    {"SELECT a, LAG(a) OVER (PARTITION BY a ORDER BY ts) FROM t",
     {"not supported yet: LAG(...) OVER (...)"}},
    {"SELECT a, AVG(a) OVER (PARTITION BY a ORDER BY ts ROWS BETWEEN 2 PRECEDING AND 2 "
     "FOLLOWING) FROM t",
     {"not supported yet: OVER windows that end other than at CURRENT ROW"}},
    {"SELECT MD5(s) FROM t", {"not supported yet: function MD5"}},
    {"SELECT a FROM t INTERSECT SELECT a FROM t", {"not supported yet: INTERSECT"}},
};

table_environment make_env(const test::temp_dir& dir) {
  table_environment t(test::test_config(dir.str(), 1));
  for (const char* d : ddl)
    t.execute_sql(d);
  return t;
}

} // namespace

BOOST_AUTO_TEST_CASE(wrong_statements_and_their_messages) {
  test::temp_dir dir;
  table_environment t = make_env(dir);
  for (const wrong& w : cases) {
    BOOST_TEST_CONTEXT(w.sql) {
      std::string message;
      try {
        auto r = t.execute_sql(w.sql);
        if (r.job)
          r.wait();
      } catch (const spate::error& e) {
        message = e.what();
        BOOST_TEST(e.code() == errc::invalid_argument, message);
      }
      BOOST_TEST(!message.empty(), "no error");
      for (const char* fragment : w.message)
        BOOST_TEST(message.find(fragment) != std::string::npos, message);
      // The session goes on.
      auto ok = t.execute_sql("SELECT a FROM t").collect();
      BOOST_TEST(ok.size() == 5u);
    }
  }
}

BOOST_AUTO_TEST_CASE(errors_show_the_line_with_a_caret) {
  test::temp_dir dir;
  table_environment t = make_env(dir);
  try {
    t.execute_sql("SELECT a,\n       biddr\nFROM t");
    BOOST_FAIL("ran");
  } catch (const spate::error& e) {
    const std::string m = e.what();
    BOOST_TEST(m.find("line 2, column 8") != std::string::npos, m);
    BOOST_TEST(m.find("       biddr\n       ^") != std::string::npos, m);
  }
}

BOOST_AUTO_TEST_CASE(a_failing_expression_fails_the_job_naming_its_task_and_cause) {
  test::temp_dir dir;
  table_environment t = make_env(dir);
  auto r = t.execute_sql("SELECT a / (a - 3) FROM t");
  try {
    r.wait();
    BOOST_FAIL("the job did not fail");
  } catch (const spate::error& e) {
    const std::string m = e.what();
    BOOST_TEST(m.find("division by zero") != std::string::npos, m);
    BOOST_TEST(m.find("Calc(") != std::string::npos, m);
  }
  BOOST_TEST(r.job->status() == job_status::failed);
  // The process and the session go on.
  BOOST_TEST(t.execute_sql("SELECT a FROM t").collect().size() == 5u);
}
