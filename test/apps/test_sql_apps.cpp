#define BOOST_TEST_MODULE sql_apps
#include <boost/test/unit_test.hpp>

// The managed Flink guide's stock-ticker SQL (a tumbling count per ticker over 10 s, the
// sliding minimum price over 10 s every 5 s) and clicks per user in 10 s windows, run by the
// SQL runtime over a JSON file, give the same rows as the stock_prices and clicks_per_user
// jobs on the same file.

#include <fstream>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "spate/apps/event_time_jobs.hpp"
#include "spate/apps/json_input.hpp"
#include "spate/core/random.hpp"
#include "spate/sqlrt/table_environment.hpp"
#include "support/collect.hpp"
#include "support/seed.hpp"

using namespace spate;

namespace {

//! (key, window start, window end, value as text)
using window_row = std::tuple<std::string, std::int64_t, std::int64_t, std::string>;

std::string write_lines(const std::string& path, const std::vector<std::string>& lines) {
  std::ofstream out(path);
  for (const auto& l : lines)
    out << l << "\n";
  return path;
}

//! The DataStream job over the file's lines, its JSON output lines.
template <class Job>
std::vector<nlohmann::json> run_job(const std::string& path, Job job) {
  std::vector<std::string> lines;
  std::ifstream in(path);
  for (std::string l; std::getline(in, l);)
    lines.push_back(l);
  test::temp_dir dir;
  environment env(test::test_config(dir.str(), 2));
  auto out = std::make_shared<test::collected<std::string>>();
  job(env.from_collection(lines)).add_sink(test::collect_into(out));
  auto r = env.execute("reference");
  BOOST_REQUIRE(r.status == job_status::finished);
  std::vector<nlohmann::json> parsed;
  for (const auto& l : out->snapshot())
    parsed.push_back(nlohmann::json::parse(l));
  return parsed;
}

//! A query's rows (insert-only), through table_environment at parallelism 2.
std::vector<sql::row> run_sql(const std::string& ddl, const std::string& query) {
  test::temp_dir dir;
  sql::table_environment t(test::test_config(dir.str(), 2));
  t.execute_sql(ddl);
  auto r = t.execute_sql(query);
  r.wait();
  return r.rows_so_far();
}

std::multiset<window_row> sorted_rows(std::vector<window_row> v) {
  return std::multiset<window_row>(v.begin(), v.end());
}

std::string price_text(double p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", p);
  return buf;
}

} // namespace

BOOST_AUTO_TEST_CASE(stock_ticker_sql_equals_the_stock_prices_job) {
  const auto seed = test::test_seed("stock_ticker_sql_equals_the_stock_prices_job");
  test::temp_dir dir;
  std::vector<std::string> lines;
  record_rng rng(seed);
  for (std::uint64_t i = 0; i < 3000; ++i)
    lines.push_back(apps::make_stock_record(i, rng, 10)); // 5 minutes of ticks
  const auto path = write_lines(dir.str() + "/ticks.jsonl", lines);
  const std::string ddl = "CREATE TABLE stock (event_time TIMESTAMP(3), ticker STRING, "
                          "price DOUBLE, WATERMARK FOR event_time AS event_time - INTERVAL '5' "
                          "SECOND) WITH ('connector' = 'filesystem', 'path' = '" +
                          path + "', 'format' = 'json')";

  // The guide's tumbling count per ticker over 10 s.
  auto counted = run_sql(ddl, "SELECT ticker, COUNT(*) AS ticker_count, window_start, "
                              "window_end FROM TABLE(TUMBLE(TABLE stock, DESCRIPTOR(event_time), "
                              "INTERVAL '10' SECOND)) GROUP BY ticker, window_start, window_end");
  apps::stock_prices_options tumbling;
  auto want_counts =
      run_job(path, [&](stream<std::string> s) { return apps::stock_prices(s, tumbling); });
  std::vector<window_row> got, want;
  for (const auto& r : counted)
    got.emplace_back(std::string(r.get_string(0)), r.get_long(2), r.get_long(3),
                     std::to_string(r.get_long(1)));
  for (const auto& j : want_counts)
    want.emplace_back(j["ticker"], j["window_start"], j["window_end"],
                      std::to_string(j["count"].get<std::int64_t>()));
  BOOST_TEST(want.size() > 100u);
  BOOST_TEST((sorted_rows(got) == sorted_rows(want)));

  // The guide's sliding minimum price, 10 s every 5 s.
  auto mins = run_sql(ddl, "SELECT ticker, MIN(price) AS min_price, window_start, window_end "
                           "FROM TABLE(HOP(TABLE stock, DESCRIPTOR(event_time), INTERVAL '5' "
                           "SECOND, INTERVAL '10' SECOND)) GROUP BY ticker, window_start, "
                           "window_end");
  apps::stock_prices_options sliding;
  sliding.window = apps::stock_window::sliding;
  auto want_mins =
      run_job(path, [&](stream<std::string> s) { return apps::stock_prices(s, sliding); });
  got.clear();
  want.clear();
  for (const auto& r : mins)
    got.emplace_back(std::string(r.get_string(0)), r.get_long(2), r.get_long(3),
                     price_text(r.get_double(1)));
  for (const auto& j : want_mins)
    want.emplace_back(j["ticker"], j["window_start"], j["window_end"],
                      price_text(j["min_price"].get<double>()));
  BOOST_TEST(want.size() > 100u);
  BOOST_TEST((sorted_rows(got) == sorted_rows(want)));
}

BOOST_AUTO_TEST_CASE(clicks_per_user_sql_equals_the_clicks_per_user_job) {
  const auto seed = test::test_seed("clicks_per_user_sql_equals_the_clicks_per_user_job");
  test::temp_dir dir;
  // The clicks generator's users and times, the time written as ISO-8601 text (the SQL
  // table's TIMESTAMP(3) column; the job reads both forms).
  std::vector<std::string> lines;
  record_rng rng(seed);
  for (std::uint64_t i = 0; i < 2000; ++i) {
    auto j = nlohmann::json::parse(apps::make_clicks_record(i, rng, 20));
    if (j["timestamp"].is_number())
      j["timestamp"] = apps::format_iso8601(
          static_cast<timestamp>(std::llround(j["timestamp"].get<double>() * 1000)), 3, false);
    else
      j["timestamp"] = j["timestamp"].get<std::string>().substr(0, 23);
    lines.push_back(j.dump());
  }
  const auto path = write_lines(dir.str() + "/clicks.jsonl", lines);
  const std::string ddl = "CREATE TABLE clicks (`user` STRING, action STRING, `timestamp` "
                          "TIMESTAMP(3), WATERMARK FOR `timestamp` AS `timestamp` - INTERVAL '5' "
                          "SECOND) WITH ('connector' = 'filesystem', 'path' = '" +
                          path + "', 'format' = 'json')";
  // The legacy GROUP BY TUMBLE form, as the Spark and Flink tutorials write it.
  auto rows =
      run_sql(ddl, "SELECT `user`, COUNT(*) AS clicks, TUMBLE_START(`timestamp`, "
                   "INTERVAL '10' SECOND), TUMBLE_END(`timestamp`, INTERVAL '10' SECOND) "
                   "FROM clicks GROUP BY TUMBLE(`timestamp`, INTERVAL '10' SECOND), `user`");
  auto want_json =
      run_job(path, [](stream<std::string> s) { return apps::clicks_per_user(s, {}); });
  std::vector<window_row> got, want;
  for (const auto& r : rows)
    got.emplace_back(std::string(r.get_string(0)), r.get_long(2), r.get_long(3),
                     std::to_string(r.get_long(1)));
  for (const auto& j : want_json)
    want.emplace_back(j["user"], j["window_start"], j["window_end"],
                      std::to_string(j["clicks"].get<std::int64_t>()));
  BOOST_TEST(want.size() > 50u);
  BOOST_TEST((sorted_rows(got) == sorted_rows(want)));
}
