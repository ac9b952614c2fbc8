// The jobs' JSON: records read with simdjson On-Demand into the jobs' types
// (edge cases and the messages naming a malformed record), and JSON written
// without a DOM, byte for byte as nlohmann_json wrote it before.
#define BOOST_TEST_MODULE json_input
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <spdlog/sinks/ringbuffer_sink.h>

#include "spate/api/testing.hpp"
#include "spate/apps/event_time_jobs.hpp"
#include "spate/apps/json_writer.hpp"
#include "spate/apps/pipelines.hpp"
#include "spate/core/log.hpp"
#include "support/seed.hpp"

using namespace spate;

namespace {

// ---------------------------------------------------------------------------
// Reading: one line through a job's "Parse JSON" operator.

template <class R>
struct parsed {
  std::vector<R> records;
  std::int64_t malformed = 0;
  std::string log; // the malformed reporter's warning, if any
};

template <class R>
parsed<R> parse_line(const std::string& line, json_record_format<R> format) {
  auto captured = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(10);
  log().sinks().push_back(captured);
  auto counter = std::make_shared<apps::malformed_counter>();
  parsed<R> out;
  {
    testing::operator_harness<std::string, R> h([&](stream<std::string> s) {
      return s.process(apps::json_record_parser<R>("job", format, counter)).name("Parse JSON");
    });
    h.process_element(line);
    for (auto& [r, ts] : h.extract_output())
      out.records.push_back(r);
    h.close();
  }
  log().sinks().pop_back();
  out.malformed = counter->count();
  for (auto& m : captured->last_formatted())
    out.log += m;
  return out;
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

//! Checks that `line` is skipped as malformed with `reason`, and that the log
//! names the record.
template <class R>
void expect_malformed(const std::string& line, json_record_format<R> format,
                      const std::string& reason) {
  BOOST_TEST_CONTEXT("line " << line) {
    auto p = parse_line(line, std::move(format));
    BOOST_TEST(p.records.empty());
    BOOST_TEST(p.malformed == 1);
    BOOST_TEST(contains(p.log, reason), p.log);
    BOOST_TEST(contains(p.log, " in: " + line.substr(0, 60)), p.log);
  }
}

constexpr timestamp T = 1704067200000; // 2024-01-01T00:00:00Z

} // namespace

BOOST_AUTO_TEST_CASE(trending_hashtags_reads_escapes_unicode_and_extra_fields) {
  auto f = apps::hashtag_post_format;
  // An escaped and a raw non-ASCII hashtag, extra and nested fields, any order.
  auto p = parse_line(R"({"timestamp":1704067201.5,"extra":{"a":[1,2,{"b":null}]},)"
                      R"("hashtag_principal":"#caf\u00e9","usuario":"x"})",
                      f());
  BOOST_TEST_REQUIRE(p.records.size() == 1u, p.log);
  BOOST_TEST(p.records[0].hashtag == "#café");
  BOOST_TEST(p.records[0].ts == T + 1500);
  p = parse_line(R"({"hashtag_principal":"#a\"b\\c ñ 😀","timestamp":1704067200})", f());
  BOOST_TEST_REQUIRE(p.records.size() == 1u, p.log);
  BOOST_TEST(p.records[0].hashtag == "#a\"b\\c ñ 😀");
  // Filtered, not malformed: no hashtag, null, "".
  for (const char* line :
       {R"({"timestamp":1704067200})", R"({"timestamp":1704067200,"hashtag_principal":null})",
        R"({"timestamp":1704067200,"hashtag_principal":""})"}) {
    p = parse_line(line, f());
    BOOST_TEST(p.records.empty());
    BOOST_TEST(p.malformed == 0);
  }
}

BOOST_AUTO_TEST_CASE(trending_hashtags_malformed_records_say_why) {
  auto f = apps::hashtag_post_format;
  expect_malformed(R"({"usuario":"rota","texto":"sin cerrar")", f(), "not JSON");
  expect_malformed(R"({"hashtag_principal":"#a","timestamp":17040)", f(), "not JSON");
  expect_malformed(R"({"hashtag_principal":"#a"})", f(), "missing field 'timestamp'");
  expect_malformed(R"({"hashtag_principal":"#a","timestamp":null})", f(),
                   "missing field 'timestamp'");
  expect_malformed(R"({"hashtag_principal":"#a","timestamp":"1704067200"})", f(),
                   "field 'timestamp' is string, expected a number of epoch seconds");
  expect_malformed(R"({"hashtag_principal":"#a","timestamp":1704067200000})", f(),
                   "field 'timestamp' = 1704067200000 is not a time in epoch seconds");
  expect_malformed(R"({"hashtag_principal":42,"timestamp":1704067200})", f(),
                   "field 'hashtag_principal' is not a string but number");
  expect_malformed(R"({"hashtag_principal":["#a"],"timestamp":1704067200})", f(),
                   "field 'hashtag_principal' is not a string but array");
  expect_malformed("[1,2,3]", f(), "not a JSON object but array");
  expect_malformed(R"("#a")", f(), "not a JSON object but string");
  expect_malformed("plain text", f(), "not JSON");
  expect_malformed(R"({"hashtag_principal":"#a","timestamp":1704067200} {})", f(), "not JSON");
}

BOOST_AUTO_TEST_CASE(clicks_per_user_edge_cases) {
  auto f = apps::user_click_format;
  auto p =
      parse_line(R"({"action":"x","user":"\u0061lice","timestamp":"2024-01-01T00:00:01Z"})", f());
  BOOST_TEST_REQUIRE(p.records.size() == 1u, p.log);
  BOOST_TEST(p.records[0].user == "alice");
  BOOST_TEST(p.records[0].ts == T + 1000);
  p = parse_line(R"({"user":"bob","timestamp":1704067202})", f());
  BOOST_TEST_REQUIRE(p.records.size() == 1u, p.log);
  BOOST_TEST(p.records[0].ts == T + 2000);
  expect_malformed(R"({"action":"click","timestamp":1704067226})", f(), "missing field 'user'");
  expect_malformed(R"({"user":7,"timestamp":1704067226})", f(),
                   "field 'user' is not a string but number");
  expect_malformed(
      R"({"user":"erin","timestamp":"2024-13-01T00:00:00Z"})", f(),
      R"(field 'timestamp' = "2024-13-01T00:00:00Z" is not an ISO-8601 date and time)");
  expect_malformed(R"({"user":"erin","timestamp":"caf\u00e9\n"})", f(),
                   R"(field 'timestamp' = "café\n" is not an ISO-8601)");
  expect_malformed(R"({"user":"erin","timestamp":true})", f(),
                   "field 'timestamp' is boolean, expected epoch seconds or an ISO-8601 string");
}

BOOST_AUTO_TEST_CASE(stock_prices_edge_cases) {
  auto f = apps::stock_tick_format;
  auto p = parse_line(R"({"price":12.25,"ticker":"AAPL","event_time":"2024-01-01T00:00:01"})", f());
  BOOST_TEST_REQUIRE(p.records.size() == 1u, p.log);
  BOOST_TEST(p.records[0].ticker == "AAPL");
  BOOST_TEST(p.records[0].price == 12.25);
  BOOST_TEST(p.records[0].ts == T + 1000);
  p = parse_line(R"({"event_time":"2024-01-01T00:00:01","ticker":"A","price":-1E2})", f());
  BOOST_TEST_REQUIRE(p.records.size() == 1u, p.log);
  BOOST_TEST(p.records[0].price == -100.0);
  expect_malformed(R"({"event_time":"2024-01-01T00:00:13","ticker":"AAPL","price":"12"})", f(),
                   "field 'price' is not a number but string");
  expect_malformed(R"({"event_time":"2024-01-01T00:00:13","price":12})", f(),
                   "missing field 'ticker'");
  expect_malformed(R"({"event_time":1704067213,"ticker":"AAPL","price":12})", f(),
                   "field 'event_time' is number, expected an ISO-8601 string");
  expect_malformed(R"({"event_time":"2024-01-01T00:00:41","ticker":"AAPL",)", f(), "not JSON");
  expect_malformed(R"({"event_time":"2024-01-01T00:00:41","ticker":"AAPL","price":1e999})", f(),
                   "not JSON in field 'price'");
}

// ---------------------------------------------------------------------------
// Writing

BOOST_AUTO_TEST_CASE(numbers_are_written_as_nlohmann_json_writes_them) {
  const double specials[] = {0.0,
                             -0.0,
                             1.0,
                             -1.0,
                             0.5,
                             0.001,
                             0.0001,
                             1e-5,
                             12.3,
                             99.99,
                             1e8,
                             1e15,
                             1e16,
                             1e300,
                             5e-324,
                             1e-300,
                             1704067201.5,
                             1704067450.0005,
                             123456789012.345,
                             -2.5e-7,
                             3.14159,
                             0.1 + 0.2};
  for (double v : specials) {
    std::string s;
    apps::append_json_number(s, v);
    BOOST_TEST(s == nlohmann::json(v).dump());
  }
  std::string s;
  apps::append_json_number(s, std::numeric_limits<double>::infinity());
  BOOST_TEST(s == "null");
  s.clear();
  apps::append_json_number(s, std::int64_t{-9223372036854775807LL - 1});
  BOOST_TEST(s == "-9223372036854775808");
  // Values with up to three decimals (times, prices): always the same text.
  const auto seed = test::test_seed("numbers_are_written_as_nlohmann_json_writes_them");
  std::mt19937_64 rng(seed);
  for (int i = 0; i < 200000; ++i) {
    auto m = static_cast<std::int64_t>(rng() % 4000000000000000ULL) - 2000000000000000LL;
    double v = static_cast<double>(m) / (i % 2 ? 1000.0 : 100.0);
    s.clear();
    apps::append_json_number(s, v);
    BOOST_TEST_REQUIRE(s == nlohmann::json(v).dump());
  }
  // Any double reads back as itself (nlohmann's Grisu2 now and then writes one
  // digit more than the shortest, which we write).
  for (int i = 0; i < 200000; ++i) {
    std::uint64_t bits = rng();
    double v;
    std::memcpy(&v, &bits, sizeof v);
    if (!std::isfinite(v))
      continue;
    s.clear();
    apps::append_json_number(s, v);
    BOOST_TEST_REQUIRE(nlohmann::json::parse(s).get<double>() == v, s);
  }
}

BOOST_AUTO_TEST_CASE(strings_are_escaped_as_nlohmann_json_escapes_them) {
  std::vector<std::string> cases{"",
                                 "plain",
                                 "quote \" and backslash \\ and slash /",
                                 "a much longer plain text of more than eight bytes",
                                 "ñandú café 😀 ¿qué?",
                                 std::string("nul \0 here", 10)};
  std::string controls;
  for (char c = 1; c < 0x20; ++c)
    controls += c;
  controls += "\x7f";
  cases.push_back(controls);
  cases.push_back("12345678\"12345678\\1234567\n");
  for (const auto& c : cases) {
    std::string s;
    apps::append_json_string(s, c);
    BOOST_TEST(s == nlohmann::json(c).dump());
  }
}

BOOST_AUTO_TEST_CASE(objects_and_generated_records_match_nlohmann_json) {
  std::string s;
  apps::json_object_writer(s)
      .field("window_start", std::int64_t{T})
      .field("hashtag", "#a\"b")
      .field("texto", {"Hoy ", "#x", " ya"})
      .field("price", 12.5)
      .close();
  BOOST_TEST(s == R"({"window_start":1704067200000,"hashtag":"#a\"b","texto":"Hoy #x ya",)"
                  R"("price":12.5})");
  // Every generator's records read back and written again by nlohmann_json
  // are the same bytes: the hand-written text is what the DOM wrote.
  for (std::uint64_t seq = 0; seq < 3000; ++seq) {
    record_rng rng;
    rng.seed(generator_record_seed(11, seq));
    for (const std::string& line :
         {apps::make_trending_hashtags_record(seq, rng, 5), apps::make_clicks_record(seq, rng, 20),
          apps::make_stock_record(seq, rng, 10), apps::make_sensor_record(seq, rng, 100, 1000)})
      BOOST_TEST_REQUIRE(nlohmann::ordered_json::parse(line).dump() == line, line);
  }
}
