#define BOOST_TEST_MODULE sqlrt_ttl
#include <boost/test/unit_test.hpp>

// table.exec.state.ttl on the SQL operators, driven through the operator harness with a
// processing-time clock moved by hand: a GroupAggregate's key, a regular Join's rows, a Top-N
// partition and a deduplicated key are dropped once idle for the TTL (the next row starts the
// key anew, without a retraction, as in Flink), and kept without a TTL. The operators are the
// runtime's own (translate.hpp), planned from SQL text by the analyzer.

#include <functional>
#include <string>
#include <vector>

#include "spate/api/testing.hpp"
#include "spate/sql/session.hpp"
#include "spate/sqlrt/planner.hpp"
#include "spate/sqlrt/table_environment.hpp"
#include "translate.hpp"

using namespace spate;
using namespace spate::sql;

namespace {

//! The first node of `kind` in the plan of `query` over t(k STRING, v BIGINT) and
//! u(k STRING, w BIGINT).
plan_ptr plan_of(const std::string& query, node_kind kind) {
  static sql_session s = [] {
    sql_session session;
    session.execute_sql("CREATE TABLE t (k STRING, v BIGINT, p AS PROCTIME()) WITH ('connector' "
                        "= 'datagen')");
    session.execute_sql("CREATE TABLE u (k STRING, w BIGINT) WITH ('connector' = 'datagen')");
    return session;
  }();
  sql_result r = s.execute_sql(query);
  BOOST_REQUIRE(!r.plan.roots.empty());
  std::function<plan_ptr(const plan_ptr&)> find = [&](const plan_ptr& n) -> plan_ptr {
    if (n->kind == kind)
      return n;
    for (const plan_ptr& i : n->inputs)
      if (auto f = find(i))
        return f;
    return nullptr;
  };
  plan_ptr n = find(r.plan.roots[0]);
  BOOST_REQUIRE_MESSAGE(n, "no such node in the plan of " << query);
  return n;
}

//! A row of the node's input: the key string, then the integer.
row input_row(const row_layout& layout, const std::string& k, std::int64_t v) {
  row r(layout.slots());
  r.set_string(layout.first[0], k);
  r.set_long(layout.first[1], v);
  return r;
}

//! The rows emitted since the last call, as changelog lines.
template <class H>
std::vector<std::string> emitted(H& h, const row_layout& out) {
  std::vector<std::string> lines;
  for (auto& [r, ts] : h.extract_output()) {
    std::string line = short_string(r.kind());
    line += "[";
    for (std::size_t c = 0; c < out.columns.size(); ++c) {
      if (c)
        line += ", ";
      append_value(line, r, c, out);
    }
    lines.push_back(line + "]");
  }
  return lines;
}

using lines = std::vector<std::string>;

testing::harness_options with_ttl(const std::string& ttl) {
  testing::harness_options o;
  if (!ttl.empty())
    o.config.set("table.exec.state.ttl", ttl);
  return o;
}

} // namespace

BOOST_AUTO_TEST_CASE(group_aggregate_forgets_a_key_idle_for_the_ttl) {
  for (bool mini_batch : {false, true}) {
    plan_ptr agg =
        plan_of("SELECT k, COUNT(*), SUM(v) FROM t GROUP BY k", node_kind::group_aggregate);
    const row_layout in = layout_of(*agg->inputs.at(0)), out = layout_of(*agg);
    testing::operator_harness<row, row> h(
        [&](stream<row> s) {
          return sql::detail::make_group_aggregate(s, in, *agg, "agg", mini_batch);
        },
        with_ttl("10 s"));
    h.set_processing_time(1'000);
    h.process_element(input_row(in, "a", 1));
    h.process_element(input_row(in, "b", 5));
    BOOST_TEST(emitted(h, out) == (lines{"+I[a, 1, 1]", "+I[b, 1, 5]"}));
    h.set_processing_time(6'000); // a written again: its TTL starts anew
    h.process_element(input_row(in, "a", 2));
    BOOST_TEST(emitted(h, out) == (lines{"-U[a, 1, 1]", "+U[a, 2, 3]"}));
    h.set_processing_time(12'000); // b idle for 11 s: gone; a idle for 6 s: kept
    h.process_element(input_row(in, "a", 4));
    h.process_element(input_row(in, "b", 7));
    BOOST_TEST(emitted(h, out) == (lines{"-U[a, 2, 3]", "+U[a, 3, 7]", "+I[b, 1, 7]"}),
               "mini-batch " << mini_batch);
    h.set_processing_time(40'000); // both idle: their state and timers are gone
    BOOST_TEST(h.processing_time_timers() == 0u);
    h.process_element(input_row(in, "a", 1));
    BOOST_TEST(emitted(h, out) == (lines{"+I[a, 1, 1]"}));
  }
}

BOOST_AUTO_TEST_CASE(without_a_ttl_state_is_kept) {
  plan_ptr agg =
      plan_of("SELECT k, COUNT(*), SUM(v) FROM t GROUP BY k", node_kind::group_aggregate);
  const row_layout in = layout_of(*agg->inputs.at(0)), out = layout_of(*agg);
  testing::operator_harness<row, row> h(
      [&](stream<row> s) { return sql::detail::make_group_aggregate(s, in, *agg, "agg", false); },
      with_ttl(""));
  h.set_processing_time(1'000);
  h.process_element(input_row(in, "a", 1));
  h.set_processing_time(1'000'000);
  h.process_element(input_row(in, "a", 2));
  BOOST_TEST(emitted(h, out) == (lines{"+I[a, 1, 1]", "-U[a, 1, 1]", "+U[a, 2, 3]"}));
  BOOST_TEST(h.processing_time_timers() == 0u);
}

BOOST_AUTO_TEST_CASE(a_regular_join_drops_rows_older_than_the_ttl) {
  plan_ptr join = plan_of("SELECT t.k, v, w FROM t JOIN u ON t.k = u.k", node_kind::join);
  const row_layout left = layout_of(*join->inputs.at(0)), right = layout_of(*join->inputs.at(1));
  const row_layout out = layout_of(*join); // t's k, v, p (unset here), then u's k, w
  testing::operator_harness<row, row> h(
      testing::two_inputs,
      [&](stream<row> l, stream<row> r) {
        return sql::detail::make_join(l, left, r, right, *join, "join");
      },
      with_ttl("10 s"));
  h.set_processing_time(1'000);
  h.process_element(input_row(left, "a", 1), no_timestamp, 0);
  h.set_processing_time(5'000);
  h.process_element(input_row(left, "a", 2), no_timestamp, 0);
  h.process_element(input_row(right, "a", 100), no_timestamp, 1);
  BOOST_TEST(emitted(h, out) == (lines{"+I[a, 1, NULL, a, 100]", "+I[a, 2, NULL, a, 100]"}));
  // At 12 s the left row of 1 s is gone, the one of 5 s is not: each row has its own TTL.
  h.set_processing_time(12'000);
  h.process_element(input_row(right, "a", 200), no_timestamp, 1);
  BOOST_TEST(emitted(h, out) == (lines{"+I[a, 2, NULL, a, 200]"}));
  // At 30 s every row is gone, on both sides.
  h.set_processing_time(30'000);
  h.process_element(input_row(left, "a", 3), no_timestamp, 0);
  BOOST_TEST(emitted(h, out).empty());
  h.process_element(input_row(right, "a", 300), no_timestamp, 1);
  BOOST_TEST(emitted(h, out) == (lines{"+I[a, 3, NULL, a, 300]"}));
}

BOOST_AUTO_TEST_CASE(top_n_and_deduplication_forget_an_idle_key) {
  {
    plan_ptr rank = plan_of("SELECT k, v FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER "
                            "BY v DESC) AS rn FROM t) WHERE rn <= 1",
                            node_kind::rank);
    const row_layout in = layout_of(*rank->inputs.at(0)), out = layout_of(*rank);
    testing::operator_harness<row, row> h(
        [&](stream<row> s) { return sql::detail::make_rank(s, in, *rank, "rank"); },
        with_ttl("10 s"));
    h.set_processing_time(1'000);
    h.process_element(input_row(in, "a", 5));
    h.set_processing_time(20'000);
    h.process_element(input_row(in, "a", 3)); // below 5, but 5 is forgotten
    auto got = emitted(h, out);
    BOOST_REQUIRE(got.size() == 2u);
    BOOST_TEST(got[0].rfind("+I[a, 5", 0) == 0, got[0]);
    BOOST_TEST(got[1].rfind("+I[a, 3", 0) == 0, got[1]);
  }
  {
    plan_ptr dedup = plan_of("SELECT k, v FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER "
                             "BY p ASC) AS rn FROM t) WHERE rn = 1",
                             node_kind::deduplicate);
    const row_layout in = layout_of(*dedup->inputs.at(0)), out = layout_of(*dedup);
    testing::operator_harness<row, row> h(
        [&](stream<row> s) { return sql::detail::make_rank(s, in, *dedup, "dedup"); },
        with_ttl("10 s"));
    h.set_processing_time(1'000);
    h.process_element(input_row(in, "a", 1));
    h.set_processing_time(5'000); // not a write: keep-first's state stays as written at 1 s
    h.process_element(input_row(in, "a", 2));
    h.set_processing_time(12'000);
    h.process_element(input_row(in, "a", 3));
    auto got = emitted(h, out);
    BOOST_REQUIRE(got.size() == 2u);
    BOOST_TEST(got[0].rfind("+I[a, 1", 0) == 0, got[0]);
    BOOST_TEST(got[1].rfind("+I[a, 3", 0) == 0, got[1]);
  }
}

BOOST_AUTO_TEST_CASE(a_wrong_ttl_is_refused_naming_it) {
  plan_ptr agg = plan_of("SELECT k, COUNT(*) FROM t GROUP BY k", node_kind::group_aggregate);
  const row_layout in = layout_of(*agg->inputs.at(0));
  try {
    testing::operator_harness<row, row> h(
        [&](stream<row> s) { return sql::detail::make_group_aggregate(s, in, *agg, "agg", false); },
        with_ttl("soon"));
    BOOST_ERROR("a TTL of 'soon' was taken");
  } catch (const spate::error& e) {
    BOOST_TEST(std::string(e.what()).find("table.exec.state.ttl") != std::string::npos, e.what());
  }
}
