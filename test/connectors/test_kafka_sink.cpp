// The Kafka sink against a real broker: what a read_committed consumer (kcat)
// sees through the exactly-once cycle, after a crash between a completed
// checkpoint and its commit, with a transaction a failed run left open, and
// with at-least-once; and the errors that name what is wrong.
#define BOOST_TEST_MODULE kafka_sink
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <sstream>
#include <set>
#include <thread>

#include "connectors/source_harness.hpp"
#include "spate/connectors/io_spec.hpp"
#include "spate/connectors/kafka_sink.hpp"
#include "spate/connectors/uri.hpp"
#include "spate/core/error.hpp"
#include "support/kafka_broker.hpp"

using namespace spate;
using namespace spate::test;

namespace {

kafka_broker& broker() {
  static kafka_broker b;
  return b;
}

int topic_counter = 0;

std::string new_topic(int partitions = 2) {
  std::string topic = "sink-" + std::to_string(++topic_counter);
  broker().create_topic(topic, partitions);
  return topic;
}

kafka_sink_config config(const std::string& topic, const std::string& options) {
  return parse_kafka_sink_config(parse_connector_uri(
      "kafka://" + broker().bootstrap() + "/" + topic + "?" + options, "output"));
}

typed_batch<std::string> batch(const std::vector<std::string>& lines) {
  typed_batch<std::string> b;
  for (const auto& l : lines)
    b.push(l, 1700000000000);
  return b;
}

std::multiset<std::string> committed(const std::string& topic) {
  auto v = broker().consume(topic);
  return {v.begin(), v.end()};
}

//! What read_committed consumers see of `topic` once it equals `expected`,
//! or after 15 s: a transaction's commit returns once its coordinator logged
//! it, and the markers that make its records visible reach the partitions
//! right after, so a consumer at once may not see them yet.
std::multiset<std::string> committed_when(const std::string& topic,
                                          const std::multiset<std::string>& expected) {
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  auto got = committed(topic);
  while (got != expected && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    got = committed(topic);
  }
  return got;
}

std::multiset<std::string> set(std::initializer_list<std::string> l) { return l; }

//! A framed record: [u32 key length, big endian][key][1 + value | 0: no value].
std::string frame(const std::string& key, const std::optional<std::string>& value) {
  std::string out;
  for (int b = 3; b >= 0; --b)
    out += static_cast<char>((key.size() >> (8 * b)) & 0xff);
  out += key;
  out += value ? '\1' : '\0';
  if (value)
    out += *value;
  return out;
}

//! "key length|key|value length|value" of every record of `topic`, in offset order (one
//! partition); a length of -1 is a null key or value.
std::vector<std::string> sizes_and_contents(const std::string& topic) {
  std::string out =
      shell("kcat -C -b " + broker().bootstrap() + " -t " + topic + " -e -q -f '%K|%k|%S|%s\\n'");
  std::vector<std::string> lines;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

} // namespace

BOOST_AUTO_TEST_CASE(specs_are_parsed_and_bad_ones_named) {
  auto c = parse_kafka_sink_config(parse_connector_uri(
      "kafka://h:1/out?sink.delivery-guarantee=exactly-once&sink.transactional-id-prefix=app&"
      "key.field=user&properties.linger.ms=5",
      "output"));
  BOOST_TEST(c.topic == "out");
  BOOST_TEST(std::string(to_string(c.guarantee)) == "exactly-once");
  BOOST_TEST(c.transactional_id_prefix == "app");
  BOOST_TEST(c.key_field == "user");
  BOOST_TEST(c.properties.at("linger.ms") == "5");
  auto fails = [](const std::string& spec, const std::string& needle) {
    try {
      parse_output_spec(spec);
      BOOST_ERROR("accepted " << spec);
    } catch (const error& e) {
      BOOST_TEST(std::string(e.what()).find(needle) != std::string::npos,
                 e.what() << " does not name " << needle);
    }
  };
  fails("kafka://h:1/out?sink.delivery-guarantee=exactly-once", "sink.transactional-id-prefix");
  fails("kafka://h:1/a,b", "one topic");
  fails("kafka://h:1/out?sink.delivery-guarantee=twice", "sink.delivery-guarantee");
  fails("kafka://h:1/out?properties.transactional.id=x", "properties.transactional.id");
  fails("kafka://h:1/out?sink.parallelism=3", "unknown option 'sink.parallelism'");
}

BOOST_AUTO_TEST_CASE(exactly_once_commits_a_checkpoint_s_records_when_it_completes) {
  auto topic = new_topic();
  kafka_sink_function s(
      config(topic, "sink.delivery-guarantee=exactly-once&sink.transactional-id-prefix=eo1"));
  checkpointing_context ctx(0, 1);
  s.open(ctx);
  s.write(batch({"a1", "a2"}));
  operator_state_writer w1;
  s.snapshot_state(1, w1);
  s.write(batch({"b1"}));
  BOOST_TEST(committed(topic).empty()); // pre-committed only
  s.notify_checkpoint_complete(1);
  BOOST_TEST((committed_when(topic, set({"a1", "a2"})) == set({"a1", "a2"})));
  s.write(batch({"b2"}));
  operator_state_writer w2;
  s.snapshot_state(2, w2);
  s.notify_checkpoint_complete(2);
  BOOST_TEST(
      (committed_when(topic, set({"a1", "a2", "b1", "b2"})) == set({"a1", "a2", "b1", "b2"})));
  s.write(batch({"c1"}));
  s.close(); // cancelled: c1's transaction is aborted (a restore would replay it)
  BOOST_TEST(
      (committed_when(topic, set({"a1", "a2", "b1", "b2"})) == set({"a1", "a2", "b1", "b2"})));
}

BOOST_AUTO_TEST_CASE(a_restore_commits_what_its_checkpoint_covered_and_aborts_the_rest) {
  auto topic = new_topic();
  auto cfg = config(topic, "sink.delivery-guarantee=exactly-once&sink.transactional-id-prefix=eo2");
  std::vector<operator_state_writer> snap(1);
  std::unique_ptr<kafka_sink_function> dead;
  {
    // A run that dies after checkpoint 1 completed but before the commit
    // reached it, with records after the barrier in an open transaction. It
    // is not closed before the restore (a dead process aborts nothing); it
    // is deleted at the end, once the restore fenced its producers.
    auto* s = new kafka_sink_function(cfg);
    dead.reset(s);
    checkpointing_context ctx(0, 1);
    s->open(ctx);
    s->write(batch({"x1", "x2"}));
    s->snapshot_state(1, snap[0]);
    s->write(batch({"lost-after-barrier"}));
    operator_state_writer never_completed;
    s->snapshot_state(2, never_completed);
    s->write(batch({"lost-after-barrier-2"}));
    BOOST_TEST(committed(topic).empty());
  }
  kafka_sink_function s(cfg);
  s.initialize_state(restore_reader(snap, 0, 1));
  checkpointing_context ctx(0, 1);
  s.open(ctx);
  // Checkpoint 1's transaction is committed; the two later ones are aborted,
  // so read_committed readers are not held up behind them.
  BOOST_TEST((committed_when(topic, set({"x1", "x2"})) == set({"x1", "x2"})));
  s.write(batch({"y1"}));
  finish_and_commit(s);
  s.close();
  BOOST_TEST((committed_when(topic, set({"x1", "x2", "y1"})) == set({"x1", "x2", "y1"})));
  // A second restore from the same checkpoint commits nothing twice.
  kafka_sink_function again(cfg);
  again.initialize_state(restore_reader(snap, 0, 1));
  checkpointing_context ctx2(0, 1);
  again.open(ctx2);
  again.close();
  BOOST_TEST((committed_when(topic, set({"x1", "x2", "y1"})) == set({"x1", "x2", "y1"})));
}

BOOST_AUTO_TEST_CASE(a_rescaled_restore_commits_the_old_subtasks_transactions) {
  auto topic = new_topic();
  auto cfg = config(topic, "sink.delivery-guarantee=exactly-once&sink.transactional-id-prefix=eo3");
  std::vector<operator_state_writer> snap(3);
  std::vector<std::unique_ptr<kafka_sink_function>> dead; // closed only after the restore
  for (int i = 0; i < 3; ++i) {
    dead.push_back(std::make_unique<kafka_sink_function>(cfg));
    auto& s = dead.back();
    checkpointing_context ctx(i, 3);
    s->open(ctx);
    s->write(batch({"from-" + std::to_string(i)}));
    s->snapshot_state(5, snap[i]);
    s->write(batch({"late-" + std::to_string(i)}));
  }
  for (int i = 0; i < 2; ++i) {
    kafka_sink_function s(cfg);
    s.initialize_state(restore_reader(snap, i, 2));
    checkpointing_context ctx(i, 2);
    s.open(ctx);
    s.close();
  }
  BOOST_TEST((committed_when(topic, set({"from-0", "from-1", "from-2"})) ==
              set({"from-0", "from-1", "from-2"})));
}

BOOST_AUTO_TEST_CASE(at_least_once_flushes_at_the_barrier_and_keys_partition) {
  auto topic = new_topic(4);
  kafka_sink_function s(config(topic, "sink.delivery-guarantee=at-least-once&key.field=user"));
  checkpointing_context ctx(0, 1);
  s.open(ctx);
  std::vector<std::string> lines;
  for (int i = 0; i < 200; ++i)
    lines.push_back("{\"user\":\"u" + std::to_string(i % 7) + "\",\"n\":" + std::to_string(i) +
                    "}");
  s.write(batch(lines));
  operator_state_writer w;
  s.snapshot_state(1, w); // returns once every record is acknowledged
  auto got = broker().consume(topic);
  BOOST_TEST((std::multiset<std::string>(got.begin(), got.end()) ==
              std::multiset<std::string>(lines.begin(), lines.end())));
  // Records of one user share a partition.
  auto keyed =
      shell("kcat -C -b " + broker().bootstrap() + " -t " + topic + " -e -q -f '%k %p\\n'");
  std::map<std::string, std::set<std::string>> partitions_of;
  std::istringstream in(keyed);
  for (std::string k, p; in >> k >> p;)
    partitions_of[k].insert(p);
  BOOST_TEST(partitions_of.size() == 7u);
  for (auto& [k, ps] : partitions_of)
    BOOST_TEST(ps.size() == 1u, k << " is in " << ps.size() << " partitions");
  s.close();
}

BOOST_AUTO_TEST_CASE(records_without_key_go_to_one_partition_a_batch_in_turn) {
  // Subtask 1 of 2 starts at partition 1 of 3; each batch goes to the next.
  auto topic = new_topic(3);
  kafka_sink_function s(config(topic, "sink.delivery-guarantee=at-least-once"));
  checkpointing_context ctx(1, 2);
  s.open(ctx);
  std::map<std::string, int> batch_of;
  for (int b = 0; b < 4; ++b) {
    std::vector<std::string> lines;
    for (int i = 0; i < 50; ++i) {
      lines.push_back("b" + std::to_string(b) + "-" + std::to_string(i));
      batch_of[lines.back()] = b;
    }
    s.write(batch(lines));
  }
  operator_state_writer w;
  s.snapshot_state(1, w);
  s.close();
  // value partition timestamp of every record
  auto out =
      shell("kcat -C -b " + broker().bootstrap() + " -t " + topic + " -e -q -f '%s %p %T\n'");
  std::istringstream in(out);
  std::map<int, std::set<int>> partitions_of_batch;
  std::size_t records = 0;
  for (std::string v, p, ts; in >> v >> p >> ts; ++records) {
    BOOST_TEST(batch_of.count(v) == 1u, v);
    partitions_of_batch[batch_of[v]].insert(std::stoi(p));
    BOOST_TEST(ts == "1700000000000"); // the record's own timestamp
  }
  BOOST_TEST(records == 200u);
  BOOST_TEST(partitions_of_batch[0] == std::set<int>{1});
  BOOST_TEST(partitions_of_batch[1] == std::set<int>{2});
  BOOST_TEST(partitions_of_batch[2] == std::set<int>{0});
  BOOST_TEST(partitions_of_batch[3] == std::set<int>{1});
}

BOOST_AUTO_TEST_CASE(a_transaction_timeout_below_the_checkpoint_interval_is_refused) {
  auto topic = new_topic();
  kafka_sink_function s(config(topic, "sink.delivery-guarantee=exactly-once&"
                                      "sink.transactional-id-prefix=eo4&"
                                      "properties.transaction.timeout.ms=500"));
  checkpointing_context ctx(0, 1); // 1 s interval
  try {
    s.open(ctx);
    BOOST_ERROR("a 500 ms transaction timeout was accepted with 1 s checkpoints");
  } catch (const error& e) {
    BOOST_TEST(e.code() == errc::invalid_argument);
    BOOST_TEST(std::string(e.what()).find("transaction.timeout.ms (500 ms) is shorter") !=
                   std::string::npos,
               e.what());
  }
}

BOOST_AUTO_TEST_CASE(a_missing_topic_is_named) {
  for (auto guarantee : {"sink.delivery-guarantee=at-least-once",
                         "sink.delivery-guarantee=exactly-once&sink.transactional-id-prefix=m"}) {
    kafka_sink_function s(config("no-such-output", guarantee));
    checkpointing_context ctx(0, 1);
    try {
      s.open(ctx);
      BOOST_ERROR("a missing topic was accepted with " << guarantee);
    } catch (const error& e) {
      BOOST_TEST(e.code() == errc::not_found);
      BOOST_TEST(std::string(e.what()).find("'no-such-output'") != std::string::npos, e.what());
    }
  }
}

// Framed records (SQL's kafka and upsert-kafka sinks): the key and the value given apart; a
// record without value is a tombstone (a null value, not an empty one); an empty key stays
// an empty key, an empty value an empty value.
BOOST_AUTO_TEST_CASE(framed_records_give_keys_values_and_tombstones) {
  auto topic = new_topic(1);
  auto cfg = config(topic, "sink.delivery-guarantee=at-least-once");
  cfg.framed_records = true;
  kafka_sink_function s(cfg);
  checkpointing_context ctx(0, 1);
  s.open(ctx);
  const std::string json_key = R"({"word":"w1","n":2})";
  s.write(batch({frame("k1", std::string("v1")), frame(json_key, std::string(R"({"x":1})")),
                 frame("k1", std::nullopt), frame("", std::string("no key")),
                 frame("k2", std::string("")), frame(json_key, std::nullopt)}));
  operator_state_writer w;
  s.snapshot_state(1, w); // every record acknowledged
  const std::vector<std::string> want = {"2|k1|2|v1", "19|" + json_key + R"(|7|{"x":1})",
                                         "2|k1|-1|",  "0||6|no key",
                                         "2|k2|0|",   "19|" + json_key + "|-1|"};
  BOOST_TEST(sizes_and_contents(topic) == want, boost::test_tools::per_element());
  s.close();
}

// A malformed frame fails the write naming the fault and the record, and nothing of its batch
// is written (the frames are checked before any record is produced).
BOOST_AUTO_TEST_CASE(malformed_frames_fail_and_write_nothing) {
  auto topic = new_topic(1);
  auto cfg = config(topic, "sink.delivery-guarantee=at-least-once");
  cfg.framed_records = true;
  const std::string ok = frame("k", std::string("v"));
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"abc", "a framed record of 3 bytes"},
      {std::string("\0\0\0\x09key\1v", 9), "key of 9 bytes overruns its 9 bytes"},
      {std::string("\xff\xff\xff\xffk\1", 6), "key of 4294967295 bytes overruns"},
      {std::string("\0\0\0\x01k\x02v", 7), "value flag is 2"},
      {std::string("\0\0\0\x01k\0v", 7), "without value has 1 bytes after its key"},
  };
  for (const auto& [bad, part] : cases) {
    kafka_sink_function s(cfg);
    checkpointing_context ctx(0, 1);
    s.open(ctx);
    try {
      s.write(batch({ok, ok, bad, ok}));
      BOOST_ERROR("a malformed frame was accepted: " << part);
    } catch (const error& e) {
      const std::string what = e.what();
      BOOST_TEST(e.code() == errc::invalid_argument);
      for (const std::string& p :
           {part, std::string("record 3 of a batch of 4"), std::string("nothing of the batch")})
        BOOST_TEST(what.find(p) != std::string::npos, what << " does not name " << p);
    }
    operator_state_writer w;
    s.snapshot_state(1, w); // flushes whatever was produced
    s.close();
  }
  BOOST_TEST(broker().consume(topic).empty());
  // Without framing the same bytes are plain values.
  kafka_sink_function plain(config(topic, "sink.delivery-guarantee=at-least-once"));
  checkpointing_context ctx(0, 1);
  plain.open(ctx);
  plain.write(batch({"abc"}));
  operator_state_writer w;
  plain.snapshot_state(1, w);
  BOOST_TEST(broker().consume(topic) == std::vector<std::string>{"abc"});
  plain.close();
}
