#define BOOST_TEST_MODULE redis_sink
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "spate/connectors/redis_sink.hpp"
#include "spate/core/error.hpp"
#include "support/fake_redis.hpp"
#include "support/redis_server.hpp"

using namespace spate;
using spate::test::fake_redis;
using spate::test::redis_client;
using spate::test::redis_server;

namespace {

class test_counters final : public counter_registry {
public:
  std::atomic<std::int64_t>& counter(const std::string& name) override {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& slot = counters_[name];
    if (!slot)
      slot = std::make_unique<std::atomic<std::int64_t>>(0);
    return *slot;
  }
  std::int64_t value(const std::string& name) { return counter("redis." + name).load(); }

private:
  std::mutex mutex_;
  std::map<std::string, std::unique_ptr<std::atomic<std::int64_t>>> counters_;
};

redis_sink_config config(const std::string& spec) {
  return parse_redis_sink_config(parse_connector_uri(spec, "output"));
}

// One subtask of the sink, driven by hand as the runtime would.
struct sink_driver {
  explicit sink_driver(const std::string& spec) : sink_driver(config(spec)) {}
  explicit sink_driver(redis_sink_config cfg) : sink(redis_sink(std::move(cfg)).factory()) {
    ctx.task_name = "redis";
    ctx.counters = &counters;
  }
  ~sink_driver() { sink->close(); }
  void open() { sink->open(ctx); }
  void write(const std::vector<std::string>& records) {
    typed_batch<std::string> batch;
    for (const auto& r : records)
      batch.push(r, no_timestamp);
    sink->write(batch);
  }
  //! A checkpoint barrier: everything written must be acknowledged by now.
  //! write() alone may return with its batch still in flight.
  void checkpoint(std::int64_t id) {
    operator_state_writer out;
    sink->snapshot_state(id, out);
    sink->notify_checkpoint_complete(id);
    last_checkpoint = id;
  }
  void checkpoint() { checkpoint(last_checkpoint + 1); }
  //! write() then a checkpoint: the records are in Redis when it returns.
  void write_acked(const std::vector<std::string>& records) {
    write(records);
    checkpoint();
  }

  std::unique_ptr<sink_function<std::string>> sink;
  test_counters counters;
  runtime_context ctx;
  std::int64_t last_checkpoint = 0;
};

// Runs `body`, expects spate::error with `code`, returns its message.
template <class F>
std::string error_of(F&& body, errc code) {
  try {
    body();
  } catch (const error& e) {
    BOOST_TEST(e.code() == code, "error code " << e.code() << ": " << e.what());
    return e.what();
  }
  BOOST_FAIL("no spate::error thrown");
  return {};
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::vector<std::string> numbered(const std::string& prefix, int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i)
    out.push_back("{\"id\":\"" + prefix + std::to_string(i) + "\",\"n\":" + std::to_string(i) +
                  "}");
  return out;
}

std::vector<std::string> key_range(const std::string& prefix, int from, int to) {
  std::vector<std::string> out;
  for (int i = from; i < to; ++i)
    out.push_back(prefix + std::to_string(i));
  return out;
}

} // namespace

BOOST_AUTO_TEST_CASE(set_with_key_template_and_ttl) {
  redis_server server;
  sink_driver d(server.uri("?key=sensor_id_{id}&ttl=60"));
  d.open();
  d.write({R"({"id":7,"temp":21.5})", R"({"temp":3,"id":"a b"})"});
  d.checkpoint(1);
  redis_client c(server.port(), server.password());
  BOOST_TEST(c.text({"GET", "sensor_id_7"}) == R"({"id":7,"temp":21.5})");
  BOOST_TEST(c.text({"GET", "sensor_id_a b"}) == R"({"temp":3,"id":"a b"})");
  auto ttl = std::stoll(c.text({"TTL", "sensor_id_7"}));
  BOOST_TEST((ttl > 50 && ttl <= 60));

  sink_driver ms(server.uri("?key=k:{id}&value={temp}&ttl=1500%20ms"));
  ms.open();
  ms.write_acked({R"({"id":1,"temp":-4e2})"});
  BOOST_TEST(c.text({"GET", "k:1"}) == "-4e2");
  auto pttl = std::stoll(c.text({"PTTL", "k:1"}));
  BOOST_TEST((pttl > 0 && pttl <= 1500));
}

BOOST_AUTO_TEST_CASE(templates_take_fields_whole_records_and_literal_braces) {
  redis_server server;
  sink_driver d(server.uri("?key={{x}}_{name}_{ok}&value={tags}|{meta}|{}"));
  d.open();
  std::string record = R"({"name":"caf\u00e9 \"q\"","ok":true,"tags":[1, 2],"meta":{"a":null}})";
  d.write_acked({record});
  redis_client c(server.port(), server.password());
  BOOST_TEST(c.text({"GET", "{x}_caf\xc3\xa9 \"q\"_true"}) == R"([1, 2]|{"a":null}|)" + record);
}

BOOST_AUTO_TEST_CASE(hset_writes_hash_fields) {
  redis_server server;
  sink_driver d(server.uri("?command=hset&key=sensor:{id}&field={metric}&value={v}&ttl=100"));
  d.open();
  d.write({R"({"id":1,"metric":"temp","v":20.5})", R"({"id":1,"metric":"hum","v":40})",
           R"({"id":2,"metric":"temp","v":19})", R"({"id":1,"metric":"temp","v":21})"});
  d.checkpoint();
  redis_client c(server.port(), server.password());
  BOOST_TEST(c.text({"HGET", "sensor:1", "temp"}) == "21");
  BOOST_TEST(c.text({"HGET", "sensor:1", "hum"}) == "40");
  BOOST_TEST(c.text({"HGET", "sensor:2", "temp"}) == "19");
  auto ttl = std::stoll(c.text({"TTL", "sensor:2"}));
  BOOST_TEST((ttl > 90 && ttl <= 100));
}

BOOST_AUTO_TEST_CASE(zadd_keeps_a_ranking) {
  redis_server server;
  sink_driver d(server.uri("?command=ZADD&key=top:{window}&member={word}&score={count}"));
  d.open();
  d.write({R"({"window":1,"word":"flink","count":3})", R"({"window":1,"word":"spate","count":5})",
           R"({"window":1,"word":"redis","count":4})"});
  d.write({R"({"window":1,"word":"flink","count":9})"}); // a later count replaces the earlier
  d.checkpoint();
  redis_client c(server.port(), server.password());
  BOOST_TEST(c.text({"ZREVRANGE", "top:1", "0", "-1", "WITHSCORES"}) == "flink 9 spate 5 redis 4");
}

BOOST_AUTO_TEST_CASE(xadd_appends_stream_entries) {
  redis_server server;
  sink_driver fields(server.uri("?command=XADD&key=events&fields=id,t"));
  sink_driver whole(server.uri("?command=XADD&key=raw"));
  fields.open();
  whole.open();
  fields.write({R"({"id":"a","t":1.5,"skipped":0})", R"({"t":2,"id":"b"})"});
  whole.write_acked({R"({"id":"a"})"});
  fields.checkpoint();
  redis_client c(server.port(), server.password());
  auto entries = c.list({"XRANGE", "events", "-", "+"});
  BOOST_TEST_REQUIRE(entries.size() == 10u); // two of: id, [id a t 1.5]
  BOOST_TEST((std::vector<std::string>(entries.begin() + 1, entries.begin() + 5) ==
              std::vector<std::string>{"id", "a", "t", "1.5"}));
  BOOST_TEST((std::vector<std::string>(entries.begin() + 6, entries.end()) ==
              std::vector<std::string>{"id", "b", "t", "2"}));
  auto raw = c.list({"XRANGE", "raw", "-", "+"});
  BOOST_TEST_REQUIRE(raw.size() == 3u);
  BOOST_TEST(raw[1] == "value");
  BOOST_TEST(raw[2] == R"({"id":"a"})");
}

BOOST_AUTO_TEST_CASE(publish_reaches_subscribers) {
  redis_server server;
  redis_client sub(server.port(), server.password());
  BOOST_TEST(sub.text({"SUBSCRIBE", "alerts:high"}) == "subscribe alerts:high 1");
  sink_driver d(server.uri("?command=PUBLISH&key=alerts:{level}&value={msg}"));
  d.open();
  d.write({R"({"level":"high","msg":"fire"})", R"({"level":"low","msg":"dust"})",
           R"({"level":"high","msg":"flood"})"});
  // Only the channel subscribed to, in order (a message to alerts:low would
  // show up here, between the two).
  BOOST_TEST(sub.next_message() == (std::vector<std::string>{"message", "alerts:high", "fire"}));
  BOOST_TEST(sub.next_message() == (std::vector<std::string>{"message", "alerts:high", "flood"}));
}

BOOST_AUTO_TEST_CASE(lists_and_sets) {
  redis_server server;
  sink_driver l(server.uri("?command=RPUSH&key=log&value={n}"));
  sink_driver s(server.uri("?command=SADD&key=ids&value={id}&ttl=50"));
  l.open();
  s.open();
  auto records = numbered("x", 3);
  l.write(records);
  s.write(records);
  s.write(records);
  l.checkpoint();
  s.checkpoint();
  redis_client c(server.port(), server.password());
  BOOST_TEST(c.text({"LRANGE", "log", "0", "-1"}) == "0 1 2");
  BOOST_TEST(c.text({"SCARD", "ids"}) == "3");
  BOOST_TEST(std::stoll(c.text({"TTL", "ids"})) > 40);
}

BOOST_AUTO_TEST_CASE(database_from_the_path) {
  redis_server server;
  sink_driver d(server.uri("/3?key=k{id}"));
  d.open();
  d.write_acked({R"({"id":1})"});
  redis_client db0(server.port(), server.password());
  redis_client db3(server.port(), server.password(), 3);
  BOOST_TEST(db0.text({"EXISTS", "k1"}) == "0");
  BOOST_TEST(db3.text({"GET", "k1"}) == R"({"id":1})");
  sink_driver out_of_range(server.uri("/99?key=k"));
  auto msg = error_of([&] { out_of_range.open(); }, errc::io);
  BOOST_TEST(contains(msg, "redis sink " + server.address() + ": SELECT 99 failed: ERR"), msg);
}

BOOST_AUTO_TEST_CASE(large_batches_go_in_several_round_trips) {
  redis_server server;
  sink_driver d(server.uri("?command=HSET&key=h{n}&field=f&value={id}&ttl=100"
                           "&sink.buffer-flush.max-rows=7"));
  d.open();
  d.write(numbered("v", 1000));
  d.sink->finish();
  redis_client c(server.port(), server.password());
  BOOST_TEST(c.text({"DBSIZE"}) == "1000");
  BOOST_TEST(c.text({"HGET", "h999", "f"}) == "v999");
  BOOST_TEST(std::stoll(c.text({"TTL", "h0"})) > 90);
}

BOOST_AUTO_TEST_CASE(wrong_password_fails_at_open_without_showing_it) {
  redis_server server;
  sink_driver d("redis://:not-the-Pa55word@" + server.address() + "?key=k");
  auto msg = error_of([&] { d.open(); }, errc::io);
  BOOST_TEST(contains(msg, "redis sink " + server.address() + ": authentication failed"), msg);
  BOOST_TEST(!contains(msg, "not-the-Pa55word"), msg);
  sink_driver acl("redis://alice:wonderland@" + server.address() + "?key=k");
  msg = error_of([&] { acl.open(); }, errc::io);
  BOOST_TEST(contains(msg, "authentication failed for user 'alice'"), msg);
  BOOST_TEST(!contains(msg, "wonderland"), msg);
  sink_driver none("redis://" + server.address() + "?key=k");
  msg = error_of([&] { none.open(); }, errc::io);
  BOOST_TEST(contains(msg, "redis sink " + server.address() + ": PING failed: NOAUTH"), msg);
}

BOOST_AUTO_TEST_CASE(unreachable_server_fails_at_open) {
  int port = spate::test::free_tcp_port();
  sink_driver d("redis://:pw@127.0.0.1:" + std::to_string(port) + "?key=k&connect.timeout=1s");
  auto msg = error_of([&] { d.open(); }, errc::io);
  BOOST_TEST(contains(msg, "redis sink 127.0.0.1:" + std::to_string(port) + ": cannot connect"),
             msg);
}

BOOST_AUTO_TEST_CASE(write_returns_while_redis_works_and_a_checkpoint_awaits_it) {
  // With writes paused on the server, write() must still return (its batch
  // in flight, one more may follow it) and only the checkpoint waits for the
  // replies. A sink that awaited each batch in write() would block here for
  // the whole pause and then find the keys already written.
  redis_server server;
  redis_client c(server.port(), server.password());
  sink_driver d(server.uri("?key={id}&value={n}&sink.buffer-flush.max-rows=10"));
  d.open();
  BOOST_TEST_REQUIRE(c.text({"CLIENT", "PAUSE", "60000", "WRITE"}) == "OK");
  d.write(numbered("p", 10));
  BOOST_TEST(c.text({"DBSIZE"}) == "0"); // sent, not yet executed
  std::atomic<bool> done{false};
  std::thread checkpointer([&] {
    d.checkpoint();
    done = true;
  });
  BOOST_TEST(!done.load());
  BOOST_TEST(c.text({"CLIENT", "UNPAUSE"}) == "OK");
  checkpointer.join();
  BOOST_TEST(c.text({"DBSIZE"}) == "10");
  BOOST_TEST(c.text({"GET", "p9"}) == "9");
}

BOOST_AUTO_TEST_CASE(error_reply_fails_naming_command_and_key) {
  redis_server server;
  redis_client c(server.port(), server.password());
  c.text({"SET", "sensor:1", "a string"});
  sink_driver d(server.uri("?command=HSET&key=sensor:{id}&field=f"));
  d.open();
  auto msg = error_of([&] { d.write_acked({R"({"id":1})"}); }, errc::io);
  BOOST_TEST(
      contains(msg, "redis sink " + server.address() + ": HSET 'sensor:1' failed: WRONGTYPE"), msg);
}

BOOST_AUTO_TEST_CASE(restart_while_writing_drops_nothing) {
  redis_server server;
  sink_driver d(server.uri("?key={id}&value={n}&sink.max-retry-time=20s"));
  d.open();
  d.write_acked(numbered("before", 10));
  server.kill(); // no persistence: "before*" is gone with it
  std::exception_ptr failure;
  std::thread writer([&] {
    try {
      d.write(numbered("a", 500)); // blocks, retrying, until the server is back
      d.write(numbered("b", 500));
      d.checkpoint(1);
    } catch (...) {
      failure = std::current_exception();
    }
  });
  // Await the writer's reconnect attempts, then bring the server back.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (d.counters.value("numReconnectAttempts") < 2 &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  BOOST_TEST(d.counters.value("numReconnectAttempts") >= 2);
  server.start();
  writer.join();
  if (failure)
    std::rethrow_exception(failure);
  redis_client c(server.port(), server.password());
  BOOST_TEST(c.text({"DBSIZE"}) == "1000");
  for (int i = 0; i < 500; ++i) {
    BOOST_TEST_REQUIRE(c.text({"GET", "a" + std::to_string(i)}) == std::to_string(i));
    BOOST_TEST_REQUIRE(c.text({"GET", "b" + std::to_string(i)}) == std::to_string(i));
  }
}

BOOST_AUTO_TEST_CASE(only_unacknowledged_commands_are_sent_again) {
  // Connection 0 dies after acknowledging 3 commands; connection 1 answers
  // the 3rd of what it is sent with LOADING (transient); connection 2 takes
  // the rest.
  fake_redis fake([](int conn, int n) -> std::string {
    if (conn == 0 && n == 3)
      return "";
    if (conn == 1 && n == 2)
      return "-LOADING Redis is loading the dataset in memory\r\n";
    return "+OK\r\n";
  });
  sink_driver d("redis://127.0.0.1:" + std::to_string(fake.port()) + "?key={id}");
  d.open();
  d.write_acked(numbered("r", 10));
  BOOST_TEST(fake.connections() == 3);
  BOOST_TEST(fake.keys(1) == key_range("r", 3, 10));
  BOOST_TEST(fake.keys(2) == key_range("r", 5, 10));
  BOOST_TEST(d.counters.value("numReconnectAttempts") == 2);
}

BOOST_AUTO_TEST_CASE(error_reply_is_not_retried) {
  fake_redis fake([](int, int n) -> std::string {
    return n == 1 ? "-ERR value is not a valid float\r\n" : ":1\r\n";
  });
  sink_driver d("redis://127.0.0.1:" + std::to_string(fake.port()) +
                "?command=ZADD&key=z{id}&member=m&score=1");
  d.open();
  auto msg = error_of([&] { d.write_acked(numbered("k", 3)); }, errc::io);
  BOOST_TEST(contains(msg, "ZADD 'zk1' failed: ERR value is not a valid float"), msg);
  BOOST_TEST(fake.connections() == 1);
}

BOOST_AUTO_TEST_CASE(gives_up_after_max_retry_time) {
  redis_server server;
  sink_driver d(server.uri("?key={id}&sink.max-retry-time=300ms"));
  d.open();
  server.kill();
  auto start = std::chrono::steady_clock::now();
  auto msg = error_of([&] { d.write_acked(numbered("x", 3)); }, errc::io);
  auto took = std::chrono::steady_clock::now() - start;
  BOOST_TEST(contains(msg, "redis sink " + server.address() + ": gave up after"), msg);
  BOOST_TEST(contains(msg, "last error: cannot connect"), msg);
  BOOST_TEST(!contains(msg, server.password()), msg);
  BOOST_TEST((took >= std::chrono::milliseconds(300) && took < std::chrono::seconds(5)));
}

BOOST_AUTO_TEST_CASE(replay_after_restore_leaves_the_same_data_for_idempotent_commands) {
  redis_server server;
  const std::vector<std::string> specs = {
      "?key=s:{id}&value={n}",
      "?command=HSET&key=h:{g}&field={id}&value={n}",
      "?command=ZADD&key=z:{g}&member={id}&score={n}",
      "?command=SADD&key=set:{g}&value={id}",
  };
  std::vector<std::string> records;
  for (int i = 0; i < 200; ++i)
    records.push_back("{\"id\":\"r" + std::to_string(i) + "\",\"g\":" + std::to_string(i % 7) +
                      ",\"n\":" + std::to_string(i * 3) + "}");
  redis_client c(server.port(), server.password());
  auto dump = [&] {
    std::map<std::string, std::string> out;
    for (const auto& key : c.list({"KEYS", "*"})) {
      auto type = c.text({"TYPE", key});
      if (type == "string")
        out[key] = c.text({"GET", key});
      else if (type == "hash")
        out[key] = c.text({"HGETALL", key});
      else if (type == "zset")
        out[key] = c.text({"ZRANGE", key, "0", "-1", "WITHSCORES"});
      else
        out[key] = c.text({"SCARD", key});
    }
    return out;
  };
  for (const auto& spec : specs) {
    sink_driver first(server.uri(spec));
    first.open();
    first.write(std::vector<std::string>(records.begin(), records.begin() + 120));
    first.checkpoint(1);
    first.write(std::vector<std::string>(records.begin() + 120, records.end()));
    first.sink->finish();
  }
  auto before = dump();
  // A failure after checkpoint 1, then a restore: everything after it is
  // written again by a new sink instance.
  for (const auto& spec : specs) {
    sink_driver replay(server.uri(spec));
    replay.open();
    replay.write(std::vector<std::string>(records.begin() + 120, records.end()));
    replay.sink->finish();
  }
  BOOST_TEST(before.size() == 200u + 7 + 7 + 7);
  BOOST_TEST((dump() == before));
}

BOOST_AUTO_TEST_CASE(malformed_records_fail_by_default) {
  redis_server server;
  sink_driver d(server.uri("?key=k:{id}"));
  d.open();
  auto msg = error_of([&] { d.write({"not json at all"}); }, errc::invalid_argument);
  BOOST_TEST(contains(msg, "not a JSON object"), msg);
  BOOST_TEST(contains(msg, "not json at all"), msg);
  msg = error_of([&] { d.write({R"({"other":1})"}); }, errc::invalid_argument);
  BOOST_TEST(contains(msg, "no field 'id' (used by 'key')"), msg);
  BOOST_TEST(contains(msg, R"({"other":1})"), msg);
  msg = error_of([&] { d.write({R"({"id":null})"}); }, errc::invalid_argument);
  BOOST_TEST(contains(msg, "field 'id' (used by 'key') is null"), msg);
}

BOOST_AUTO_TEST_CASE(malformed_records_are_skipped_and_counted) {
  redis_server server;
  sink_driver d(server.uri("?command=ZADD&key=rank&member={w}&score={c}&sink.malformed=skip"));
  d.open();
  d.write({R"({"w":"a","c":1})", "[1,2]", R"({"w":"b"})", R"({"w":"c","c":"many"})",
           R"({"w":"d","c":"-inf"})", R"({"w":"e","c":2.5e1})", "{\"w\":"});
  d.checkpoint();
  BOOST_TEST(d.counters.value("numRecordsOutErrors") == 4);
  redis_client c(server.port(), server.password());
  BOOST_TEST(c.text({"ZRANGE", "rank", "0", "-1", "WITHSCORES"}) == "d -inf a 1 e 25");
}

BOOST_AUTO_TEST_CASE(spec_errors_name_the_fault) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"redis://h:1?key=k&colour=red", "unknown option 'colour'"},
      {"redis://h:1?value={}", "option 'key' is required"},
      {"redis://h:1?command=HSET&key=k", "command=HSET needs option 'field'"},
      {"redis://h:1?command=ZADD&key=k&member={m}", "needs options 'member' and 'score'"},
      {"redis://h:1?command=GETDEL&key=k", "option 'command' is 'GETDEL'"},
      {"redis://h:1?key=k&field=f", "option 'field' applies to command=HSET only"},
      {"redis://h:1?key=k&ttl=soon", "option 'ttl'"},
      {"redis://h:1?key=k&ttl=0", "option 'ttl' must be positive"},
      {"redis://h:1?command=PUBLISH&key=k&ttl=5", "option 'ttl' applies to"},
      {"redis://h:99999?key=k", "port '99999'"},
      {"redis://h:1,g:2?key=k", "expected one HOST:PORT"},
      {"redis://h:1/x?key=k", "database '/x'"},
      {"redis://h:1?key=k{id", "option 'key': unmatched '{'"},
      {"redis://h:1?key=k&value=a}b", "option 'value': unmatched '}'"},
      {"redis://h:1?key=k&sink.malformed=ignore", "option 'sink.malformed'"},
      {"redis://h:1?key=k&sink.buffer-flush.max-rows=0", "sink.buffer-flush.max-rows"},
      {"redis://h:1?key=k&sink.max-retry-time=forever", "sink.max-retry-time"},
      {"redis://h:1?command=XADD&key=k&fields=a,,b", "empty field name"},
      {"redis://secret@h:1?key=k", "must be :PASSWORD or USER:PASSWORD"},
  };
  for (const auto& [spec, expected] : cases) {
    auto msg = error_of([&] { config(spec); }, errc::invalid_argument);
    BOOST_TEST(contains(msg, expected), spec << " -> " << msg);
  }
  // The password never shows in a message, even for a bad option.
  auto msg =
      error_of([&] { config("redis://bob:topsecret@h:1?key=k&bogus=1"); }, errc::invalid_argument);
  BOOST_TEST(contains(msg, "redis://bob:***@h:1?key=k&bogus=1"), msg);
  BOOST_TEST(!contains(msg, "topsecret"), msg);
}

BOOST_AUTO_TEST_CASE(config_defaults_and_forms) {
  auto cfg = config("redis://:p%40ss@localhost/2?key=k&ttl=2&connect.timeout=250ms");
  BOOST_TEST(cfg.host == "localhost");
  BOOST_TEST(cfg.port == 6379);
  BOOST_TEST(cfg.password.value_or("") == "p@ss");
  BOOST_TEST(cfg.user.empty());
  BOOST_TEST(cfg.database == 2);
  BOOST_TEST(cfg.ttl_ms == 2000);
  BOOST_TEST(cfg.connect_timeout_ms == 250);
  BOOST_TEST(cfg.max_rows == 1000u);
  BOOST_TEST(cfg.max_retry_ms == 60000);
  BOOST_TEST(cfg.value == "{}");
  BOOST_TEST((cfg.command == redis_command::set));
  BOOST_TEST(!contains(cfg.spec, "p%40ss"));
  BOOST_TEST(redis_command_idempotent(redis_command::zadd));
  BOOST_TEST(!redis_command_idempotent(redis_command::xadd));
  BOOST_TEST(!redis_command_idempotent(redis_command::publish));
}

// delete_prefix (SQL's -D rows): a record starting with it is DEL key (SET) or HDEL key field
// (HSET) with the key and field templates applied to the rest; in order with the writes of
// the same batch; a delete of a missing key or field is no error.
BOOST_AUTO_TEST_CASE(delete_prefix_sends_del_and_hdel) {
  redis_server server;
  auto cfg = config(server.uri("?key=k:{id}&value={v}&ttl=60"));
  cfg.delete_prefix = "-D";
  sink_driver d(cfg);
  d.open();
  d.write({R"({"id":1,"v":"a"})", R"({"id":2,"v":"b"})", R"(-D{"id":1,"v":"a"})",
           R"({"id":3,"v":"c"})", R"(-D{"id":3,"v":"c"})", R"({"id":3,"v":"c2"})",
           R"(-D{"id":9,"v":"never written"})", R"({"id":4,"v":"d"})"});
  d.checkpoint();
  redis_client c(server.port(), server.password());
  BOOST_TEST(c.text({"EXISTS", "k:1"}) == "0");
  BOOST_TEST(c.text({"GET", "k:2"}) == "b");
  BOOST_TEST(c.text({"GET", "k:3"}) == "c2");
  BOOST_TEST(c.text({"GET", "k:4"}) == "d");
  BOOST_TEST(c.list({"KEYS", "k:*"}).size() == 3u);
  d.write_acked(
      {R"(-D{"id":2,"v":"b"})", R"(-D{"id":4,"v":"old","other":true})", R"({"id":1,"v":"again"})"});
  BOOST_TEST(c.text({"EXISTS", "k:2"}) == "0");
  BOOST_TEST(c.text({"EXISTS", "k:4"}) == "0");
  BOOST_TEST(c.text({"GET", "k:1"}) == "again");
  // The rest of a delete must be a record too, with the fields the templates use (a SQL -D row
  // has every column).
  auto msg = error_of([&] { d.write({"-Dnot json"}); }, errc::invalid_argument);
  BOOST_TEST(contains(msg, "not a JSON object"), msg);
  msg = error_of([&] { d.write({R"(-D{"v":"a"})"}); }, errc::invalid_argument);
  BOOST_TEST(contains(msg, "no field 'id' (used by 'key')"), msg);

  auto hcfg = config(server.uri("/1?command=hset&key=h:{id}&field={f}&value={v}&ttl=100"));
  hcfg.delete_prefix = "-D";
  sink_driver h(hcfg);
  h.open();
  h.write({R"({"id":1,"f":"x","v":1})", R"({"id":1,"f":"y","v":2})", R"({"id":2,"f":"x","v":3})",
           R"(-D{"id":1,"f":"x","v":1})", R"(-D{"id":2,"f":"x","v":3})",
           R"(-D{"id":5,"f":"z","v":0})"});
  h.checkpoint();
  redis_client c1(server.port(), server.password(), 1);
  BOOST_TEST(c1.text({"HEXISTS", "h:1", "x"}) == "0");
  BOOST_TEST(c1.text({"HGET", "h:1", "y"}) == "2");
  BOOST_TEST(c1.text({"EXISTS", "h:2"}) == "0"); // its last field deleted
  BOOST_TEST(c1.list({"KEYS", "h:*"}).size() == 1u);
  auto ttl = std::stoll(c1.text({"TTL", "h:1"}));
  BOOST_TEST((ttl > 90 && ttl <= 100));
}

// Without delete_prefix a record starting with "-D" is an ordinary (here malformed) record;
// with it, a delete for a command other than SET and HSET is malformed, named as such.
BOOST_AUTO_TEST_CASE(deletes_are_only_for_set_and_hset) {
  redis_server server;
  sink_driver plain(server.uri("?key=k:{id}"));
  plain.open();
  auto msg = error_of([&] { plain.write({R"(-D{"id":1})"}); }, errc::invalid_argument);
  BOOST_TEST(contains(msg, "not a JSON object"), msg);

  auto cfg = config(server.uri("?command=zadd&key=rank&member={w}&score={c}&sink.malformed=skip"));
  cfg.delete_prefix = "-D";
  sink_driver z(cfg);
  z.open();
  z.write({R"({"w":"a","c":1})", R"(-D{"w":"a","c":1})", R"({"w":"b","c":2})"});
  z.checkpoint();
  BOOST_TEST(z.counters.value("numRecordsOutErrors") == 1);
  redis_client c(server.port(), server.password());
  BOOST_TEST(c.text({"ZRANGE", "rank", "0", "-1"}) == "a b");

  auto fcfg = config(server.uri("?command=lpush&key=l"));
  fcfg.delete_prefix = "-D";
  sink_driver l(fcfg);
  l.open();
  msg = error_of([&] { l.write({R"(-D{"id":1})"}); }, errc::invalid_argument);
  BOOST_TEST(contains(msg, "a delete for LPUSH (deletes are DEL for SET and HDEL for HSET)"), msg);
  BOOST_TEST(c.text({"EXISTS", "l"}) == "0");
}
