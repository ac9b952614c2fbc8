#define BOOST_TEST_MODULE json_lines_source
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "connectors/source_harness.hpp"
#include "spate/connectors/json_lines_source.hpp"
#include "spate/core/error.hpp"
#include "spate/core/log.hpp"

#include <spdlog/sinks/ringbuffer_sink.h>

using namespace spate;
using nlohmann::json;

BOOST_AUTO_TEST_CASE(valid_and_malformed_lines) {
  test::temp_dir dir;
  test::write_file(dir / "events.jsonl", "{\"id\": 1, \"name\": \"a\"}\n"
                                         "{\"id\": 2, broken\n"
                                         "\n"
                                         "   \r\n"
                                         "[1, 2, 3]\r\n"
                                         "not json at all\n"
                                         "{\"id\": 3}\n"
                                         "42\n"
                                         "{\"unterminated\": \"x");
  std::int64_t process_before = json_malformed_records();
  json_lines_source_function source(dir / "events.jsonl");
  auto out = test::drain(source, 0, 1, 2);
  std::vector<json> expected = {json{{"id", 1}, {"name", "a"}}, json::array({1, 2, 3}),
                                json{{"id", 3}}, json(42)};
  BOOST_TEST((out == expected));
  BOOST_TEST(source.malformed_count() == 3);
  BOOST_TEST(json_malformed_records() - process_before == 3);
}

BOOST_AUTO_TEST_CASE(many_malformed_lines_are_counted) {
  test::temp_dir dir;
  std::string content;
  for (int i = 0; i < 500; ++i)
    content += (i % 5 == 0) ? "{\"n\": " + std::to_string(i) + "}\n" : "{oops\n";
  test::write_file(dir / "f.jsonl", content);
  // Capture the log to see the rate limit at work.
  auto captured = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(100);
  log().sinks().push_back(captured);
  json_lines_source_function source(dir / "f.jsonl");
  auto out = test::drain(source, 0, 1, 50);
  log().sinks().pop_back();
  BOOST_TEST_REQUIRE(out.size() == 100u);
  for (std::size_t k = 0; k < out.size(); ++k)
    BOOST_TEST(out[k]["n"].get<int>() == static_cast<int>(5 * k));
  BOOST_TEST(source.malformed_count() == 400);
  // One line at the first malformed line, the rest summed up at the end (a
  // third one only if draining took over a second).
  auto messages = captured->last_formatted();
  BOOST_TEST_REQUIRE(messages.size() >= 2u);
  BOOST_TEST(messages.size() <= 3u);
  BOOST_TEST(messages[0].find("f.jsonl:2:") != std::string::npos, messages[0]);
  BOOST_TEST(messages.back().find("f.jsonl:500:") != std::string::npos, messages.back());
  long skipped = 0;
  for (const std::string& m : messages) {
    auto at = m.find("skipped ");
    BOOST_TEST_REQUIRE(at != std::string::npos);
    skipped += std::stol(m.substr(at + 8));
  }
  BOOST_TEST(skipped == 400);
}

BOOST_AUTO_TEST_CASE(directory_of_json_files_is_split) {
  test::temp_dir dir;
  test::write_file(dir / "a.jsonl", "{\"f\": \"a\"}\n");
  test::write_file(dir / "b.jsonl", "{\"f\": \"b\"}\n");
  auto spec = json_lines_file_source(dir.path());
  auto first = test::drain(spec, 0, 2);
  auto second = test::drain(spec, 1, 2);
  BOOST_TEST_REQUIRE(first.size() == 1u);
  BOOST_TEST_REQUIRE(second.size() == 1u);
  BOOST_TEST(first[0]["f"].get<std::string>() == "a");
  BOOST_TEST(second[0]["f"].get<std::string>() == "b");
}

BOOST_AUTO_TEST_CASE(missing_file_error_names_the_path) {
  test::temp_dir dir;
  std::string missing = dir / "none.jsonl";
  auto source = json_lines_file_source(missing).factory();
  runtime_context ctx;
  BOOST_CHECK_EXCEPTION(source->open(ctx), spate::error, [&](const spate::error& e) {
    return e.code() == errc::not_found &&
           std::string(e.what()).find("'" + missing + "'") != std::string::npos;
  });
}

namespace {

struct point {
  std::string name;
  double x = 0;
  bool operator==(const point& o) const { return name == o.name && x == o.x; }
};

std::ostream& operator<<(std::ostream& os, const point& p) {
  return os << "{" << p.name << ", " << p.x << "}";
}

json_record_format<point> point_format() {
  return {{"name", "x"}, [](const json_record& r) -> std::optional<point> {
            if (r[0].kind != json_field::string)
              throw bad_record("field 'name' is not a string");
            if (r[1].kind != json_field::number)
              return std::nullopt; // a filter
            return point{std::string(r[0].text), r[1].number_value};
          }};
}

} // namespace

BOOST_AUTO_TEST_CASE(typed_records_read_only_their_fields) {
  test::temp_dir dir;
  test::write_file(dir / "points.jsonl", "{\"name\": \"a\", \"x\": 1.5, \"skip\": [1, {}]}\n"
                                         "{\"name\": \"b\", broken\n"
                                         "\n"
                                         "[1, 2]\n"
                                         "{\"name\": 7, \"x\": 1}\n"
                                         "{\"name\": \"c\"}\n"
                                         "{\"x\": -2, \"name\": \"caf\\u00e9\"}\r\n"
                                         "{\"name\": \"d\", \"x\": 3");
  auto captured = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(100);
  log().sinks().push_back(captured);
  json_records_source_function<point> source(dir / "points.jsonl", point_format());
  std::int64_t process_before = json_malformed_records();
  auto out = test::drain(source, 0, 1, 2);
  log().sinks().pop_back();
  std::vector<point> expected{{"a", 1.5}, {"café", -2}};
  BOOST_TEST(out == expected, boost::test_tools::per_element());
  // broken, [1, 2], a name that is a number, the truncated last line
  BOOST_TEST(source.malformed_count() == 4);
  BOOST_TEST(json_malformed_records() - process_before == 4);
  auto messages = captured->last_formatted();
  BOOST_TEST_REQUIRE(!messages.empty());
  BOOST_TEST(messages[0].find("points.jsonl:2: not JSON") != std::string::npos, messages[0]);
  BOOST_TEST(messages.back().find("points.jsonl:8: not JSON") != std::string::npos,
             messages.back());
}

BOOST_AUTO_TEST_CASE(typed_source_splits_a_directory) {
  test::temp_dir dir;
  test::write_file(dir / "a.jsonl", "{\"name\": \"a\", \"x\": 1}\n");
  test::write_file(dir / "b.jsonl", "{\"name\": \"b\", \"x\": 2}\n");
  auto spec = json_lines_file_source<point>(dir.path(), point_format());
  auto first = test::drain(spec, 0, 2);
  auto second = test::drain(spec, 1, 2);
  BOOST_TEST_REQUIRE(first.size() == 1u);
  BOOST_TEST_REQUIRE(second.size() == 1u);
  BOOST_TEST(first[0].name == "a");
  BOOST_TEST(second[0].name == "b");
}
