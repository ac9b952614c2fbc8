#define BOOST_TEST_MODULE sqlrt_calc
#include <boost/test/unit_test.hpp>

// A Calc's expressions compiled together (compiled_expr over several roots): a subexpression
// they share is evaluated once per row and its value dropped for the next row, lazily (a
// shared division in a CASE branch not taken is not evaluated), copies keep nothing of the
// original's row; LOWER/UPPER on ASCII letters only; SPLIT_INDEX with one- and multi-byte
// separators; and Calcs with a WHERE and a projection sharing LOWER and REGEXP_EXTRACT (as
// Nexmark q21) run end to end through one operator.

#include <algorithm>
#include <string>
#include <vector>

#include "spate/core/error.hpp"
#include "spate/sql/session.hpp"
#include "spate/sqlrt/expr.hpp"
#include "spate/sqlrt/planner.hpp"
#include "spate/sqlrt/table_environment.hpp"
#include "support/collect.hpp"
#include "support/temp_dir.hpp"

using namespace spate;
using namespace spate::sql;

namespace {

//! The projections of SELECT <list> FROM t compiled together over t's rows (i INT, s STRING).
struct program {
  sql_session session;
  std::vector<rex> projection;
  row_layout layout;
  compiled_expr c;

  explicit program(const std::string& list) {
    session.execute_sql("CREATE TABLE t (i INT, s STRING) WITH ('connector' = 'datagen')");
    sql_result r = session.execute_sql("SELECT " + list + " FROM t");
    const plan_node& calc = *r.plan.roots.at(0);
    BOOST_REQUIRE(calc.kind == node_kind::calc);
    projection = calc.projection;
    layout = layout_of(*calc.inputs.at(0));
    std::vector<const rex*> roots;
    for (const rex& p : projection)
      roots.push_back(&p);
    c = compiled_expr(roots, layout);
  }

  //! Every root on one row, as the print connector writes the values.
  std::vector<std::string> on(compiled_expr& e, const row& in) {
    e.next_row();
    std::vector<std::string> out;
    for (std::size_t i = 0; i < e.roots(); ++i) {
      row o(1);
      e.into_root(i, in, o, 0);
      std::string text;
      append_value(text, o, 0, row_layout({e.type(i)}));
      out.push_back(text);
    }
    return out;
  }
  std::vector<std::string> on(const row& in) { return on(c, in); }
};

row t_row(int i, const std::string& s) {
  row r(2);
  r.set_long(0, i);
  r.set_string(1, s);
  return r;
}

using strings = std::vector<std::string>;

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

} // namespace

BOOST_AUTO_TEST_CASE(shared_subexpressions_are_per_row) {
  program p("LOWER(s) = 'apple', CASE WHEN LOWER(s) = 'google' THEN '1' WHEN LOWER(s) = 'apple' "
            "THEN '0' ELSE LOWER(s) END, CONCAT(LOWER(s), '-', LOWER(s))");
  BOOST_TEST(p.c.roots() == 3u);
  BOOST_TEST((p.on(t_row(1, "ApPle")) == strings{"true", "0", "apple-apple"}));
  // The next row's values, not the last row's kept ones.
  BOOST_TEST((p.on(t_row(2, "Google")) == strings{"false", "1", "google-google"}));
  BOOST_TEST((p.on(t_row(3, "Baidu")) == strings{"false", "baidu", "baidu-baidu"}));
  // A copy (another subtask's) evaluates its own rows from its first one on.
  compiled_expr copy = p.c;
  BOOST_TEST(
      (p.on(copy, t_row(4, "FaceBook")) == strings{"false", "facebook", "facebook-facebook"}));
  BOOST_TEST((p.on(t_row(5, "APPLE")) == strings{"true", "0", "apple-apple"}));
  // Single-root evaluation starts a new row each time.
  compiled_expr one(p.projection[2], p.layout);
  value v;
  one.eval(t_row(6, "XyZ"), v);
  BOOST_TEST(std::string(v.s) == "xyz-xyz");
  one.eval(t_row(7, "Qq"), v);
  BOOST_TEST(std::string(v.s) == "qq-qq");
}

BOOST_AUTO_TEST_CASE(a_shared_subexpression_is_evaluated_only_when_needed) {
  // 10 / i is in both roots, but only in the branch i <> 0 of the first: on i = 0 the first
  // root must not divide by zero, and the second root still fails the job as before.
  program p("CASE WHEN i = 0 THEN -1 ELSE 10 / i END, 10 / i + 1");
  BOOST_TEST((p.on(t_row(5, "x")) == strings{"2", "3"}));
  p.c.next_row();
  row o(1);
  const row zero = t_row(0, "x");
  p.c.into_root(0, zero, o, 0);
  BOOST_TEST(o.get_long(0) == -1);
  BOOST_CHECK_THROW(p.c.into_root(1, zero, o, 0), spate::error);
  BOOST_TEST((p.on(t_row(2, "x")) == strings{"5", "6"}));
}

BOOST_AUTO_TEST_CASE(lower_and_upper_change_ascii_letters_only) {
  program p("LOWER(s), UPPER(s)");
  BOOST_TEST((p.on(t_row(0, "Ab\xc3\x84z-9")) == strings{"ab\xc3\x84z-9", "AB\xc3\x84Z-9"}));
  BOOST_TEST((p.on(t_row(0, "")) == strings{"", ""}));
}

BOOST_AUTO_TEST_CASE(split_index_with_one_and_several_byte_separators) {
  program p("SPLIT_INDEX(s, '/', 0), SPLIT_INDEX(s, '/', 3), SPLIT_INDEX(s, '/', 9), "
            "SPLIT_INDEX(s, '::', 1), SPLIT_INDEX(s, '', 0)");
  BOOST_TEST(
      (p.on(t_row(0, "https://a.b/c/d::e::f")) == strings{"https:", "c", "NULL", "e", "NULL"}));
  BOOST_TEST((p.on(t_row(0, "x")) == strings{"x", "NULL", "NULL", "NULL", "NULL"}));
}

BOOST_AUTO_TEST_CASE(calc_with_shared_where_and_projection_runs_end_to_end) {
  // As Nexmark q21: the WHERE and the CASE share LOWER(c) and REGEXP_EXTRACT(u, ...), in one
  // operator that filters and projects each row in place.
  test::temp_dir dir;
  table_environment t(test::test_config(dir.str(), 1));
  auto r = t.execute_sql(
      "SELECT x, c, CASE WHEN LOWER(c) = 'apple' THEN '0' WHEN LOWER(c) = 'google' THEN '1' "
      "ELSE REGEXP_EXTRACT(u, '(&|^)channel_id=([^&]*)', 2) END AS id FROM (VALUES "
      "(1, 'Apple', 'a=1'), (2, 'GOOGLE', 'channel_id=7'), (3, 'Other', 'q=1&channel_id=42'), "
      "(4, 'Other', 'q=1'), (5, 'Baidu', 'x')) AS v(x, c, u) "
      "WHERE REGEXP_EXTRACT(u, '(&|^)channel_id=([^&]*)', 2) IS NOT NULL OR "
      "LOWER(c) IN ('apple', 'baidu')");
  BOOST_TEST((sorted(r.collect()) == strings{"+I[1, Apple, 0]", "+I[2, GOOGLE, 1]",
                                             "+I[3, Other, 42]", "+I[5, Baidu, NULL]"}));
}
