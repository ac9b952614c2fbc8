// The Kafka source against a real broker (scripts/kafka.sh, KRaft, one node):
// bounded reads, offsets restored at another parallelism, partitions added
// while running, idle subtasks, records without value, a broker that goes
// away and comes back, and the errors that name what is wrong.
#define BOOST_TEST_MODULE kafka_source
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <random>
#include <set>

#include "connectors/source_harness.hpp"
#include "spate/connectors/io_spec.hpp"
#include "spate/connectors/kafka_source.hpp"
#include "spate/api/testing.hpp"
#include "spate/connectors/uri.hpp"
#include "spate/core/error.hpp"
#include "support/kafka_broker.hpp"
#include "support/seed.hpp"

using namespace spate;
using namespace spate::test;
using namespace std::chrono_literals;

namespace {

kafka_broker& broker() {
  static kafka_broker b;
  return b;
}

int topic_counter = 0;

//! A new topic with `partitions` partitions and `per_partition` unique lines in each.
std::string make_topic(int partitions, int per_partition, std::vector<std::string>* all) {
  std::string topic = "src-" + std::to_string(++topic_counter);
  broker().create_topic(topic, partitions);
  for (int p = 0; p < partitions; ++p) {
    std::vector<std::string> lines;
    for (int i = 0; i < per_partition; ++i)
      lines.push_back(topic + "/p" + std::to_string(p) + "/" + std::to_string(i));
    if (!lines.empty())
      broker().produce(topic, lines, p);
    if (all)
      all->insert(all->end(), lines.begin(), lines.end());
  }
  return topic;
}

kafka_source_config config(const std::string& topic, const std::string& options = "") {
  return parse_kafka_source_config(parse_connector_uri(
      "kafka://" + broker().bootstrap() + "/" + topic + (options.empty() ? "" : "?" + options),
      "input"));
}

//! Polls until `n` records or the end, at most `limit`; true when finished.
bool poll_for(kafka_source_function& s, std::size_t n, std::vector<std::string>& out,
              std::chrono::milliseconds limit = 20s, drain_stats* stats = nullptr) {
  typed_batch<std::string> batch;
  collector<std::string> c(&batch);
  auto deadline = std::chrono::steady_clock::now() + limit;
  bool finished = false;
  while (batch.size() < n && std::chrono::steady_clock::now() < deadline) {
    auto st = s.poll(c, std::min<std::size_t>(50, n - batch.size()));
    if (stats)
      ++stats->polls;
    if (st.kind == source_status::finished) {
      finished = true;
      break;
    }
    if (st.kind == source_status::idle) {
      if (stats && st.no_input)
        ++stats->idle_polls;
      std::this_thread::sleep_for(st.wait);
    }
  }
  out.insert(out.end(), batch.values.begin(), batch.values.end());
  return finished;
}

std::multiset<std::string> as_set(const std::vector<std::string>& v) {
  return {v.begin(), v.end()};
}

} // namespace

BOOST_AUTO_TEST_CASE(specs_are_parsed_and_bad_ones_named) {
  auto c = parse_kafka_source_config(parse_connector_uri(
      "kafka://a:1,b:2/t1,t2?properties.group.id=g&scan.startup.mode=timestamp&"
      "scan.startup.timestamp-millis=1700000000000&scan.bounded.mode=latest-offset&"
      "scan.topic-partition-discovery.interval=10%20s&properties.fetch.min.bytes=1",
      "input"));
  BOOST_TEST(c.brokers == "a:1,b:2");
  BOOST_TEST((c.topics == std::vector<std::string>{"t1", "t2"}));
  BOOST_TEST(c.group_id == "g");
  BOOST_TEST(c.startup_timestamp_ms == 1700000000000);
  BOOST_TEST(c.bounded_latest);
  BOOST_TEST(c.discovery_interval_ms == 10000);
  BOOST_TEST(c.properties.at("fetch.min.bytes") == "1");
  auto fails = [](const std::string& spec, const std::string& needle) {
    try {
      parse_input_spec(spec);
      BOOST_ERROR("accepted " << spec);
    } catch (const error& e) {
      BOOST_TEST(e.code() == errc::invalid_argument);
      BOOST_TEST(std::string(e.what()).find(needle) != std::string::npos,
                 e.what() << " does not name " << needle);
    }
  };
  fails("kafka://h:9092", "no topic");
  fails("kafka://h:9092/t?scan.startup.mode=first", "scan.startup.mode");
  fails("kafka://h:9092/t?scan.startup.mode=group-offsets", "properties.group.id");
  fails("kafka://h:9092/t?scan.startup.mode=timestamp", "scan.startup.timestamp-millis");
  fails("kafka://h:9092/t?scna.bounded.mode=latest-offset", "unknown option 'scna.bounded.mode'");
  fails("kafka://h:99999/t", "99999");
  fails("kafka://h:1/bad%20topic", "bad topic");
  fails("kafka://h:1/t?properties.enable.auto.commit=true", "properties.enable.auto.commit");
  fails("kafka://h:1/t?a", "not key=value");
}

BOOST_AUTO_TEST_CASE(partitions_are_owned_as_flink_assigns_them) {
  // Flink: start = ((topic.hashCode() * 31) & 0x7FFFFFFF) % n; owner = (start + p) % n.
  // "clicks".hashCode() = -1357712437 in Java.
  std::int32_t h = -1357712437;
  auto start = static_cast<int>((static_cast<std::uint32_t>(h) * 31u & 0x7FFFFFFFu) % 3);
  for (int p = 0; p < 6; ++p)
    BOOST_TEST(kafka_partition_owner("clicks", p, 3) == (start + p) % 3);
  // Every partition has exactly one owner at every parallelism.
  for (int n = 1; n <= 5; ++n) {
    std::vector<int> per(n);
    for (int p = 0; p < 20; ++p)
      ++per[kafka_partition_owner("topic-x", p, n)];
    BOOST_TEST(
        *std::max_element(per.begin(), per.end()) - *std::min_element(per.begin(), per.end()) <= 1);
  }
}

BOOST_AUTO_TEST_CASE(bounded_mode_reads_every_partition_once_and_finishes) {
  std::vector<std::string> all;
  auto topic = make_topic(4, 50, &all);
  std::vector<std::string> got;
  for (int i = 0; i < 2; ++i) {
    kafka_source_function s(config(topic, "scan.bounded.mode=latest-offset"));
    checkpointing_context ctx(i, 2, false);
    s.open(ctx);
    BOOST_TEST(poll_for(s, SIZE_MAX, got));
    s.close();
  }
  BOOST_TEST((as_set(got) == as_set(all)));
  BOOST_TEST(got.size() == all.size());
}

BOOST_AUTO_TEST_CASE(offsets_restore_exactly_at_another_parallelism) {
  auto seed = test_seed("offsets_restore_exactly_at_another_parallelism");
  std::mt19937_64 rng(seed);
  std::vector<std::string> all;
  auto topic = make_topic(4, 120, &all);
  std::vector<std::string> got;
  std::vector<operator_state_writer> snapshots(2);
  for (int i = 0; i < 2; ++i) {
    kafka_source_function s(config(topic, "scan.bounded.mode=latest-offset"));
    checkpointing_context ctx(i, 2);
    s.open(ctx);
    poll_for(s, rng() % 200, got);
    s.snapshot_state(1, snapshots[i]);
    // Read on past the snapshot: a crash loses these, the restore reads them again.
    std::vector<std::string> lost;
    poll_for(s, 17, lost, 5s);
    s.close();
  }
  for (int i = 0; i < 3; ++i) {
    kafka_source_function s(config(topic, "scan.bounded.mode=latest-offset"));
    s.initialize_state(restore_reader(snapshots, i, 3));
    checkpointing_context ctx(i, 3);
    s.open(ctx);
    BOOST_TEST(poll_for(s, SIZE_MAX, got));
    s.close();
  }
  BOOST_TEST(got.size() == all.size());
  BOOST_TEST((as_set(got) == as_set(all)));
}

BOOST_AUTO_TEST_CASE(a_partition_added_while_running_is_read_from_its_start) {
  std::vector<std::string> all;
  auto topic = make_topic(1, 10, &all);
  kafka_source_function s(config(topic, "scan.topic-partition-discovery.interval=200"));
  checkpointing_context ctx(0, 1, false);
  s.open(ctx);
  std::vector<std::string> got;
  poll_for(s, 10, got);
  BOOST_TEST(got.size() == 10u);
  broker().add_partitions(topic, 3);
  std::vector<std::string> more;
  for (int p = 1; p < 3; ++p)
    for (int i = 0; i < 5; ++i)
      more.push_back(topic + "/p" + std::to_string(p) + "/" + std::to_string(i));
  broker().produce(topic, {more.begin(), more.begin() + 5}, 1);
  broker().produce(topic, {more.begin() + 5, more.end()}, 2);
  poll_for(s, 10, got);
  s.close();
  all.insert(all.end(), more.begin(), more.end());
  BOOST_TEST((as_set(got) == as_set(all)));
}

BOOST_AUTO_TEST_CASE(a_small_prefetch_queue_is_refilled_at_once_and_repeats_nothing) {
  // 60 record batches of 400; a fetch brings one batch (max.partition.fetch.bytes=1: one
  // batch at least), and two records fill the queue: librdkafka 2.0 alone stops fetching
  // after each fetch and looks again on its timer. Read in order, each record once.
  std::string topic = "src-" + std::to_string(++topic_counter);
  broker().create_topic(topic, 1);
  shell("seq 1 24000 | sed 's|^|" + topic + "/|' | kcat -P -b " + broker().bootstrap() + " -t " +
        topic + " -p 0 -X batch.num.messages=400 -X linger.ms=1000 2>&1");
  std::vector<std::string> all;
  for (int i = 1; i <= 24000; ++i)
    all.push_back(topic + "/" + std::to_string(i));
  kafka_source_function s(config(topic, "scan.bounded.mode=latest-offset&"
                                        "properties.queued.min.messages=2&"
                                        "properties.max.partition.fetch.bytes=1"));
  checkpointing_context ctx(0, 1, false);
  s.open(ctx);
  std::vector<std::string> got;
  auto start = std::chrono::steady_clock::now();
  BOOST_TEST(poll_for(s, SIZE_MAX, got, 30s));
  auto took = std::chrono::steady_clock::now() - start;
  s.close();
  BOOST_TEST((got == all), "read " << got.size() << " of " << all.size());
  BOOST_TEST((took < 3s),
             "took " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                     << " ms");
}

BOOST_AUTO_TEST_CASE(a_subtask_without_partitions_is_idle_and_never_finishes) {
  auto topic = make_topic(1, 3, nullptr);
  int owner = kafka_partition_owner(topic, 0, 2);
  kafka_source_function s(config(topic));
  checkpointing_context ctx(1 - owner, 2, false);
  s.open(ctx);
  typed_batch<std::string> batch;
  collector<std::string> c(&batch);
  for (int i = 0; i < 3; ++i) {
    auto st = s.poll(c, 10);
    BOOST_TEST(st.kind == source_status::idle);
    BOOST_TEST(st.no_input);
  }
  BOOST_TEST(batch.empty());
  s.close();
}

BOOST_AUTO_TEST_CASE(records_without_value_fail_naming_them_or_are_skipped_and_counted) {
  auto topic = make_topic(1, 0, nullptr);
  broker().produce(topic, {"a"}, 0);
  // kcat -Z sends an empty value as NULL (a tombstone): key "k", no value.
  shell("printf 'k:\\n' | kcat -P -Z -K: -b " + broker().bootstrap() + " -t " + topic + " -p 0");
  broker().produce(topic, {"b"}, 0);
  {
    kafka_source_function s(config(topic, "scan.bounded.mode=latest-offset"));
    checkpointing_context ctx(0, 1, false);
    s.open(ctx);
    std::vector<std::string> got;
    try {
      poll_for(s, SIZE_MAX, got);
      BOOST_ERROR("a record without value was accepted");
    } catch (const error& e) {
      BOOST_TEST(e.code() == errc::codec);
      BOOST_TEST(std::string(e.what()).find(topic + "-0 offset 1") != std::string::npos, e.what());
    }
    s.close();
  }
  kafka_source_function s(config(topic, "scan.bounded.mode=latest-offset&scan.malformed=skip"));
  checkpointing_context ctx(0, 1, false);
  s.open(ctx);
  std::vector<std::string> got;
  BOOST_TEST(poll_for(s, SIZE_MAX, got));
  BOOST_TEST((got == std::vector<std::string>{"a", "b"}));
  BOOST_TEST(s.malformed_count() == 1);
  s.close();
}

BOOST_AUTO_TEST_CASE(startup_modes_latest_and_group_offsets) {
  std::vector<std::string> all;
  auto topic = make_topic(2, 5, &all);
  {
    // latest-offset: only what comes after the start.
    kafka_source_function s(config(topic, "scan.startup.mode=latest-offset"));
    checkpointing_context ctx(0, 1);
    s.open(ctx);
    broker().produce(topic, {"late-0"}, 0);
    broker().produce(topic, {"late-1"}, 1);
    std::vector<std::string> got;
    poll_for(s, 2, got);
    BOOST_TEST((as_set(got) == std::multiset<std::string>{"late-0", "late-1"}));
    // A completed checkpoint commits the offsets to the group.
    s.close();
  }
  {
    kafka_source_function s(config(topic, "properties.group.id=g1"));
    checkpointing_context ctx(0, 1);
    s.open(ctx);
    std::vector<std::string> got;
    poll_for(s, 12, got);
    BOOST_TEST(got.size() == 12u); // nothing committed yet: from the earliest
    operator_state_writer w;
    s.snapshot_state(1, w);
    s.notify_checkpoint_complete(1);
    s.close();
  }
  broker().produce(topic, {"after-commit"}, 0);
  // group-offsets: the group's committed offsets (committed asynchronously).
  std::vector<std::string> got;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  do {
    got.clear();
    kafka_source_function s(
        config(topic, "properties.group.id=g1&scan.bounded.mode=latest-offset"));
    checkpointing_context ctx(0, 1);
    s.open(ctx);
    poll_for(s, SIZE_MAX, got);
    s.close();
  } while (got.size() != 1 && std::chrono::steady_clock::now() < deadline);
  BOOST_TEST((got == std::vector<std::string>{"after-commit"}));
}

BOOST_AUTO_TEST_CASE(offsets_committed_offsets_and_lag_are_published_as_flinks_gauges) {
  auto topic = make_topic(2, 0, nullptr);
  std::vector<std::string> p0, p1;
  for (int i = 0; i < 5; ++i)
    p0.push_back("p0-" + std::to_string(i));
  for (int i = 0; i < 3; ++i)
    p1.push_back("p1-" + std::to_string(i));
  broker().produce(topic, p0, 0);
  broker().produce(topic, p1, 1);
  kafka_source_function s(config(topic, "properties.group.id=gauges"));
  checkpointing_context ctx(0, 1);
  spate::testing::simple_counters counters;
  ctx.get().counters = &counters;
  s.open(ctx);
  std::string scope = "test.KafkaSourceReader.topic." + topic + ".partition.";
  // Before anything is read: Flink's initial -1.
  BOOST_TEST(counters.value(scope + "0.currentOffset") == -1);
  BOOST_TEST(counters.value(scope + "1.committedOffset") == -1);
  std::vector<std::string> got;
  poll_for(s, 4, got);
  BOOST_REQUIRE(got.size() == 4u);
  std::int64_t read0 = std::count_if(got.begin(), got.end(), [](auto& v) { return v[1] == '0'; });
  std::int64_t read1 = 4 - read0;
  // A partition nothing was read from yet has no position: Flink's -1.
  auto position = [](std::int64_t read) { return read > 0 ? read : std::int64_t{-1}; };
  // The lag is refreshed at most once a second, from the high watermarks of
  // the fetches: poll without taking records until it shows what is left.
  typed_batch<std::string> none;
  collector<std::string> c(&none);
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (counters.value("test.pendingRecords") != 4 &&
         std::chrono::steady_clock::now() < deadline) {
    s.poll(c, 0);
    std::this_thread::sleep_for(50ms);
  }
  BOOST_TEST(counters.value(scope + "0.currentOffset") == position(read0));
  BOOST_TEST(counters.value(scope + "1.currentOffset") == position(read1));
  BOOST_TEST(counters.value("test.pendingRecords") == 4);
  BOOST_TEST(counters.value("test.KafkaSourceReader.KafkaConsumer.records-lag-max") ==
             std::max(5 - read0, 3 - read1));
  BOOST_TEST(counters.value(scope + "0.committedOffset") == -1); // no checkpoint yet
  // A completed checkpoint commits the positions; the gauges follow the
  // broker's answer.
  operator_state_writer w;
  s.snapshot_state(1, w);
  s.notify_checkpoint_complete(1);
  deadline = std::chrono::steady_clock::now() + 10s;
  while ((counters.value(scope + "0.committedOffset") != position(read0) ||
          counters.value(scope + "1.committedOffset") != position(read1)) &&
         std::chrono::steady_clock::now() < deadline) {
    s.poll(c, 0);
    std::this_thread::sleep_for(20ms);
  }
  BOOST_TEST(counters.value(scope + "0.committedOffset") == position(read0));
  BOOST_TEST(counters.value(scope + "1.committedOffset") == position(read1));
  // Read the rest: no lag left.
  poll_for(s, 4, got);
  BOOST_TEST(got.size() == 8u);
  deadline = std::chrono::steady_clock::now() + 10s;
  while (counters.value("test.pendingRecords") != 0 &&
         std::chrono::steady_clock::now() < deadline) {
    s.poll(c, 0);
    std::this_thread::sleep_for(50ms);
  }
  BOOST_TEST(counters.value("test.pendingRecords") == 0);
  BOOST_TEST(counters.value("test.KafkaSourceReader.KafkaConsumer.records-lag-max") == 0);
  BOOST_TEST(counters.value(scope + "0.currentOffset") == 5);
  BOOST_TEST(counters.value(scope + "1.currentOffset") == 3);
  s.close();
}

BOOST_AUTO_TEST_CASE(a_missing_topic_and_an_unreachable_broker_are_named) {
  try {
    kafka_source_function s(config("no-such-topic"));
    checkpointing_context ctx(0, 1);
    s.open(ctx);
    BOOST_ERROR("a missing topic was accepted");
  } catch (const error& e) {
    BOOST_TEST(e.code() == errc::not_found);
    BOOST_TEST(std::string(e.what()).find("'no-such-topic' does not exist") != std::string::npos,
               e.what());
  }
  // check_input, which the command line runs before starting (exit 2).
  try {
    check_input(parse_input_spec("kafka://127.0.0.1:1/t"));
    BOOST_ERROR("an unreachable broker was accepted");
  } catch (const error& e) {
    BOOST_TEST(e.code() == errc::io);
    BOOST_TEST(std::string(e.what()).find("cannot reach the Kafka brokers 127.0.0.1:1") !=
                   std::string::npos,
               e.what());
  }
}

BOOST_AUTO_TEST_CASE(a_broker_that_goes_away_and_comes_back_loses_nothing) {
  std::vector<std::string> all;
  auto topic = make_topic(2, 20, &all);
  kafka_source_function s(config(topic));
  checkpointing_context ctx(0, 1);
  s.open(ctx);
  std::vector<std::string> got;
  poll_for(s, 40, got);
  BOOST_TEST(got.size() == 40u);
  broker().stop();
  std::vector<std::string> none;
  poll_for(s, 1, none, 1s); // the source waits, it does not fail
  BOOST_TEST(none.empty());
  broker().start_again();
  std::vector<std::string> more{"back-0", "back-1", "back-2"};
  broker().produce(topic, more, 1);
  poll_for(s, 3, got, 30s);
  s.close();
  all.insert(all.end(), more.begin(), more.end());
  BOOST_TEST((as_set(got) == as_set(all)));
}
