#define BOOST_TEST_MODULE sqlrt_connectors
#include <boost/test/unit_test.hpp>

// The filesystem connector as a SQL source (json, csv, raw) and sink (json, csv, raw): files
// of generated records through a query into files, compared with a reference computed here;
// malformed records failing the job with their file and line, or skipped with
// '<format>.ignore-parse-errors'; bad options of every connector refused naming the option and
// the table (Kafka and Redis options are checked before any connection is made).

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "spate/core/error.hpp"
#include "spate/sqlrt/table_environment.hpp"
#include "support/collect.hpp"
#include "support/expect_refused.hpp"
#include "support/lines.hpp"
#include "support/temp_dir.hpp"

using namespace spate;
using namespace spate::sql;

namespace {

using test::read_lines;
using test::sorted;
using test::write_file;

struct record {
  long long id;
  std::string name;
  long long cents; // DECIMAL(10, 2)
  bool flag;
  bool name_null;
  int second; // of 2024-01-02 03:04:SS
  int millis;
};

std::string json_escape(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\')
      out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string csv_quote(const std::string& s) {
  if (s.find_first_of(",\"") == std::string::npos &&
      (s.empty() || (s.front() != ' ' && s.back() != ' ')))
    return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"')
      out += '"';
    out += c;
  }
  return out + "\"";
}

std::string decimal(long long cents) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s%lld.%02lld", cents < 0 ? "-" : "", std::llabs(cents) / 100,
                std::llabs(cents) % 100);
  return buf;
}

std::string ts_text(const record& r, bool trim_zeros) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "2024-01-02 03:04:%02d.%03d", r.second, r.millis);
  std::string s = buf;
  if (trim_zeros) {
    while (s.back() == '0')
      s.pop_back();
    if (s.back() == '.')
      s.pop_back();
  }
  return s;
}

std::vector<record> generate(unsigned seed, int n) {
  std::mt19937_64 rng(seed);
  const std::string alphabet = "abcXYZ ,\"'\\é";
  std::vector<record> out;
  for (int i = 0; i < n; ++i) {
    record r;
    r.id = static_cast<long long>(rng() % 1000) - 100;
    const int len = static_cast<int>(rng() % 8);
    for (int k = 0; k < len; ++k) {
      const std::size_t at = rng() % (alphabet.size() - 1);
      if (static_cast<unsigned char>(alphabet[at]) >= 0x80)
        r.name += "é";
      else
        r.name += alphabet[at];
    }
    r.cents = static_cast<long long>(rng() % 200000) - 100000;
    r.flag = rng() % 2;
    r.name_null = rng() % 10 == 0;
    r.second = static_cast<int>(rng() % 60);
    r.millis = static_cast<int>(rng() % 1000);
    out.push_back(r);
  }
  return out;
}

using test::expect_refused;

const char* columns =
    "(id BIGINT, name STRING, price DECIMAL(10, 2), flag BOOLEAN, ts TIMESTAMP(3))";

} // namespace

// JSON lines in, a filter and expressions, CSV out: equal to the reference.
BOOST_AUTO_TEST_CASE(filesystem_json_source_to_csv_sink) {
  const unsigned seed = 7;
  BOOST_TEST_MESSAGE("seed " << seed);
  test::temp_dir dir;
  const auto records = generate(seed, 500);
  std::vector<std::string> input;
  std::vector<std::string> expected;
  for (const auto& r : records) {
    std::string line = "{\"id\":" + std::to_string(r.id) +
                       ",\"name\":" + (r.name_null ? "null" : json_escape(r.name)) +
                       ",\"price\":" + decimal(r.cents) +
                       ",\"flag\":" + (r.flag ? "true" : "false") + ",\"ts\":\"" +
                       ts_text(r, false) + "\",\"extra\":[1,{\"a\":2}]}";
    input.push_back(line);
    if (r.id % 3 == 0)
      continue;
    // id * 2, name, price, NOT flag, ts
    expected.push_back(std::to_string(r.id * 2) + "," + (r.name_null ? "" : csv_quote(r.name)) +
                       "," + decimal(r.cents) + "," + (r.flag ? "false" : "true") + "," +
                       ts_text(r, true));
  }
  write_file(dir.str() + "/in.json", input);
  table_environment t(test::test_config(dir.str(), 2));
  t.execute_sql(std::string("CREATE TABLE src ") + columns +
                " WITH ('connector' = 'filesystem', 'path' = '" + dir.str() +
                "/in.json', 'format' = 'json')");
  t.execute_sql(std::string("CREATE TABLE dst ") + columns +
                " WITH ('connector' = 'filesystem', 'path' = '" + dir.str() +
                "/out', 'format' = 'csv')");
  t.execute_sql("INSERT INTO dst SELECT id * 2, name, price, NOT flag, ts FROM src WHERE id % 3 "
                "<> 0")
      .wait();
  BOOST_TEST(sorted(read_lines(dir.str() + "/out")) == sorted(expected));
}

// CSV in (a directory of files, '|' as delimiter, a null literal), JSON out.
BOOST_AUTO_TEST_CASE(filesystem_csv_source_to_json_sink) {
  const unsigned seed = 11;
  BOOST_TEST_MESSAGE("seed " << seed);
  test::temp_dir dir;
  std::filesystem::create_directories(dir.str() + "/in");
  const auto records = generate(seed, 600);
  std::vector<std::string> files[3];
  std::vector<std::string> expected;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const record& r = records[i];
    std::string name = r.name_null ? "N/A" : r.name;
    if (!r.name_null && (name.find_first_of("|\"") != std::string::npos || name == "N/A" ||
                         (!name.empty() && (name.front() == ' ' || name.back() == ' ')))) {
      std::string q = "\"";
      for (char c : name) {
        if (c == '"')
          q += '"';
        q += c;
      }
      name = q + "\"";
    }
    files[i % 3].push_back(std::to_string(r.id) + "|" + name + "|" + decimal(r.cents) + "|" +
                           (r.flag ? "true" : "false") + "|" + ts_text(r, false));
    if (!r.flag)
      continue;
    expected.push_back("{\"id\":" + std::to_string(r.id) +
                       ",\"name\":" + (r.name_null ? "null" : json_escape(r.name)) + ",\"price\":" +
                       decimal(r.cents) + ",\"flag\":true,\"ts\":\"" + ts_text(r, true) + "\"}");
  }
  for (int f = 0; f < 3; ++f)
    write_file(dir.str() + "/in/part-" + std::to_string(f) + ".csv", files[f]);
  table_environment t(test::test_config(dir.str(), 2));
  t.execute_sql(std::string("CREATE TABLE src ") + columns +
                " WITH ('connector' = 'filesystem', 'path' = '" + dir.str() +
                "/in', 'format' = 'csv', 'csv.field-delimiter' = '|', 'csv.null-literal' = "
                "'N/A')");
  t.execute_sql(std::string("CREATE TABLE dst ") + columns +
                " WITH ('connector' = 'filesystem', 'path' = '" + dir.str() +
                "/out', 'format' = 'json')");
  t.execute_sql("INSERT INTO dst SELECT * FROM src WHERE flag").wait();
  BOOST_TEST(sorted(read_lines(dir.str() + "/out")) == sorted(expected));
  // The sink's directory read back as a source: the same rows.
  t.execute_sql(std::string("CREATE TABLE again ") + columns +
                " WITH ('connector' = 'filesystem', 'path' = '" + dir.str() +
                "/out', 'format' = 'json')");
  t.execute_sql(std::string("CREATE TABLE copy ") + columns +
                " WITH ('connector' = 'filesystem', 'path' = '" + dir.str() +
                "/copy', 'format' = 'json')");
  t.execute_sql("INSERT INTO copy SELECT * FROM again").wait();
  BOOST_TEST(sorted(read_lines(dir.str() + "/copy")) == sorted(expected));
}

// A GROUP BY over a file source: the folded changelog equals the counts of a reference.
BOOST_AUTO_TEST_CASE(filesystem_source_feeds_a_group_aggregate) {
  test::temp_dir dir;
  const auto records = generate(3, 300);
  std::vector<std::string> input;
  std::map<long long, long long> counts;
  for (const auto& r : records) {
    input.push_back(std::to_string(r.id % 7) + ",x");
    counts[r.id % 7]++;
  }
  write_file(dir.str() + "/in.csv", input);
  table_environment t(test::test_config(dir.str(), 1));
  t.execute_sql("CREATE TABLE src (k BIGINT, s STRING) WITH ('connector' = 'filesystem', 'path' "
                "= '" +
                dir.str() + "/in.csv', 'format' = 'csv')");
  auto result = t.execute_sql("SELECT k, COUNT(*) AS c FROM src GROUP BY k");
  result.wait();
  std::map<long long, long long> folded;
  for (const row& r : result.rows_so_far()) {
    if (r.kind() == row_kind::insert || r.kind() == row_kind::update_after)
      folded[r.get_long(0)] = r.get_long(1);
  }
  BOOST_TEST((folded == counts));
}

// Nested ROW fields, escapes (\u00e9, a surrogate pair), BYTES as base64, numbers given as
// strings and missing fields, read from JSON and written back.
BOOST_AUTO_TEST_CASE(json_nested_rows_escapes_and_bytes) {
  test::temp_dir dir;
  write_file(
      dir.str() + "/in.json",
      {R"({"id":"7","p":{"a":"caf\u00e9 \ud83d\ude00","b":2.5},"raw":"AAEC/w==","d":"2024-02-29"})",
       R"({"p":null,"id":8,"unknown":{"x":[1,2,{"y":"}"}]}})", R"({"id":9,"p":{"b":-1e2}})"});
  table_environment t(test::test_config(dir.str(), 1));
  t.execute_sql("CREATE TABLE src (id INT, p ROW<a STRING, b DOUBLE>, raw BYTES, d DATE) WITH "
                "('connector' = 'filesystem', 'path' = '" +
                dir.str() + "/in.json', 'format' = 'json')");
  t.execute_sql("CREATE TABLE dst (id INT, a STRING, b DOUBLE, raw BYTES, d DATE) WITH "
                "('connector' = 'filesystem', 'path' = '" +
                dir.str() + "/out', 'format' = 'json')");
  t.execute_sql("INSERT INTO dst SELECT id, p.a, p.b, raw, d FROM src").wait();
  BOOST_TEST(sorted(read_lines(dir.str() + "/out")) ==
             sorted({"{\"id\":7,\"a\":\"caf\xc3\xa9 \xf0\x9f\x98\x80\",\"b\":2.5,\"raw\":"
                     "\"AAEC/w==\",\"d\":\"2024-02-29\"}",
                     "{\"id\":8,\"a\":null,\"b\":null,\"raw\":null,\"d\":null}",
                     "{\"id\":9,\"a\":null,\"b\":-100.0,\"raw\":null,\"d\":null}"}));
}

// raw: each line one STRING value, written back as lines.
BOOST_AUTO_TEST_CASE(raw_format_lines_in_and_out) {
  test::temp_dir dir;
  write_file(dir.str() + "/in.txt", {"hello world", "{not json}", "", "a,b,\"c\""});
  table_environment t(test::test_config(dir.str(), 1));
  t.execute_sql("CREATE TABLE src (line STRING) WITH ('connector' = 'filesystem', 'path' = '" +
                dir.str() + "/in.txt', 'format' = 'raw')");
  t.execute_sql("CREATE TABLE dst (line STRING) WITH ('connector' = 'filesystem', 'path' = '" +
                dir.str() + "/out', 'format' = 'raw')");
  t.execute_sql("INSERT INTO dst SELECT UPPER(line) FROM src").wait();
  BOOST_TEST(sorted(read_lines(dir.str() + "/out")) ==
             sorted({"HELLO WORLD", "{NOT JSON}", "", "A,B,\"C\""}));
}

// A malformed record fails the job naming its file and line, unless the format's
// ignore-parse-errors option skips it.
BOOST_AUTO_TEST_CASE(malformed_records_fail_with_their_position_or_are_skipped) {
  test::temp_dir dir;
  write_file(dir.str() + "/in.json",
             {"{\"id\":1,\"name\":\"a\"}", "{\"id\":2,\"name\":\"b\"}", "{\"id\":\"three\"}",
              "{\"id\":4,\"name\":\"d\"}", "{\"id\":5,", "{\"id\":6}"});
  write_file(dir.str() + "/in.csv", {"1,a", "2,b,c", "x,c", "4,d"});
  for (const char* format : {"json", "csv"}) {
    const std::string f = format;
    const std::string path = dir.str() + "/in." + f;
    {
      table_environment t(test::test_config(dir.str(), 1));
      t.execute_sql("CREATE TABLE src (id BIGINT, name STRING) WITH ('connector' = "
                    "'filesystem', 'path' = '" +
                    path + "', 'format' = '" + f + "')");
      t.execute_sql("CREATE TABLE dst (id BIGINT, name STRING) WITH ('connector' = "
                    "'blackhole')");
      expect_refused(t, "INSERT INTO dst SELECT * FROM src",
                     {"table 'default_catalog.default_database.src'", "malformed " + f + " record",
                      path + ":" + (f == "json" ? "3" : "2"), f + ".ignore-parse-errors"});
    }
    table_environment t(test::test_config(dir.str(), 1));
    t.execute_sql("CREATE TABLE src (id BIGINT, name STRING) WITH ('connector' = 'filesystem', "
                  "'path' = '" +
                  path + "', 'format' = '" + f + "', '" + f + ".ignore-parse-errors' = 'true')");
    auto r = t.execute_sql("SELECT id FROM src");
    auto rows = r.collect();
    const std::vector<std::string> want =
        f == "json" ? std::vector<std::string>{"+I[1]", "+I[2]", "+I[4]", "+I[6]"}
                    : std::vector<std::string>{"+I[1]", "+I[4]"};
    BOOST_TEST(sorted(rows) == want);
  }
}

// The json decoder (simdjson's On-Demand API) on edge cases, with Flink's json format (Jackson)
// as the reference: a duplicate key's last value wins; the non-finite doubles the json sink
// writes (NaN, -Infinity) are read back; a nested value in a STRING column is its JSON text;
// deep nesting in an undeclared field is skipped; an escaped key matches its column. Text after the
// object, a truncated object, raw control characters in strings, bytes that are not UTF-8, a lone
// surrogate escape and tokens that are not JSON (nul, +13, 013) make the record malformed: skipped
// here.
BOOST_AUTO_TEST_CASE(json_edge_cases_follow_flink) {
  test::temp_dir dir;
  const std::string deep = std::string(2000, '[') + std::string(2000, ']');
  write_file(dir.str() + "/in.json",
             {R"({"id":1,"s":"a","id":10})", R"({"id":2,"d":NaN})",
              R"({"id":3,"d":-Infinity,"s":1.50})", R"({"id":4,"u":)" + deep + "}",
              R"({"id":5,"s":"x"} {"id":6})", R"({"id":7,"s":"x"}})", "{\"id\":8,\"s\":\"a\tb\"}",
              "{\"id\":9,\"s\":\"\xff\"}", R"({"id":11,"s":"\ud83d"})", R"({"id":12,"s":nul})",
              R"({"id":+13})", R"({"id":013})", R"({"id":14,"s":{"k": [1, 2] } })",
              R"({"id":15,"s":"é")", R"({"id":"16","d":"2.5"})", R"({"id":17,"s":true,"d":1e2})",
              R"( {"id":18,"u":{"x":"\u00e9"}}  )", R"({"\u0069d":19,"s":"caf\u00e9"})"});
  table_environment t(test::test_config(dir.str(), 1));
  t.execute_sql("CREATE TABLE src (id BIGINT, s STRING, d DOUBLE) WITH ('connector' = "
                "'filesystem', 'path' = '" +
                dir.str() + "/in.json', 'format' = 'json', 'json.ignore-parse-errors' = 'true')");
  BOOST_TEST(sorted(t.execute_sql("SELECT id, s, d FROM src").collect()) ==
                 sorted({"+I[10, a, NULL]", "+I[2, NULL, NaN]", "+I[3, 1.50, -Infinity]",
                         "+I[4, NULL, NULL]", "+I[14, {\"k\": [1, 2] }, NULL]", "+I[16, NULL, 2.5]",
                         "+I[17, true, 100.0]", "+I[18, NULL, NULL]", "+I[19, caf\xc3\xa9, NULL]"}),
             boost::test_tools::per_element());
}

// Bad options: each refused naming the option and the table, before anything connects.
BOOST_AUTO_TEST_CASE(bad_options_are_refused_by_name) {
  test::temp_dir dir;
  write_file(dir.str() + "/in.json", {"{\"id\":1}"});
  table_environment t(test::test_config(dir.str(), 1));
  t.execute_sql("CREATE TABLE gen (id BIGINT, s STRING) WITH ('connector' = 'datagen', "
                "'number-of-rows' = '1')");
  int n = 0;
  auto sink = [&](const std::string& with, const std::string& cols = "(id BIGINT, s STRING)",
                  const std::string& select = "SELECT id, s FROM gen") {
    const std::string name = "t" + std::to_string(++n);
    t.execute_sql("CREATE TABLE " + name + " " + cols + " WITH (" + with + ")");
    return std::make_pair("INSERT INTO " + name + " " + select,
                          "table 'default_catalog.default_database." + name + "'");
  };
  auto source = [&](const std::string& with, const std::string& cols = "(id BIGINT, s STRING)") {
    const std::string name = "s" + std::to_string(++n);
    t.execute_sql("CREATE TABLE " + name + " " + cols + " WITH (" + with + ")");
    return std::make_pair("SELECT * FROM " + name,
                          "table 'default_catalog.default_database." + name + "'");
  };
  auto check = [&](const std::pair<std::string, std::string>& stmt, const std::string& part) {
    expect_refused(t, stmt.first, {part, stmt.second});
  };
  const std::string fs = "'connector' = 'filesystem', ";
  const std::string in = "'path' = '" + dir.str() + "/in.json', ";
  check(sink(fs + "'format' = 'json'"), "'path' is required");
  check(sink(fs + "'path' = '" + dir.str() + "/o', 'format' = 'xml'"), "'format'");
  check(sink(fs + "'path' = '" + dir.str() + "/o'"), "'format' is required");
  check(sink(fs + "'path' = '" + dir.str() +
             "/o', 'format' = 'csv', 'csv.field-delimiter' = "
             "'ab'"),
        "'csv.field-delimiter'");
  check(sink(fs + "'path' = '" + dir.str() + "/o', 'format' = 'json', 'json.nope' = 'x'"),
        "'json.nope'");
  check(sink(fs + "'path' = '" + dir.str() + "/o', 'format' = 'raw'"), "raw format");
  check(sink(fs + "'path' = '" + dir.str() +
             "/o', 'format' = 'json', 'json.ignore-parse-errors' "
             "= 'maybe'"),
        "'json.ignore-parse-errors'");
  check(source(fs + in + "'format' = 'json', 'source.monitor-interval' = '1 s'"),
        "source.monitor-interval");
  check(source(fs + "'path' = '" + dir.str() + "/missing', 'format' = 'json'"), "missing");
  // kafka
  const std::string k = "'connector' = 'kafka', 'topic' = 't', 'format' = 'json', ";
  check(sink("'connector' = 'kafka', 'topic' = 't', 'format' = 'json'"),
        "'properties.bootstrap.servers' is required");
  check(sink("'connector' = 'kafka', 'properties.bootstrap.servers' = 'localhost:1', 'format' = "
             "'json'"),
        "'topic' is required");
  check(sink(k + "'properties.bootstrap.servers' = 'localhost:1', 'sink.delivery-guarantee' = "
                 "'exactly-once'"),
        "sink.transactional-id-prefix");
  check(sink(k + "'properties.bootstrap.servers' = 'localhost:1', 'sink.delivery-guarantee' = "
                 "'twice'"),
        "sink.delivery-guarantee");
  check(source(k + "'properties.bootstrap.servers' = 'localhost:1', 'scan.startup.mode' = "
                   "'sometime'"),
        "scan.startup.mode");
  check(source(k + "'properties.bootstrap.servers' = 'localhost:1', 'scan.startup.mode' = "
                   "'group-offsets'"),
        "properties.group.id");
  check(sink(k + "'properties.bootstrap.servers' = 'localhost:1', 'key.fields' = 'nope', "
                 "'key.format' = 'raw'"),
        "'key.fields'");
  check(sink(k + "'properties.bootstrap.servers' = 'localhost:1', 'value.fields-include' = "
                 "'SOME'"),
        "'value.fields-include'");
  check(sink(k + "'properties.bootstrap.servers' = 'localhost:1', 'scan.what' = 'x'"),
        "'scan.what'");
  // upsert-kafka
  const std::string u = "'connector' = 'upsert-kafka', 'topic' = 't', "
                        "'properties.bootstrap.servers' = 'localhost:1', 'value.format' = 'json', ";
  check(sink(u + "'key.format' = 'raw', 'key.fields' = 's'",
             "(s STRING, c BIGINT, PRIMARY KEY (s) NOT ENFORCED)",
             "SELECT s, COUNT(*) FROM gen GROUP BY s"),
        "'key.fields' is not allowed");
  check(sink(u + "'key.format' = 'raw'", "(s BIGINT, c BIGINT, PRIMARY KEY (s) NOT ENFORCED)",
             "SELECT id, COUNT(*) FROM gen GROUP BY id"),
        "raw format");
  check(sink(u + "'key.format' = 'raw'", "(s STRING, c BIGINT, PRIMARY KEY (s, c) NOT ENFORCED)",
             "SELECT s, COUNT(*) FROM gen GROUP BY s"),
        "raw format");
  check(sink(u.substr(0, u.size() - 2), "(s STRING, c BIGINT, PRIMARY KEY (s) NOT ENFORCED)",
             "SELECT s, COUNT(*) FROM gen GROUP BY s"),
        "'key.format' is required");
  check(source(u + "'key.format' = 'raw'"), "'upsert-kafka' as a source");
  // redis
  const std::string r = "'connector' = 'redis', 'port' = '1', ";
  check(sink(r + "'command' = 'zadd'"), "'command' = 'zadd'");
  check(sink(r + "'command' = 'set', 'field' = '{s}'"), "'field'");
  check(sink("'connector' = 'redis', 'port' = 'x'"), "port");
  check(sink(r + "'key' = 'k:{nope'"), "'key'");
  check(sink(r + "'ttl' = '-5'"), "ttl");
  check(sink(r + "'bogus' = '1'"), "'bogus'");
}

// An upsert-kafka table without PRIMARY KEY is refused with Flink's message, naming the table,
// whatever the query.
BOOST_AUTO_TEST_CASE(upsert_kafka_needs_a_primary_key) {
  test::temp_dir dir;
  table_environment t(test::test_config(dir.str(), 1));
  t.execute_sql("CREATE TABLE gen (id BIGINT, s STRING) WITH ('connector' = 'datagen', "
                "'number-of-rows' = '1')");
  const std::string with = " WITH ('connector' = 'upsert-kafka', 'topic' = 't', "
                           "'properties.bootstrap.servers' = 'localhost:1', 'key.format' = "
                           "'json', 'value.format' = 'json')";
  t.execute_sql("CREATE TABLE nokey (s STRING, c BIGINT)" + with);
  const std::string flink =
      "'upsert-kafka' tables require to define a PRIMARY KEY constraint. The PRIMARY KEY "
      "specifies which columns should be read from or write to the Kafka message key. The "
      "PRIMARY KEY also defines records in the 'upsert-kafka' table should update or delete on "
      "which keys.";
  const std::string table = "table 'default_catalog.default_database.nokey'";
  expect_refused(t, "INSERT INTO nokey SELECT s, COUNT(*) FROM gen GROUP BY s", {flink, table});
  expect_refused(t, "INSERT INTO nokey SELECT s, id FROM gen", {flink, table});
  expect_refused(t,
                 "INSERT INTO nokey SELECT s, id FROM (SELECT s, id, ROW_NUMBER() OVER "
                 "(PARTITION BY s ORDER BY id DESC) AS rn FROM gen) WHERE rn <= 2",
                 {flink, table});
}
