#define BOOST_TEST_MODULE sqlrt_jobs
#include <boost/test/unit_test.hpp>

// SQL statements run end to end by table_environment: Nexmark q0, q1, q2 and window counts
// (TUMBLE, and HOP as q5's inner part) through SQL give the same rows as the DataStream
// versions on the same generated events (compared sorted); group aggregates as a changelog
// (the folded changelog equals a reference, q15's counts); datagen into print-style rows and
// into the filesystem sink as JSON lines; refusals of what does not run yet; a window job
// stopped with a savepoint and restored gives the rows of an uninterrupted run.

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "spate/nexmark/queries.hpp"
#include "spate/sqlrt/table_environment.hpp"
#include "support/collect.hpp"
#include "support/sql_nexmark.hpp"

using namespace spate;
using namespace spate::sql;
using namespace std::chrono_literals;

namespace {

constexpr std::int64_t events_num = test::sql_nexmark_events;
constexpr int rate = test::sql_nexmark_rate; // events per second of event time

const std::string nexmark_ddl = test::nexmark_ddl();
const char* const bid_view = test::nexmark_bid_view;

struct sql_fixture {
  test::temp_dir dir;
  table_environment t{test::test_config(dir.str(), 2)};
  sql_fixture() {
    t.execute_sql(nexmark_ddl);
    t.execute_sql(bid_view);
  }
  std::vector<row> query(const std::string& sql) {
    table_result r = t.execute_sql(sql);
    r.wait();
    return r.rows_so_far();
  }
};

nexmark::generator_config generator() {
  nexmark::generator_config c;
  c.events_per_second = rate;
  return c;
}

//! The DataStream side: the bids of the same events, through `build`, collected.
template <class Out, class Build>
std::vector<Out> datastream(Build build) {
  test::temp_dir dir;
  environment env(test::test_config(dir.str(), 2));
  auto bids = nexmark::split(nexmark::events(env, generator(), events_num)).bids;
  auto out = std::make_shared<test::collected<Out>>();
  build(bids).add_sink(test::collect_into(out));
  auto r = env.execute("reference");
  BOOST_REQUIRE(r.status == job_status::finished);
  return out->snapshot();
}

struct count_bids {
  using accumulator_type = std::int64_t;
  using result_type = std::int64_t;
  std::int64_t create_accumulator() const { return 0; }
  std::int64_t add(const nexmark::bid&, std::int64_t a) const { return a + 1; }
  std::int64_t get_result(std::int64_t a) const { return a; }
  std::int64_t merge(std::int64_t a, std::int64_t b) const { return a + b; }
};

using window_count = std::tuple<std::int64_t, std::int64_t, std::int64_t, std::int64_t>;

std::vector<window_count> datastream_window_counts(window_assigner w) {
  return datastream<window_count>([w](stream<nexmark::bid>& bids) {
    return bids.key_by([](const nexmark::bid& b) { return b.auction; })
        .window(w)
        .aggregate(count_bids{},
                   [](const std::int64_t& auction, const time_window& win,
                      const std::vector<std::int64_t>& counts, collector<window_count>& out) {
                     out.collect({auction, counts[0], win.start, win.end});
                   });
  });
}

std::vector<window_count> sql_window_counts(const std::vector<row>& rows) {
  std::vector<window_count> out;
  for (const row& r : rows)
    out.emplace_back(r.get_long(0), r.get_long(1), r.get_long(2), r.get_long(3));
  return out;
}

template <class T>
std::vector<T> sorted(std::vector<T> v) {
  std::sort(v.begin(), v.end());
  return v;
}

} // namespace

BOOST_FIXTURE_TEST_CASE(nexmark_q0_passes_bids_through, sql_fixture) {
  auto rows = query("SELECT auction, bidder, price, dateTime, extra FROM bid");
  auto ref = datastream<nexmark::bid>([](stream<nexmark::bid>& bids) { return bids; });
  using tup = std::tuple<std::int64_t, std::int64_t, std::int64_t, std::int64_t, std::string>;
  std::vector<tup> got, want;
  for (const row& r : rows)
    got.emplace_back(r.get_long(0), r.get_long(1), r.get_long(2), r.get_long(3),
                     std::string(r.get_string(4)));
  for (const auto& b : ref)
    want.emplace_back(b.auction, b.bidder, b.price, b.date_time, b.extra);
  BOOST_TEST(!want.empty());
  BOOST_TEST((sorted(got) == sorted(want)));
}

BOOST_FIXTURE_TEST_CASE(nexmark_q1_converts_currency, sql_fixture) {
  auto rows = query("SELECT auction, bidder, 0.908 * price AS price, dateTime, extra FROM bid");
  auto ref =
      datastream<nexmark::q1_result>([](stream<nexmark::bid>& bids) { return nexmark::q1(bids); });
  // SQL keeps DECIMAL(23, 3) (unscaled, 3 digits); the DataStream query a double.
  using tup = std::tuple<std::int64_t, std::int64_t, std::int64_t, std::int64_t>;
  std::vector<tup> got, want;
  for (const row& r : rows)
    got.emplace_back(r.get_long(0), r.get_long(1), r.get_long(2), r.get_long(3));
  for (const auto& q : ref)
    want.emplace_back(q.auction, q.bidder, std::llround(q.price * 1000), q.date_time);
  BOOST_TEST(!want.empty());
  BOOST_TEST((sorted(got) == sorted(want)));
}

BOOST_FIXTURE_TEST_CASE(nexmark_q2_selects, sql_fixture) {
  auto rows = query("SELECT auction, price FROM bid WHERE MOD(auction, 123) = 0");
  auto ref =
      datastream<nexmark::q2_result>([](stream<nexmark::bid>& bids) { return nexmark::q2(bids); });
  std::vector<std::pair<std::int64_t, std::int64_t>> got, want;
  for (const row& r : rows)
    got.emplace_back(r.get_long(0), r.get_long(1));
  for (const auto& q : ref)
    want.emplace_back(q.auction, q.price);
  BOOST_TEST(!want.empty());
  BOOST_TEST((sorted(got) == sorted(want)));
}

BOOST_FIXTURE_TEST_CASE(tumble_window_count, sql_fixture) {
  auto rows = query("SELECT auction, COUNT(*) AS num, window_start, window_end FROM TABLE("
                    "TUMBLE(TABLE bid, DESCRIPTOR(dateTime), INTERVAL '10' SECOND)) "
                    "GROUP BY auction, window_start, window_end");
  auto want = datastream_window_counts(tumbling_event_time_windows::of(10s));
  BOOST_TEST(want.size() > 10u);
  BOOST_TEST((sorted(sql_window_counts(rows)) == sorted(want)));
}

BOOST_FIXTURE_TEST_CASE(hop_window_count_q5_inner, sql_fixture) {
  auto rows = query("SELECT auction, count(*) AS num, window_start AS starttime, window_end AS "
                    "endtime FROM TABLE(HOP(TABLE bid, DESCRIPTOR(dateTime), INTERVAL '2' SECOND, "
                    "INTERVAL '10' SECOND)) GROUP BY auction, window_start, window_end");
  auto want = datastream_window_counts(sliding_event_time_windows::of(10s, 2s));
  BOOST_TEST(want.size() > 10u);
  BOOST_TEST((sorted(sql_window_counts(rows)) == sorted(want)));
}

BOOST_FIXTURE_TEST_CASE(window_aggregates, sql_fixture) {
  auto rows =
      query("SELECT window_start, COUNT(*), SUM(price), MIN(price), MAX(price), AVG(price), "
            "COUNT(DISTINCT bidder), MAX(channel) FROM TABLE(TUMBLE(TABLE bid, "
            "DESCRIPTOR(dateTime), INTERVAL '10' SECOND)) GROUP BY window_start, window_end");
  auto bids = datastream<nexmark::bid>([](stream<nexmark::bid>& b) { return b; });
  std::map<std::int64_t, std::vector<nexmark::bid>> by_window;
  for (const auto& b : bids)
    by_window[b.date_time - b.date_time % 10'000].push_back(b);
  BOOST_REQUIRE_EQUAL(rows.size(), by_window.size());
  for (const row& r : rows) {
    const auto& ws = by_window.at(r.get_long(0));
    std::int64_t sum = 0, mn = INT64_MAX, mx = INT64_MIN;
    std::set<std::int64_t> bidders;
    std::string channel;
    for (const auto& b : ws) {
      sum += b.price;
      mn = std::min(mn, b.price);
      mx = std::max(mx, b.price);
      bidders.insert(b.bidder);
      channel = std::max(channel, b.channel);
    }
    BOOST_TEST(r.get_long(1) == static_cast<std::int64_t>(ws.size()));
    BOOST_TEST(r.get_long(2) == sum);
    BOOST_TEST(r.get_long(3) == mn);
    BOOST_TEST(r.get_long(4) == mx);
    BOOST_TEST(r.get_long(5) == sum / static_cast<std::int64_t>(ws.size()));
    BOOST_TEST(r.get_long(6) == static_cast<std::int64_t>(bidders.size()));
    BOOST_TEST(r.get_string(7) == channel);
  }
}

BOOST_AUTO_TEST_CASE(datagen_select_as_changelog) {
  test::temp_dir dir;
  table_environment t(test::test_config(dir.str(), 1));
  t.execute_sql("CREATE TABLE gen (id BIGINT, name STRING) WITH ('connector' = 'datagen', "
                "'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '5', "
                "'fields.name.length' = '4')");
  auto r = t.execute_sql("SELECT id * 10 AS x, CHAR_LENGTH(name) AS n FROM gen WHERE id <> 3");
  auto lines = sorted(r.collect());
  BOOST_TEST(
      (lines == std::vector<std::string>{"+I[10, 4]", "+I[20, 4]", "+I[40, 4]", "+I[50, 4]"}));
}

BOOST_AUTO_TEST_CASE(filesystem_json_sink) {
  test::temp_dir dir;
  table_environment t(test::test_config(dir.str(), 1));
  const std::string out = dir.str() + "/out";
  t.execute_sql("CREATE TABLE gen (id INT) WITH ('connector' = 'datagen', 'fields.id.kind' = "
                "'sequence', 'fields.id.start' = '1', 'fields.id.end' = '3')");
  t.execute_sql("CREATE TABLE fs (id INT, label STRING, half DOUBLE) WITH ('connector' = "
                "'filesystem', 'path' = '" +
                out + "', 'format' = 'json')");
  t.execute_sql("INSERT INTO fs SELECT id, 'n' || CAST(id AS STRING), id / 2.0 FROM gen").wait();
  std::vector<std::string> lines;
  for (const auto& f : std::filesystem::recursive_directory_iterator(out)) {
    if (!f.is_regular_file() || f.path().filename().string()[0] == '.')
      continue;
    std::ifstream in(f.path());
    for (std::string line; std::getline(in, line);)
      lines.push_back(line);
  }
  BOOST_TEST(
      (sorted(lines) == std::vector<std::string>{"{\"id\":1,\"label\":\"n1\",\"half\":0.5}",
                                                 "{\"id\":2,\"label\":\"n2\",\"half\":1.0}",
                                                 "{\"id\":3,\"label\":\"n3\",\"half\":1.5}"}));
}

BOOST_AUTO_TEST_CASE(what_does_not_run_yet_is_refused) {
  table_environment t;
  t.execute_sql("CREATE TABLE gen (id BIGINT, k INT) WITH ('connector' = 'datagen')");
  auto refused = [&t](const std::string& sql, const std::string& what) {
    try {
      t.execute_sql(sql);
      BOOST_ERROR("ran: " << sql);
    } catch (const spate::error& e) {
      BOOST_TEST(std::string(e.what()).find(what) != std::string::npos, e.what());
    }
  };
  refused("SELECT MD5(CAST(id AS STRING)) FROM gen", "not supported yet: function MD5");
  t.execute_sql("CREATE VIEW timed AS SELECT *, PROCTIME() AS pt FROM gen");
  refused("SELECT k, COUNT(*) FROM TABLE(CUMULATE(TABLE timed, DESCRIPTOR(pt), "
          "INTERVAL '1' SECOND, INTERVAL '2' SECOND)) GROUP BY k, window_start, window_end",
          "not supported yet: CUMULATE on processing time");
}

//! `query` (four BIGINT or TIMESTAMP columns) run uninterrupted, and stopped with a savepoint
//! once some rows came out then restored: both runs' rows together equal the uninterrupted
//! run's (at least `min_rows` of them).
static void check_window_job_restored(const std::string& query, std::size_t min_rows) {
  test::temp_dir dir;
  const std::string ddl = std::string(nexmark_ddl);
  auto paced = [&ddl](const std::string& wall_rate) {
    std::string d = ddl;
    d.replace(d.find("'events.num'"), 0, "'rate-limited.rate' = '" + wall_rate + "', ");
    return d;
  };
  // Uninterrupted.
  std::vector<window_count> whole;
  {
    table_environment t(test::test_config(dir.str() + "/a", 2));
    t.execute_sql(ddl);
    t.execute_sql(bid_view);
    auto r = t.execute_sql(query);
    r.wait();
    whole = sql_window_counts(r.rows_so_far());
  }
  BOOST_REQUIRE(whole.size() > min_rows);
  // Stopped with a savepoint once some windows fired, then restored.
  std::vector<window_count> parts;
  std::string savepoint;
  {
    table_environment t(test::test_config(dir.str() + "/b", 2));
    t.execute_sql(paced("10000"));
    t.execute_sql(bid_view);
    auto r = t.execute_sql(query);
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (r.rows_so_far().empty() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(20ms);
    savepoint = r.job->stop(dir.str() + "/savepoints", false);
    r.wait();
    parts = sql_window_counts(r.rows_so_far());
  }
  BOOST_TEST_MESSAGE("rows before the savepoint: " << parts.size() << " of " << whole.size());
  BOOST_TEST(parts.size() < whole.size());
  {
    table_environment t(test::test_config(dir.str() + "/c", 2));
    t.execute_sql(ddl);
    t.execute_sql(bid_view);
    t.execute_sql("SET 'execution.savepoint.path' = '" + savepoint + "'");
    auto r = t.execute_sql(query);
    r.wait();
    auto rest = sql_window_counts(r.rows_so_far());
    parts.insert(parts.end(), rest.begin(), rest.end());
  }
  BOOST_TEST((sorted(parts) == sorted(whole)));
}

BOOST_AUTO_TEST_CASE(window_job_restored_from_a_savepoint) {
  check_window_job_restored("SELECT auction, COUNT(*) AS num, window_start, window_end FROM TABLE("
                            "TUMBLE(TABLE bid, DESCRIPTOR(dateTime), INTERVAL '2' SECOND)) "
                            "GROUP BY auction, window_start, window_end",
                            100);
}

BOOST_AUTO_TEST_CASE(cascaded_window_job_restored_from_a_savepoint) {
  // The upper aggregate groups the lower one's rows by their window columns (q5's MaxBids):
  // its open windows per key are keyed state too.
  check_window_job_restored(
      "SELECT COUNT(*) AS auctions, MAX(num) AS maxn, window_start, window_end FROM ("
      "SELECT auction, COUNT(*) AS num, window_start, window_end FROM TABLE("
      "HOP(TABLE bid, DESCRIPTOR(dateTime), INTERVAL '1' SECOND, INTERVAL '4' SECOND)) "
      "GROUP BY auction, window_start, window_end) GROUP BY window_start, window_end",
      10);
}

BOOST_AUTO_TEST_CASE(values_query) {
  test::temp_dir dir;
  table_environment t(test::test_config(dir.str(), 1));
  auto r = t.execute_sql("SELECT x + 1, UPPER(y) FROM (VALUES (1, 'a'), (2, 'bc')) AS v(x, y)");
  BOOST_TEST((sorted(r.collect()) == std::vector<std::string>{"+I[2, A]", "+I[3, BC]"}));
}

BOOST_AUTO_TEST_CASE(merged_calcs_filter_before_the_upper_expressions) {
  // The two Calcs run as one (planner: merge_calcs): the lower WHERE still comes first, so
  // 10 / b never sees the row where b is 0, and the upper WHERE reads the lower projection.
  test::temp_dir dir;
  table_environment t(test::test_config(dir.str(), 1));
  auto r = t.execute_sql("SELECT 10 / b AS q, UPPER(y) AS u FROM (SELECT x - 3 AS b, y FROM "
                         "(VALUES (1, 'a'), (3, 'c'), (5, 'e'), (9, 'i')) AS v(x, y) "
                         "WHERE x <> 3) WHERE b < 6");
  BOOST_TEST((sorted(r.collect()) == std::vector<std::string>{"+I[-5, A]", "+I[5, E]"}));
}

BOOST_FIXTURE_TEST_CASE(cumulate_window_count, sql_fixture) {
  auto rows = query("SELECT auction, COUNT(*) AS num, window_start, window_end FROM TABLE("
                    "CUMULATE(TABLE bid, DESCRIPTOR(dateTime), INTERVAL '2' SECOND, "
                    "INTERVAL '10' SECOND)) GROUP BY auction, window_start, window_end");
  auto bids = datastream<nexmark::bid>([](stream<nexmark::bid>& b) { return b; });
  std::map<std::tuple<std::int64_t, std::int64_t, std::int64_t>, std::int64_t> counts;
  for (const auto& b : bids) {
    const std::int64_t start = b.date_time - b.date_time % 10'000;
    for (std::int64_t end = start + 2'000; end <= start + 10'000; end += 2'000)
      if (b.date_time < end)
        ++counts[{b.auction, start, end}];
  }
  std::vector<window_count> want;
  for (const auto& [k, n] : counts)
    want.emplace_back(std::get<0>(k), n, std::get<1>(k), std::get<2>(k));
  BOOST_TEST(want.size() > 10u);
  BOOST_TEST((sorted(sql_window_counts(rows)) == sorted(want)));
}

namespace {

//! Folds a changelog keyed by its first `keys` columns: -U must retract what the key last
//! showed, +I and +U must not overwrite a live row. Returns the rows left, as print text.
std::map<std::string, std::string> fold(const std::vector<row>& rows, const row_layout& layout,
                                        std::size_t keys) {
  std::map<std::string, std::string> live;
  for (const row& r : rows) {
    std::string key;
    for (std::size_t c = 0; c < keys; ++c) {
      append_value(key, r, layout.first[c], layout);
      key += '|';
    }
    row ins = r;
    ins.set_kind(row_kind::insert);
    const std::string text = to_print_string(ins, layout);
    switch (r.kind()) {
      case row_kind::insert:
      case row_kind::update_after:
        BOOST_TEST(live.count(key) == 0u, "a second live row for " << key);
        live[key] = text;
        break;
      case row_kind::update_before:
      case row_kind::delete_:
        BOOST_TEST(live[key] == text, "-U retracts " << text << ", live is " << live[key]);
        live.erase(key);
        break;
    }
  }
  return live;
}

} // namespace

BOOST_FIXTURE_TEST_CASE(group_aggregate_changelog, sql_fixture) {
  table_result r =
      t.execute_sql("SELECT auction, COUNT(*) AS n, MAX(price) AS top FROM bid GROUP BY auction");
  r.wait();
  auto rows = r.rows_so_far();
  BOOST_TEST(rows.size() > 100u);
  auto live = fold(rows, r.query->layout, 1);
  auto bids = datastream<nexmark::bid>([](stream<nexmark::bid>& b) { return b; });
  std::map<std::int64_t, std::pair<std::int64_t, std::int64_t>> want;
  for (const auto& b : bids) {
    auto& w = want[b.auction];
    w.first += 1;
    w.second = std::max(w.second, b.price);
  }
  BOOST_REQUIRE_EQUAL(live.size(), want.size());
  for (const auto& kv : want)
    BOOST_TEST(live[std::to_string(kv.first) + "|"] == "+I[" + std::to_string(kv.first) + ", " +
                                                           std::to_string(kv.second.first) + ", " +
                                                           std::to_string(kv.second.second) + "]");
}

BOOST_FIXTURE_TEST_CASE(nexmark_q15_counts, sql_fixture) {
  table_result r = t.execute_sql(
      "SELECT DATE_FORMAT(dateTime, 'yyyy-MM-dd') AS `day`, count(*) AS total_bids, "
      "count(*) filter (where price < 10000) AS rank1_bids, count(distinct bidder) AS "
      "total_bidders, count(distinct bidder) filter (where price >= 1000000) AS rank3_bidders, "
      "count(distinct auction) AS total_auctions FROM bid "
      "GROUP BY DATE_FORMAT(dateTime, 'yyyy-MM-dd')");
  r.wait();
  auto live = fold(r.rows_so_far(), r.query->layout, 1);
  auto bids = datastream<nexmark::bid>([](stream<nexmark::bid>& b) { return b; });
  std::int64_t total = 0, rank1 = 0;
  std::set<std::int64_t> bidders, rank3, auctions;
  for (const auto& b : bids) {
    ++total;
    rank1 += b.price < 10000;
    bidders.insert(b.bidder);
    if (b.price >= 1000000)
      rank3.insert(b.bidder);
    auctions.insert(b.auction);
  }
  BOOST_REQUIRE_EQUAL(live.size(), 1u); // 20 s of events, all on 2015-07-15
  BOOST_TEST(live.begin()->second ==
             "+I[2015-07-15, " + std::to_string(total) + ", " + std::to_string(rank1) + ", " +
                 std::to_string(bidders.size()) + ", " + std::to_string(rank3.size()) + ", " +
                 std::to_string(auctions.size()) + "]");
}

namespace {

//! A changelog folded into the rows it leaves: +I and +U add a row, -U and -D take one away
//! (failing the test when the row is not there, which a correct changelog never does).
std::multiset<std::string> fold(const std::vector<std::string>& changelog) {
  std::multiset<std::string> rows;
  for (const std::string& line : changelog) {
    BOOST_REQUIRE(line.size() > 3);
    const std::string op = line.substr(0, 2);
    const std::string body = line.substr(2);
    if (op == "+I" || op == "+U") {
      rows.insert(body);
    } else {
      auto it = rows.find(body);
      BOOST_REQUIRE_MESSAGE(it != rows.end(), "retracts a row it never emitted: " << line);
      rows.erase(it);
    }
  }
  return rows;
}

//! Bids per bidder, from the DataStream side's bids.
std::map<std::int64_t, std::int64_t> bids_per_bidder() {
  std::map<std::int64_t, std::int64_t> n;
  for (const auto& b : datastream<nexmark::bid>([](stream<nexmark::bid>& s) { return s; }))
    ++n[b.bidder];
  return n;
}

} // namespace

BOOST_FIXTURE_TEST_CASE(aggregate_over_an_updating_aggregate, sql_fixture) {
  // How many bidders made c bids: the inner counts update, the outer groups retract.
  auto r = t.execute_sql("SELECT c, COUNT(*) AS bidders FROM (SELECT bidder, COUNT(*) AS c "
                         "FROM bid GROUP BY bidder) GROUP BY c");
  auto changelog = r.collect();
  std::map<std::int64_t, std::int64_t> histogram;
  for (auto& [bidder, c] : bids_per_bidder())
    ++histogram[c];
  std::multiset<std::string> want;
  for (auto& [c, n] : histogram)
    want.insert("[" + std::to_string(c) + ", " + std::to_string(n) + "]");
  BOOST_TEST(histogram.size() > 2u);
  BOOST_TEST((fold(changelog) == want));
  // The retractions went through: some -U rows were emitted.
  BOOST_TEST(std::count_if(changelog.begin(), changelog.end(),
                           [](const std::string& l) { return l.rfind("-U", 0) == 0; }) > 0);
}

BOOST_FIXTURE_TEST_CASE(groups_emptied_by_retraction_are_deleted, sql_fixture) {
  // Bidders with one or two bids: a bidder's count leaves the filter at its third bid, so
  // its group is retracted and a group that holds no bidder any more is deleted (-D).
  auto r = t.execute_sql("SELECT c, COUNT(*) AS bidders, MIN(bidder), MAX(bidder) FROM "
                         "(SELECT bidder, COUNT(*) AS c FROM bid GROUP BY bidder) "
                         "WHERE c <= 2 GROUP BY c");
  auto changelog = r.collect();
  std::map<std::int64_t, std::vector<std::int64_t>> bidders;
  for (auto& [bidder, c] : bids_per_bidder())
    if (c <= 2)
      bidders[c].push_back(bidder);
  std::multiset<std::string> want;
  for (auto& [c, list] : bidders)
    want.insert("[" + std::to_string(c) + ", " + std::to_string(list.size()) + ", " +
                std::to_string(*std::min_element(list.begin(), list.end())) + ", " +
                std::to_string(*std::max_element(list.begin(), list.end())) + "]");
  BOOST_TEST((fold(changelog) == want));
}

BOOST_FIXTURE_TEST_CASE(mini_batch_aggregates_fold_to_the_same_rows_with_fewer_changes,
                        sql_fixture) {
  // table.exec.mini-batch.enabled: each input batch is applied key by key with one change per
  // key, over an insert-only input (the inner counts) and over an updating one (the outer
  // groups retract). The folded results are those without it and of a reference; the
  // changelog is shorter.
  const std::string sql = "SELECT c, COUNT(*) AS bidders, MIN(bidder), MAX(bidder), SUM(bidder) "
                          "FROM (SELECT bidder, COUNT(*) AS c FROM bid GROUP BY bidder) GROUP BY c";
  auto plain = t.execute_sql(sql).collect();
  t.execute_sql("SET 'table.exec.mini-batch.enabled' = 'true'");
  auto batched = t.execute_sql(sql).collect();
  std::map<std::int64_t, std::vector<std::int64_t>> bidders;
  for (auto& [bidder, c] : bids_per_bidder())
    bidders[c].push_back(bidder);
  std::multiset<std::string> want;
  for (auto& [c, list] : bidders) {
    std::int64_t sum = 0;
    for (auto b : list)
      sum += b;
    want.insert("[" + std::to_string(c) + ", " + std::to_string(list.size()) + ", " +
                std::to_string(*std::min_element(list.begin(), list.end())) + ", " +
                std::to_string(*std::max_element(list.begin(), list.end())) + ", " +
                std::to_string(sum) + "]");
  }
  BOOST_TEST((fold(plain) == want));
  BOOST_TEST((fold(batched) == want));
  BOOST_TEST_MESSAGE("changelog: " << plain.size() << " rows, mini-batch " << batched.size());
  BOOST_TEST(batched.size() < plain.size());
  // The insert-only level alone: one row per bidder with its count.
  auto counts = fold(t.execute_sql("SELECT bidder, COUNT(*) FROM bid GROUP BY bidder").collect());
  std::multiset<std::string> want_counts;
  for (auto& [bidder, c] : bids_per_bidder())
    want_counts.insert("[" + std::to_string(bidder) + ", " + std::to_string(c) + "]");
  BOOST_TEST((counts == want_counts));
}

BOOST_FIXTURE_TEST_CASE(extremes_sums_and_distinct_counts_retract, sql_fixture) {
  // A global aggregate over per-bidder counts: MIN falls back to the next smallest count when
  // the smallest one is retracted (its bidder bid again), COUNT(DISTINCT) forgets a count no
  // bidder has any more.
  auto r = t.execute_sql("SELECT MIN(c), MAX(c), SUM(c), AVG(c), COUNT(DISTINCT c), COUNT(*) "
                         "FROM (SELECT bidder, COUNT(*) AS c FROM bid GROUP BY bidder)");
  auto rows = fold(r.collect());
  std::int64_t mn = INT64_MAX, mx = 0, sum = 0;
  std::set<std::int64_t> distinct;
  auto per = bids_per_bidder();
  for (auto& [bidder, c] : per) {
    mn = std::min(mn, c);
    mx = std::max(mx, c);
    sum += c;
    distinct.insert(c);
  }
  const auto n = static_cast<std::int64_t>(per.size());
  BOOST_TEST(rows.size() == 1u);
  BOOST_TEST(*rows.begin() == "[" + std::to_string(mn) + ", " + std::to_string(mx) + ", " +
                                  std::to_string(sum) + ", " + std::to_string(sum / n) + ", " +
                                  std::to_string(distinct.size()) + ", " + std::to_string(n) + "]");
}

BOOST_FIXTURE_TEST_CASE(nexmark_q11_session_windows, sql_fixture) {
  // The published q11 (GROUP BY SESSION with SESSION_START and SESSION_END) and the SESSION
  // window table function equal the DataStream q11's sessions.
  auto legacy = query("SELECT B.bidder, count(*) as bid_count, "
                      "SESSION_START(B.dateTime, INTERVAL '10' SECOND) as starttime, "
                      "SESSION_END(B.dateTime, INTERVAL '10' SECOND) as endtime "
                      "FROM bid B GROUP BY B.bidder, SESSION(B.dateTime, INTERVAL '10' SECOND)");
  auto tvf = query("SELECT bidder, COUNT(*), window_start, window_end FROM TABLE(SESSION(TABLE "
                   "bid PARTITION BY bidder, DESCRIPTOR(dateTime), INTERVAL '10' SECOND)) "
                   "GROUP BY bidder, window_start, window_end");
  auto ref = datastream<nexmark::bidder_count>(
      [](stream<nexmark::bid>& bids) { return nexmark::q11(bids); });
  std::vector<window_count> want;
  for (const auto& b : ref)
    want.emplace_back(b.bidder, b.bid_count, b.start_time, b.end_time);
  BOOST_TEST(want.size() > 10u);
  BOOST_TEST((sorted(sql_window_counts(legacy)) == sorted(want)));
  BOOST_TEST((sorted(sql_window_counts(tvf)) == sorted(want)));
}

BOOST_AUTO_TEST_CASE(a_group_left_without_rows_is_deleted) {
  // One subtask, rows in order: k=1 makes group c=1; k=1 again moves it to c=2, which leaves
  // c=1 empty (-D, as Flink's GroupAggFunction); k=2 makes c=1 again.
  test::temp_dir dir;
  table_environment t(test::test_config(dir.str(), 1));
  auto r = t.execute_sql("SELECT c, COUNT(*) AS n FROM (SELECT k, COUNT(*) AS c FROM "
                         "(VALUES (1), (1), (2)) AS v(k) GROUP BY k) GROUP BY c");
  BOOST_TEST(
      (r.collect() == std::vector<std::string>{"+I[1, 1]", "-D[1, 1]", "+I[2, 1]", "+I[1, 1]"}));
}

BOOST_AUTO_TEST_CASE(nexmark_q12_processing_time_windows) {
  // The published q12's shape (bids per bidder in tumbling windows on PROCTIME()), with 1 s
  // windows over events paced to 10 000 a second (2 s). Which window a bid falls in depends
  // on the wall clock, and as in Flink a bounded job ends without firing the processing-time
  // windows still open, so check what does not depend on it: windows aligned to the second
  // within the run, at least one fired, and no bidder counted more often than it bid.
  test::temp_dir dir;
  table_environment t(test::test_config(dir.str(), 2));
  std::string ddl = nexmark_ddl;
  ddl.replace(ddl.find("'events.num'"), 0, "'rate-limited.rate' = '10000', ");
  t.execute_sql(ddl);
  t.execute_sql(bid_view);
  t.execute_sql("CREATE VIEW B AS SELECT *, PROCTIME() as p_time FROM bid");
  const auto wall = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  const std::int64_t before = wall();
  auto r = t.execute_sql("SELECT bidder, count(*) as bid_count, window_start AS starttime, "
                         "window_end AS endtime FROM TABLE(TUMBLE(TABLE B, DESCRIPTOR(p_time), "
                         "INTERVAL '1' SECOND)) GROUP BY bidder, window_start, window_end");
  r.wait();
  const std::int64_t after = wall();
  std::map<std::int64_t, std::int64_t> counted;
  std::set<std::int64_t> windows;
  for (const row& x : r.rows_so_far()) {
    counted[x.get_long(0)] += x.get_long(1);
    const std::int64_t start = x.get_long(2), end = x.get_long(3);
    windows.insert(start);
    BOOST_TEST(start % 1000 == 0);
    BOOST_TEST(end - start == 1000);
    BOOST_TEST(end > before);
    BOOST_TEST(end <= after);
  }
  BOOST_TEST(!windows.empty());
  const auto all = bids_per_bidder();
  for (auto& [bidder, n] : counted)
    BOOST_TEST(n <= (all.count(bidder) ? all.at(bidder) : 0), "bidder " << bidder);
}

BOOST_FIXTURE_TEST_CASE(filtered_window_rows_are_aggregated_once_per_window, sql_fixture) {
  // A filter between the window table function and the aggregate: each row is counted once in
  // each of its hopping windows (a brute-force reference over the bids).
  auto rows = query("SELECT auction, COUNT(*) AS num, window_start, window_end FROM TABLE("
                    "HOP(TABLE bid, DESCRIPTOR(dateTime), INTERVAL '2' SECOND, INTERVAL '10' "
                    "SECOND)) WHERE MOD(bidder, 2) = 0 GROUP BY auction, window_start, window_end");
  std::map<std::tuple<std::int64_t, std::int64_t, std::int64_t>, std::int64_t> counts;
  for (const auto& b : datastream<nexmark::bid>([](stream<nexmark::bid>& s) { return s; })) {
    if (b.bidder % 2 != 0)
      continue;
    for (std::int64_t start = b.date_time - b.date_time % 2000; start > b.date_time - 10'000;
         start -= 2000)
      ++counts[{b.auction, start, start + 10'000}];
  }
  std::vector<window_count> want;
  for (auto& [k, n] : counts)
    want.emplace_back(std::get<0>(k), n, std::get<1>(k), std::get<2>(k));
  BOOST_TEST(want.size() > 10u);
  BOOST_TEST((sorted(sql_window_counts(rows)) == sorted(want)));
}

BOOST_FIXTURE_TEST_CASE(cascading_window_aggregates, sql_fixture) {
  // Flink's cascading window aggregation, both forms: grouping an earlier window aggregate by
  // its window_start and window_end, and a new TUMBLE over its window_time.
  t.execute_sql("CREATE VIEW per_auction AS SELECT auction, COUNT(*) AS num, window_start, "
                "window_end, window_time FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(dateTime), "
                "INTERVAL '2' SECOND)) GROUP BY auction, window_start, window_end, window_time");
  auto same = query("SELECT window_start, window_end, SUM(num) FROM per_auction "
                    "GROUP BY window_start, window_end");
  // As Flink's docs say, the inner window's start and end need other names then.
  t.execute_sql("CREATE VIEW partial AS SELECT num, window_start AS inner_start, window_time AS "
                "rowtime FROM per_auction");
  auto wider = query("SELECT window_start, window_end, SUM(num) FROM TABLE(TUMBLE(TABLE "
                     "partial, DESCRIPTOR(rowtime), INTERVAL '10' SECOND)) "
                     "GROUP BY window_start, window_end");
  std::map<std::int64_t, std::int64_t> per2, per10;
  for (const auto& b : datastream<nexmark::bid>([](stream<nexmark::bid>& s) { return s; })) {
    ++per2[b.date_time - b.date_time % 2000];
    ++per10[b.date_time - b.date_time % 10'000];
  }
  auto check = [](const std::vector<row>& got, const std::map<std::int64_t, std::int64_t>& want,
                  std::int64_t size) {
    std::map<std::int64_t, std::int64_t> by_start;
    for (const row& r : got) {
      BOOST_TEST(r.get_long(1) - r.get_long(0) == size);
      BOOST_TEST(by_start.emplace(r.get_long(0), r.get_long(2)).second, "one row a window");
    }
    BOOST_TEST((by_start == want));
  };
  check(same, per2, 2000);
  check(wider, per10, 10'000);
}

BOOST_AUTO_TEST_CASE(union_all_and_union) {
  test::temp_dir dir;
  table_environment t(test::test_config(dir.str(), 2));
  // UNION ALL keeps every row of both inputs (an INT branch widened to BIGINT); UNION keeps
  // one of each (a GroupAggregate on all columns: its changelog folds to the distinct rows).
  auto all =
      t.execute_sql("SELECT x, y FROM (VALUES (1, 'a'), (2, 'b')) AS l(x, y) UNION ALL "
                    "SELECT CAST(x AS BIGINT), y FROM (VALUES (2, 'b'), (3, 'c')) AS r(x, y)")
          .collect();
  BOOST_TEST(
      (sorted(all) == std::vector<std::string>{"+I[1, a]", "+I[2, b]", "+I[2, b]", "+I[3, c]"}));
  auto distinct = t.execute_sql("SELECT x FROM (VALUES (1), (2), (2)) AS l(x) UNION "
                                "SELECT x FROM (VALUES (2), (3)) AS r(x)")
                      .collect();
  std::multiset<std::string> folded;
  for (const std::string& line : distinct) {
    BOOST_TEST(line.rfind("+I", 0) == 0, line); // distinct rows only ever appear
    folded.insert(line.substr(2));
  }
  BOOST_TEST((folded == std::multiset<std::string>{"[1]", "[2]", "[3]"}));
}

BOOST_AUTO_TEST_CASE(one_sided_join_conditions_filter_before_the_join) {
  test::temp_dir dir;
  table_environment t(test::test_config(dir.str(), 2));
  t.execute_sql("CREATE VIEW l AS SELECT * FROM (VALUES (1, 0), (1, 2), (2, 3)) AS v(k, v)");
  t.execute_sql("CREATE VIEW r AS SELECT * FROM (VALUES (1, 4), (1, 6), (2, 1)) AS v(k, w)");
  // A LEFT join's ON condition on its right side filters the right rows before the join; the
  // one on its left side decides matches only: (1, 0) still comes out, null-padded.
  const std::string left_join =
      "SELECT l.k, l.v, r.k, r.w FROM l LEFT JOIN r ON l.k = r.k AND l.v > 1 AND r.w < 5";
  auto plan = t.execute_sql("EXPLAIN " + left_join);
  std::string text;
  for (const auto& row : plan.rows)
    for (const auto& cell : row)
      text += cell + "\n";
  BOOST_TEST(text.find("where=[<(w, 5)]") != std::string::npos, text);
  BOOST_TEST(text.find("where=[>(v, 1)]") == std::string::npos, text);
  auto folded = [](const std::vector<std::string>& changelog) {
    std::multiset<std::string> rows;
    for (const auto& line : changelog) {
      const std::string body = line.substr(2);
      if (line[0] == '+')
        rows.insert(body);
      else
        rows.erase(rows.find(body));
    }
    return rows;
  };
  BOOST_TEST((folded(t.execute_sql(left_join).collect()) ==
              std::multiset<std::string>{"[1, 0, NULL, NULL]", "[1, 2, 1, 4]", "[2, 3, 2, 1]"}));
  // An inner join takes both sides' conditions below it; WHERE conditions too.
  auto inner = t.execute_sql("SELECT l.k, l.v, r.w FROM l JOIN r ON l.k = r.k WHERE l.v > 1 "
                             "AND r.w < 5")
                   .collect();
  BOOST_TEST((sorted(inner) == std::vector<std::string>{"+I[1, 2, 4]", "+I[2, 3, 1]"}));
}

BOOST_FIXTURE_TEST_CASE(a_table_read_twice_is_read_once, sql_fixture) {
  // The bid view twice in one query (a self-join): the nexmark source, its computed column
  // and its watermarks run once and feed both sides, as Flink's sub-plan reuse does.
  auto r = t.execute_sql("SELECT a.auction, COUNT(*) FROM bid a JOIN bid b ON a.auction = "
                         "b.auction AND a.bidder = b.bidder GROUP BY a.auction");
  r.wait();
  int sources = 0;
  for (const auto& name : r.job->task_names())
    sources += name.rfind("Source:", 0) == 0 ? 1 : 0;
  BOOST_TEST(sources == 1);
  // Each bid matches itself at least: every auction with bids is in the result.
  std::set<std::int64_t> auctions;
  for (const auto& b : datastream<nexmark::bid>([](stream<nexmark::bid>& s) { return s; }))
    auctions.insert(b.auction);
  std::set<std::int64_t> got;
  for (const row& x : r.rows_so_far())
    got.insert(x.get_long(0));
  BOOST_TEST((got == auctions));
}

BOOST_FIXTURE_TEST_CASE(explain_shows_the_operators_with_their_parallelism, sql_fixture) {
  t.execute_sql("SET 'parallelism.default' = '3'");
  auto r = t.execute_sql("EXPLAIN SELECT auction, COUNT(*) FROM bid GROUP BY auction");
  BOOST_REQUIRE(r.rows.size() == 1u);
  const std::string text = r.rows[0][0];
  BOOST_TEST(text.find("== Optimized Logical Plan ==") != std::string::npos, text);
  BOOST_TEST(text.find("== Physical Execution Plan ==") != std::string::npos, text);
  BOOST_TEST(text.find("parallelism: 3") != std::string::npos, text);
  // The aggregate's input is shuffled by its key; the collecting sink runs once.
  const auto agg = text.find("]:GroupAggregate(");
  BOOST_REQUIRE(agg != std::string::npos);
  BOOST_TEST(text.find("HASH", agg) != std::string::npos, text);
  BOOST_TEST(text.find("parallelism: 1", text.find("Sink: collect")) != std::string::npos, text);
}

BOOST_AUTO_TEST_CASE(distinct_counts_restored_from_a_savepoint) {
  // COUNT(DISTINCT) of numbers and of strings in a GROUP BY, stopped with a savepoint at
  // parallelism 2 and restored at 1: the changelogs of both runs, folded together, equal an
  // uninterrupted run's (the restored sets go on deduplicating what they held).
  test::temp_dir dir;
  const std::string query = "SELECT MOD(auction, 10) AS k, COUNT(DISTINCT bidder), "
                            "COUNT(DISTINCT channel), COUNT(*) FROM bid GROUP BY MOD(auction, 10)";
  auto folded = [](const std::vector<std::string>& changelog) {
    std::multiset<std::string> rows;
    for (const auto& line : changelog) {
      const std::string body = line.substr(2);
      if (line[0] == '+') {
        rows.insert(body);
      } else {
        auto it = rows.find(body);
        BOOST_REQUIRE_MESSAGE(it != rows.end(), "retracts a row never emitted: " << line);
        rows.erase(it);
      }
    }
    return rows;
  };
  std::vector<std::string> whole;
  {
    table_environment t(test::test_config(dir.str() + "/a", 2));
    t.execute_sql(nexmark_ddl);
    t.execute_sql(bid_view);
    whole = t.execute_sql(query).collect();
  }
  std::vector<std::string> parts;
  std::string savepoint;
  {
    table_environment t(test::test_config(dir.str() + "/b", 2));
    std::string paced = nexmark_ddl;
    paced.replace(paced.find("'events.num'"), 0, "'rate-limited.rate' = '10000', ");
    t.execute_sql(paced);
    t.execute_sql(bid_view);
    auto r = t.execute_sql(query);
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (r.rows_so_far().size() < 200 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(20ms);
    savepoint = r.job->stop(dir.str() + "/savepoints", false);
    parts = r.collect();
  }
  BOOST_TEST_MESSAGE("changelog rows before the savepoint: " << parts.size());
  {
    table_environment t(test::test_config(dir.str() + "/c", 1));
    t.execute_sql(nexmark_ddl);
    t.execute_sql(bid_view);
    t.execute_sql("SET 'execution.savepoint.path' = '" + savepoint + "'");
    auto rest = t.execute_sql(query).collect();
    parts.insert(parts.end(), rest.begin(), rest.end());
  }
  auto want = folded(whole);
  BOOST_TEST(want.size() == 10u);
  BOOST_TEST((folded(parts) == want));
}
