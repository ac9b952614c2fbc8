#define BOOST_TEST_MODULE sqlrt_udf
#include <boost/test/unit_test.hpp>

// User-defined scalar functions (spate/sql/functions.hpp): C++ callables registered as
// function classes, created with CREATE FUNCTION and called from SQL; their types, NULL
// handling, widening, errors, per-subtask instances, and the built-in Nexmark CountChar.

#include <algorithm>
#include <atomic>
#include <cmath>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "spate/sql/functions.hpp"
#include "spate/sqlrt/table_environment.hpp"
#include "support/collect.hpp"
#include "support/expect_refused.hpp"

using namespace spate;
using namespace spate::sql;

namespace {

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

//! Rows 1..n of (id INT, name STRING, price BIGINT) from a filesystem csv table: `name` NULL
//! for every third id, `price` id * 1000 + 7.
std::string rows_table(const std::string& dir, int n) {
  const std::string path = dir + "/rows.csv";
  std::string text;
  for (int i = 1; i <= n; ++i)
    text += std::to_string(i) + "," + (i % 3 == 0 ? "" : "n" + std::to_string(i) + "c") + "," +
            std::to_string(i * 1000 + 7) + "\n";
  std::ofstream(path) << text;
  return "CREATE TABLE t (id INT, name STRING, price BIGINT) WITH ('connector' = 'filesystem', "
         "'path' = '" +
         path + "', 'format' = 'csv', 'csv.null-literal' = '')";
}

struct registered {
  registered() {
    // BIGINT and a nullable string into a DOUBLE.
    register_scalar_function("test.Discount", [](std::int64_t price,
                                                 std::optional<std::string_view> name) {
      return name && name->find('1') != std::string_view::npos ? static_cast<double>(price) * 0.5
                                                               : static_cast<double>(price);
    });
    // A string result; a NULL argument for a non-optional parameter gives NULL.
    register_scalar_function("test.Shout", [](std::string_view s) { return std::string(s) + "!"; });
    // An optional result.
    register_scalar_function("test.EvenOrNull", [](std::int64_t v) -> std::optional<std::int64_t> {
      if (v % 2 == 0)
        return v;
      return std::nullopt;
    });
    // State kept per instance: how many rows this instance has seen.
    struct counter {
      std::int64_t seen = 0;
      std::int64_t operator()(std::int32_t) { return ++seen; }
    };
    register_scalar_function("test.Counter", counter{});
    register_scalar_function("test.Boom", [](std::int32_t v) -> std::int32_t {
      if (v == 4)
        throw std::runtime_error("boom at " + std::to_string(v));
      return v;
    });
  }
};
const registered once;

} // namespace

BOOST_AUTO_TEST_CASE(a_registered_function_runs_in_a_query_like_a_reference) {
  test::temp_dir dir;
  table_environment t(test::test_config(dir.str(), 2));
  t.execute_sql(rows_table(dir.str(), 30));
  t.execute_sql("CREATE FUNCTION discount AS 'test.Discount'");
  t.execute_sql("CREATE TEMPORARY SYSTEM FUNCTION shout AS 'test.Shout'");
  auto got = sorted(
      t.execute_sql("SELECT id, discount(price, name), shout(name) FROM t WHERE id > 2").collect());
  std::vector<std::string> want;
  for (int i = 3; i <= 30; ++i) {
    const bool null_name = i % 3 == 0;
    const std::string name = "n" + std::to_string(i) + "c";
    const double price = i * 1000 + 7;
    const double d = !null_name && name.find('1') != std::string::npos ? price * 0.5 : price;
    std::string dtext = std::to_string(d);
    // DOUBLE as Flink prints it: the shortest form ("3007.0", "5503.5").
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.1f", d);
    dtext = buf;
    want.push_back("+I[" + std::to_string(i) + ", " + dtext + ", " +
                   (null_name ? "NULL" : name + "!") + "]");
  }
  BOOST_TEST(got == sorted(want), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(types_come_from_the_signature_with_nulls_and_widening) {
  test::temp_dir dir;
  table_environment t(test::test_config(dir.str(), 1));
  t.execute_sql(rows_table(dir.str(), 3));
  t.execute_sql("CREATE FUNCTION discount AS 'test.Discount'");
  t.execute_sql("CREATE FUNCTION shout AS 'test.Shout'");
  t.execute_sql("CREATE FUNCTION even_or_null AS 'test.EvenOrNull'");
  t.execute_sql("CREATE VIEW v AS SELECT discount(id, 'x1') AS d, discount(5, 'x') AS c, "
                "shout(name) AS s, shout('k') "
                "AS k, even_or_null(id) AS e, discount(price, CAST(NULL AS STRING)) AS n FROM t");
  // INT widened into BIGINT; DOUBLE NOT NULL from a non-optional result with NOT NULL
  // arguments; a nullable argument for a non-optional parameter makes the result nullable, one
  // for an optional parameter does not.
  std::map<std::string, std::string> types;
  for (const auto& r : t.execute_sql("DESCRIBE v").rows)
    types[r.at(0)] = r.at(1) + (r.at(2) == "TRUE" ? "" : " NOT NULL");
  BOOST_TEST(types["c"] == "DOUBLE NOT NULL");
  BOOST_TEST(types["d"] == "DOUBLE"); // the csv column is nullable
  BOOST_TEST(types["s"] == "STRING");
  BOOST_TEST(types["k"] == "STRING NOT NULL");
  BOOST_TEST(types["e"] == "BIGINT");
  BOOST_TEST(types["n"] == "DOUBLE"); // price is nullable; the NULL name is passed on
  auto got = sorted(t.execute_sql("SELECT * FROM v").collect());
  BOOST_TEST((got == std::vector<std::string>{"+I[0.5, 5.0, n1c!, k!, NULL, 1007.0]",
                                              "+I[1.0, 5.0, n2c!, k!, 2, 2007.0]",
                                              "+I[1.5, 5.0, NULL, k!, NULL, 3007.0]"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(wrong_calls_and_unknown_classes_are_refused_by_name) {
  test::temp_dir dir;
  table_environment t(test::test_config(dir.str(), 1));
  t.execute_sql(rows_table(dir.str(), 3));
  t.execute_sql("CREATE FUNCTION discount AS 'test.Discount'");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"SELECT discount(name, name) FROM t",
       "Invalid function call:\ndiscount(STRING, STRING)\nExpected signature: discount(BIGINT, "
       "STRING)"},
      {"SELECT discount(price) FROM t", "Invalid function call:\ndiscount(BIGINT)"},
      {"SELECT discount(1.5, name) FROM t", "Invalid function call:\ndiscount(DECIMAL(2, 1) NOT"},
      {"CREATE FUNCTION nope AS 'test.NotThere'",
       "Function class 'test.NotThere' is not registered"},
      {"CREATE FUNCTION py AS 'mod.fn' LANGUAGE PYTHON",
       "not supported yet: Python functions (LANGUAGE PYTHON)"},
      {"CREATE FUNCTION discount AS 'test.Shout'", "Function 'discount' already exists"},
  };
  for (const auto& [sql, message] : cases) {
    try {
      t.execute_sql(sql).wait();
      BOOST_ERROR("ran: " << sql);
    } catch (const spate::error& e) {
      BOOST_TEST(std::string(e.what()).find(message) != std::string::npos,
                 sql << "\n  gave: " << e.what());
    }
  }
  // IF NOT EXISTS, DROP, and the session goes on.
  t.execute_sql("CREATE FUNCTION IF NOT EXISTS discount AS 'test.Shout'");
  t.execute_sql("DROP FUNCTION discount");
  try {
    t.execute_sql("SELECT discount(price, name) FROM t");
    BOOST_ERROR("a dropped function ran");
  } catch (const spate::error& e) {
    BOOST_TEST(std::string(e.what()).find("discount") != std::string::npos, e.what());
  }
}

BOOST_AUTO_TEST_CASE(each_subtask_calls_its_own_instance) {
  // The counting function keeps state per instance: with one subtask it numbers the rows
  // 1..n; with two, each subtask numbers its own rows from 1 (two instances, no sharing).
  test::temp_dir dir;
  {
    table_environment t(test::test_config(dir.str(), 1));
    t.execute_sql(rows_table(dir.str(), 6));
    t.execute_sql("CREATE FUNCTION counter AS 'test.Counter'");
    auto got = sorted(t.execute_sql("SELECT counter(id) FROM t").collect());
    BOOST_TEST(
        (got == std::vector<std::string>{"+I[1]", "+I[2]", "+I[3]", "+I[4]", "+I[5]", "+I[6]"}),
        boost::test_tools::per_element());
  }
  test::temp_dir dir2;
  table_environment t(test::test_config(dir2.str(), 2));
  t.execute_sql(rows_table(dir2.str(), 6));
  t.execute_sql("CREATE FUNCTION counter AS 'test.Counter'");
  t.execute_sql("CREATE TABLE src (id INT) WITH ('connector' = 'datagen', 'number-of-rows' = "
                "'40', 'fields.id.kind' = 'sequence', 'fields.id.start' = '1', "
                "'fields.id.end' = '40')");
  auto got = t.execute_sql("SELECT counter(id) FROM src").collect();
  BOOST_TEST(got.size() == 40u);
  std::multiset<std::string> counts(got.begin(), got.end());
  // Two instances: every number a subtask reached appears once per subtask that reached it,
  // so 1 appears twice (each subtask saw at least one row) and the counts sum to 40 rows.
  BOOST_TEST(counts.count("+I[1]") == 2u);
}

BOOST_AUTO_TEST_CASE(an_exception_fails_the_job_naming_the_function) {
  test::temp_dir dir;
  table_environment t(test::test_config(dir.str(), 1));
  t.execute_sql(rows_table(dir.str(), 6));
  t.execute_sql("CREATE FUNCTION boom AS 'test.Boom'");
  auto r = t.execute_sql("SELECT boom(id) FROM t");
  try {
    r.wait();
    BOOST_FAIL("the job did not fail");
  } catch (const spate::error& e) {
    const std::string m = e.what();
    BOOST_TEST(m.find("function 'boom' (test.Boom) failed: boom at 4") != std::string::npos, m);
  }
  BOOST_TEST(r.job->status() == job_status::failed);
  BOOST_TEST(t.execute_sql("SELECT id FROM t").collect().size() == 6u);
}

BOOST_AUTO_TEST_CASE(nexmark_count_char_counts_the_first_character) {
  test::temp_dir dir;
  table_environment t(test::test_config(dir.str(), 1));
  t.execute_sql("CREATE FUNCTION count_char AS 'com.github.nexmark.flink.udf.CountChar'");
  auto got = t.execute_sql("SELECT count_char('abcabcc', 'c'), count_char('abc', 'cx'), "
                           "count_char(CAST(NULL AS STRING), 'c'), count_char('aé€é', 'é'), "
                           "count_char('abc', '')")
                 .collect();
  BOOST_TEST((got == std::vector<std::string>{"+I[3, 1, 0, 2, 0]"}),
             boost::test_tools::per_element());
  // Against a plain count on random strings (seed logged).
  const auto seed = std::random_device{}();
  BOOST_TEST_MESSAGE("seed " << seed);
  std::mt19937 rng(seed);
  auto def = find_function_class("com.github.nexmark.flink.udf.CountChar");
  BOOST_REQUIRE(def);
  auto f = def->make();
  for (int round = 0; round < 200; ++round) {
    std::string s;
    const int len = static_cast<int>(rng() % 40);
    for (int i = 0; i < len; ++i)
      s += static_cast<char>('a' + rng() % 4);
    const char c = static_cast<char>('a' + rng() % 4);
    value args[2];
    args[0].s = s;
    args[0].null = false;
    const std::string cs(1, c);
    args[1].s = cs;
    args[1].null = false;
    value out;
    f->eval(args, out);
    BOOST_TEST(out.i == std::count(s.begin(), s.end(), c), s << " " << c);
  }
}

namespace {

//! A function typed by its arguments (function_definition::specialize): it returns its
//! argument's type name, so each call site shows which definition it got.
class type_name_function final : public scalar_function {
public:
  explicit type_name_function(std::string name) : name_(std::move(name)) {}
  void eval(const value*, value& out) override {
    out.null = false;
    out.s = name_;
  }

private:
  std::string name_;
};

void register_type_name() {
  function_definition generic;
  generic.class_name = "test.TypeName";
  generic.result = make_varchar();
  generic.make = []() -> std::unique_ptr<scalar_function> {
    throw std::logic_error("typed at each call");
  };
  generic.specialize = [](const std::vector<logical_type>& args) {
    if (args.size() != 1)
      throw error(errc::invalid_argument, "takes one argument");
    if (args[0].kind == logical_kind::array)
      throw error(errc::invalid_argument, "not supported yet: ARRAY arguments");
    function_definition d;
    d.class_name = "test.TypeName(" + to_string(args[0]) + ")";
    d.parameters = {args[0].with_nullable(true)};
    d.accepts_null = {true};
    d.result = make_varchar(max_length, true);
    auto name = to_string(args[0].with_nullable(true));
    d.make = [name]() -> std::unique_ptr<scalar_function> {
      return std::make_unique<type_name_function>(name);
    };
    return d;
  };
  register_function(std::move(generic));
}

} // namespace

BOOST_AUTO_TEST_CASE(a_function_typed_by_its_arguments_gets_a_definition_per_call_site) {
  register_type_name();
  test::temp_dir dir;
  table_environment t(test::test_config(dir.str(), 1));
  t.execute_sql(rows_table(dir.str(), 2));
  t.execute_sql("CREATE FUNCTION type_name AS 'test.TypeName'");
  auto got = t.execute_sql("SELECT type_name(id), type_name(name), type_name(price * 1.5) FROM t "
                           "WHERE id = 1")
                 .collect();
  BOOST_TEST(got == std::vector<std::string>{"+I[INT, STRING, DECIMAL(21, 1)]"},
             boost::test_tools::per_element());
  // Each argument type became a class of its own, registered for the runtime.
  BOOST_TEST(find_function_class("test.TypeName(INT)") != nullptr);
  BOOST_TEST(find_function_class("test.TypeName(STRING)") != nullptr);
  // What specialize refuses is reported at the call, with the function's name.
  test::expect_refused(t, "SELECT type_name(ARRAY[1]) FROM t",
                       {"type_name", "not supported yet: ARRAY arguments"});
  test::expect_refused(t, "SELECT type_name(id, id) FROM t", {"type_name", "takes one argument"});
}
