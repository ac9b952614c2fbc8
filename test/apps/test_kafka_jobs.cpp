// The seed pipelines on a real Kafka broker and a real redis-server, run as
// `spate local` processes: exactly-once Kafka to Kafka across a SIGKILL and a
// resume, a stop with savepoint and a restore at another parallelism,
// trending hashtags from Kafka equal to the same from a file, and sensor
// readings into Redis keys.
#define BOOST_TEST_MODULE kafka_jobs
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <atomic>
#include <set>
#include <thread>

#include <librdkafka/rdkafka.h>

#include <sstream>

#include "support/kafka_broker.hpp"
#include "support/process.hpp"
#include "support/redis_server.hpp"
#include "support/temp_dir.hpp"

using namespace spate::test;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

kafka_broker& broker() {
  static kafka_broker b;
  return b;
}

std::string kafka(const std::string& topic, const std::string& options = "") {
  return "kafka://" + broker().bootstrap() + "/" + topic + (options.empty() ? "" : "?" + options);
}

std::multiset<std::string> committed(const std::string& topic) {
  auto v = broker().consume(topic);
  return {v.begin(), v.end()};
}

//! What a job that has ended committed to `topic`, once its last commit markers are written.
std::multiset<std::string> settled(const std::string& topic) {
  auto v = broker().consume_settled(topic);
  return {v.begin(), v.end()};
}

//! A topic of `partitions` holding "<topic>-<i>" for i < n.
std::multiset<std::string> fill(const std::string& topic, int partitions, int n) {
  broker().create_topic(topic, partitions);
  std::vector<std::string> lines;
  for (int i = 0; i < n; ++i)
    lines.push_back(topic + "-" + std::to_string(i));
  broker().produce(topic, lines);
  return {lines.begin(), lines.end()};
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

std::vector<std::string> spate_args(std::vector<std::string> args) {
  args.insert(args.begin(), bin_dir() + "/spate");
  return args;
}

} // namespace

// SIGKILL while records flow (a producer writes the input meanwhile), once
// some output is committed; then resume from the retained checkpoint at
// another parallelism: a read_committed consumer sees every input record
// exactly once.
BOOST_AUTO_TEST_CASE(exactly_once_kafka_to_kafka_across_sigkill_and_resume) {
  temp_dir dir;
  broker().create_topic("rep-in", 4);
  broker().create_topic("rep-out", 3);
  auto ck = dir.path / "ck";
  std::vector<std::string> common = {"--output",
                                     kafka("rep-out", "sink.delivery-guarantee=exactly-once&"
                                                      "sink.transactional-id-prefix=rep"),
                                     "-D",
                                     "execution.checkpointing.interval=100 ms",
                                     "-D",
                                     "state.checkpoints.dir=" + ck.string()};
  fs::path job_dir;
  std::size_t before = 0;
  {
    auto args = spate_args({"local", "kafka_replicate", "-p", "2", "--input", kafka("rep-in")});
    args.insert(args.end(), common.begin(), common.end());
    child_process job(args);
    child_process producer(
        spate_args({"local", "produce_clicks", "--input",
                    "generator:seed=4,count=150000,rate=50000", "--output", kafka("rep-in")}));
    job_dir = await_checkpoint(ck, 30s);
    BOOST_REQUIRE_MESSAGE(!job_dir.empty(), "no checkpoint completed");
    auto until = std::chrono::steady_clock::now() + 20s;
    while ((before = committed("rep-out").size()) < 20000 &&
           std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(10ms);
    job.signal(SIGKILL);
    BOOST_TEST(job.finish().exit_code == 128 + SIGKILL);
    auto p = producer.finish();
    BOOST_REQUIRE_MESSAGE(p.exit_code == 0, p.err.substr(0, 4000));
  }
  auto input = committed("rep-in");
  BOOST_TEST_MESSAGE("committed before the kill: " << before << " of " << input.size());
  BOOST_TEST(before < input.size()); // killed mid-stream
  // Resume at parallelism 3, reading to the end offsets, and finish.
  auto args = spate_args({"local", "kafka_replicate", "-p", "3", "--input",
                          kafka("rep-in", "scan.bounded.mode=latest-offset"), "--from-savepoint",
                          job_dir.string()});
  args.insert(args.end(), common.begin(), common.end());
  child_process p(args);
  auto r = p.finish();
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err.substr(0, 4000));
  auto after = settled("rep-out");
  BOOST_TEST(after.size() == input.size());
  BOOST_TEST((after == input));
}

// Ctrl-C takes a savepoint; restored at another parallelism, the job reads
// on from there: nothing lost or repeated.
BOOST_AUTO_TEST_CASE(stop_with_savepoint_and_restore_at_another_parallelism) {
  temp_dir dir;
  auto input = fill("sp-in", 4, 100000);
  broker().create_topic("sp-out", 2);
  auto output = kafka("sp-out", "sink.delivery-guarantee=exactly-once&"
                                "sink.transactional-id-prefix=sp");
  std::string savepoint;
  {
    child_process p(
        spate_args({"local", "kafka_replicate", "-p", "2", "--input", kafka("sp-in"), "--output",
                    output, "--savepoint-on-exit", (dir.path / "sp").string(), "-D",
                    "execution.checkpointing.interval=100 ms", "-D",
                    "state.checkpoints.dir=" + (dir.path / "ck").string()}));
    BOOST_REQUIRE(!await_checkpoint(dir.path / "ck", 30s).empty());
    p.signal(SIGINT);
    auto r = p.finish();
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err.substr(0, 4000));
    auto at = r.err.find("spate: savepoint ");
    BOOST_REQUIRE_MESSAGE(at != std::string::npos, r.err.substr(0, 4000));
    savepoint = r.err.substr(at + 17, r.err.find('\n', at) - at - 17);
  }
  auto r = run_spate({"local", "kafka_replicate", "-p", "3", "--input",
                      kafka("sp-in", "scan.bounded.mode=latest-offset"), "--output", output,
                      "--from-savepoint", savepoint});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err.substr(0, 4000));
  BOOST_TEST((settled("sp-out") == input));
}

// A source subtask without partitions marks its output idle: at -p 2 with a
// one-partition topic, the windows of clicks_per_user still fire.
BOOST_AUTO_TEST_CASE(a_subtask_without_partitions_does_not_stall_windows) {
  temp_dir dir;
  broker().create_topic("clicks", 1);
  auto r = run_spate({"local", "produce_clicks", "--input", "generator:seed=2,count=2000",
                      "--output", kafka("clicks")});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  child_process job(
      spate_args({"local", "clicks_per_user", "-p", "2", "--input", kafka("clicks"), "--output",
                  "print", "-D", "pipeline.auto-watermark-interval=10 ms"}));
  // Unbounded: only watermarks make windows fire, and subtask 2 reads
  // nothing. A watchdog stops the job if no window ever comes.
  std::atomic<bool> done{false};
  std::thread watchdog([&] {
    for (int i = 0; i < 300 && !done; ++i)
      std::this_thread::sleep_for(100ms);
    job.signal(SIGINT);
  });
  auto seen = job.read_until("\"clicks\"");
  done = true;
  watchdog.join();
  auto j = job.finish();
  BOOST_TEST(j.exit_code == 0);
  BOOST_TEST(seen.find("\"clicks\"") != std::string::npos, "no window fired:\n"
                                                               << j.err.substr(0, 2000));
}

//! The offset group `group` committed for partition 0 of `topic` (-1: none).
std::int64_t committed_offset(const std::string& topic, const std::string& group) {
  char err[256];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", broker().bootstrap().c_str(), err, sizeof err);
  rd_kafka_conf_set(conf, "group.id", group.c_str(), err, sizeof err);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  BOOST_REQUIRE(rk);
  auto* list = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(list, topic.c_str(), 0);
  std::int64_t offset = -1;
  if (rd_kafka_committed(rk, list, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR)
    offset = list->elems[0].offset;
  rd_kafka_topic_partition_list_destroy(list);
  rd_kafka_destroy(rk);
  return offset;
}

// Watermarks per partition: partition 0 is read completely (its clicks 1000 s
// ahead) before partition 1 gets its clicks. Partition 1, announced but
// empty, holds the watermark back, so its clicks are not late: every one of
// them is counted in the windows that fire.
BOOST_AUTO_TEST_CASE(a_partition_read_ahead_makes_no_other_partition_late) {
  broker().create_topic("skewed", 2);
  auto clicks = [](int from, int n) {
    std::vector<std::string> lines;
    for (int i = 0; i < n; ++i)
      lines.push_back("{\"user\":\"u" + std::to_string(i % 7) + "\",\"action\":\"click\"," +
                      "\"timestamp\":" + std::to_string(from + i) + "}");
    return lines;
  };
  broker().produce("skewed", clicks(1000, 500), 0);
  temp_dir dir;
  child_process job(spate_args({"local", "clicks_per_user", "--input",
                                kafka("skewed", "properties.group.id=skew"), "--output", "print",
                                "-D", "pipeline.auto-watermark-interval=0", "-D",
                                "execution.checkpointing.interval=100 ms", "-D",
                                "state.checkpoints.dir=" + (dir.path / "ck").string()}));
  // Partition 0 read to its end (its offsets committed by a checkpoint).
  auto until = std::chrono::steady_clock::now() + 30s;
  while (committed_offset("skewed", "skew") < 500 && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(20ms);
  BOOST_REQUIRE(committed_offset("skewed", "skew") >= 500);
  broker().produce("skewed", clicks(0, 500), 1);
  // Partition 1's watermark reaches 494 s: windows up to [480 s, 490 s) fire.
  std::atomic<bool> done{false};
  std::thread watchdog([&] {
    for (int i = 0; i < 300 && !done; ++i)
      std::this_thread::sleep_for(100ms);
    job.signal(SIGINT);
  });
  auto seen = job.read_until("\"window_start\":480000");
  done = true;
  watchdog.join(); // stops the job
  auto r = job.finish();
  // Windows of partition 0 (from 1000 s on) must not have fired before
  // partition 1 caught up: none in what was printed until [480 s, 490 s).
  std::int64_t late_windows = 0;
  std::istringstream in(seen);
  for (std::string l; std::getline(in, l);) {
    auto start = l.find("\"window_start\":");
    if (start != std::string::npos && std::stoll(l.substr(start + 15)) >= 500000)
      ++late_windows;
  }
  BOOST_TEST(late_windows == 0); // partition 0's windows wait for partition 1
  // Every click of [0 s, 490 s) counted, from all the output: the first line
  // of the [480 s, 490 s) window was seen, the other users' lines of it may
  // have come in the next read.
  std::int64_t early = 0;
  std::istringstream all(r.out);
  for (std::string l; std::getline(all, l);) {
    auto start = l.find("\"window_start\":");
    auto count = l.find("\"clicks\":");
    if (start != std::string::npos && count != std::string::npos &&
        std::stoll(l.substr(start + 15)) < 490000)
      early += std::stoll(l.substr(count + 9));
  }
  BOOST_TEST(early == 490, "clicks counted in [0 s, 490 s): " << early << "\n"
                                                              << r.err.substr(0, 2000));
}

// The trending hashtags job reading the same tweets from Kafka as from a
// file gives the same windows.
BOOST_AUTO_TEST_CASE(trending_hashtags_from_kafka_equals_from_a_file) {
  temp_dir dir;
  auto file = (dir.path / "tweets.jsonl").string();
  auto r = run_spate({"local", "produce_tweets", "--input", "generator:seed=3,count=5000",
                      "--output", "file:" + file, "--", "--events-per-second", "20"});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  broker().create_topic("tweets", 1);
  r = run_spate({"local", "produce_tweets", "--input", "generator:seed=3,count=5000", "--output",
                 kafka("tweets"), "--", "--events-per-second", "20"});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  auto from_file = (dir.path / "from-file.jsonl").string();
  auto from_kafka = (dir.path / "from-kafka.jsonl").string();
  r = run_spate({"local", "trending_hashtags", "--input", "file:" + file, "--output",
                 "file:" + from_file, "-D", "pipeline.auto-watermark-interval=0"});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  r = run_spate({"local", "trending_hashtags", "--input",
                 kafka("tweets", "scan.bounded.mode=latest-offset"), "--output",
                 "file:" + from_kafka, "-D", "pipeline.auto-watermark-interval=0"});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  auto lines = [](const std::string& path) {
    std::multiset<std::string> out;
    std::ifstream in(path);
    for (std::string l; std::getline(in, l);)
      out.insert(l);
    return out;
  };
  auto a = lines(from_file), b = lines(from_kafka);
  BOOST_TEST(a.size() > 20u);
  BOOST_TEST((a == b));
}

// sensor_to_redis writes SET sensor_id_<id> CLUSTER_ACTIVE for every sensor,
// from Kafka, with a password; an unreachable Redis fails naming it.
BOOST_AUTO_TEST_CASE(sensor_readings_from_kafka_become_redis_keys) {
  redis_server redis;
  broker().create_topic("sensors", 2);
  auto r = run_spate({"local", "produce_sensors", "--input", "generator:seed=9,count=3000",
                      "--output", kafka("sensors")});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  auto readings = broker().consume("sensors");
  std::set<std::string> ids;
  for (auto& l : readings) {
    auto at = l.find("\"sensor_id\":");
    BOOST_REQUIRE(at != std::string::npos);
    ids.insert(l.substr(at + 12, l.find(',', at) - at - 12));
  }
  r = run_spate({"local", "sensor_to_redis", "-p", "2", "--input",
                 kafka("sensors", "scan.bounded.mode=latest-offset"), "--output",
                 redis.uri("?key=sensor_id_{sensor_id}&value={status}&ttl=600")});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  redis_client c(redis.port(), redis.password());
  auto keys = c.list({"KEYS", "sensor_id_*"});
  BOOST_TEST(keys.size() == ids.size());
  for (auto& id : ids)
    BOOST_TEST(c.text({"GET", "sensor_id_" + id}) == "CLUSTER_ACTIVE");
  auto ttl = std::stoll(c.text({"TTL", "sensor_id_" + *ids.begin()}));
  BOOST_TEST(ttl > 0);
  BOOST_TEST(ttl <= 600);

  r = run_spate({"local", "sensor_to_redis", "--input", "generator:count=10", "--output",
                 "redis://:wrong@" + redis.address() + "?key=k{sensor_id}"});
  BOOST_TEST(r.exit_code == 2); // known before the job starts
  BOOST_TEST(r.err.find(redis.address()) != std::string::npos, r.err);
  BOOST_TEST(r.err.find("wrong") == std::string::npos, "the password is printed: " << r.err);
}

BOOST_AUTO_TEST_CASE(an_unreachable_broker_or_missing_topic_exits_2_naming_it) {
  auto r = run_spate(
      {"local", "kafka_replicate", "--input", kafka("no-such-topic"), "--output", "discard"});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.err.find("'no-such-topic' does not exist") != std::string::npos, r.err);
  r = run_spate({"local", "kafka_replicate", "--input", "generator:count=1", "--output",
                 "kafka://127.0.0.1:1/t"});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.err.find("127.0.0.1:1") != std::string::npos, r.err);
  r = run_spate({"local", "kafka_replicate", "--input", "kafka://h:1/t?scan.startup.mode=oops",
                 "--output", "discard"});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.err.find("scan.startup.mode") != std::string::npos, r.err);
}
