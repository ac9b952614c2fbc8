#define BOOST_TEST_MODULE sqlrt_cli
#include <boost/test/unit_test.hpp>

// `spate sql -e` and `spate sql -f`: statements run in this process, the print connector's
// lines and a query's changelog on stdout, errors on stderr with a usage exit code. And the
// interactive SQL client of `spate sql` on a pseudo-terminal (readline, multi-line statements,
// errors that leave it running, result modes, QUIT), and `spate sql` reading a script from a
// pipe.

#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>

#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/terminal.hpp"

using namespace spate;
using spate::test::terminal_session;

namespace {

const std::string gen = "CREATE TABLE gen (id BIGINT) WITH ('connector' = 'datagen', "
                        "'fields.id.kind' = 'sequence', 'fields.id.start' = '1', "
                        "'fields.id.end' = '3');";

} // namespace

BOOST_AUTO_TEST_CASE(execute_prints_the_changelog) {
  test::temp_dir dir;
  auto r = test::run_spate({"sql", "-D", "state.backend.rocksdb.localdir=" + dir.str(), "-e",
                            gen + " SELECT id, id * id AS sq FROM gen WHERE id > 1;"});
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(r.out.find("+I[2, 4]\n") != std::string::npos, r.out);
  BOOST_TEST(r.out.find("+I[3, 9]\n") != std::string::npos, r.out);
  BOOST_TEST(r.out.find("+I[1, 1]") == std::string::npos, r.out);
}

BOOST_AUTO_TEST_CASE(file_runs_an_insert_into_print) {
  test::temp_dir dir;
  const std::string script = dir.str() + "/script.sql";
  std::ofstream(script) << gen << "\nCREATE TABLE out (id BIGINT, s STRING) WITH ('connector' = "
                        << "'print', 'print-identifier' = 'sql');\nINSERT INTO out SELECT id, "
                        << "CAST(id AS STRING) || 'x' FROM gen;\n";
  auto r =
      test::run_spate({"sql", "-D", "state.backend.rocksdb.localdir=" + dir.str(), "-f", script});
  BOOST_TEST(r.exit_code == 0, r.err);
  for (const char* line : {"sql> +I[1, 1x]\n", "sql> +I[2, 2x]\n", "sql> +I[3, 3x]\n"})
    BOOST_TEST(r.out.find(line) != std::string::npos, r.out);
}

BOOST_AUTO_TEST_CASE(errors_name_what_is_not_supported) {
  auto r = test::run_spate({"sql", "-e", gen + " SELECT id, LAG(id) OVER (ORDER BY id) FROM gen;"});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.err.find("not supported yet: LAG(...) OVER (...)") != std::string::npos, r.err);
  auto both = test::run_spate({"sql", "-e", "SHOW TABLES;", "-f", "x.sql"});
  BOOST_TEST(both.exit_code == 2);
  BOOST_TEST(both.err.find("not both") != std::string::npos, both.err);
}

BOOST_AUTO_TEST_CASE(interactive_client_on_a_terminal) {
  test::temp_dir dir;
  terminal_session t(dir.str(), {"-D", "state.backend.rocksdb.localdir=" + dir.str()});
  BOOST_REQUIRE(t.expect("spate SQL> "));

  // A statement over two lines: the first gets the continuation prompt.
  t.type("CREATE TABLE gen (id BIGINT) WITH ('connector' = 'datagen',\n");
  BOOST_REQUIRE(t.expect("'datagen',")); // the echo
  BOOST_REQUIRE(t.expect("> "));
  t.type("  'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '3');\n");
  BOOST_REQUIRE(t.expect("[INFO] Execute statement succeed."));
  BOOST_REQUIRE(t.expect("spate SQL> "));

  // An error: named with its position, and the client goes on.
  t.type("SELECT nope FROM gen;\n");
  BOOST_REQUIRE(t.expect("[ERROR] Could not execute SQL statement. Reason:"));
  BOOST_REQUIRE(t.expect("Column 'nope' not found"));
  BOOST_REQUIRE(t.expect("spate SQL> "));

  // Ctrl-C at the continuation prompt drops the statement being typed.
  t.type("SELECT id AS dropped\n");
  BOOST_REQUIRE(t.expect("AS dropped"));
  BOOST_REQUIRE(t.expect("> "));
  std::this_thread::sleep_for(std::chrono::milliseconds(200)); // readline waits for a key
  t.type("\x03");
  BOOST_REQUIRE_MESSAGE(t.expect("spate SQL> "), t.output());

  // tableau (the default): a bordered table with the op column, as rows arrive.
  auto mark = t.mark();
  t.type("SELECT id, id * 10 AS t FROM gen;\n");
  BOOST_REQUIRE(t.expect("Received a total of 3 rows"));
  auto tableau = t.since(mark);
  BOOST_TEST(tableau.find("| op |                   id |                    t |") !=
                 std::string::npos,
             tableau);
  BOOST_TEST(tableau.find("| +I |                    2 |                   20 |") !=
                 std::string::npos,
             tableau);
  BOOST_TEST(tableau.find("+----+----------------------+----------------------+") !=
                 std::string::npos,
             tableau);
  BOOST_REQUIRE(t.expect("spate SQL> "));

  // changelog: the rows with their op, an update as -U/+U.
  t.type("SET 'sql-client.execution.result-mode' = 'changelog';\n");
  BOOST_REQUIRE(t.expect("[INFO] Execute statement succeed."));
  BOOST_REQUIRE(t.expect("spate SQL> "));
  mark = t.mark();
  t.type("SELECT COUNT(*) AS n FROM gen;\n");
  BOOST_REQUIRE(t.expect("Received a total of 5 rows"));
  auto changelog = t.since(mark);
  for (const char* line : {"+I[1]", "-U[1]", "+U[2]", "-U[2]", "+U[3]"})
    BOOST_TEST(changelog.find(line) != std::string::npos, changelog);
  BOOST_TEST(changelog.find("| op |") == std::string::npos, changelog);
  BOOST_REQUIRE(t.expect("spate SQL> "));

  // table: the materialized result redrawn in place until Q.
  t.type("SET 'sql-client.execution.result-mode' = 'table';\n");
  BOOST_REQUIRE(t.expect("spate SQL> "));
  t.type("SELECT COUNT(*) AS n FROM gen;\n");
  BOOST_REQUIRE_MESSAGE(t.expect("(finished)    [Q] Quit"), t.output());
  mark = t.mark();
  t.type("q");
  BOOST_REQUIRE(t.expect("spate SQL> "));
  auto table = t.since(mark);
  BOOST_TEST(table.find("|                    3 |") != std::string::npos, table);
  BOOST_TEST(table.find("|                    1 |") == std::string::npos, table);

  t.type("HELP;\n");
  BOOST_REQUIRE(t.expect("The following commands are available"));
  BOOST_REQUIRE(t.expect("spate SQL> "));
  t.type("QUIT;\n");
  BOOST_REQUIRE(t.expect("Shutting down the session"));
  BOOST_TEST(t.wait_exit() == 0);

  // The history: each statement, in ~/.spate_sql_history.
  std::ifstream history(dir.str() + "/.spate_sql_history");
  std::string text((std::istreambuf_iterator<char>(history)), std::istreambuf_iterator<char>());
  BOOST_TEST(text.find("SELECT nope FROM gen;") != std::string::npos, text);
  BOOST_TEST(text.find("'fields.id.end' = '3');") != std::string::npos, text);
}

BOOST_AUTO_TEST_CASE(client_reads_a_script_from_a_pipe) {
  test::temp_dir dir;
  const std::string script = dir.str() + "/script.sql";
  std::ofstream(script) << gen
                        << "\nSET 'sql-client.execution.result-mode' = 'changelog';\n"
                           "SELECT id,\n  id + 100 AS h\nFROM gen;\nSHOW TABLES;\n";
  auto spate = test::bin_dir() + "/spate sql -D state.backend.rocksdb.localdir=" + dir.str();
  auto r = test::child_process({"/bin/sh", "-c", spate + " < " + script}).finish();
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(r.out.find("spate SQL>") == std::string::npos, r.out); // no prompts
  for (const char* line : {"+I[1, 101]\n", "+I[2, 102]\n", "+I[3, 103]\n"})
    BOOST_TEST(r.out.find(line) != std::string::npos, r.out);
  BOOST_TEST(r.out.find("| table name |") != std::string::npos, r.out);

  // An error stops the script: stderr names it, nothing after it runs, exit code 1.
  std::ofstream(script) << gen << "\nSELECT nope FROM gen;\nSELECT id FROM gen;\n";
  auto bad = test::child_process({"/bin/sh", "-c", spate + " < " + script}).finish();
  BOOST_TEST(bad.exit_code == 1);
  BOOST_TEST(bad.err.find("[ERROR] Could not execute SQL statement") != std::string::npos, bad.err);
  BOOST_TEST(bad.err.find("line 1, column 8") != std::string::npos, bad.err);
  BOOST_TEST(bad.out.find("| +I |") == std::string::npos, bad.out);
}
