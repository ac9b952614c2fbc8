#define BOOST_TEST_MODULE sqlrt_over
#include <boost/test/unit_test.hpp>

// OVER aggregations (OverAggregate): COUNT, SUM, MIN, MAX and AVG over ROWS and RANGE frames
// before each row, on a rowtime and on a proctime, against a reference computed here from the
// same rows; and the statements refused with their messages.

#include <algorithm>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "spate/api/testing.hpp"
#include "spate/sqlrt/planner.hpp"
#include "spate/sqlrt/table_environment.hpp"
#include "support/collect.hpp"
#include "translate.hpp"

using namespace spate;
using namespace spate::sql;

namespace {

struct input_row {
  int id = 0;
  std::string key;
  std::int64_t ts = 0; //!< ms
  std::optional<std::int64_t> v;
};

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

//! Random rows over three keys, times rising with jitter below the watermark delay (none is
//! late), several rows sharing a millisecond, some values NULL. The seed is logged.
std::vector<input_row> random_rows(int n) {
  const auto seed = std::random_device{}();
  BOOST_TEST_MESSAGE("seed " << seed);
  std::mt19937 rng(seed);
  std::vector<input_row> out;
  std::int64_t base = 1'000'000;
  for (int i = 0; i < n; ++i) {
    input_row r;
    r.id = i;
    r.key = std::string(1, static_cast<char>('a' + rng() % 3));
    base += static_cast<std::int64_t>(rng() % 400);
    r.ts = base - static_cast<std::int64_t>(rng() % 3) * 100; // up to 200 ms out of order
    if (rng() % 7 != 0)
      r.v = static_cast<std::int64_t>(rng() % 1000) - 300;
    out.push_back(r);
  }
  return out;
}

//! The table `t` (id, k, v, ts rowtime with a 1 s watermark delay, p proctime) over `rows`.
std::string table_over(const std::string& dir, const std::vector<input_row>& rows) {
  const std::string path = dir + "/rows.csv";
  std::ofstream f(path);
  for (const input_row& r : rows)
    f << r.id << "," << r.key << "," << (r.v ? std::to_string(*r.v) : "") << "," << r.ts << "\n";
  f.close();
  return "CREATE TABLE t (id INT, k STRING, v BIGINT, ms BIGINT, ts AS TO_TIMESTAMP_LTZ(ms, 3), "
         "p AS PROCTIME(), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector' = "
         "'filesystem', 'path' = '" +
         path + "', 'format' = 'csv', 'csv.null-literal' = '')";
}

//! "+I[id, count, sum, min, max, avg]" for each row, its frame's rows picked by `in_frame`
//! from the rows of its key (ordered by time, then arrival).
template <class InFrame>
std::vector<std::string> reference(const std::vector<input_row>& rows, InFrame in_frame) {
  std::map<std::string, std::vector<input_row>> by_key;
  for (const input_row& r : rows)
    by_key[r.key].push_back(r);
  std::vector<std::string> out;
  for (auto& [key, list] : by_key) {
    std::stable_sort(list.begin(), list.end(),
                     [](const input_row& a, const input_row& b) { return a.ts < b.ts; });
    for (std::size_t i = 0; i < list.size(); ++i) {
      std::int64_t count = 0, n = 0, sum = 0;
      std::optional<std::int64_t> mn, mx;
      for (std::size_t j = 0; j < list.size(); ++j) {
        if (!in_frame(list, i, j))
          continue;
        ++count;
        if (!list[j].v)
          continue;
        const std::int64_t v = *list[j].v;
        ++n;
        sum += v;
        mn = mn ? std::min(*mn, v) : v;
        mx = mx ? std::max(*mx, v) : v;
      }
      auto text = [](std::optional<std::int64_t> x) {
        return x ? std::to_string(*x) : std::string("NULL");
      };
      out.push_back("+I[" + std::to_string(list[i].id) + ", " + std::to_string(count) + ", " +
                    (n ? std::to_string(sum) : "NULL") + ", " + text(mn) + ", " + text(mx) + ", " +
                    (n ? std::to_string(sum / n) : "NULL") + "]");
    }
  }
  return sorted(out);
}

std::vector<std::string> run(const std::vector<input_row>& rows, const std::string& frame,
                             int parallelism = 2) {
  test::temp_dir dir;
  table_environment t(test::test_config(dir.str(), parallelism));
  t.execute_sql(table_over(dir.str(), rows));
  const std::string w = "OVER (PARTITION BY k ORDER BY ts " + frame + ")";
  return sorted(t.execute_sql("SELECT id, COUNT(*) " + w + ", SUM(v) " + w + ", MIN(v) " + w +
                              ", MAX(v) " + w + ", AVG(v) " + w + " FROM t")
                    .collect());
}

} // namespace

BOOST_AUTO_TEST_CASE(rows_between_n_preceding_and_current_row) {
  const auto rows = random_rows(400);
  auto want = reference(rows, [](const std::vector<input_row>&, std::size_t i, std::size_t j) {
    return j <= i && i - j <= 3;
  });
  BOOST_TEST(run(rows, "ROWS BETWEEN 3 PRECEDING AND CURRENT ROW") == want,
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(range_between_an_interval_preceding_and_current_row) {
  // Peers (rows of the same time) are in each other's frames.
  const auto rows = random_rows(400);
  auto want = reference(rows, [](const std::vector<input_row>& l, std::size_t i, std::size_t j) {
    return l[j].ts <= l[i].ts && l[j].ts >= l[i].ts - 1500;
  });
  BOOST_TEST(run(rows, "RANGE BETWEEN INTERVAL '1.5' SECOND PRECEDING AND CURRENT ROW") == want,
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(unbounded_preceding_rows_and_the_default_range) {
  const auto rows = random_rows(300);
  auto rows_want = reference(
      rows, [](const std::vector<input_row>&, std::size_t i, std::size_t j) { return j <= i; });
  BOOST_TEST(run(rows, "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW", 1) == rows_want,
             boost::test_tools::per_element());
  auto range_want = reference(rows, [](const std::vector<input_row>& l, std::size_t i,
                                       std::size_t j) { return l[j].ts <= l[i].ts; });
  BOOST_TEST(run(rows, "") == range_want, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_proctime_rows_frame_takes_rows_as_they_come) {
  std::vector<input_row> rows;
  for (int i = 0; i < 12; ++i)
    rows.push_back({i, i % 2 ? "x" : "y", 1000 + i, i});
  test::temp_dir dir;
  table_environment t(test::test_config(dir.str(), 1));
  t.execute_sql(table_over(dir.str(), rows));
  auto got = sorted(t.execute_sql("SELECT id, COUNT(*) OVER (PARTITION BY k ORDER BY p ROWS "
                                  "BETWEEN 2 PRECEDING AND CURRENT ROW) FROM t")
                        .collect());
  std::vector<std::string> want;
  for (int i = 0; i < 12; ++i)
    want.push_back("+I[" + std::to_string(i) + ", " + std::to_string(std::min(i / 2 + 1, 3)) + "]");
  BOOST_TEST(got == sorted(want), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(expressions_filters_and_explain) {
  std::vector<input_row> rows;
  for (int i = 0; i < 6; ++i)
    rows.push_back({i, "k", 1000 * i, i});
  test::temp_dir dir;
  table_environment t(test::test_config(dir.str(), 1));
  t.execute_sql(table_over(dir.str(), rows));
  const std::string sql =
      "SELECT id, SUM(v * 10) OVER (PARTITION BY k ORDER BY ts ROWS BETWEEN 1 PRECEDING AND "
      "CURRENT ROW) AS s FROM t WHERE id <> 2";
  auto got = sorted(t.execute_sql(sql).collect());
  // Rows 0, 1, 3, 4, 5 (2 filtered out before the window): sums of the row and the one before.
  BOOST_TEST((got == std::vector<std::string>{"+I[0, 0]", "+I[1, 10]", "+I[3, 40]", "+I[4, 70]",
                                              "+I[5, 90]"}),
             boost::test_tools::per_element());
  const std::string plan = t.execute_sql("EXPLAIN " + sql).rows.at(0).at(0);
  BOOST_TEST(plan.find("OverAggregate(partitionBy=[k], orderBy=[ts ASC], window=[ ROWS BETWEEN 1 "
                       "PRECEDING AND CURRENT ROW], select=[") != std::string::npos,
             plan);
}

BOOST_AUTO_TEST_CASE(wrong_over_windows_are_refused_with_their_messages) {
  test::temp_dir dir;
  table_environment t(test::test_config(dir.str(), 1));
  t.execute_sql(table_over(dir.str(), {{1, "a", 1000, 1}}));
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"SELECT COUNT(*) OVER (PARTITION BY k ORDER BY v) FROM t",
       "OVER windows' ordering in stream mode must be defined on a time attribute."},
      {"SELECT COUNT(*) OVER (PARTITION BY k ORDER BY ts DESC) FROM t",
       "Over Agg: The window can only be ordered in ASCENDING mode."},
      {"SELECT COUNT(*) OVER (ORDER BY ts ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) FROM t",
       "not supported yet: OVER windows that end other than at CURRENT ROW"},
      {"SELECT COUNT(*) OVER (ORDER BY ts ROWS BETWEEN 1 PRECEDING AND CURRENT ROW), SUM(v) OVER "
       "(ORDER BY ts ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) FROM t",
       "not supported yet: OVER aggregates on different windows in one SELECT"},
      {"SELECT LAG(v) OVER (ORDER BY ts) FROM t", "not supported yet: LAG(...) OVER (...)"},
      {"SELECT k, SUM(c) OVER (ORDER BY ts) FROM (SELECT k, COUNT(*) AS c, MAX(ts) AS ts FROM t "
       "GROUP BY k)",
       "OVER windows' ordering in stream mode must be defined on a time attribute."},
      {"SELECT k, COUNT(*), SUM(v) OVER (ORDER BY ts) FROM t GROUP BY k",
       "not supported yet: OVER aggregation (SUM(...) OVER (...)) in an aggregating SELECT"},
      {"SELECT * FROM t WHERE COUNT(*) OVER (ORDER BY ts) > 1",
       "not supported yet: OVER aggregation (COUNT(...) OVER (...)) in WHERE clause"},
      {"SELECT COUNT(*) OVER (ORDER BY ts RANGE BETWEEN 3 PRECEDING AND CURRENT ROW) FROM t",
       "RANGE ... PRECEDING on a time attribute needs a day-time INTERVAL literal"},
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
}

BOOST_AUTO_TEST_CASE(rows_behind_the_watermark_are_late_dropped_and_counted) {
  // The OverAggregate operator itself, through the operator harness: rows wait for the
  // watermark; one whose time the watermark has passed is dropped and counted.
  test::temp_dir dir;
  table_environment t(test::test_config(dir.str(), 1));
  t.execute_sql(table_over(dir.str(), {}));
  plan_ptr plan;
  {
    sql_session& s = t.session();
    sql_result r = s.execute_sql("SELECT id, COUNT(*) OVER (PARTITION BY k ORDER BY ts ROWS "
                                 "BETWEEN 1 PRECEDING AND CURRENT ROW) FROM t");
    std::function<plan_ptr(const plan_ptr&)> find = [&](const plan_ptr& n) -> plan_ptr {
      if (n->kind == node_kind::over_aggregate)
        return n;
      for (const plan_ptr& i : n->inputs)
        if (auto f = find(i))
          return f;
      return nullptr;
    };
    plan = find(r.plan.roots.at(0));
  }
  BOOST_REQUIRE(plan);
  const row_layout in = layout_of(*plan->inputs.at(0)), out = layout_of(*plan);
  testing::operator_harness<row, row> h(
      [&](stream<row> s) { return sql::detail::make_over_aggregate(s, in, *plan, "over"); });
  auto input = [&](int id, std::int64_t ts) {
    row r(in.slots());
    r.set_long(in.first[0], id);    // id
    r.set_string(in.first[1], "a"); // k
    r.set_long(in.first[3], ts);    // ms
    r.set_long(in.first[4], ts);    // ts, the rowtime
    return r;
  };
  auto counts = [&] {
    std::vector<std::string> got;
    for (auto& [r, ts] : h.extract_output())
      got.push_back(std::to_string(r.get_long(out.first[0])) + ":" +
                    std::to_string(r.get_long(out.first[out.columns.size() - 1])));
    return got;
  };
  h.process_element(input(1, 10'000));
  BOOST_TEST(counts().empty()); // waits for the watermark
  h.process_watermark(20'000);
  BOOST_TEST(counts() == (std::vector<std::string>{"1:1"}));
  h.process_element(input(2, 15'000)); // behind the watermark
  h.process_element(input(3, 25'000));
  h.process_watermark(30'000);
  BOOST_TEST(counts() == (std::vector<std::string>{"3:2"}));
  BOOST_TEST(h.counter("numLateRecordsDropped") == 1);
}
