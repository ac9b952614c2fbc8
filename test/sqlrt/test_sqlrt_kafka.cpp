#define BOOST_TEST_MODULE sqlrt_kafka
#include <boost/test/unit_test.hpp>

// The kafka, upsert-kafka and redis SQL connectors on a real broker and a real redis-server:
// rows read from a topic and written to another equal what was produced; a GROUP BY into
// upsert-kafka leaves the reference counts as the latest value per key; a GROUP BY into redis
// (SET and HSET) leaves the reference counts as keys; queries that delete (a Top-N without its
// rank number, an aggregate over an aggregate) into upsert-kafka leave, once compacted by key,
// the reference, with JSON keys of a multi-column PRIMARY KEY and deletes as null-valued
// tombstones, and into redis leave exactly the reference's keys (DEL, HDEL); a malformed Kafka
// record fails the job naming it, or is skipped; and a `spate sql -f` job reading Kafka into
// upsert-kafka and redis,
// SIGKILLed after a checkpoint and restored from it, ends with the state of a run without the
// kill.

#include <signal.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "spate/core/error.hpp"
#include "spate/sqlrt/table_environment.hpp"
#include "support/collect.hpp"
#include "support/kafka_broker.hpp"
#include "support/process.hpp"
#include "support/redis_server.hpp"
#include "support/temp_dir.hpp"

using namespace spate;
using namespace spate::sql;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

test::kafka_broker& broker() {
  static test::kafka_broker b;
  return b;
}

std::multiset<std::string> as_set(const std::vector<std::string>& v) {
  return {v.begin(), v.end()};
}

//! (key, value) of every record of a topic, per partition in offset order.
std::vector<std::pair<std::string, std::string>>
keyed_records(const std::string& topic, const std::string& isolation = "read_committed") {
  std::string out = test::shell("kcat -C -b " + broker().bootstrap() + " -t " + topic +
                                " -e -q -f '%k\\t%s\\n' -X isolation.level=" + isolation);
  std::vector<std::pair<std::string, std::string>> records;
  std::size_t begin = 0;
  while (begin < out.size()) {
    auto nl = out.find('\n', begin);
    if (nl == std::string::npos)
      nl = out.size();
    std::string line = out.substr(begin, nl - begin);
    begin = nl + 1;
    auto tab = line.find('\t');
    if (tab != std::string::npos)
      records.emplace_back(line.substr(0, tab), line.substr(tab + 1));
  }
  return records;
}

//! key -> latest value of a topic (read committed); an empty value (tombstone) erases.
std::map<std::string, std::string> latest_per_key(const std::string& topic) {
  std::string out = test::shell("kcat -C -b " + broker().bootstrap() + " -t " + topic +
                                " -e -q -f '%k\\t%s\\n' -X isolation.level=read_committed");
  std::map<std::string, std::string> m;
  std::size_t begin = 0;
  while (begin < out.size()) {
    auto nl = out.find('\n', begin);
    if (nl == std::string::npos)
      nl = out.size();
    std::string line = out.substr(begin, nl - begin);
    begin = nl + 1;
    auto tab = line.find('\t');
    if (tab == std::string::npos)
      continue;
    std::string value = line.substr(tab + 1);
    if (value.empty())
      m.erase(line.substr(0, tab));
    else
      m[line.substr(0, tab)] = value;
  }
  return m;
}

//! The BIGINT field `name` of a flat JSON object.
long long json_long(const std::string& json, const std::string& name) {
  auto at = json.find("\"" + name + "\":");
  if (at == std::string::npos)
    return -1;
  return std::stoll(json.substr(at + name.size() + 3));
}

std::string kafka_with(const std::string& topic, const std::string& extra = "") {
  return "'connector' = 'kafka', 'topic' = '" + topic + "', 'properties.bootstrap.servers' = '" +
         broker().bootstrap() + "'" + (extra.empty() ? "" : ", " + extra);
}

std::vector<std::string> words(int n, int distinct, int offset = 0) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i)
    out.push_back("w" + std::to_string((i + offset) * 7 % distinct));
  return out;
}

std::map<std::string, long long> count(const std::vector<std::string>& v) {
  std::map<std::string, long long> m;
  for (const auto& w : v)
    m[w]++;
  return m;
}

//! A Kafka message as kcat reads it: a null key or value has no text.
struct message {
  std::optional<std::string> key, value;
};

//! Every message of `topic` with null keys and values told apart from empty ones (kcat's %K
//! and %S are -1 for null), per partition in offset order.
std::vector<message> messages(const std::string& topic) {
  const std::string out = test::shell("kcat -C -b " + broker().bootstrap() + " -t " + topic +
                                      " -e -q -f '%K|%k|%S|%s\\n'");
  std::vector<message> all;
  std::size_t at = 0;
  auto field = [&](long long len) -> std::optional<std::string> {
    if (len < 0)
      return std::nullopt;
    std::string text = out.substr(at, static_cast<std::size_t>(len));
    at += static_cast<std::size_t>(len);
    return text;
  };
  auto length = [&] {
    const std::size_t bar = out.find('|', at);
    const long long len = std::stoll(out.substr(at, bar - at));
    at = bar + 1;
    return len;
  };
  while (at < out.size()) {
    message m;
    m.key = field(length());
    ++at; // '|'
    m.value = field(length());
    ++at; // '\n'
    all.push_back(std::move(m));
  }
  return all;
}

//! The topic compacted: the last value of every key, a tombstone removing the key.
std::map<std::string, std::string> compacted(const std::vector<message>& all) {
  std::map<std::string, std::string> m;
  for (const auto& r : all) {
    BOOST_REQUIRE_MESSAGE(r.key, "a message without key");
    if (r.value)
      m[*r.key] = *r.value;
    else
      m.erase(*r.key);
  }
  return m;
}

std::size_t tombstones(const std::vector<message>& all) {
  std::size_t n = 0;
  for (const auto& r : all)
    n += r.value ? 0 : 1;
  return n;
}

//! Rows {"k":"k<i % 13>","v":<distinct>} in an order that keeps changing each k's top 2.
std::vector<std::pair<std::string, long long>> keyed_values(int n) {
  std::vector<std::pair<std::string, long long>> out;
  for (int i = 0; i < n; ++i)
    out.emplace_back("k" + std::to_string(i % 13), static_cast<long long>(i) * 7919 % 100003);
  return out;
}

std::vector<std::string> as_json(const std::vector<std::pair<std::string, long long>>& rows) {
  std::vector<std::string> out;
  for (const auto& [k, v] : rows)
    out.push_back("{\"k\":\"" + k + "\",\"v\":" + std::to_string(v) + "}");
  return out;
}

//! k -> its two largest v, largest first.
std::map<std::string, std::vector<long long>>
top2_of(const std::vector<std::pair<std::string, long long>>& rows) {
  std::map<std::string, std::vector<long long>> all;
  for (const auto& [k, v] : rows)
    all[k].push_back(v);
  for (auto& [k, vs] : all) {
    std::sort(vs.rbegin(), vs.rend());
    vs.resize(std::min<std::size_t>(vs.size(), 2));
  }
  return all;
}

//! COUNT(*) per k, then how many k have each count.
std::map<long long, long long>
histogram(const std::vector<std::pair<std::string, long long>>& rows) {
  std::map<std::string, long long> per_k;
  for (const auto& [k, v] : rows)
    per_k[k]++;
  std::map<long long, long long> h;
  for (const auto& [k, c] : per_k)
    h[c]++;
  return h;
}

fs::path await_checkpoint(const fs::path& dir, std::chrono::seconds timeout) {
  auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    std::error_code ec;
    if (fs::exists(dir, ec))
      for (auto& job : fs::directory_iterator(dir, ec))
        for (auto& chk : fs::directory_iterator(job.path(), ec))
          if (fs::exists(chk.path() / "_metadata", ec))
            return job.path();
    std::this_thread::sleep_for(10ms);
  }
  return {};
}

} // namespace

// JSON records from a topic of 3 partitions, filtered, into a topic as CSV (exactly once), as
// keyed JSON and as CSV keyed by JSON: every value equals the reference, keys are the key
// column's text ('raw') or a JSON object of the 'key.fields' columns in their order.
BOOST_AUTO_TEST_CASE(kafka_source_and_sink) {
  test::temp_dir dir;
  broker().create_topic("sql-in", 3);
  broker().create_topic("sql-out", 2);
  broker().create_topic("sql-keyed", 2);
  broker().create_topic("sql-json-keyed", 2);
  std::vector<std::string> input, expected_csv, expected_keyed, expected_json_keyed;
  for (int i = 0; i < 3000; ++i) {
    const std::string name = "n" + std::to_string(i % 13);
    input.push_back("{\"id\":" + std::to_string(i) + ",\"name\":\"" + name +
                    "\",\"price\":" + std::to_string(i % 100) + ".5,\"ts\":\"2024-01-01 00:00:" +
                    (i % 60 < 10 ? "0" : "") + std::to_string(i % 60) + "\"}");
    if (i % 2 == 0) {
      expected_csv.push_back(std::to_string(i) + "," + name + "," + std::to_string(i % 100) +
                             ".5,2024-01-01 00:00:" + (i % 60 < 10 ? "0" : "") +
                             std::to_string(i % 60));
      expected_keyed.push_back(name + "\t{\"name\":\"" + name + "\",\"id\":" + std::to_string(i) +
                               "}");
      expected_json_keyed.push_back("{\"id\":" + std::to_string(i) + ",\"name\":\"" + name +
                                    "\"}\t" + std::to_string(i) + "," + name);
    }
  }
  broker().produce("sql-in", input);
  table_environment t(test::test_config(dir.str(), 2));
  t.execute_sql("CREATE TABLE src (id BIGINT, name STRING, price DECIMAL(6, 1), ts TIMESTAMP(3)) "
                "WITH (" +
                kafka_with("sql-in", "'scan.startup.mode' = 'earliest-offset', "
                                     "'scan.bounded.mode' = 'latest-offset', 'format' = 'json'") +
                ")");
  t.execute_sql("CREATE TABLE dst (id BIGINT, name STRING, price DECIMAL(6, 1), ts TIMESTAMP(3)) "
                "WITH (" +
                kafka_with("sql-out", "'format' = 'csv', 'sink.delivery-guarantee' = "
                                      "'exactly-once', 'sink.transactional-id-prefix' = 'sqlt'") +
                ")");
  t.execute_sql("CREATE TABLE keyed (name STRING, id BIGINT) WITH (" +
                kafka_with("sql-keyed", "'key.format' = 'raw', 'key.fields' = 'name', "
                                        "'value.format' = 'json'") +
                ")");
  // a JSON key of two columns in the order 'key.fields' names them, the value as CSV
  t.execute_sql("CREATE TABLE json_keyed (id BIGINT, name STRING) WITH (" +
                kafka_with("sql-json-keyed", "'key.format' = 'json', 'key.fields' = 'id;name', "
                                             "'value.format' = 'csv'") +
                ")");
  t.execute_sql("EXECUTE STATEMENT SET BEGIN INSERT INTO dst SELECT * FROM src WHERE id % 2 = 0; "
                "INSERT INTO keyed SELECT name, id FROM src WHERE id % 2 = 0; "
                "INSERT INTO json_keyed SELECT id, name FROM src WHERE id % 2 = 0; END")
      .wait();
  BOOST_TEST((as_set(broker().consume_settled("sql-out")) == as_set(expected_csv)));
  std::string keyed =
      test::shell("kcat -C -b " + broker().bootstrap() + " -t sql-keyed -e -q -f '%k\\t%s\\n'");
  std::vector<std::string> lines;
  std::size_t b = 0;
  while (b < keyed.size()) {
    auto nl = keyed.find('\n', b);
    lines.push_back(keyed.substr(b, nl - b));
    b = nl + 1;
  }
  BOOST_TEST((as_set(lines) == as_set(expected_keyed)));
  std::vector<std::string> json_keyed;
  for (const auto& [k, v] : keyed_records("sql-json-keyed"))
    json_keyed.push_back(k + "\t" + v);
  BOOST_TEST((as_set(json_keyed) == as_set(expected_json_keyed)));
}

// A record that is not JSON fails the job naming the topic and the record; with
// 'json.ignore-parse-errors' it is skipped.
BOOST_AUTO_TEST_CASE(kafka_malformed_record) {
  test::temp_dir dir;
  broker().create_topic("sql-bad", 1);
  broker().produce("sql-bad", {"{\"id\":1}", "{\"id\":2}", "oops", "{\"id\":4}"});
  const std::string with = kafka_with("sql-bad", "'scan.startup.mode' = 'earliest-offset', "
                                                 "'scan.bounded.mode' = 'latest-offset', "
                                                 "'format' = 'json'");
  {
    table_environment t(test::test_config(dir.str(), 1));
    t.execute_sql("CREATE TABLE src (id BIGINT) WITH (" + with + ")");
    try {
      t.execute_sql("SELECT id FROM src").wait();
      BOOST_ERROR("a malformed record did not fail the job");
    } catch (const spate::error& e) {
      const std::string what = e.what();
      for (const char* part :
           {"table 'default_catalog.default_database.src'", "malformed json record",
            "topic sql-bad, record 3", "oops", "json.ignore-parse-errors"})
        BOOST_TEST(what.find(part) != std::string::npos, part << " not in: " << what);
    }
  }
  table_environment t(test::test_config(dir.str(), 1));
  t.execute_sql("CREATE TABLE src (id BIGINT) WITH (" + with +
                ", 'json.ignore-parse-errors' = 'true')");
  auto rows = t.execute_sql("SELECT id FROM src").collect();
  BOOST_TEST((as_set(rows) == std::multiset<std::string>{"+I[1]", "+I[2]", "+I[4]"}));
}

// Word counts (GROUP BY) from a raw topic into upsert-kafka: the latest value of every key
// equals the reference count; -U rows are not written.
BOOST_AUTO_TEST_CASE(upsert_kafka_sink_of_a_group_by) {
  test::temp_dir dir;
  broker().create_topic("sql-words", 2);
  broker().create_topic("sql-counts", 2);
  const auto input = words(5000, 41);
  broker().produce("sql-words", input);
  table_environment t(test::test_config(dir.str(), 2));
  t.execute_sql("CREATE TABLE src (word STRING) WITH (" +
                kafka_with("sql-words", "'scan.startup.mode' = 'earliest-offset', "
                                        "'scan.bounded.mode' = 'latest-offset', 'format' = 'raw'") +
                ")");
  t.execute_sql("CREATE TABLE counts (word STRING, cnt BIGINT, PRIMARY KEY (word) NOT ENFORCED) "
                "WITH ('connector' = 'upsert-kafka', 'topic' = 'sql-counts', "
                "'properties.bootstrap.servers' = '" +
                broker().bootstrap() +
                "', 'key.format' = 'raw', 'value.format' = 'json', "
                "'sink.delivery-guarantee' = 'exactly-once', 'sink.transactional-id-prefix' = "
                "'sqlup')");
  t.execute_sql("INSERT INTO counts SELECT word, COUNT(*) FROM src GROUP BY word").wait();
  const auto reference = count(input);
  const auto latest = latest_per_key("sql-counts");
  BOOST_TEST(latest.size() == reference.size());
  for (const auto& [w, c] : reference) {
    auto it = latest.find(w);
    BOOST_REQUIRE_MESSAGE(it != latest.end(), "no record for key " << w);
    BOOST_TEST(it->second == "{\"word\":\"" + w + "\",\"cnt\":" + std::to_string(c) + "}");
  }
  // one record per +I/+U: never more than the input's rows, never a -U's older count
  BOOST_TEST(broker().consume_settled("sql-counts").size() <= input.size());
}

// Word counts into redis with SET (key 'count:{word}', value the count) and HSET (one hash,
// field the word): the keys equal the reference.
BOOST_AUTO_TEST_CASE(redis_sink_of_an_updating_query) {
  test::temp_dir dir;
  test::redis_server redis;
  broker().create_topic("sql-rwords", 2);
  const auto input = words(4000, 29, 3);
  broker().produce("sql-rwords", input);
  table_environment t(test::test_config(dir.str(), 2));
  t.execute_sql("CREATE TABLE src (word STRING) WITH (" +
                kafka_with("sql-rwords",
                           "'scan.startup.mode' = 'earliest-offset', "
                           "'scan.bounded.mode' = 'latest-offset', 'format' = 'raw'") +
                ")");
  const std::string server = "'connector' = 'redis', 'host' = '127.0.0.1', 'port' = '" +
                             std::to_string(redis.port()) + "', 'password' = '" + redis.password() +
                             "', ";
  t.execute_sql("CREATE TABLE by_set (word STRING, cnt BIGINT, PRIMARY KEY (word) NOT ENFORCED) "
                "WITH (" +
                server + "'key' = 'count:{word}')");
  t.execute_sql("CREATE TABLE by_hash (word STRING, cnt BIGINT) WITH (" + server +
                "'database' = '2', 'command' = 'hset', 'key' = 'counts', 'field' = '{word}', "
                "'value' = '{cnt}')");
  t.execute_sql("EXECUTE STATEMENT SET BEGIN "
                "INSERT INTO by_set SELECT word, COUNT(*) FROM src GROUP BY word; "
                "INSERT INTO by_hash SELECT word, COUNT(*) FROM src GROUP BY word; END")
      .wait();
  const auto reference = count(input);
  test::redis_client c(redis.port(), redis.password());
  auto keys = c.list({"KEYS", "count:*"});
  BOOST_TEST(keys.size() == reference.size());
  for (const auto& [w, n] : reference)
    BOOST_TEST(c.text({"GET", "count:" + w}) == std::to_string(n));
  test::redis_client h(redis.port(), redis.password(), 2);
  auto all = h.list({"HGETALL", "counts"});
  std::map<std::string, long long> hash;
  for (std::size_t i = 0; i + 1 < all.size(); i += 2)
    hash[all[i]] = std::stoll(all[i + 1]);
  BOOST_TEST((hash == reference));
}

// Deletes into upsert-kafka. A Top-N without its rank number (a -D of the row leaving the top
// 2, a +I of the one entering) into a table whose PRIMARY KEY is (v, k) with 'key.format' =
// 'json'; the same Top-N with its rank number (-U/+U of shifted ranks) into one keyed (k, rn);
// an aggregate over an aggregate (a count's group emptied: -D) into one keyed (cnt), with
// 'sink.parallelism' = '3' (a keyed shuffle). Each topic compacted by key (the last value per
// key, a tombstone removing it) equals the reference; the keys are Flink's JSON keys of the
// PRIMARY KEY's columns in its order; deletes are tombstones: null values, not empty ones.
BOOST_AUTO_TEST_CASE(upsert_kafka_sink_of_deletes) {
  test::temp_dir dir;
  broker().create_topic("sql-topn-in", 2);
  for (const char* topic : {"sql-top2", "sql-top2-ranked", "sql-hist"})
    broker().create_topic(topic, 2);
  const auto rows = keyed_values(6000);
  broker().produce("sql-topn-in", as_json(rows));
  table_environment t(test::test_config(dir.str(), 2));
  t.execute_sql("CREATE TABLE src (k STRING, v BIGINT) WITH (" +
                kafka_with("sql-topn-in",
                           "'scan.startup.mode' = 'earliest-offset', "
                           "'scan.bounded.mode' = 'latest-offset', 'format' = 'json'") +
                ")");
  auto upsert = [&](const std::string& topic, const std::string& extra = "") {
    return "WITH ('connector' = 'upsert-kafka', 'topic' = '" + topic +
           "', 'properties.bootstrap.servers' = '" + broker().bootstrap() +
           "', 'key.format' = 'json', 'value.format' = 'json'" + extra + ")";
  };
  t.execute_sql("CREATE TABLE top2 (k STRING, v BIGINT, PRIMARY KEY (v, k) NOT ENFORCED) " +
                upsert("sql-top2"));
  t.execute_sql("CREATE TABLE top2_ranked (k STRING, v BIGINT, rn BIGINT, "
                "PRIMARY KEY (k, rn) NOT ENFORCED) " +
                upsert("sql-top2-ranked", ", 'sink.delivery-guarantee' = 'exactly-once', "
                                          "'sink.transactional-id-prefix' = 'sqltop'"));
  t.execute_sql("CREATE TABLE hist (cnt BIGINT, words BIGINT, PRIMARY KEY (cnt) NOT ENFORCED) " +
                upsert("sql-hist", ", 'sink.parallelism' = '3'"));
  const std::string ranked = "(SELECT k, v, ROW_NUMBER() OVER (PARTITION BY k ORDER BY v DESC) "
                             "AS rn FROM src) WHERE rn <= 2";
  t.execute_sql("EXECUTE STATEMENT SET BEGIN "
                "INSERT INTO top2 SELECT k, v FROM " +
                ranked + "; INSERT INTO top2_ranked SELECT k, v, rn FROM " + ranked +
                "; INSERT INTO hist SELECT cnt, COUNT(*) FROM (SELECT k, COUNT(*) AS cnt FROM src "
                "GROUP BY k) GROUP BY cnt; END")
      .wait();

  std::map<std::string, std::string> want_top2, want_ranked, want_hist;
  for (const auto& [k, vs] : top2_of(rows))
    for (std::size_t i = 0; i < vs.size(); ++i) {
      const std::string v = std::to_string(vs[i]), rn = std::to_string(i + 1);
      want_top2["{\"v\":" + v + ",\"k\":\"" + k + "\"}"] = "{\"k\":\"" + k + "\",\"v\":" + v + "}";
      want_ranked["{\"k\":\"" + k + "\",\"rn\":" + rn + "}"] =
          "{\"k\":\"" + k + "\",\"v\":" + v + ",\"rn\":" + rn + "}";
    }
  for (const auto& [c, n] : histogram(rows))
    want_hist["{\"cnt\":" + std::to_string(c) + "}"] =
        "{\"cnt\":" + std::to_string(c) + ",\"words\":" + std::to_string(n) + "}";

  const auto top2 = messages("sql-top2");
  BOOST_TEST_MESSAGE("top2: " << top2.size() << " messages, " << tombstones(top2)
                              << " tombstones; hist: " << messages("sql-hist").size()
                              << " messages, " << tombstones(messages("sql-hist"))
                              << " tombstones");
  BOOST_TEST((compacted(top2) == want_top2));
  BOOST_TEST(tombstones(top2) > 0u); // rows left the top 2
  // every +I of the top 2 but the last two per key was deleted again
  BOOST_TEST(tombstones(top2) + want_top2.size() == top2.size() - tombstones(top2));
  const auto ranked_msgs = messages("sql-top2-ranked");
  BOOST_TEST((compacted(ranked_msgs) == want_ranked));
  const auto hist = messages("sql-hist");
  BOOST_TEST((compacted(hist) == want_hist));
  BOOST_TEST(tombstones(hist) > 0u); // counts that no k has any more
  // Tombstones are null values; no value is empty.
  for (const auto* topic : {&top2, &ranked_msgs, &hist})
    for (const auto& m : *topic)
      BOOST_TEST((!m.value || !m.value->empty()), "an empty value for key " << *m.key);
  // kcat -Z shows null values as NULL: the consumer the other tests use sees them so too.
  const std::string nulls =
      test::shell("kcat -C -b " + broker().bootstrap() + " -t sql-hist -e -q -Z -f '%k=%s\\n'");
  BOOST_TEST(nulls.find("=NULL\n") != std::string::npos, nulls.substr(0, 500));
}

// Deletes into redis: the aggregate over an aggregate with SET (key 'hist:{cnt}': a count no k
// has any more is DEL'd) and the Top-N without rank number with HSET (key 'top:{k}', field
// '{v}': a row leaving the top 2 is HDEL'd, 'sink.parallelism' = '3') and with SET under the
// default key (the PRIMARY KEY's columns joined by ':'): the keys left in redis-server are
// exactly the reference's.
BOOST_AUTO_TEST_CASE(redis_sink_of_deletes) {
  test::temp_dir dir;
  test::redis_server redis;
  broker().create_topic("sql-rtopn-in", 2);
  const auto rows = keyed_values(5000);
  broker().produce("sql-rtopn-in", as_json(rows));
  table_environment t(test::test_config(dir.str(), 2));
  t.execute_sql("CREATE TABLE src (k STRING, v BIGINT) WITH (" +
                kafka_with("sql-rtopn-in",
                           "'scan.startup.mode' = 'earliest-offset', "
                           "'scan.bounded.mode' = 'latest-offset', 'format' = 'json'") +
                ")");
  const std::string server = "'connector' = 'redis', 'host' = '127.0.0.1', 'port' = '" +
                             std::to_string(redis.port()) + "', 'password' = '" + redis.password() +
                             "', ";
  t.execute_sql("CREATE TABLE hist (cnt BIGINT, words BIGINT, PRIMARY KEY (cnt) NOT ENFORCED) "
                "WITH (" +
                server + "'key' = 'hist:{cnt}')");
  t.execute_sql("CREATE TABLE top_hash (k STRING, v BIGINT, PRIMARY KEY (k, v) NOT ENFORCED) "
                "WITH (" +
                server +
                "'database' = '2', 'command' = 'hset', 'key' = 'top:{k}', 'field' = '{v}', "
                "'value' = '{v}', 'sink.parallelism' = '3')");
  t.execute_sql("CREATE TABLE top_set (k STRING, v BIGINT, PRIMARY KEY (k, v) NOT ENFORCED) "
                "WITH (" +
                server + "'database' = '3')");
  const std::string top2 = "SELECT k, v FROM (SELECT k, v, ROW_NUMBER() OVER (PARTITION BY k "
                           "ORDER BY v DESC) AS rn FROM src) WHERE rn <= 2";
  t.execute_sql("EXECUTE STATEMENT SET BEGIN "
                "INSERT INTO hist SELECT cnt, COUNT(*) FROM (SELECT k, COUNT(*) AS cnt FROM src "
                "GROUP BY k) GROUP BY cnt; "
                "INSERT INTO top_hash " +
                top2 + "; INSERT INTO top_set " + top2 + "; END")
      .wait();

  test::redis_client c(redis.port(), redis.password());
  std::set<std::string> want_hist_keys;
  for (const auto& [cnt, n] : histogram(rows)) {
    want_hist_keys.insert("hist:" + std::to_string(cnt));
    BOOST_TEST(c.text({"GET", "hist:" + std::to_string(cnt)}) == std::to_string(n));
  }
  const auto hist_keys = c.list({"KEYS", "hist:*"});
  BOOST_TEST((std::set<std::string>(hist_keys.begin(), hist_keys.end()) == want_hist_keys));

  const auto reference = top2_of(rows);
  test::redis_client h(redis.port(), redis.password(), 2);
  const auto top_keys = h.list({"KEYS", "*"});
  BOOST_TEST(top_keys.size() == reference.size());
  test::redis_client s3(redis.port(), redis.password(), 3);
  std::set<std::string> want_set_keys;
  for (const auto& [k, vs] : reference) {
    std::map<std::string, std::string> want, got;
    for (long long v : vs) {
      want[std::to_string(v)] = std::to_string(v);
      want_set_keys.insert(k + ":" + std::to_string(v));
      BOOST_TEST(s3.text({"GET", k + ":" + std::to_string(v)}) ==
                 "{\"k\":\"" + k + "\",\"v\":" + std::to_string(v) + "}");
    }
    const auto all = h.list({"HGETALL", "top:" + k});
    for (std::size_t i = 0; i + 1 < all.size(); i += 2)
      got[all[i]] = all[i + 1];
    BOOST_TEST((got == want), "top:" << k);
  }
  const auto set_keys = s3.list({"KEYS", "*"});
  BOOST_TEST((std::set<std::string>(set_keys.begin(), set_keys.end()) == want_set_keys));
}

// A `spate sql -f` job: kafka source, GROUP BY, upsert-kafka (exactly once) and redis sinks.
// SIGKILLed while records flow, after a checkpoint completed; restored from the retained
// checkpoint and run to the end of the topic: the latest value per key in Kafka and the keys
// in Redis equal those of the same script run without the kill.
BOOST_AUTO_TEST_CASE(sql_job_survives_sigkill_and_restore_exactly_once) {
  test::temp_dir dir;
  test::redis_server redis;
  broker().create_topic("kill-in", 2);
  broker().create_topic("kill-out", 2);
  broker().create_topic("kill-ref", 2);
  const auto ck = dir.path / "ck";

  auto script = [&](const std::string& name, const std::string& out_topic, int database,
                    bool bounded, const std::string& restore) {
    const std::string path = dir.str() + "/" + name + ".sql";
    std::ofstream f(path);
    f << "CREATE TABLE words (word STRING) WITH ("
      << kafka_with("kill-in",
                    "'properties.group.id' = 'sqlkill', 'scan.startup.mode' = "
                    "'earliest-offset', 'format' = 'raw'" +
                        std::string(bounded ? ", 'scan.bounded.mode' = 'latest-offset'" : ""))
      << ");\n"
      << "CREATE TABLE counts_kafka (word STRING, cnt BIGINT, PRIMARY KEY (word) NOT ENFORCED) "
         "WITH ('connector' = 'upsert-kafka', 'topic' = '"
      << out_topic << "', 'properties.bootstrap.servers' = '" << broker().bootstrap()
      << "', 'key.format' = 'raw', 'value.format' = 'json', 'sink.delivery-guarantee' = "
         "'exactly-once', 'sink.transactional-id-prefix' = '"
      << out_topic << "');\n"
      << "CREATE TABLE counts_redis (word STRING, cnt BIGINT, PRIMARY KEY (word) NOT ENFORCED) "
         "WITH ('connector' = 'redis', 'host' = '127.0.0.1', 'port' = '"
      << redis.port() << "', 'password' = '" << redis.password() << "', 'database' = '" << database
      << "', 'key' = 'count:{word}');\n";
    if (!restore.empty())
      f << "SET 'execution.savepoint.path' = '" << restore << "';\n";
    f << "BEGIN STATEMENT SET;\n"
         "INSERT INTO counts_kafka SELECT word, COUNT(*) AS cnt FROM words GROUP BY word;\n"
         "INSERT INTO counts_redis SELECT word, COUNT(*) AS cnt FROM words GROUP BY word;\n"
         "END;\n";
    return path;
  };
  auto spate_sql = [&](const std::string& path) {
    return std::vector<std::string>{test::bin_dir() + "/spate",
                                    "sql",
                                    "-p",
                                    "2",
                                    "-D",
                                    "execution.checkpointing.interval=100 ms",
                                    "-D",
                                    "state.checkpoints.dir=" + ck.string(),
                                    "-D",
                                    "state.backend.rocksdb.localdir=" + dir.str() + "/rocks",
                                    "-f",
                                    path};
  };

  // The input flows while the job runs: 40 batches of words.
  std::vector<std::string> all;
  for (int b = 0; b < 40; ++b) {
    auto batch = words(2500, 53, b * 2500);
    all.insert(all.end(), batch.begin(), batch.end());
  }
  broker().produce("kill-in", std::vector<std::string>(all.begin(), all.begin() + 2500));
  std::atomic<int> produced{1};
  fs::path job_dir;
  {
    test::child_process job(spate_sql(script("run", "kill-out", 0, false, "")));
    std::thread producer([&] {
      for (int b = 1; b < 40; ++b) {
        broker().produce("kill-in", std::vector<std::string>(all.begin() + b * 2500,
                                                             all.begin() + (b + 1) * 2500));
        produced = b + 1;
      }
    });
    job_dir = await_checkpoint(ck, 60s);
    // Some output first, then the kill while batches still arrive.
    test::redis_client c(redis.port(), redis.password());
    auto until = std::chrono::steady_clock::now() + 30s;
    while (c.list({"KEYS", "count:*"}).empty() && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(10ms);
    job.signal(SIGKILL);
    const int at_kill = produced;
    auto r = job.finish();
    producer.join();
    BOOST_TEST_MESSAGE("killed with " << at_kill << " of 40 batches produced");
    BOOST_REQUIRE_MESSAGE(!job_dir.empty(), "no checkpoint completed: " << r.err.substr(0, 3000));
    BOOST_TEST(r.exit_code == 128 + SIGKILL, r.err.substr(0, 3000));
  }
  // Restore from the retained checkpoint and read to the end of the topic.
  {
    test::child_process job(spate_sql(script("restore", "kill-out", 0, true, job_dir.string())));
    auto r = job.finish();
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err.substr(0, 4000));
  }
  // The same script without the kill, into another topic and database.
  {
    test::child_process job(spate_sql(script("reference", "kill-ref", 1, true, "")));
    auto r = job.finish();
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err.substr(0, 4000));
  }
  const auto reference = count(all);
  const auto killed = latest_per_key("kill-out");
  const auto uninterrupted = latest_per_key("kill-ref");
  BOOST_TEST((killed == uninterrupted));
  BOOST_TEST(killed.size() == reference.size());
  for (const auto& [w, n] : reference) {
    auto it = killed.find(w);
    BOOST_REQUIRE_MESSAGE(it != killed.end(), "no record for key " << w);
    BOOST_TEST(json_long(it->second, "cnt") == n);
  }
  // Exactly once: the committed counts of every key are 1, 2, ..., n, each once and in order
  // (a replay after the restore that had leaked would repeat some).
  std::map<std::string, std::vector<long long>> seen;
  for (const auto& [k, v] : keyed_records("kill-out"))
    seen[k].push_back(json_long(v, "cnt"));
  for (const auto& [w, n] : reference) {
    std::vector<long long> want;
    for (long long i = 1; i <= n; ++i)
      want.push_back(i);
    BOOST_TEST((seen[w] == want), "key " << w << ": " << seen[w].size() << " committed values");
  }
  BOOST_TEST_MESSAGE(
      "records written but aborted: " << keyed_records("kill-out", "read_uncommitted").size() -
                                             keyed_records("kill-out").size());
  test::redis_client c0(redis.port(), redis.password(), 0);
  test::redis_client c1(redis.port(), redis.password(), 1);
  BOOST_TEST(c0.list({"KEYS", "count:*"}).size() == reference.size());
  for (const auto& [w, n] : reference) {
    BOOST_TEST(c0.text({"GET", "count:" + w}) == std::to_string(n));
    BOOST_TEST(c1.text({"GET", "count:" + w}) == std::to_string(n));
  }
}
