// The event-time jobs (trending_hashtags, clicks_per_user, stock_prices) on
// hand-made and random input files, compared with an independent reference of
// Flink's window semantics written here with plain loops and maps; the same
// under random parallelism; and through the `spate` command line.
#define BOOST_TEST_MODULE event_time_jobs
#include <boost/test/unit_test.hpp>

#include <time.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "spate/apps/event_time_jobs.hpp"
#include "support/collect.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/seed.hpp"

using namespace spate;
using namespace spate::test;
using nlohmann::ordered_json;

namespace {

constexpr timestamp T = 1704067200000; // 2024-01-01T00:00:00Z

// ---------------------------------------------------------------------------
// Input: each line with what the job should read from it, written by hand.

enum class kind { record, filtered, malformed, blank };

//! A record as the job should see it: key (hashtag, user, ticker), event time, price.
struct event {
  std::string key;
  timestamp ts = 0;
  double price = 0;
};

struct row {
  std::string line;
  kind k = kind::record;
  event e;
};

row rec(std::string line, std::string key, timestamp ts, double price = 0) {
  return {std::move(line), kind::record, {std::move(key), ts, price}};
}
row filtered(std::string line) { return {std::move(line), kind::filtered, {}}; }
row malformed(std::string line) { return {std::move(line), kind::malformed, {}}; }
row blank() { return {"", kind::blank, {}}; }

std::vector<event> events_of(const std::vector<row>& rows) {
  std::vector<event> out;
  for (auto& r : rows)
    if (r.k == kind::record)
      out.push_back(r.e);
  return out;
}
std::int64_t count_of(const std::vector<row>& rows, kind k) {
  return std::count_if(rows.begin(), rows.end(), [k](const row& r) { return r.k == k; });
}

std::string write_input(const temp_dir& dir, const std::string& name,
                        const std::vector<row>& rows) {
  auto path = (dir.path / name).string();
  std::ofstream f(path);
  for (auto& r : rows)
    f << r.line << "\n";
  return path;
}

// ---------------------------------------------------------------------------
// The reference: Flink's event-time windows with a bounded out-of-orderness
// watermark emitted after every record, allowed lateness 0.

enum class wkind { tumbling, sliding, session };

struct wspec {
  wkind kind = wkind::tumbling;
  timestamp size = 0;
  timestamp slide = 0;
  timestamp gap = 0;
  timestamp bound = 0;
};

struct window_result {
  std::string key;
  timestamp start = 0;
  timestamp end = 0;
  std::int64_t count = 0;
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();

  void add(const event& e) {
    ++count;
    min = std::min(min, e.price);
    max = std::max(max, e.price);
  }
};

struct reference_result {
  std::vector<window_result> windows; // in firing order
  std::int64_t dropped = 0;
};

reference_result reference(const std::vector<event>& events, const wspec& w) {
  reference_result out;
  std::map<std::tuple<std::string, timestamp, timestamp>, window_result> open;
  std::map<std::string, std::vector<window_result>> sessions;
  timestamp watermark = LLONG_MIN;
  std::optional<timestamp> max_ts;

  auto fire_due = [&](timestamp wm) {
    for (auto it = open.begin(); it != open.end();) {
      if (it->second.end - 1 <= wm) {
        out.windows.push_back(it->second);
        it = open.erase(it);
      } else {
        ++it;
      }
    }
    for (auto& [key, list] : sessions) {
      for (auto it = list.begin(); it != list.end();) {
        if (it->end - 1 <= wm) {
          out.windows.push_back(*it);
          it = list.erase(it);
        } else {
          ++it;
        }
      }
    }
  };

  for (const auto& e : events) {
    if (w.kind == wkind::session) {
      window_result merged{e.key, e.ts, e.ts + w.gap};
      merged.add(e);
      auto list = sessions[e.key];
      for (bool grew = true; grew;) {
        grew = false;
        for (auto it = list.begin(); it != list.end(); ++it) {
          if (it->start <= merged.end && it->end >= merged.start) {
            merged.start = std::min(merged.start, it->start);
            merged.end = std::max(merged.end, it->end);
            merged.count += it->count;
            merged.min = std::min(merged.min, it->min);
            merged.max = std::max(merged.max, it->max);
            list.erase(it);
            grew = true;
            break;
          }
        }
      }
      if (merged.end - 1 <= watermark) {
        ++out.dropped;
      } else {
        list.push_back(merged);
        sessions[e.key] = list;
      }
    } else {
      std::vector<timestamp> starts;
      if (w.kind == wkind::tumbling) {
        starts.push_back(e.ts - (e.ts + w.size) % w.size);
      } else {
        for (timestamp s = e.ts - (e.ts + w.slide) % w.slide; s > e.ts - w.size; s -= w.slide)
          starts.push_back(s);
      }
      bool kept = false;
      for (timestamp s : starts) {
        if (s + w.size - 1 <= watermark)
          continue; // this window has fired already
        kept = true;
        auto& r = open[{e.key, s, s + w.size}];
        r.key = e.key;
        r.start = s;
        r.end = s + w.size;
        r.add(e);
      }
      if (!kept)
        ++out.dropped;
    }
    max_ts = max_ts ? std::max(*max_ts, e.ts) : e.ts;
    watermark = *max_ts - w.bound - 1;
    fire_due(watermark);
  }
  fire_due(LLONG_MAX);
  return out;
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

std::vector<std::string> trending_lines(const reference_result& r) {
  std::vector<std::string> out;
  for (auto& w : r.windows) {
    ordered_json j;
    j["window_start"] = w.start;
    j["window_end"] = w.end;
    j["hashtag"] = w.key;
    j["count"] = w.count;
    out.push_back(j.dump());
  }
  return sorted(out);
}

std::vector<std::string> clicks_lines(const reference_result& r) {
  std::vector<std::string> out;
  for (auto& w : r.windows) {
    ordered_json j;
    j["window_start"] = w.start;
    j["window_end"] = w.end;
    j["user"] = w.key;
    j["clicks"] = w.count;
    out.push_back(j.dump());
  }
  return sorted(out);
}

std::vector<std::string> stock_lines(const reference_result& r) {
  std::vector<std::string> out;
  for (auto& w : r.windows) {
    ordered_json j;
    j["window_start"] = w.start;
    j["window_end"] = w.end;
    j["ticker"] = w.key;
    j["count"] = w.count;
    j["min_price"] = w.min;
    j["max_price"] = w.max;
    out.push_back(j.dump());
  }
  return sorted(out);
}

// ISO-8601 UTC text by libc, independent of the job's own formatter.
std::string utc(timestamp ms) {
  time_t secs = static_cast<time_t>(ms / 1000);
  struct tm tm {};
  gmtime_r(&secs, &tm);
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

//! The ranking blocks hashtag_rankings() should print, sorted.
std::vector<std::string> ranking_blocks(const reference_result& r, std::size_t top) {
  std::map<std::pair<timestamp, timestamp>, std::vector<window_result>> per_window;
  for (auto& w : r.windows)
    per_window[{w.start, w.end}].push_back(w);
  std::vector<std::string> out;
  for (auto& [win, list] : per_window) {
    std::sort(list.begin(), list.end(), [](const window_result& a, const window_result& b) {
      return a.count != b.count ? a.count > b.count : a.key < b.key;
    });
    std::string text = "window [" + utc(win.first) + ", " + utc(win.second) + ") top hashtags:";
    for (std::size_t i = 0; i < list.size() && i < top; ++i)
      text += "\n  " + std::to_string(i + 1) + ". " + list[i].key + " (" +
              std::to_string(list[i].count) + ")";
    out.push_back(text);
  }
  return sorted(out);
}

// ---------------------------------------------------------------------------
// Running a pipeline on a file, watermarks after every record.

configuration event_time_config(const std::string& dir, int parallelism) {
  auto c = test_config(dir, parallelism);
  c.set("pipeline.auto-watermark-interval", "0");
  return c;
}

struct run_output {
  std::vector<std::string> lines; // sorted
  std::vector<std::string> extra; // sorted (rankings)
  std::map<std::string, std::int64_t> counters;
};

//! Reads `path` with one source subtask, builds the job with `build(lines,
//! extra_sink)` and runs it at parallelism `p`.
template <class Build>
run_output run_on_file(const std::string& path, int p, Build build) {
  temp_dir state;
  environment env(event_time_config(state.str(), p));
  auto lines = read_lines(env, parse_input_spec("file:" + path), text_line_generator);
  lines.set_parallelism(1);
  auto out = std::make_shared<collected<std::string>>();
  auto extra = std::make_shared<collected<std::string>>();
  build(lines, extra).add_sink(collect_into(out));
  auto client = env.execute_async("test");
  auto r = client.wait();
  BOOST_REQUIRE_MESSAGE(r.status == job_status::finished, r.failure_cause);
  return {sorted(out->snapshot()), sorted(extra->snapshot()), client.counters()};
}

std::int64_t counter(const run_output& r, const std::string& name) {
  auto it = r.counters.find(name);
  if (it != r.counters.end())
    return it->second;
  std::string all;
  for (auto& [k, v] : r.counters)
    all += k + "=" + std::to_string(v) + " ";
  BOOST_TEST_MESSAGE("no counter " << name << " among: " << all);
  return 0;
}

const std::string late_hashtags = "Hashtag Windows.numLateRecordsDropped";
const std::string late_clicks = "Click Windows.numLateRecordsDropped";
const std::string late_prices = "Price Windows.numLateRecordsDropped";
const std::string malformed_name = "Parse JSON.numMalformedRecords";

// ---------------------------------------------------------------------------
// Hand-made inputs

std::vector<row> trending_rows() {
  auto post = [](const std::string& user, const std::string& tag, const std::string& ts) {
    return R"({"usuario":")" + user + R"(","texto":"Hoy hablamos de )" + tag +
           R"(","hashtag_principal":")" + tag + R"(","timestamp":)" + ts + "}";
  };
  return {
      rec(post("ana", "#futbol", "1704067201.5"), "#futbol", T + 1500),
      rec(post("luis", "#musica", "1704067210.25"), "#musica", T + 10250),
      rec(post("eva", "#futbol", "1704067259.999"), "#futbol", T + 59999),
      rec(post("ana", "#futbol", "1704067260.0"), "#futbol", T + 60000),
      filtered(R"({"usuario":"max","texto":"Buenos días","timestamp":1704067261})"),
      malformed(R"({"usuario":"rota","texto":"sin cerrar")"),
      malformed(R"({"usuario":"sin","texto":"#cine","hashtag_principal":"#cine"})"),
      malformed(R"({"usuario":"mal","hashtag_principal":"#cine","timestamp":"abc"})"),
      // Out of order, within the 60 s bound (watermark T - 1 ms).
      rec(post("bea", "#cine", "1704067230"), "#cine", T + 30000),
      rec(post("luis", "#musica", "1704067330"), "#musica", T + 130000),
      // Watermark T + 69.999 s: window [T, T + 60 s) has fired; dropped.
      rec(post("eva", "#futbol", "1704067245"), "#futbol", T + 45000),
      rec(post("ana", "#futbol", "1704067300"), "#futbol", T + 100000),
      rec(post("ana", "#cine", "1704067290"), "#cine", T + 90000),
      rec(post("eva", "#cine", "1704067291"), "#cine", T + 91000),
      rec(post("max", "#musica", "1704067319.5"), "#musica", T + 119500),
      filtered(
          R"({"usuario":"nul","texto":"nada","hashtag_principal":null,"timestamp":1704067331})"),
      malformed(R"({"usuario":"num","hashtag_principal":42,"timestamp":1704067331})"),
      malformed("[1,2,3]"),
      blank(),
      rec(post("ia", "#IA", "1704067450.0005"), "#IA", T + 250000),
      rec(post("ia", "#IA", "1704067450.9999"), "#IA", T + 250999),
      // Watermark T + 190.998 s: window [T + 120 s, T + 180 s) has fired; dropped.
      rec(post("luis", "#musica", "1704067320"), "#musica", T + 120000),
      filtered(
          R"({"usuario":"vac","texto":"vacío","hashtag_principal":"","timestamp":1704067400})"),
      rec(post("bea", "#cine", "1704067400"), "#cine", T + 200000),
      rec(post("ia", "#IA", "1704067500"), "#IA", T + 300000),
  };
}

std::vector<row> clicks_rows() {
  auto click = [](const std::string& user, const std::string& ts) {
    return R"({"user":")" + user + R"(","action":"click","timestamp":)" + ts + "}";
  };
  return {
      rec(click("alice", R"("2024-01-01T00:00:01Z")"), "alice", T + 1000),
      rec(click("bob", "1704067202.5"), "bob", T + 2500),
      rec(click("alice", R"("2024-01-01T00:00:09.999999")"), "alice", T + 9999),
      rec(click("alice", R"("2024-01-01T01:00:10+01:00")"), "alice", T + 10000),
      rec(click("carol", R"("2024-01-01 00:00:12.5Z")"), "carol", T + 12500),
      rec(click("bob", R"("2023-12-31T19:00:13-0500")"), "bob", T + 13000),
      // Out of order within the 5 s bound (watermark T + 7.999 s).
      rec(click("alice", R"("2024-01-01T00:00:03")"), "alice", T + 3000),
      rec(click("dave", R"("2024-01-01T00:00:25,123Z")"), "dave", T + 25123),
      // Watermark T + 20.122 s: window [T + 10 s, T + 20 s) has fired; dropped.
      rec(click("bob", R"("2024-01-01T00:00:14Z")"), "bob", T + 14000),
      malformed(R"({"action":"click","timestamp":1704067226})"),
      malformed(click("erin", R"("2024-13-01T00:00:00Z")")),
      malformed(click("erin", "true")),
      malformed("user=erin action=click"),
      malformed(R"({"user":7,"action":"click","timestamp":1704067226})"),
      malformed(click("erin", "1704067226000")), // milliseconds, not seconds
      rec(click("eve", "1704067230"), "eve", T + 30000),
      blank(),
      rec(click("frank", R"("2024-01-01T00:00:27.5009+00:00")"), "frank", T + 27500),
      rec(click("gina", R"("2024-01-01T00:00:28.999999999Z")"), "gina", T + 28999),
      rec(click("hank", R"("2024-01-01t00:00:29z")"), "hank", T + 29000),
      rec(R"({"user":"ivan","timestamp":1704067229.5})", "ivan", T + 29500),
      rec(click("erin", R"("2024-02-29T12:34:56.789+05:30")"), "erin", 1709190296789),
      // Far behind the watermark now; dropped.
      rec(click("alice", "1704067231.001"), "alice", T + 31001),
  };
}

std::vector<row> stock_rows() {
  auto tick = [](const std::string& time, const std::string& ticker, const std::string& price) {
    return R"({"event_time":")" + time + R"(","ticker":")" + ticker + R"(","price":)" + price + "}";
  };
  return {
      rec(tick("2024-01-01T00:00:00.100", "AAPL", "10.5"), "AAPL", T + 100, 10.5),
      rec(tick("2024-01-01T00:00:01", "AMZN", "100"), "AMZN", T + 1000, 100),
      rec(tick("2024-01-01T00:00:04.5Z", "AAPL", "12.25"), "AAPL", T + 4500, 12.25),
      rec(tick("2024-01-01T00:00:07+00:00", "MSFT", "50"), "MSFT", T + 7000, 50),
      rec(tick("2024-01-01T00:00:09.999", "AAPL", "9.75"), "AAPL", T + 9999, 9.75),
      rec(tick("2024-01-01T00:00:12", "AAPL", "11"), "AAPL", T + 12000, 11),
      // Out of order within the 5 s bound (watermark T + 6.999 s).
      rec(tick("2024-01-01T00:00:03", "AMZN", "98.5"), "AMZN", T + 3000, 98.5),
      malformed(tick("2024-01-01T00:00:13", "AAPL", R"("12")")),
      malformed(R"({"event_time":"2024-01-01T00:00:13","price":12})"),
      malformed(R"({"event_time":1704067213,"ticker":"AAPL","price":12})"),
      malformed(tick("2024-01-01T00:00:13+25:00", "AAPL", "12")),
      rec(tick("2024-01-01T00:00:30", "AAPL", "20"), "AAPL", T + 30000, 20),
      // Watermark T + 24.999 s: too late for every kind of window; dropped.
      rec(tick("2024-01-01T00:00:14", "AMZN", "99"), "AMZN", T + 14000, 99),
      rec(tick("2024-01-01T00:00:26.000001", "INTC", "1"), "INTC", T + 26000, 1),
      rec(tick("2024-01-01 00:00:31.25", "TBV", "0.5"), "TBV", T + 31250, 0.5),
      rec(tick("2024-01-01T00:00:29.9-00:00", "MSFT", "49.5"), "MSFT", T + 29900, 49.5),
      rec(tick("2024-01-01T00:35:00.5-00:30", "AAPL", "30"), "AAPL", 1704071100500, 30),
      rec(tick("2024-01-01T00:00:40", "MSFT", "51"), "MSFT", T + 40000, 51),
      malformed("[1,2]"),
      malformed(R"({"event_time":"2024-01-01T00:00:41","ticker":"AAPL",)"),
  };
}

wspec trending_spec(timestamp bound = 60000) { return {wkind::tumbling, 60000, 0, 0, bound}; }
wspec clicks_spec() { return {wkind::tumbling, 10000, 0, 0, 5000}; }
wspec stock_spec(wkind k) { return {k, 10000, 5000, 10000, 5000}; }

apps::stock_prices_options stock_options(wkind k) {
  apps::stock_prices_options o;
  o.window = k == wkind::tumbling  ? apps::stock_window::tumbling
             : k == wkind::sliding ? apps::stock_window::sliding
                                   : apps::stock_window::session;
  return o;
}
const char* name_of(wkind k) {
  return k == wkind::tumbling ? "tumbling" : k == wkind::sliding ? "sliding" : "session";
}

// Pipelines as the tests build them.
run_output run_trending(const std::string& path, int p, apps::trending_hashtags_options o) {
  return run_on_file(path, p, [&](stream<std::string> lines, auto rankings) {
    auto counts = apps::trending_hashtag_counts(lines, o);
    apps::hashtag_rankings(counts, o.ranking_size).add_sink(collect_into(rankings));
    return apps::hashtag_counts_to_json(counts);
  });
}
run_output run_clicks(const std::string& path, int p, apps::clicks_per_user_options o = {}) {
  return run_on_file(
      path, p, [&](stream<std::string> lines, auto) { return apps::clicks_per_user(lines, o); });
}
run_output run_stock(const std::string& path, int p, apps::stock_prices_options o) {
  return run_on_file(path, p,
                     [&](stream<std::string> lines, auto) { return apps::stock_prices(lines, o); });
}

} // namespace

// ---------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(hand_made_inputs)

BOOST_AUTO_TEST_CASE(trending_hashtags_matches_the_reference) {
  temp_dir dir;
  auto rows = trending_rows();
  auto path = write_input(dir, "posts.jsonl", rows);
  auto expected = reference(events_of(rows), trending_spec());
  // The reference itself, checked by hand: two records late, five malformed.
  BOOST_TEST(expected.dropped == 2);
  BOOST_TEST(count_of(rows, kind::malformed) == 5);

  apps::trending_hashtags_options o;
  auto got = run_trending(path, 1, o);
  BOOST_TEST(got.lines == trending_lines(expected), boost::test_tools::per_element());
  BOOST_TEST(got.extra == ranking_blocks(expected, o.ranking_size),
             boost::test_tools::per_element());
  BOOST_TEST(counter(got, late_hashtags) == expected.dropped);
  BOOST_TEST(counter(got, malformed_name) == 5);
  BOOST_TEST(o.malformed->count() == 5);
  // One block spelled out, so the format is pinned down too.
  BOOST_TEST(std::count(got.extra.begin(), got.extra.end(),
                        "window [2024-01-01T00:01:00Z, 2024-01-01T00:02:00Z) top hashtags:\n"
                        "  1. #cine (2)\n  2. #futbol (2)\n  3. #musica (1)") == 1);
}

BOOST_AUTO_TEST_CASE(trending_hashtags_with_a_tighter_bound_drops_more) {
  temp_dir dir;
  auto rows = trending_rows();
  auto path = write_input(dir, "posts.jsonl", rows);
  apps::trending_hashtags_options o;
  o.out_of_orderness = std::chrono::seconds(5);
  auto expected = reference(events_of(rows), trending_spec(5000));
  BOOST_TEST(expected.dropped > 2);
  auto got = run_trending(path, 1, o);
  BOOST_TEST(got.lines == trending_lines(expected), boost::test_tools::per_element());
  BOOST_TEST(counter(got, late_hashtags) == expected.dropped);
}

BOOST_AUTO_TEST_CASE(clicks_per_user_matches_the_reference) {
  temp_dir dir;
  auto rows = clicks_rows();
  auto path = write_input(dir, "clicks.jsonl", rows);
  auto expected = reference(events_of(rows), clicks_spec());
  BOOST_TEST(expected.dropped == 2);
  apps::clicks_per_user_options o;
  auto got = run_clicks(path, 1, o);
  BOOST_TEST(got.lines == clicks_lines(expected), boost::test_tools::per_element());
  BOOST_TEST(counter(got, late_clicks) == 2);
  BOOST_TEST(counter(got, malformed_name) == count_of(rows, kind::malformed));
  BOOST_TEST(o.malformed->count() == 6);
}

BOOST_AUTO_TEST_CASE(stock_prices_matches_the_reference_for_each_window_kind) {
  temp_dir dir;
  auto rows = stock_rows();
  auto path = write_input(dir, "ticks.jsonl", rows);
  for (wkind k : {wkind::tumbling, wkind::sliding, wkind::session}) {
    BOOST_TEST_CONTEXT("window " << name_of(k)) {
      auto expected = reference(events_of(rows), stock_spec(k));
      BOOST_TEST(expected.dropped == 2);
      auto o = stock_options(k);
      auto got = run_stock(path, 1, o);
      BOOST_TEST(got.lines == stock_lines(expected), boost::test_tools::per_element());
      BOOST_TEST(counter(got, late_prices) == 2);
      BOOST_TEST(o.malformed->count() == 6);
    }
  }
}

BOOST_AUTO_TEST_CASE(stock_prices_sizes_are_overridable) {
  temp_dir dir;
  auto rows = stock_rows();
  auto path = write_input(dir, "ticks.jsonl", rows);
  auto o = apps::parse_stock_prices_args(
      {"--window", "sliding", "--size", "6", "--slide=2", "--out-of-orderness", "1.5"});
  auto got = run_stock(path, 1, o);
  auto expected = reference(events_of(rows), {wkind::sliding, 6000, 2000, 0, 1500});
  BOOST_TEST(got.lines == stock_lines(expected), boost::test_tools::per_element());
  BOOST_TEST(counter(got, late_prices) == expected.dropped);

  o = apps::parse_stock_prices_args({"--window", "session", "--gap", "3"});
  got = run_stock(path, 1, o);
  expected = reference(events_of(rows), {wkind::session, 0, 0, 3000, 5000});
  BOOST_TEST(got.lines == stock_lines(expected), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(random_parallelism)

namespace {

// ISO-8601 of `ms` as many producers write it: a random zone (none, Z,
// +hh:mm, -hhmm), a random number of fraction digits (extra ones truncated).
std::string random_iso(timestamp ms, std::mt19937& rng) {
  int offset_min = 0;
  int zone_style = static_cast<int>(rng() % 4); // 0 none, 1 Z, 2 ±hh:mm, 3 ±hhmm
  if (zone_style >= 2)
    offset_min = static_cast<int>(rng() % 1681) - 840; // -14:00 .. +14:00
  timestamp local = ms + offset_min * 60000LL;
  time_t secs = static_cast<time_t>(local / 1000);
  int millis = static_cast<int>(local % 1000);
  struct tm tm {};
  gmtime_r(&secs, &tm);
  char buf[64];
  strftime(buf, sizeof buf, rng() % 2 ? "%Y-%m-%dT%H:%M:%S" : "%Y-%m-%d %H:%M:%S", &tm);
  std::string s = buf;
  if (millis != 0 || rng() % 2) {
    std::snprintf(buf, sizeof buf, ".%03d", millis);
    s += buf;
    for (int extra = static_cast<int>(rng() % 7); extra > 0; --extra)
      s += static_cast<char>('0' + rng() % 10);
  }
  if (zone_style == 1) {
    s += "Z";
  } else if (zone_style >= 2) {
    int a = std::abs(offset_min);
    std::snprintf(buf, sizeof buf, zone_style == 2 ? "%c%02d:%02d" : "%c%02d%02d",
                  offset_min < 0 ? '-' : '+', a / 60, a % 60);
    s += buf;
  }
  return s;
}

std::string random_malformed(std::mt19937& rng) {
  static const std::vector<std::string> bad{
      R"({"truncated":)", "plain text", "[]", "42", R"({"timestamp":"yesterday"})", "{}"};
  return bad[rng() % bad.size()];
}

//! Event times advancing `step` ms per record with jitter, and stragglers
//! late by up to `straggle` ms.
timestamp random_time(int i, timestamp step, timestamp jitter, timestamp straggle,
                      std::mt19937& rng) {
  timestamp ts = T + i * step + static_cast<timestamp>(rng() % (2 * jitter + 1)) - jitter;
  if (rng() % 100 < 3)
    ts -= static_cast<timestamp>(rng() % straggle);
  return ts;
}

std::vector<row> random_trending(std::mt19937& rng) {
  std::vector<std::string> tags{"#a", "#b", "#c", "#d", "#e", "#f"};
  std::vector<row> rows;
  for (int i = 0; i < 400; ++i) {
    int dice = static_cast<int>(rng() % 100);
    timestamp ts = random_time(i, 500, 3000, 30000, rng);
    ordered_json j;
    j["usuario"] = "u" + std::to_string(rng() % 10);
    j["texto"] = "texto";
    j["timestamp"] = static_cast<double>(ts) / 1000.0;
    if (dice < 3) {
      rows.push_back(malformed(random_malformed(rng)));
    } else if (dice < 6) {
      rows.push_back(filtered(j.dump()));
    } else {
      // Skewed: the smaller of two draws.
      auto first = rng() % 8;
      auto second = rng() % 8;
      auto tag = tags[std::min(first, second) % tags.size()];
      j["hashtag_principal"] = tag;
      rows.push_back(rec(j.dump(), tag, ts));
    }
  }
  return rows;
}

std::vector<row> random_clicks(std::mt19937& rng) {
  std::vector<row> rows;
  for (int i = 0; i < 400; ++i) {
    timestamp ts = random_time(i, 100, 1500, 20000, rng);
    if (rng() % 100 < 3) {
      rows.push_back(malformed(random_malformed(rng)));
      continue;
    }
    std::string user = "user" + std::to_string(rng() % 8);
    ordered_json j;
    j["user"] = user;
    j["action"] = "click";
    if (rng() % 2)
      j["timestamp"] = random_iso(ts, rng);
    else if (ts % 1000 == 0)
      j["timestamp"] = ts / 1000;
    else
      j["timestamp"] = static_cast<double>(ts) / 1000.0;
    rows.push_back(rec(j.dump(), user, ts));
  }
  return rows;
}

std::vector<row> random_stock(std::mt19937& rng) {
  std::vector<std::string> tickers{"AAPL", "AMZN", "MSFT", "INTC", "TBV"};
  std::vector<row> rows;
  for (int i = 0; i < 300; ++i) {
    // Now and then a pause longer than the session gap.
    timestamp ts = random_time(i, 200, 1000, 20000, rng) + (i / 60) * 15000;
    if (rng() % 100 < 3) {
      rows.push_back(malformed(random_malformed(rng)));
      continue;
    }
    std::string ticker = tickers[rng() % tickers.size()];
    double price = static_cast<double>(rng() % 10000) / 100.0;
    ordered_json j;
    j["event_time"] = random_iso(ts, rng);
    j["ticker"] = ticker;
    j["price"] = price;
    rows.push_back(rec(j.dump(), ticker, ts, price));
  }
  return rows;
}

} // namespace

BOOST_AUTO_TEST_CASE(trending_hashtags_unchanged_under_random_parallelism) {
  const auto seed = spate::test::test_seed("trending_hashtags_unchanged_under_random_parallelism");
  std::mt19937 rng(seed);
  temp_dir dir;
  auto rows = random_trending(rng);
  auto path = write_input(dir, "posts.jsonl", rows);
  apps::trending_hashtags_options base;
  base.out_of_orderness = std::chrono::seconds(2);
  auto expected = reference(events_of(rows), trending_spec(2000));
  BOOST_TEST_MESSAGE("windows " << expected.windows.size() << ", dropped " << expected.dropped);
  for (int round = 0; round < 3; ++round) {
    int p = 1 + static_cast<int>(rng() % 4);
    BOOST_TEST_CONTEXT("seed " << seed << " parallelism " << p) {
      apps::trending_hashtags_options o = base;
      o.malformed = std::make_shared<apps::malformed_counter>();
      auto got = run_trending(path, p, o);
      BOOST_TEST(got.lines == trending_lines(expected), boost::test_tools::per_element());
      BOOST_TEST(got.extra == ranking_blocks(expected, o.ranking_size),
                 boost::test_tools::per_element());
      BOOST_TEST(counter(got, late_hashtags) == expected.dropped);
      BOOST_TEST(o.malformed->count() == count_of(rows, kind::malformed));
    }
  }
}

BOOST_AUTO_TEST_CASE(clicks_per_user_unchanged_under_random_parallelism) {
  const auto seed = spate::test::test_seed("clicks_per_user_unchanged_under_random_parallelism");
  std::mt19937 rng(seed);
  temp_dir dir;
  auto rows = random_clicks(rng);
  auto path = write_input(dir, "clicks.jsonl", rows);
  auto expected = reference(events_of(rows), clicks_spec());
  BOOST_TEST_MESSAGE("windows " << expected.windows.size() << ", dropped " << expected.dropped);
  for (int round = 0; round < 3; ++round) {
    int p = 1 + static_cast<int>(rng() % 4);
    BOOST_TEST_CONTEXT("seed " << seed << " parallelism " << p) {
      apps::clicks_per_user_options o;
      auto got = run_clicks(path, p, o);
      BOOST_TEST(got.lines == clicks_lines(expected), boost::test_tools::per_element());
      BOOST_TEST(counter(got, late_clicks) == expected.dropped);
      BOOST_TEST(o.malformed->count() == count_of(rows, kind::malformed));
    }
  }
}

BOOST_AUTO_TEST_CASE(stock_prices_unchanged_under_random_parallelism) {
  const auto seed = spate::test::test_seed("stock_prices_unchanged_under_random_parallelism");
  std::mt19937 rng(seed);
  temp_dir dir;
  auto rows = random_stock(rng);
  auto path = write_input(dir, "ticks.jsonl", rows);
  for (wkind k : {wkind::tumbling, wkind::sliding, wkind::session}) {
    auto expected = reference(events_of(rows), stock_spec(k));
    BOOST_TEST_MESSAGE(name_of(k) << ": windows " << expected.windows.size() << ", dropped "
                                  << expected.dropped);
    for (int round = 0; round < 2; ++round) {
      int p = 1 + static_cast<int>(rng() % 4);
      BOOST_TEST_CONTEXT("seed " << seed << " window " << name_of(k) << " parallelism " << p) {
        auto got = run_stock(path, p, stock_options(k));
        BOOST_TEST(got.lines == stock_lines(expected), boost::test_tools::per_element());
        BOOST_TEST(counter(got, late_prices) == expected.dropped);
      }
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(parsing)

BOOST_AUTO_TEST_CASE(iso8601_parses_to_epoch_milliseconds) {
  // Expected values from `date -u -d TEXT +%s%3N`.
  const std::vector<std::pair<std::string, timestamp>> cases{
      {"1970-01-01T00:00:00Z", 0},
      {"1969-12-31T23:59:59.5Z", -500},
      {"2000-02-29T23:59:59.999Z", 951868799999},
      {"2100-03-01T00:00:00Z", 4107542400000},
      {"0001-01-01T00:00:00Z", -62135596800000},
      {"9999-12-31T23:59:59.999Z", 253402300799999},
      {"2024-06-15T08:30:00+14:00", 1718389800000},
      {"2024-06-15T08:30:00-12", 1718483400000},
      {"1900-01-01 12:00:00+05", -2208963600000},
      {"2024-01-01T00:35:00.5-00:30", 1704071100500},
      {"2023-12-31T19:00:13-0500", 1704067213000},
      {"2024-01-01T00:00:00.123456", 1704067200123},
      {"2024-01-01T00:00:00.1239", 1704067200123},
      {"2024-01-01T00:00:00,5", 1704067200500},
      {"2024-01-01T00:00", 1704067200000},
      {"2024-01-01t00:00:00z", 1704067200000},
      {"2016-12-31T23:59:60Z", 1483228800000},
  };
  for (auto& [text, ms] : cases) {
    std::string why;
    auto got = apps::parse_iso8601(text, &why);
    BOOST_TEST(got.has_value(), text << ": " << why);
    if (got)
      BOOST_TEST(*got == ms, text);
  }
  for (std::string bad :
       {"", "2024-01-01", "2024-01-01T", "2024-1-01T00:00:00", "2024-02-30T00:00:00",
        "2023-02-29T00:00:00", "2024-13-01T00:00:00", "2024-01-01T24:00:00", "2024-01-01T00:60:00",
        "2024-01-01T00:00:00.", "2024-01-01T00:00:00+2", "2024-01-01T00:00:00+24:00",
        "2024-01-01T00:00:00Zjunk", "2024-01-01X00:00:00", " 2024-01-01T00:00:00",
        "2024-01-01T00:00:00 "}) {
    std::string why;
    BOOST_TEST(!apps::parse_iso8601(bad, &why).has_value(), "'" << bad << "' accepted");
    BOOST_TEST(!why.empty(), "'" << bad << "' rejected without a reason");
  }
}

BOOST_AUTO_TEST_CASE(iso8601_formats_what_libc_formats) {
  const auto seed = spate::test::test_seed("iso8601_formats_what_libc_formats");
  std::mt19937_64 rng(seed);
  for (int i = 0; i < 2000; ++i) {
    // Years 1019 to 9987 (strftime pads years to four digits only from 1000).
    timestamp ms = static_cast<timestamp>(rng() % 283000000000000ULL) - 30000000000000LL;
    auto text = apps::format_iso8601(ms);
    BOOST_TEST(text == utc(ms - ((ms % 1000) + 1000) % 1000), "seed " << seed << " ms " << ms);
    auto back = apps::parse_iso8601(apps::format_iso8601(ms, 3));
    BOOST_TEST((back && *back == ms), "seed " << seed << " ms " << ms);
  }
}

BOOST_AUTO_TEST_CASE(epoch_seconds_become_milliseconds) {
  BOOST_TEST(*apps::epoch_seconds_to_ms(1700000000.123) == 1700000000123);
  BOOST_TEST(*apps::epoch_seconds_to_ms(1704067450.0005) == 1704067450000);
  BOOST_TEST(*apps::epoch_seconds_to_ms(1704067450.9999) == 1704067450999);
  BOOST_TEST(*apps::epoch_seconds_to_ms(-1.5) == -1500);
  BOOST_TEST(*apps::epoch_seconds_to_ms(-0.0001) == -1);
  BOOST_TEST(!apps::epoch_seconds_to_ms(1704067200000.0));
  BOOST_TEST(!apps::epoch_seconds_to_ms(std::nan("")));
}

BOOST_AUTO_TEST_CASE(job_arguments_are_checked_and_named) {
  auto o = apps::parse_stock_prices_args({"--window=session", "--gap", "2.5"});
  BOOST_TEST((o.window == apps::stock_window::session));
  BOOST_TEST(o.gap.count() == 2500);
  BOOST_TEST(
      apps::parse_trending_hashtags_args({"--out-of-orderness", "0"}).out_of_orderness.count() ==
      0);
  BOOST_TEST(apps::parse_trending_hashtags_args({}).out_of_orderness.count() == 60000);
  BOOST_TEST(apps::parse_clicks_per_user_args({"--out-of-orderness=1"}).out_of_orderness.count() ==
             1000);

  auto names = [](auto parse, std::vector<std::string> args, const std::string& name) {
    try {
      parse(args);
      BOOST_ERROR("accepted " << name);
    } catch (const error& e) {
      BOOST_TEST((e.code() == errc::invalid_argument));
      BOOST_TEST(std::string(e.what()).find(name) != std::string::npos, e.what());
    }
  };
  auto stock = [](const std::vector<std::string>& a) { apps::parse_stock_prices_args(a); };
  auto trending = [](const std::vector<std::string>& a) { apps::parse_trending_hashtags_args(a); };
  auto clicks = [](const std::vector<std::string>& a) { apps::parse_clicks_per_user_args(a); };
  names(stock, {"--window", "hopping"}, "--window");
  names(stock, {"--window"}, "--window");
  names(stock, {"--gap", "3"}, "--gap");
  names(stock, {"--window", "tumbling", "--slide", "3"}, "--slide");
  names(stock, {"--window", "session", "--size", "3"}, "--size");
  names(stock, {"--size", "0"}, "--size");
  names(stock, {"--size", "-1"}, "--size");
  names(stock, {"--size", "10", "--size", "20"}, "--size");
  names(trending, {"--out-of-orderness", "abc"}, "--out-of-orderness");
  names(trending, {"--out-of-orderness", "-1"}, "--out-of-orderness");
  names(trending, {"--window", "sliding"}, "--window");
  names(trending, {"positional"}, "positional");
  names(clicks, {"--events-per-second", "0"}, "--events-per-second");
  names(clicks, {"--out-of-orderness"}, "--out-of-orderness");
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(generators)

BOOST_AUTO_TEST_CASE(generated_records_are_deterministic_and_well_formed) {
  record_rng a, b;
  std::set<std::string> tags;
  std::map<std::string, int> tag_counts;
  int without_tag = 0;
  std::optional<double> prev;
  int out_of_order = 0;
  for (std::uint64_t seq = 0; seq < 2000; ++seq) {
    a.seed(generator_record_seed(7, seq));
    b.seed(generator_record_seed(7, seq));
    auto line = apps::make_trending_hashtags_record(seq, a, 5);
    BOOST_REQUIRE(line == apps::make_trending_hashtags_record(seq, b, 5));
    auto j = nlohmann::json::parse(line);
    BOOST_TEST(j.at("usuario").is_string());
    BOOST_TEST(j.at("timestamp").is_number());
    double ts = j.at("timestamp").get<double>();
    BOOST_TEST(std::fabs(ts - (1704067200.0 + static_cast<double>(seq) / 5)) < 91);
    if (prev && ts < *prev)
      ++out_of_order;
    prev = ts;
    if (j.contains("hashtag_principal")) {
      auto tag = j["hashtag_principal"].get<std::string>();
      ++tag_counts[tag];
      BOOST_TEST(j.at("texto").get<std::string>().find(tag) != std::string::npos);
    } else {
      ++without_tag;
    }

    auto click = nlohmann::json::parse(apps::make_clicks_record(seq, a, 20));
    BOOST_TEST(click.at("user").is_string());
    BOOST_TEST(click.at("action").is_string());
    if (click.at("timestamp").is_string())
      BOOST_TEST(apps::parse_iso8601(click["timestamp"].get<std::string>()).has_value());

    auto tick = nlohmann::json::parse(apps::make_stock_record(seq, a, 10));
    auto ticker = tick.at("ticker").get<std::string>();
    BOOST_TEST((ticker == "AAPL" || ticker == "AMZN" || ticker == "MSFT" || ticker == "INTC" ||
                ticker == "TBV"));
    double price = tick.at("price").get<double>();
    BOOST_TEST((price >= 0 && price < 100));
    BOOST_TEST(apps::parse_iso8601(tick.at("event_time").get<std::string>()).has_value());
  }
  BOOST_TEST(without_tag > 40);
  BOOST_TEST(without_tag < 200);
  BOOST_TEST(out_of_order > 100);
  // Skewed: the most popular hashtag is far ahead of the least popular.
  int most = 0, least = INT_MAX;
  for (auto& [t, n] : tag_counts) {
    most = std::max(most, n);
    least = std::min(least, n);
  }
  BOOST_TEST(tag_counts.size() >= 15u);
  BOOST_TEST(most > 5 * least);
}

BOOST_AUTO_TEST_CASE(each_job_runs_on_its_generator_without_malformed_records) {
  for (int job = 0; job < 3; ++job) {
    BOOST_TEST_CONTEXT("job " << job) {
      temp_dir state;
      environment env(test_config(state.str(), 2));
      auto in = parse_input_spec("generator:seed=3,count=3000");
      auto out = std::make_shared<collected<std::string>>();
      auto malformed = std::make_shared<apps::malformed_counter>();
      if (job == 0) {
        apps::trending_hashtags_options o;
        o.malformed = malformed;
        apps::trending_hashtags(read_lines(env, in,
                                           [](const generator_options& g) {
                                             return apps::trending_hashtags_generator(g, 5);
                                           }),
                                o)
            .add_sink(collect_into(out));
      } else if (job == 1) {
        apps::clicks_per_user_options o;
        o.malformed = malformed;
        apps::clicks_per_user(
            read_lines(env, in,
                       [](const generator_options& g) { return apps::clicks_generator(g, 20); }),
            o)
            .add_sink(collect_into(out));
      } else {
        apps::stock_prices_options o;
        o.malformed = malformed;
        apps::stock_prices(
            read_lines(env, in,
                       [](const generator_options& g) { return apps::stock_generator(g, 10); }),
            o)
            .add_sink(collect_into(out));
      }
      auto r = env.execute();
      BOOST_REQUIRE_MESSAGE(r.status == job_status::finished, r.failure_cause);
      BOOST_TEST(malformed->count() == 0);
      BOOST_TEST(out->size() > 10u);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(command_line)

namespace {

std::vector<std::string> read_lines_of(const std::filesystem::path& p) {
  std::vector<std::string> out;
  std::ifstream f(p);
  for (std::string l; std::getline(f, l);)
    out.push_back(l);
  return out;
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (auto& x : v)
    s += x + " ";
  return s;
}

} // namespace

BOOST_AUTO_TEST_CASE(trending_hashtags_file_to_file) {
  temp_dir dir;
  auto rows = trending_rows();
  auto in = write_input(dir, "posts.jsonl", rows);
  auto out = dir.path / "counts.jsonl";
  auto r = run_spate({"local", "trending_hashtags", "--input", "file:" + in, "--output",
                      "file:" + out.string(), "-D", "pipeline.auto-watermark-interval=0"});
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(sorted(read_lines_of(out)) ==
                 trending_lines(reference(events_of(rows), trending_spec())),
             boost::test_tools::per_element());
  // The malformed records were reported, saying what is wrong: the first at
  // once, the others (within a second of it) by the last report.
  BOOST_TEST(r.err.find("malformed") != std::string::npos, r.err);
  BOOST_TEST(r.err.find("not JSON") != std::string::npos, r.err);
  BOOST_TEST(r.err.find("5 in total") != std::string::npos, r.err);
}

BOOST_AUTO_TEST_CASE(trending_hashtags_print_shows_the_rankings) {
  temp_dir dir;
  auto rows = trending_rows();
  auto in = write_input(dir, "posts.jsonl", rows);
  auto r =
      run_spate({"local", "trending_hashtags", "--input", "file:" + in, "--output", "print", "-D",
                 "pipeline.auto-watermark-interval=0", "--", "--out-of-orderness", "60"});
  BOOST_TEST(r.exit_code == 0, r.err);
  auto expected = reference(events_of(rows), trending_spec());
  for (auto& line : trending_lines(expected))
    BOOST_TEST(r.out.find(line + "\n") != std::string::npos, line);
  for (auto& block : ranking_blocks(expected, 10))
    BOOST_TEST(r.out.find(block + "\n") != std::string::npos, block);
}

BOOST_AUTO_TEST_CASE(stock_prices_session_file_to_file) {
  temp_dir dir;
  auto rows = stock_rows();
  auto in = write_input(dir, "ticks.jsonl", rows);
  auto out = dir.path / "prices.jsonl";
  auto r = run_spate({"local", "stock_prices", "--input", "file:" + in, "--output",
                      "file:" + out.string(), "-D", "pipeline.auto-watermark-interval=0", "--",
                      "--window", "session"});
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(sorted(read_lines_of(out)) ==
                 stock_lines(reference(events_of(rows), stock_spec(wkind::session))),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(clicks_per_user_file_to_file) {
  temp_dir dir;
  auto rows = clicks_rows();
  auto in = write_input(dir, "clicks.jsonl", rows);
  auto out = dir.path / "clicks-out.jsonl";
  auto r = run_spate({"local", "clicks_per_user", "--input", "file:" + in, "--output",
                      "file:" + out.string(), "-D", "pipeline.auto-watermark-interval=0"});
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(sorted(read_lines_of(out)) == clicks_lines(reference(events_of(rows), clicks_spec())),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(bad_job_arguments_exit_2_naming_them) {
  const std::vector<std::vector<std::string>> cases{
      {"trending_hashtags", "--out-of-orderness", "abc"},
      {"trending_hashtags", "--bogus", "1"},
      {"clicks_per_user", "--out-of-orderness"},
      {"stock_prices", "--window", "hopping"},
      {"stock_prices", "--gap", "5"},
      {"stock_prices", "--window", "sliding", "--slide", "0"},
  };
  const std::vector<std::string> named{"--out-of-orderness", "--bogus", "--out-of-orderness",
                                       "--window",           "--gap",   "--slide"};
  for (std::size_t i = 0; i < cases.size(); ++i) {
    std::vector<std::string> args{"local", cases[i][0], "--output", "discard", "--"};
    args.insert(args.end(), cases[i].begin() + 1, cases[i].end());
    auto r = run_spate(args);
    BOOST_TEST(r.exit_code == 2, joined(args) << "exited " << r.exit_code);
    BOOST_TEST(r.err.find(named[i]) != std::string::npos, joined(args) << ": " << r.err);
  }
}

BOOST_AUTO_TEST_SUITE_END()
