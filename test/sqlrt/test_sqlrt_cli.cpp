#define BOOST_TEST_MODULE sqlrt_cli
#include <boost/test/unit_test.hpp>

// `spate sql -e` and `spate sql -f`: statements run in this process, the print connector's
// lines and a query's changelog on stdout, errors on stderr with a usage exit code.

#include <fstream>
#include <string>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

using namespace spate;

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
  auto r =
      test::run_spate({"sql", "-e", gen + " SELECT a.id FROM gen a JOIN gen b ON a.id = b.id;"});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.err.find("not supported yet: Join") != std::string::npos, r.err);
  auto none = test::run_spate({"sql"});
  BOOST_TEST(none.exit_code == 2);
  BOOST_TEST(none.err.find("-e") != std::string::npos, none.err);
}
