#define BOOST_TEST_MODULE sqlrt_rank
#include <boost/test/unit_test.hpp>

// Top-N (ROW_NUMBER() ... WHERE rn <= N) and deduplication through SQL, each against an
// independent reference on the same generated Nexmark events:
// - q18 (the published SQL, last bid per bidder and auction) against nexmark::q18 and against
//   the last bid per pair computed here, on out-of-order events;
// - q19 (the published SQL, top 10 bids per auction) against nexmark::q19 and against the top
//   10 per auction computed here;
// - Top-N without the rank number in the output (as the analyzer plans it today, the number
//   projected away above the Rank, and as a Rank that does not output it: +I and -D only);
// - keep-first deduplication on a rowtime (insert-only, on the watermark; and, with an
//   updating plan, Flink 1.x's -U/+U when an earlier row arrives);
// - a Top-N job stopped with a savepoint at parallelism 2 and restored at parallelism 1 gives
//   the result of an uninterrupted run;
// - Top-N over an updating input (a GroupAggregate's counts), with and without the number;
// - deduplication on processing time (plans changed: PROCTIME() does not run yet).
// The changelogs are folded: a -U or -D must retract a row that is live, a +I or +U must not
// add a second live row for its key.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "spate/nexmark/queries.hpp"
#include "spate/sql/plan.hpp"
#include "spate/sqlrt/planner.hpp"
#include "spate/sqlrt/table_environment.hpp"
#include "support/collect.hpp"
#include "support/sql_nexmark.hpp"

using namespace spate;
using namespace spate::sql;
using namespace std::chrono_literals;

namespace {

constexpr std::int64_t events_num = test::sql_nexmark_events;
constexpr int rate = test::sql_nexmark_rate; // events per second of event time

using test::nexmark_ddl;
const char* const bid_view = test::nexmark_bid_view;

// The published Nexmark SQL (test/sql/nexmark/q18.sql, q19.sql), without the INSERT INTO.
const char* q18_sql = R"(
SELECT auction, bidder, price, channel, url, dateTime, extra
 FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY bidder, auction ORDER BY dateTime DESC) AS rank_number
       FROM bid)
 WHERE rank_number <= 1)";

const char* q19_sql = R"(
SELECT * FROM
(SELECT *, ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC) AS rank_number FROM bid)
WHERE rank_number <= 10)";

//! Events in groups of 500 (0.5 s) with shuffled times: rows of a key arrive out of time order.
constexpr std::int64_t out_of_order = 500;

nexmark::generator_config generator(std::int64_t group = 1) {
  nexmark::generator_config c;
  c.events_per_second = rate;
  c.out_of_order_group_size = group;
  return c;
}

struct sql_env {
  test::temp_dir dir;
  table_environment t;
  explicit sql_env(int parallelism, const std::string& extra = "")
      : t(test::test_config(dir.str(), parallelism)) {
    t.execute_sql(nexmark_ddl(extra));
    t.execute_sql(bid_view);
  }
  struct result {
    std::vector<row> rows;
    row_layout layout;
  };
  result query(const std::string& sql) {
    table_result r = t.execute_sql(sql);
    r.wait();
    return {r.rows_so_far(), r.query->layout};
  }
  //! The plan of a query, to change before running it with run().
  logical_plan plan(const std::string& sql) {
    sql_result r = t.session().execute_sql(sql);
    BOOST_REQUIRE(r.type == sql_result::kind::plan);
    return r.plan;
  }
  result run(const logical_plan& plan, int parallelism) {
    test::temp_dir state;
    environment env(test::test_config(state.str(), parallelism));
    auto rows = std::make_shared<test::collected<row>>();
    result out;
    translate(env, plan, [&out, rows](const query_output& q) {
      out.layout = q.layout;
      sink_spec<row> spec = test::collect_into(rows);
      spec.single_instance = true;
      return spec;
    });
    auto r = env.execute("plan");
    BOOST_REQUIRE(r.status == job_status::finished);
    out.rows = rows->snapshot();
    return out;
  }
};

//! The first node of `kind` under `n`.
plan_node* find_node(plan_node& n, node_kind kind) {
  if (n.kind == kind)
    return &n;
  for (const plan_ptr& i : n.inputs)
    if (plan_node* f = find_node(*i, kind))
      return f;
  return nullptr;
}

//! The bids of the events, in the order the generator emits them (one subtask), optionally
//! through `build`.
template <class Out>
std::vector<Out> datastream(std::function<stream<Out>(stream<nexmark::bid>&)> build,
                            std::int64_t group = 1) {
  test::temp_dir dir;
  environment env(test::test_config(dir.str(), 1));
  auto bids = nexmark::split(nexmark::events(env, generator(group), events_num)).bids;
  auto out = std::make_shared<test::collected<Out>>();
  build(bids).add_sink(test::collect_into(out));
  auto r = env.execute("reference");
  BOOST_REQUIRE(r.status == job_status::finished);
  return out->snapshot();
}

std::vector<nexmark::bid> all_bids(std::int64_t group = 1) {
  return datastream<nexmark::bid>([](stream<nexmark::bid>& b) { return b; }, group);
}

using bid_tuple = std::tuple<std::int64_t, std::int64_t, std::int64_t, std::string, std::string,
                             std::int64_t, std::string>;

bid_tuple tuple_of(const nexmark::bid& b) {
  return {b.auction, b.bidder, b.price, b.channel, b.url, b.date_time, b.extra};
}

//! Columns auction, bidder, price, channel, url, dateTime, extra (the bid view's order).
bid_tuple tuple_of(const row& r, const row_layout& l) {
  return {r.get_long(l.first[0]),
          r.get_long(l.first[1]),
          r.get_long(l.first[2]),
          std::string(r.get_string(l.first[3])),
          std::string(r.get_string(l.first[4])),
          r.get_long(l.first[5]),
          std::string(r.get_string(l.first[6]))};
}

template <class T>
std::vector<T> sorted(std::vector<T> v) {
  std::sort(v.begin(), v.end());
  return v;
}

//! Folds a changelog keyed by `keys` (column indexes): -U and -D must retract the row the key
//! shows, +I and +U must not add a second live row. Returns the live rows (as +I) by key.
std::map<std::string, row> fold(const std::vector<row>& rows, const row_layout& layout,
                                const std::vector<std::size_t>& keys) {
  std::map<std::string, row> live;
  for (const row& r : rows) {
    std::string key;
    for (std::size_t c : keys) {
      append_value(key, r, layout.first[c], layout);
      key += '|';
    }
    row ins = r;
    ins.set_kind(row_kind::insert);
    switch (r.kind()) {
      case row_kind::insert:
      case row_kind::update_after:
        BOOST_TEST(live.count(key) == 0u, "a second live row for " << key);
        live[key] = std::move(ins);
        break;
      case row_kind::update_before:
      case row_kind::delete_: {
        auto it = live.find(key);
        BOOST_TEST((it != live.end() && equal_values(it->second, ins, layout)),
                   short_string(r.kind())
                       << " " << to_print_string(ins, layout) << " does not retract the live row");
        if (it != live.end())
          live.erase(it);
        break;
      }
    }
  }
  return live;
}

//! Folds a changelog of rows without a key of their own: a multiset per row text.
std::map<std::string, int> fold_multiset(const std::vector<row>& rows, const row_layout& layout) {
  std::map<std::string, int> live;
  for (const row& r : rows) {
    row ins = r;
    ins.set_kind(row_kind::insert);
    const std::string text = to_print_string(ins, layout);
    if (r.kind() == row_kind::insert || r.kind() == row_kind::update_after) {
      ++live[text];
    } else {
      BOOST_TEST(live[text] > 0, short_string(r.kind()) << " " << text << " is not live");
      if (--live[text] <= 0)
        live.erase(text);
    }
  }
  return live;
}

//! The best `n` bids per auction by price, ties in arrival order: auction -> bids by rank.
std::map<std::int64_t, std::vector<nexmark::bid>>
top_by_price(const std::vector<nexmark::bid>& bids, std::size_t n) {
  std::map<std::int64_t, std::vector<nexmark::bid>> by_auction;
  for (const auto& b : bids)
    by_auction[b.auction].push_back(b);
  for (auto& [a, v] : by_auction) {
    std::stable_sort(v.begin(), v.end(), [](const nexmark::bid& x, const nexmark::bid& y) {
      return x.price > y.price;
    });
    if (v.size() > n)
      v.resize(n);
  }
  return by_auction;
}

//! The text a bid has as a row of the bid view (and rank number, if any) in the print format.
std::string bid_text(const nexmark::bid& b, const row_layout& layout, std::int64_t rn = 0) {
  row r(layout.slots());
  r.set_long(layout.first[0], b.auction);
  r.set_long(layout.first[1], b.bidder);
  r.set_long(layout.first[2], b.price);
  r.set_string(layout.first[3], b.channel);
  r.set_string(layout.first[4], b.url);
  r.set_long(layout.first[5], b.date_time);
  r.set_string(layout.first[6], b.extra);
  if (rn > 0)
    r.set_long(layout.first[7], rn);
  return to_print_string(r, layout);
}

std::size_t count_kind(const std::vector<row>& rows, row_kind k) {
  return static_cast<std::size_t>(
      std::count_if(rows.begin(), rows.end(), [k](const row& r) { return r.kind() == k; }));
}

} // namespace

// q18: Deduplicate, keep the last row per (bidder, auction) on the rowtime. The events come in
// shuffled groups, so some bids are older than the one kept for their pair and are ignored.
// nexmark::q18 emits every bid that is, on arrival, the latest of its pair (ties: the newer
// arrival); SQL emits +I for a pair's first bid and -U of the kept one, +U of the new one
// after: the +I and +U rows are exactly q18's bids, in the same order per pair.
BOOST_AUTO_TEST_CASE(nexmark_q18_last_bid) {
  sql_env s(1, "'out-of-order-group-size' = '500', ");
  auto r = s.query(q18_sql);
  auto ref = datastream<nexmark::bid>([](stream<nexmark::bid>& b) { return nexmark::q18(b); },
                                      out_of_order);
  auto bids = all_bids(out_of_order);
  BOOST_TEST_MESSAGE(bids.size() << " bids, " << ref.size() << " kept on arrival, " << r.rows.size()
                                 << " SQL rows");
  BOOST_REQUIRE(!ref.empty());
  BOOST_TEST(ref.size() < bids.size()); // some arrived older than their pair's kept bid

  // The +I/+U rows per pair, in order, equal nexmark::q18's bids per pair.
  std::map<std::pair<std::int64_t, std::int64_t>, std::vector<bid_tuple>> got, want;
  for (const row& x : r.rows) {
    if (x.kind() == row_kind::insert || x.kind() == row_kind::update_after) {
      bid_tuple t = tuple_of(x, r.layout);
      got[{std::get<1>(t), std::get<0>(t)}].push_back(t);
    }
  }
  for (const auto& b : ref)
    want[{b.bidder, b.auction}].push_back(tuple_of(b));
  BOOST_TEST(got.size() == want.size());
  BOOST_TEST((got == want));
  BOOST_TEST(count_kind(r.rows, row_kind::insert) == want.size()); // one +I per pair
  BOOST_TEST(count_kind(r.rows, row_kind::update_before) ==
             count_kind(r.rows, row_kind::update_after));
  BOOST_TEST(count_kind(r.rows, row_kind::delete_) == 0u);

  // Folded by (bidder, auction): the last bid of each pair by time (ties: the later one).
  auto live = fold(r.rows, r.layout, {1, 0});
  std::map<std::pair<std::int64_t, std::int64_t>, nexmark::bid> last;
  for (const auto& b : bids) {
    auto it = last.find({b.bidder, b.auction});
    if (it == last.end() || b.date_time >= it->second.date_time)
      last[{b.bidder, b.auction}] = b;
  }
  BOOST_REQUIRE_EQUAL(live.size(), last.size());
  std::vector<bid_tuple> folded, expected;
  for (const auto& kv : live)
    folded.push_back(tuple_of(kv.second, r.layout));
  for (const auto& kv : last)
    expected.push_back(tuple_of(kv.second));
  BOOST_TEST((sorted(folded) == sorted(expected)));
}

// q19: Top-10 by price per auction with the rank number. nexmark::q19 emits (bid, rank) when a
// bid enters its auction's top 10. In SQL each such bid gives one group of rows for its
// auction: +I(bid, rank) when it goes to the end of a top not yet full; else -U/+U for every
// rank from its own down to the end of the top (+U(bid, rank) first, then each row there
// moved down one), and +I of the last one at the new last rank while the top is not full. A
// group thus ends with its +I, or with the +U at rank 10 once the top is full, and its first
// +I/+U row is the entering bid with q19's rank.
BOOST_AUTO_TEST_CASE(nexmark_q19_top_10_by_price) {
  sql_env s(1);
  auto r = s.query(q19_sql);
  auto ref =
      datastream<nexmark::q19_result>([](stream<nexmark::bid>& b) { return nexmark::q19(b); });
  auto bids = all_bids();
  BOOST_REQUIRE(!ref.empty());
  BOOST_REQUIRE_EQUAL(r.layout.columns.size(), 8u);
  const std::size_t rn_slot = r.layout.first[7];

  using entry = std::tuple<bid_tuple, std::int64_t>;
  std::vector<entry> got, want;
  std::map<std::int64_t, bool> in_group, taken;
  for (const row& x : r.rows) {
    const std::int64_t auction = x.get_long(r.layout.first[0]);
    const std::int64_t rn = x.get_long(rn_slot);
    if (!in_group[auction]) {
      in_group[auction] = true;
      taken[auction] = false;
    }
    const bool after = x.kind() == row_kind::insert || x.kind() == row_kind::update_after;
    if (after && !taken[auction]) {
      got.emplace_back(tuple_of(x, r.layout), rn);
      taken[auction] = true;
    }
    if (x.kind() == row_kind::insert || (x.kind() == row_kind::update_after && rn == 10))
      in_group[auction] = false;
    BOOST_TEST((rn >= 1 && rn <= 10));
  }
  for (const auto& q : ref)
    want.emplace_back(tuple_of(q.entry), q.rank_number);
  BOOST_TEST(got.size() == want.size());
  BOOST_TEST((sorted(got) == sorted(want)));
  BOOST_TEST(count_kind(r.rows, row_kind::delete_) == 0u);

  // Folded by (auction, rank_number): the final top 10 of each auction.
  auto live = fold(r.rows, r.layout, {0, 7});
  auto top = top_by_price(bids, 10);
  std::set<std::string> folded, expected;
  for (const auto& kv : live)
    folded.insert(to_print_string(kv.second, r.layout));
  for (const auto& [a, v] : top)
    for (std::size_t i = 0; i < v.size(); ++i)
      expected.insert(bid_text(v[i], r.layout, static_cast<std::int64_t>(i) + 1));
  BOOST_TEST(live.size() == expected.size());
  BOOST_TEST((folded == expected));
}

// Top-3 per auction whose rank number is not selected. As the analyzer plans it today, the
// Rank outputs the number and a Calc above drops it: shifted rows come as -U/+U pairs. As
// Flink plans it (outputRankNumber=false), the Rank emits -D of the row leaving the top and +I
// of the one entering. Both fold to the best 3 bids of each auction.
BOOST_AUTO_TEST_CASE(top_n_without_the_rank_number) {
  const std::string sql =
      "SELECT auction, bidder, price, channel, url, dateTime, extra FROM (SELECT *, "
      "ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC) AS rn FROM bid) "
      "WHERE rn <= 3";
  sql_env s(1);
  auto bids = all_bids();
  auto top = top_by_price(bids, 3);
  auto expected_for = [&top](const row_layout& layout) {
    std::map<std::string, int> out;
    for (const auto& [a, v] : top)
      for (const auto& b : v)
        ++out[bid_text(b, layout)];
    return out;
  };
  // Bids that enter their auction's top 3 on arrival (a tie with the third does not).
  std::size_t entering = 0;
  {
    std::map<std::int64_t, std::vector<std::int64_t>> prices; // descending
    for (const auto& b : bids) {
      auto& p = prices[b.auction];
      if (p.size() >= 3 && b.price <= p.back())
        continue;
      ++entering;
      p.insert(std::upper_bound(p.begin(), p.end(), b.price, std::greater<>()), b.price);
      if (p.size() > 3)
        p.pop_back();
    }
  }

  {
    auto r = s.query(sql);
    BOOST_REQUIRE_EQUAL(r.layout.columns.size(), 7u);
    const auto expected = expected_for(r.layout);
    auto live = fold_multiset(r.rows, r.layout);
    BOOST_TEST((live == expected));
    BOOST_TEST(count_kind(r.rows, row_kind::insert) <= entering);
  }
  {
    logical_plan plan = s.plan(sql);
    plan_node* rank = find_node(*plan.roots.at(0), node_kind::rank);
    BOOST_REQUIRE(rank);
    if (rank->output_rank_number) { // Flink plans a Rank whose rn is not read without it
      rank->output_rank_number = false;
      rank->schema.pop_back();
    }
    auto r = s.run(plan, 1);
    const auto expected = expected_for(r.layout);
    BOOST_TEST(count_kind(r.rows, row_kind::update_before) == 0u);
    BOOST_TEST(count_kind(r.rows, row_kind::update_after) == 0u);
    BOOST_TEST(count_kind(r.rows, row_kind::insert) == entering);
    auto live = fold_multiset(r.rows, r.layout);
    std::size_t kept = 0;
    for (const auto& kv : expected)
      kept += static_cast<std::size_t>(kv.second);
    BOOST_TEST(count_kind(r.rows, row_kind::delete_) == entering - kept);
    BOOST_TEST((live == expected));
  }
}

// Keep the first bid of each auction on the rowtime. The analyzer plans it insert-only: the
// earliest bid of an auction is emitted once the watermark passes its time (Flink's
// RowTimeDeduplicateKeepFirstRowFunction), one +I per auction. With an updating plan (Flink
// 1.15-1.20's RowTimeDeduplicateFunction) an earlier bid arriving later replaces the kept one
// with -U/+U; on shuffled events that happens, and the fold is the same.
BOOST_AUTO_TEST_CASE(keep_first_deduplication) {
  const std::string sql =
      "SELECT auction, bidder, price, channel, url, dateTime, extra FROM (SELECT *, "
      "ROW_NUMBER() OVER (PARTITION BY auction ORDER BY dateTime ASC) AS rn FROM bid) "
      "WHERE rn = 1";
  auto check = [](const sql_env::result& r, const std::vector<nexmark::bid>& bids) {
    std::map<std::int64_t, nexmark::bid> first;
    for (const auto& b : bids) {
      auto it = first.find(b.auction);
      if (it == first.end() || b.date_time < it->second.date_time)
        first[b.auction] = b;
    }
    auto live = fold(r.rows, r.layout, {0});
    BOOST_REQUIRE_EQUAL(live.size(), first.size());
    std::vector<bid_tuple> folded, expected;
    for (const auto& kv : live)
      folded.push_back(tuple_of(kv.second, r.layout));
    for (const auto& kv : first)
      expected.push_back(tuple_of(kv.second));
    BOOST_TEST((sorted(folded) == sorted(expected)));
  };
  {
    sql_env s(2);
    logical_plan plan = s.plan(sql);
    plan_node* dedup = find_node(*plan.roots.at(0), node_kind::deduplicate);
    BOOST_REQUIRE(dedup);
    BOOST_REQUIRE(!dedup->keep_last);
    auto bids = all_bids();
    auto r = s.query(sql);
    if (dedup->changelog.insert_only()) // one +I per auction
      BOOST_TEST(r.rows.size() == count_kind(r.rows, row_kind::insert));
    check(r, bids);
  }
  {
    sql_env s(1, "'out-of-order-group-size' = '500', ");
    logical_plan plan = s.plan(sql);
    plan_node* dedup = find_node(*plan.roots.at(0), node_kind::deduplicate);
    BOOST_REQUIRE(dedup);
    if (dedup->changelog.insert_only()) { // an earlier bid replaces the one waiting
      auto r = s.query(sql);
      BOOST_TEST(r.rows.size() == count_kind(r.rows, row_kind::insert));
      check(r, all_bids(out_of_order));
    }
    dedup->changelog = changelog_mode::updates();
    auto r = s.run(plan, 1);
    BOOST_TEST(count_kind(r.rows, row_kind::update_after) > 0u);
    BOOST_TEST(count_kind(r.rows, row_kind::delete_) == 0u);
    check(r, all_bids(out_of_order));
  }
}

// Top-5 per auction (ties broken by time, so the result does not depend on the arrival order
// of the two source subtasks), stopped with a savepoint at parallelism 2 and restored at
// parallelism 1: the rows before and after fold to those of an uninterrupted run (and the
// restored state goes on where it stopped: no second +I for a rank).
BOOST_AUTO_TEST_CASE(top_n_job_restored_from_a_savepoint_at_another_parallelism) {
  test::temp_dir dir;
  const std::string query =
      "SELECT auction, bidder, price, dateTime, rn FROM (SELECT auction, bidder, price, "
      "dateTime, ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC, dateTime ASC) AS "
      "rn FROM bid) WHERE rn <= 5";
  auto start = [&dir](const std::string& sub, int parallelism, const std::string& extra) {
    auto t = std::make_unique<table_environment>(test::test_config(dir.str() + sub, parallelism));
    t->execute_sql(nexmark_ddl(extra));
    t->execute_sql(bid_view);
    return t;
  };
  auto text = [](const std::map<std::string, row>& live, const row_layout& layout) {
    std::set<std::string> out;
    for (const auto& kv : live)
      out.insert(to_print_string(kv.second, layout));
    return out;
  };
  // Uninterrupted.
  std::set<std::string> whole;
  row_layout layout;
  {
    auto t = start("/a", 2, "");
    auto r = t->execute_sql(query);
    r.wait();
    layout = r.query->layout;
    whole = text(fold(r.rows_so_far(), layout, {0, 4}), layout);
  }
  BOOST_REQUIRE(whole.size() > 100u);
  // Stopped with a savepoint once some rows came, then restored at parallelism 1.
  std::vector<row> parts;
  std::string savepoint;
  {
    auto t = start("/b", 2, "'rate-limited.rate' = '10000', ");
    auto r = t->execute_sql(query);
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (r.rows_so_far().size() < 50 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(20ms);
    savepoint = r.job->stop(dir.str() + "/savepoints", false);
    r.wait();
    parts = r.rows_so_far();
  }
  BOOST_TEST_MESSAGE("rows before the savepoint: " << parts.size());
  BOOST_TEST(!parts.empty());
  std::size_t before = parts.size();
  {
    auto t = start("/c", 1, "");
    t->execute_sql("SET 'execution.savepoint.path' = '" + savepoint + "'");
    auto r = t->execute_sql(query);
    r.wait();
    auto rest = r.rows_so_far();
    parts.insert(parts.end(), rest.begin(), rest.end());
  }
  BOOST_TEST(parts.size() > before);
  auto restored = text(fold(parts, layout, {0, 4}), layout);
  BOOST_TEST(restored.size() == whole.size());
  BOOST_TEST((restored == whole));

  // And both are the best 5 bids of each auction by price, then time.
  auto bids = all_bids();
  std::map<std::int64_t, std::vector<nexmark::bid>> by_auction;
  for (const auto& b : bids)
    by_auction[b.auction].push_back(b);
  std::set<std::string> expected;
  for (auto& [a, v] : by_auction) {
    std::sort(v.begin(), v.end(), [](const nexmark::bid& x, const nexmark::bid& y) {
      return x.price != y.price ? x.price > y.price : x.date_time < y.date_time;
    });
    for (std::size_t i = 0; i < v.size() && i < 5; ++i) {
      row r(layout.slots());
      r.set_long(layout.first[0], v[i].auction);
      r.set_long(layout.first[1], v[i].bidder);
      r.set_long(layout.first[2], v[i].price);
      r.set_long(layout.first[3], v[i].date_time);
      r.set_long(layout.first[4], static_cast<std::int64_t>(i) + 1);
      expected.insert(to_print_string(r, layout));
    }
  }
  BOOST_TEST((whole == expected));
}

// Top-2 bidders of each auction by their number of bids: a Top-N over a GroupAggregate's
// updates (-U of a bidder's old count, +U of the new one), Flink's RetractableTopNFunction.
// With the rank number, folded by (auction, rn); without it (as Flink plans it when rn is not
// read), folded as a multiset. Either way each auction shows its bidders with the two highest
// counts (ties between bidders with equal counts may go either way), each with its count.
BOOST_AUTO_TEST_CASE(top_n_over_an_updating_input) {
  const std::string sql =
      "SELECT * FROM (SELECT auction, bidder, cnt, ROW_NUMBER() OVER (PARTITION BY auction "
      "ORDER BY cnt DESC) AS rn FROM (SELECT auction, bidder, COUNT(*) AS cnt FROM bid GROUP BY "
      "auction, bidder)) WHERE rn <= 2";
  std::map<std::pair<std::int64_t, std::int64_t>, std::int64_t> counts;
  std::map<std::int64_t, std::vector<std::int64_t>> best; // per auction, descending
  for (const auto& b : all_bids())
    ++counts[{b.auction, b.bidder}];
  for (const auto& [k, n] : counts)
    best[k.first].push_back(n);
  for (auto& [a, v] : best) {
    std::sort(v.begin(), v.end(), std::greater<>());
    if (v.size() > 2)
      v.resize(2);
  }
  // auction -> (bidder, count) live rows: each count right, the counts the best two.
  auto check =
      [&](const std::map<std::int64_t, std::vector<std::pair<std::int64_t, std::int64_t>>>& live) {
        BOOST_TEST(live.size() == best.size());
        for (const auto& [a, rows] : live) {
          std::vector<std::int64_t> got;
          std::set<std::int64_t> bidders;
          for (const auto& [bidder, n] : rows) {
            BOOST_TEST((n == counts[{a, bidder}]), "auction " << a << " bidder " << bidder);
            bidders.insert(bidder);
            got.push_back(n);
          }
          BOOST_TEST(bidders.size() == rows.size());
          std::sort(got.begin(), got.end(), std::greater<>());
          BOOST_TEST((got == best[a]), "auction " << a);
        }
      };
  sql_env s(2);
  {
    auto r = s.query(sql);
    BOOST_REQUIRE_EQUAL(r.layout.columns.size(), 4u);
    BOOST_TEST(count_kind(r.rows, row_kind::update_before) > 0u);
    auto live = fold(r.rows, r.layout, {0, 3});
    std::map<std::int64_t, std::vector<std::pair<std::int64_t, std::int64_t>>> by_auction;
    std::map<std::int64_t, std::int64_t> rank1;
    for (const auto& [k, x] : live) {
      const std::int64_t a = x.get_long(r.layout.first[0]);
      const std::int64_t rn = x.get_long(r.layout.first[3]);
      by_auction[a].emplace_back(x.get_long(r.layout.first[1]), x.get_long(r.layout.first[2]));
      BOOST_TEST((rn == 1 || rn == 2));
      if (rn == 1)
        rank1[a] = x.get_long(r.layout.first[2]);
    }
    check(by_auction);
    for (const auto& [k, x] : live) // rank 2 never counts more than rank 1
      if (x.get_long(r.layout.first[3]) == 2)
        BOOST_TEST(x.get_long(r.layout.first[2]) <= rank1[x.get_long(r.layout.first[0])]);
  }
  {
    logical_plan plan = s.plan(sql);
    plan_node* rank = find_node(*plan.roots.at(0), node_kind::rank);
    BOOST_REQUIRE(rank);
    rank->output_rank_number = false;
    rank->schema.pop_back();
    auto r = s.run(plan, 2);
    BOOST_REQUIRE_EQUAL(r.layout.columns.size(), 3u);
    BOOST_TEST(count_kind(r.rows, row_kind::update_before) == 0u);
    BOOST_TEST(count_kind(r.rows, row_kind::update_after) == 0u);
    BOOST_TEST(count_kind(r.rows, row_kind::delete_) > 0u);
    auto live = fold_multiset(r.rows, r.layout);
    std::map<std::int64_t, std::vector<std::pair<std::int64_t, std::int64_t>>> by_auction;
    for (const auto& [text, n] : live) {
      BOOST_TEST(n == 1, text);
      // +I[auction, bidder, cnt]
      std::int64_t a = 0, bidder = 0, cnt = 0;
      BOOST_REQUIRE(std::sscanf(text.c_str(), "+I[%ld, %ld, %ld]", &a, &bidder, &cnt) == 3);
      by_auction[a].emplace_back(bidder, cnt);
    }
    check(by_auction);
  }
}

// Deduplication on processing time. PROCTIME() columns do not run yet, so the plans of the
// rowtime queries are changed to order on processing time: keep first gives each auction's
// first bid to arrive (one +I), keep last its last one (+I, then -U/+U per later bid); at
// parallelism 1 the arrival order is the generator's.
BOOST_AUTO_TEST_CASE(processing_time_deduplication) {
  sql_env s(1);
  auto bids = all_bids();
  std::map<std::int64_t, nexmark::bid> first, last;
  std::map<std::int64_t, std::size_t> per_auction;
  for (const auto& b : bids) {
    first.emplace(b.auction, b);
    last[b.auction] = b;
    ++per_auction[b.auction];
  }
  auto run = [&s](const std::string& direction) {
    logical_plan plan =
        s.plan("SELECT auction, bidder, price, channel, url, dateTime, extra FROM (SELECT *, "
               "ROW_NUMBER() OVER (PARTITION BY auction ORDER BY dateTime " +
               direction + ") AS rn FROM bid) WHERE rn = 1");
    plan_node* dedup = find_node(*plan.roots.at(0), node_kind::deduplicate);
    BOOST_REQUIRE(dedup);
    dedup->order_time = time_attribute::proctime;
    return s.run(plan, 1);
  };
  auto folded = [](const sql_env::result& r) {
    std::map<std::int64_t, bid_tuple> out;
    for (const auto& kv : fold(r.rows, r.layout, {0}))
      out[kv.second.get_long(r.layout.first[0])] = tuple_of(kv.second, r.layout);
    return out;
  };
  auto want = [](const std::map<std::int64_t, nexmark::bid>& m) {
    std::map<std::int64_t, bid_tuple> out;
    for (const auto& [a, b] : m)
      out[a] = tuple_of(b);
    return out;
  };
  {
    auto r = run("ASC");
    BOOST_TEST(r.rows.size() == first.size());
    BOOST_TEST(count_kind(r.rows, row_kind::insert) == first.size());
    BOOST_TEST((folded(r) == want(first)));
  }
  {
    auto r = run("DESC");
    std::size_t updates = 0;
    for (const auto& [a, n] : per_auction)
      updates += n - 1; // no two bids of an auction are equal
    BOOST_TEST(count_kind(r.rows, row_kind::insert) == last.size());
    BOOST_TEST(count_kind(r.rows, row_kind::update_after) == updates);
    BOOST_TEST(count_kind(r.rows, row_kind::update_before) == updates);
    BOOST_TEST((folded(r) == want(last)));
  }
}
